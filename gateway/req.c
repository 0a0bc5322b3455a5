/* SPDX-License-Identifier: MIT
 * req.c: what a handler sees of a request (accessors over the bytes the
 * parser copied into the connection), gw_respond, and gw_req_post. The
 * response head is formatted into the loop's reused scratch buffer and sent
 * with the body as one write vector: the usual answer costs no allocation.
 * This file does not parse (conn.c) or choose handlers (route.c). */
#include "gateway/gw_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <assert.h>
#include <strings.h>
#include <time.h>

typedef struct status_text {
    int status;
    const char *text;
} status_text_t;

static const status_text_t status_texts[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *gw__status_text(int status)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(status_texts); i++) {
        if (status_texts[i].status == status)
            return status_texts[i].text;
    }
    return "Unknown";
}

static gw_conn_t *req_conn(const gw_req_t *req)
{
    return container_of(req, gw_conn_t, req);
}

eng_slice_t gw_req_method(const gw_req_t *req)
{
    return eng_slice_cstr(llhttp_method_name((llhttp_method_t)req->method));
}

eng_slice_t gw_req_path(const gw_req_t *req)
{
    if (req->path_off == req->path_len && req->path_off)
        return ENG_SLICE_LIT("/"); /* "http://host" alone names the root. */
    return eng_slice(req->head.ptr + req->path_off, req->path_len - req->path_off);
}

eng_slice_t gw_req_query(const gw_req_t *req)
{
    if (req->url_len == req->path_len)
        return eng_slice("", 0);
    return eng_slice(req->head.ptr + req->path_len + 1, req->url_len - req->path_len - 1);
}

eng_slice_t gw_req_body(const gw_req_t *req)
{
    return req->body.ptr ? eng_slice(req->body.ptr, req->body.len) : eng_slice("", 0);
}

bool gw_req_is_head(const gw_req_t *req)
{
    return req->method == HTTP_HEAD;
}

bool gw_req_header(const gw_req_t *req, const char *name, eng_slice_t *value)
{
    const size_t len = strlen(name);
    for (uint32_t i = 0; i < req->n_ix; i++) {
        const gw_hdr_ix_t *h = &req->ix[i];
        if (h->name_len == len && strncasecmp(req->head.ptr + h->name_off, name, len) == 0) {
            *value = eng_slice(req->head.ptr + h->value_off, h->value_len);
            return true;
        }
    }
    return false;
}

unsigned gw_req_thread(const gw_req_t *req)
{
    return req_conn(req)->loop->index;
}

void gw__req_reset(gw_req_t *req)
{
    /* Keep small buffers for the next request; give back big ones so an idle
     * keep-alive connection stays small. */
    if (req->body.cap > GW_KEEP_CAP_BYTES)
        eng_buf_free(&req->body);
    if (req->head.cap > GW_KEEP_CAP_BYTES)
        eng_buf_free(&req->head);
    eng_buf_reset(&req->body);
    eng_buf_reset(&req->head);
    req->n_ix = 0;
    req->url_len = req->path_off = req->path_len = req->name_off = req->name_len = 0;
}

void gw__req_free(gw_req_t *req)
{
    eng_buf_free(&req->head);
    eng_buf_free(&req->body);
    eng_free(req->ix);
    req->ix = NULL;
    req->cap_ix = req->n_ix = 0;
}

static void append_uint(eng_buf_t *b, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    eng_buf_append(b, tmp + sizeof tmp - n, n);
}

/* The Date header changes once a second; format it only then. */
static void append_date(gw_loop_t *loop, eng_buf_t *b)
{
    const time_t now = time(NULL);
    if (now != loop->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        loop->date_len =
            strftime(loop->date, sizeof loop->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        loop->date_sec = now;
    }
    eng_buf_append(b, loop->date, loop->date_len);
}

typedef struct head_args {
    int status;
    const char *content_type;
    const gw_header_t *headers;
    size_t n_headers;
    size_t body_len;
    const char *connection; /* "close", "keep-alive" or NULL for HTTP/1.1's default. */
} head_args_t;

static void format_head(gw_loop_t *loop, const head_args_t *a)
{
    eng_buf_t *b = &loop->scratch;
    eng_buf_reset(b);
    eng_buf_append_str(b, "HTTP/1.1 ");
    append_uint(b, (size_t)a->status);
    eng_buf_append_char(b, ' ');
    eng_buf_append_str(b, gw__status_text(a->status));
    eng_buf_append_str(b, "\r\nServer: eddy\r\n");
    append_date(loop, b);
    if (a->content_type) {
        eng_buf_append_str(b, "Content-Type: ");
        eng_buf_append_str(b, a->content_type);
        eng_buf_append_str(b, "\r\n");
    }
    for (size_t i = 0; i < a->n_headers; i++) {
        eng_buf_append_str(b, a->headers[i].name);
        eng_buf_append_str(b, ": ");
        eng_buf_append(b, a->headers[i].value.ptr, a->headers[i].value.len);
        eng_buf_append_str(b, "\r\n");
    }
    if (a->status != 204 && a->status != 304) {
        eng_buf_append_str(b, "Content-Length: ");
        append_uint(b, a->body_len);
        eng_buf_append_str(b, "\r\n");
    }
    if (a->connection) {
        eng_buf_append_str(b, "Connection: ");
        eng_buf_append_str(b, a->connection);
        eng_buf_append_str(b, "\r\n");
    }
    eng_buf_append_str(b, "\r\n");
}

/* Whether the connection stays open after answering this request. While
 * draining, it stays open only to answer requests already read (the tail). */
static bool keeps_alive(const gw_conn_t *conn)
{
    if (!conn->req.is_keep_alive || conn->is_close_after)
        return false;
    if (conn->loop->is_stopping)
        return conn->has_pending_input;
    return true;
}

static const char *connection_header(const gw_conn_t *conn, bool is_keep_alive)
{
    if (!is_keep_alive)
        return "close";
    return conn->parser.http_major == 1 && conn->parser.http_minor == 0 ? "keep-alive" : NULL;
}

void gw_respond(gw_req_t *req, int status, const char *content_type, eng_slice_t body,
                const gw_header_t *headers, size_t n_headers)
{
    gw_conn_t *conn = req_conn(req);
    assert(conn->phase == GW_PH_INFLIGHT);
    const bool is_keep_alive = keeps_alive(conn);
    const bool has_body = req->method != HTTP_HEAD && status != 204 && status != 304;

    if (!conn->is_abandoned) {
        const head_args_t a = {
            .status = status,
            .content_type = content_type,
            .headers = headers,
            .n_headers = n_headers,
            .body_len = body.len,
            .connection = connection_header(conn, is_keep_alive),
        };
        format_head(conn->loop, &a);
        const uv_buf_t bufs[2] = {
            uv_buf_init(conn->loop->scratch.ptr, (unsigned)conn->loop->scratch.len),
            uv_buf_init((char *)(uintptr_t)body.ptr, (unsigned)body.len),
        };
        gw__conn_write(conn, bufs, has_body && body.len ? 2 : 1);
    }
    gw__req_reset(req);
    gw__conn_answered(conn, is_keep_alive);
}

void gw__respond_error(gw_conn_t *conn, int status, const char *message)
{
    eng_buf_t body = {0};
    eng_buf_append_str(&body, "{\"message\":");
    eng_json_append_string(&body, message, strlen(message));
    eng_buf_append_char(&body, '}');
    const head_args_t a = {
        .status = status,
        .content_type = "application/json",
        .body_len = body.len,
        .connection = "close",
    };
    format_head(conn->loop, &a);
    const uv_buf_t bufs[2] = {
        uv_buf_init(conn->loop->scratch.ptr, (unsigned)conn->loop->scratch.len),
        uv_buf_init(body.ptr, (unsigned)body.len),
    };
    gw__conn_write(conn, bufs, 2);
    eng_buf_free(&body);
    gw__conn_finish(conn);
}

bool gw_req_post(gw_req_t *req, gw_post_t *post, gw_post_cb cb)
{
    gw_loop_t *loop = req_conn(req)->loop;
    post->cb = cb;
    uv_mutex_lock(&loop->post_mu);
    const bool is_dead = loop->is_dead;
    if (!is_dead) {
        post->next = loop->posts;
        loop->posts = post;
        /* Sent under the lock so the loop cannot close the handle meanwhile. */
        uv_async_send(&loop->async);
    }
    uv_mutex_unlock(&loop->post_mu);
    return !is_dead;
}

void gw__posts_run(gw_loop_t *loop)
{
    uv_mutex_lock(&loop->post_mu);
    gw_post_t *list = loop->posts;
    loop->posts = NULL;
    uv_mutex_unlock(&loop->post_mu);

    gw_post_t *fifo = NULL; /* The list is LIFO; run posts in the order they came. */
    while (list) {
        gw_post_t *next = list->next;
        list->next = fifo;
        fifo = list;
        list = next;
    }
    while (fifo) {
        gw_post_t *next = fifo->next; /* cb may free the node. */
        fifo->cb(fifo);
        fifo = next;
    }
}
