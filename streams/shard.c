/* SPDX-License-Identifier: MIT
 * shard.c: shard ids and shard iterators. An iterator is plain text naming
 * the table, the stream label, the position and its creation time, followed
 * by a SipHash-2-4 tag under a per-process secret, so a client can neither
 * forge one nor move one to another stream. Expiry (15 minutes in DynamoDB)
 * is checked by the caller against the creation time carried inside. */
#include "streams/strm.h"

#include "engine/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define ITER_VERSION "1"

/* ---- SipHash-2-4 (64-bit tag) -------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL(v[1], 13) ^ v[0];
    v[0] = ROTL(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = ROTL(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = ROTL(v[1], 17) ^ v[2];
    v[2] = ROTL(v[2], 32);
}

static uint64_t siphash(const uint8_t key[16], const uint8_t *in, size_t len)
{
    uint64_t k0 = load64(key), k1 = load64(key + 8);
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                     k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load64(in + i);
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = full; i < len; i++)
        b |= (uint64_t)in[i] << (8 * (i - full));
    v[3] ^= b;
    sip_round(v);
    sip_round(v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- shard ids ------------------------------------------------------------ */

void strm_shard_id(const char *table, const char *label, double created_s,
                   char out[STRM_SHARD_ID_LEN + 1])
{
    static const uint8_t zero_key[16] = {0}; /* Stable across restarts; not a secret. */
    char in[400];
    int n = snprintf(in, sizeof(in), "%s/%s", table, label);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(in) ? (size_t)n : sizeof(in) - 1;
    uint64_t h = siphash(zero_key, (const uint8_t *)in, len);
    uint64_t ms = created_s > 0 ? (uint64_t)(created_s * 1000.0 + 0.5) : 0;
    snprintf(out, STRM_SHARD_ID_LEN + 1, "shardId-%020" PRIu64 "-%08" PRIx32, ms,
             (uint32_t)(h >> 32));
}

/* ---- iterators ------------------------------------------------------------ */

void strm_iter_key_init(strm_iter_key_t *key)
{
    if (getrandom(key->k, sizeof(key->k), 0) == (ssize_t)sizeof(key->k))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t a = (uint64_t)ts.tv_sec, b = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)key;
    memcpy(key->k, &a, 8);
    memcpy(key->k + 8, &b, 8);
}

/* The signed part: "1|<created ms>|<after seq>|<label>|<table>". */
static void iter_body(const strm_iter_t *it, eng_buf_t *out)
{
    eng_buf_printf(out, ITER_VERSION "|%" PRId64 "|%" PRIu64 "|%s|%s", it->created_ms,
                   it->after_seq, it->label, it->table);
}

void strm_iter_encode(const strm_iter_key_t *key, const strm_iter_t *it, eng_buf_t *out)
{
    size_t start = out->len;
    iter_body(it, out);
    uint64_t tag = siphash(key->k, (const uint8_t *)out->ptr + start, out->len - start);
    eng_buf_printf(out, "|%016" PRIx64, tag);
}

/* Copy the field [p, bar) into dst (cap bytes). Returns 0 or ENG_EINVAL. */
static int take_field(const char *p, const char *bar, char *dst, size_t cap)
{
    size_t n = (size_t)(bar - p);
    if (n == 0 || n >= cap || memchr(p, '|', n))
        return ENG_EINVAL;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

static int parse_fields(const char *body, strm_iter_t *out)
{
    char ver[4];
    char created[24], after[24];
    const char *f[5] = {body};
    for (int i = 1; i < 5; i++) {
        f[i] = strchr(f[i - 1], '|');
        if (!f[i]++)
            return ENG_EINVAL;
    }
    const char *end = body + strlen(body) + 1;
    if (take_field(f[0], f[1] - 1, ver, sizeof(ver)) < 0 || strcmp(ver, ITER_VERSION) != 0 ||
        take_field(f[1], f[2] - 1, created, sizeof(created)) < 0 ||
        take_field(f[2], f[3] - 1, after, sizeof(after)) < 0 ||
        take_field(f[3], f[4] - 1, out->label, sizeof(out->label)) < 0 ||
        take_field(f[4], end - 1, out->table, sizeof(out->table)) < 0)
        return ENG_EINVAL;
    char *e1, *e2;
    out->created_ms = strtoll(created, &e1, 10);
    out->after_seq = strtoull(after, &e2, 10);
    return *e1 || *e2 ? ENG_EINVAL : 0;
}

int strm_iter_decode(const strm_iter_key_t *key, eng_slice_t text, strm_iter_t *out)
{
    char buf[STRM_ITER_MAX];
    if (text.len < 18 || text.len >= sizeof(buf) || memchr(text.ptr, '\0', text.len))
        return ENG_EINVAL;
    size_t body_len = text.len - 17;
    if (text.ptr[body_len] != '|')
        return ENG_EINVAL;
    memcpy(buf, text.ptr, text.len);
    buf[text.len] = '\0';
    char *e;
    uint64_t tag = strtoull(buf + body_len + 1, &e, 16);
    if (*e || siphash(key->k, (const uint8_t *)buf, body_len) != tag)
        return ENG_EINVAL;
    buf[body_len] = '\0';
    return parse_fields(buf, out);
}
