/* SPDX-License-Identifier: MIT
 * proto.c: the wire protocol between the engine and an eddy-fnhost process:
 * length-prefixed frames of length-prefixed fields over a socketpair. Both
 * ends distrust the other: every length is bounded and checked, so a host
 * that writes garbage is detected, never believed. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

void fn__frame_begin(eng_buf_t *b, uint32_t type)
{
    eng_buf_reset(b);
    const uint32_t hdr[2] = {type, 0};
    eng_buf_append(b, hdr, sizeof hdr);
}

void fn__frame_add(eng_buf_t *b, const char *s, size_t len)
{
    const uint32_t n = s ? (uint32_t)len : FN_NULL_FIELD;
    eng_buf_append(b, &n, sizeof n);
    if (s)
        eng_buf_append(b, s, len);
}

void fn__frame_add_str(eng_buf_t *b, const char *s)
{
    fn__frame_add(b, s, s ? strlen(s) : 0);
}

void fn__frame_end(eng_buf_t *b)
{
    const uint32_t n = (uint32_t)(b->len - 2 * sizeof(uint32_t));
    memcpy(b->ptr + sizeof(uint32_t), &n, sizeof n);
}

char *fn__frame_next(fn_frame_reader_t *r, size_t *len)
{
    uint32_t n;
    if (r->is_bad || (size_t)(r->end - r->p) < sizeof n) {
        r->is_bad = true;
        return NULL;
    }
    memcpy(&n, r->p, sizeof n);
    r->p += sizeof n;
    if (len)
        *len = 0;
    if (n == FN_NULL_FIELD)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        r->is_bad = true;
        return NULL;
    }
    char *s = eng_strndup(r->p, n);
    r->p += n;
    if (len)
        *len = n;
    return s;
}

static const char *const write_kinds[] = {"put", "delete", "update"};

static void encode_write(const eng_fn_write_t *w, eng_buf_t *out)
{
    fn__frame_add_str(out, write_kinds[w->kind]);
    fn__frame_add_str(out, w->table);
    fn__frame_add_str(out, w->item_json);
    fn__frame_add_str(out, w->key_json);
    fn__frame_add_str(out, w->update_expression);
    fn__frame_add_str(out, w->names_json);
    fn__frame_add_str(out, w->values_json);
}

void fn__raw_encode(const fn_raw_t *raw, eng_buf_t *out)
{
    char num[64];
    fn__frame_begin(out, FN_MSG_RESULT);
    snprintf(num, sizeof num, "%d %d %ld %zu", raw->rc, raw->has_response, raw->max_rss_kb,
             raw->n_writes);
    fn__frame_add_str(out, num);
    fn__frame_add(out, raw->response.ptr ? raw->response.ptr : "", raw->response.len);
    fn__frame_add_str(out, raw->error_type);
    fn__frame_add_str(out, raw->error_message);
    fn__frame_add(out, raw->log.ptr ? raw->log.ptr : "", raw->log.len);
    for (size_t i = 0; i < raw->n_writes; i++)
        encode_write(&raw->writes[i], out);
    fn__frame_end(out);
}

static int decode_write(fn_frame_reader_t *r, eng_fn_write_t *w)
{
    char *kind = fn__frame_next(r, NULL);
    int err = ENG_EINVAL;
    for (size_t k = 0; kind && k < ENG_ARRAY_LEN(write_kinds); k++) {
        if (strcmp(kind, write_kinds[k]) == 0) {
            w->kind = (eng_fn_write_kind_t)k;
            err = 0;
        }
    }
    eng_free(kind);
    w->table = fn__frame_next(r, NULL);
    w->item_json = fn__frame_next(r, NULL);
    w->key_json = fn__frame_next(r, NULL);
    w->update_expression = fn__frame_next(r, NULL);
    w->names_json = fn__frame_next(r, NULL);
    w->values_json = fn__frame_next(r, NULL);
    if (!w->table || r->is_bad)
        err = ENG_EINVAL;
    return err;
}

/* Decode the counters field: "rc has_response max_rss n_writes". */
static int decode_counters(fn_frame_reader_t *r, fn_raw_t *raw, size_t *n_writes)
{
    char *num = fn__frame_next(r, NULL);
    int has_response = 0;
    int n =
        num ? sscanf(num, "%d %d %ld %zu", &raw->rc, &has_response, &raw->max_rss_kb, n_writes) : 0;
    eng_free(num);
    raw->has_response = has_response != 0;
    return n == 4 && *n_writes <= FN_MAX_WRITES ? 0 : ENG_EINVAL;
}

int fn__raw_decode(const char *p, size_t len, fn_raw_t *raw)
{
    fn_frame_reader_t r = {.p = p, .end = p + len};
    size_t n_writes = 0, n = 0;
    int err = decode_counters(&r, raw, &n_writes);
    if (err < 0)
        return err;
    char *s = fn__frame_next(&r, &n);
    eng_buf_append(&raw->response, s ? s : "", n);
    eng_free(s);
    raw->error_type = fn__frame_next(&r, NULL);
    raw->error_message = fn__frame_next(&r, NULL);
    s = fn__frame_next(&r, &n);
    eng_buf_append(&raw->log, s ? s : "", n);
    eng_free(s);
    raw->writes = eng_calloc(n_writes ? n_writes : 1, sizeof *raw->writes);
    for (; raw->n_writes < n_writes && err == 0; raw->n_writes++)
        err = decode_write(&r, &raw->writes[raw->n_writes]);
    if (r.is_bad || r.p != r.end)
        err = ENG_EINVAL;
    return err;
}

int fn__write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EPIPE || errno == ECONNRESET ? ENG_ECLOSED : ENG_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read exactly len bytes before the deadline. */
static int read_exact(int fd, int64_t deadline_ms, char *p, size_t len)
{
    while (len > 0) {
        int wait_ms = -1;
        if (deadline_ms >= 0) {
            int64_t left = deadline_ms - fn__now_ms();
            if (left <= 0)
                return ENG_ETIMEDOUT;
            wait_ms = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int rc = poll(&pfd, 1, wait_ms);
        if (rc < 0 && errno != EINTR)
            return ENG_EIO;
        if (rc <= 0)
            continue;
        ssize_t n = read(fd, p, len);
        if (n == 0)
            return ENG_ECLOSED;
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return errno == ECONNRESET ? ENG_ECLOSED : ENG_EIO;
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
    }
    return 0;
}

int fn__read_frame(int fd, int64_t deadline_ms, uint32_t *type, char **payload, size_t *len)
{
    uint32_t hdr[2];
    int err = read_exact(fd, deadline_ms, (char *)hdr, sizeof hdr);
    if (err < 0)
        return err;
    if (hdr[1] > FN_MAX_FRAME_BYTES)
        return ENG_ETOOBIG;
    char *buf = eng_malloc((size_t)hdr[1] + 1);
    err = read_exact(fd, deadline_ms, buf, hdr[1]);
    if (err < 0) {
        eng_free(buf);
        return err;
    }
    buf[hdr[1]] = '\0';
    *type = hdr[0];
    *payload = buf;
    *len = hdr[1];
    return 0;
}
