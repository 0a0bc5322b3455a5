/* SPDX-License-Identifier: MIT
 * conn.c: one HTTP/1.1 connection: reading into the loop's shared buffer,
 * llhttp parsing (spans copied into the request as they arrive), limits and
 * timeouts, ordered writes, and graceful close. Invariant: at most one
 * request per connection is in flight; the parser is paused at its end and
 * only the unparsed tail is kept, so responses leave in request order and an
 * idle connection holds no read buffer. Routing lives in route.c. */
#include "gateway/gw_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <assert.h>
#include <strings.h>

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static int on_message_begin(llhttp_t *p);
static int on_url(llhttp_t *p, const char *at, size_t len);
static int on_url_complete(llhttp_t *p);
static int on_header_field(llhttp_t *p, const char *at, size_t len);
static int on_header_field_complete(llhttp_t *p);
static int on_header_value(llhttp_t *p, const char *at, size_t len);
static int on_header_value_complete(llhttp_t *p);
static int on_headers_complete(llhttp_t *p);
static int on_body(llhttp_t *p, const char *at, size_t len);
static int on_message_complete(llhttp_t *p);
static void on_write(uv_write_t *w, int status);
static void on_timer(uv_timer_t *t);
static void on_shutdown(uv_shutdown_t *s, int status);
static void on_close(uv_handle_t *h);
static void on_refused_close(uv_handle_t *h);

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static const gw_config_t *conn_cfg(const gw_conn_t *conn)
{
    return &conn->loop->gw->cfg;
}

/* More input may be parsed now: no request in flight, and no write backlog
 * between requests (a slow reader must not make us queue answers without end). */
static bool wants_input(const gw_conn_t *conn)
{
    if (conn->phase > GW_PH_BODY || conn->is_close_after)
        return false;
    return !(conn->is_writing && conn->phase == GW_PH_IDLE);
}

/* ---- Deadlines ----------------------------------------------------------
 * One timer per connection, re-armed lazily: moving a deadline later costs a
 * store, not a timer-heap update; the timer re-arms itself when it fires early. */

static void set_deadline(gw_conn_t *conn, uint64_t deadline_ms)
{
    conn->deadline_ms = deadline_ms;
    if (deadline_ms == UINT64_MAX || (conn->timer_due_ms && conn->timer_due_ms <= deadline_ms))
        return;
    const uint64_t now = uv_now(&conn->loop->uv);
    const uint64_t wait = deadline_ms > now ? deadline_ms - now : 0;
    conn->timer_due_ms = now + wait;
    uv_timer_start(&conn->timer, on_timer, wait, 0);
}

/* Set the deadline that matches the phase the connection is in now. */
static void rearm(gw_conn_t *conn)
{
    const gw_config_t *cfg = conn_cfg(conn);
    switch (conn->phase) {
    case GW_PH_IDLE:
        set_deadline(conn, uv_now(&conn->loop->uv) + cfg->idle_timeout_ms);
        break;
    case GW_PH_HEADERS:
        set_deadline(conn, conn->phase_start_ms + cfg->header_timeout_ms);
        break;
    case GW_PH_BODY:
        set_deadline(conn, conn->phase_start_ms + cfg->body_timeout_ms);
        break;
    default:
        break;
    }
}

static void on_timer(uv_timer_t *t)
{
    gw_conn_t *conn = t->data;
    conn->timer_due_ms = 0;
    if (conn->deadline_ms == UINT64_MAX)
        return;
    if (uv_now(&conn->loop->uv) < conn->deadline_ms) {
        set_deadline(conn, conn->deadline_ms);
        return;
    }
    switch (conn->phase) {
    case GW_PH_HEADERS:
    case GW_PH_BODY:
        gw__respond_error(conn, 408, "Request Timeout");
        break;
    case GW_PH_IDLE:
    case GW_PH_LINGER:
        gw__conn_close(conn);
        break;
    default:
        break;
    }
}

/* ---- Accept and close ---------------------------------------------------- */

static void refuse(gw_loop_t *loop)
{
    uv_tcp_t *tcp = eng_malloc(sizeof *tcp);
    uv_tcp_init(&loop->uv, tcp);
    (void)uv_accept((uv_stream_t *)&loop->listener, (uv_stream_t *)tcp);
    uv_close((uv_handle_t *)tcp, on_refused_close); /* Closes the fd at once. */
}

static void on_refused_close(uv_handle_t *h)
{
    eng_free(h);
}

void gw__conn_accept(gw_loop_t *loop)
{
    gw_t *gw = loop->gw;
    if (atomic_fetch_add(&gw->n_conns, 1) >= gw->cfg.max_conns) {
        atomic_fetch_sub(&gw->n_conns, 1);
        refuse(loop);
        return;
    }
    gw_conn_t *conn = eng_calloc(1, sizeof *conn);
    conn->loop = loop;
    conn->deadline_ms = UINT64_MAX;
    uv_tcp_init(&loop->uv, &conn->tcp);
    uv_timer_init(&loop->uv, &conn->timer);
    conn->tcp.data = conn->timer.data = conn;
    conn->n_handles = 2;
    llhttp_init(&conn->parser, HTTP_REQUEST, &parser_settings);
    conn->next = loop->conns;
    if (loop->conns)
        loop->conns->prev = conn;
    loop->conns = conn;
    loop->n_conns++;
    if (uv_accept((uv_stream_t *)&loop->listener, (uv_stream_t *)&conn->tcp) != 0) {
        gw__conn_close(conn);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
    conn->is_reading = true;
    rearm(conn);
}

static void unlink_conn(gw_conn_t **head, gw_conn_t *conn)
{
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        *head = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    conn->prev = conn->next = NULL;
}

static void push_conn(gw_conn_t **head, gw_conn_t *conn)
{
    conn->prev = NULL;
    conn->next = *head;
    if (*head)
        (*head)->prev = conn;
    *head = conn;
}

void gw__conn_close(gw_conn_t *conn)
{
    if (conn->phase == GW_PH_CLOSED)
        return;
    gw_loop_t *loop = conn->loop;
    const bool is_inflight = conn->phase == GW_PH_INFLIGHT;
    conn->phase = GW_PH_CLOSED;
    unlink_conn(&loop->conns, conn);
    loop->n_conns--;
    if (is_inflight) { /* The handler still holds the request: keep its memory. */
        conn->is_abandoned = true;
        push_conn(&loop->abandoned, conn);
    }
    uv_close((uv_handle_t *)&conn->tcp, on_close);
    uv_close((uv_handle_t *)&conn->timer, on_close);
    gw__loop_conn_gone(loop);
}

static void on_close(uv_handle_t *h)
{
    gw_conn_t *conn = h->data;
    if (--conn->n_handles > 0)
        return;
    atomic_fetch_sub(&conn->loop->gw->n_conns, 1);
    if (!conn->is_abandoned)
        gw__conn_free(conn);
}

void gw__conn_free(gw_conn_t *conn)
{
    gw__req_free(&conn->req);
    eng_buf_free(&conn->wbuf);
    eng_buf_free(&conn->qbuf);
    eng_buf_free(&conn->tail);
    eng_free(conn);
}

void gw__conn_finish(gw_conn_t *conn)
{
    if (conn->phase >= GW_PH_LINGER)
        return;
    conn->is_close_after = true;
    if (conn->is_writing)
        return; /* on_write comes back here once the bytes are out. */
    conn->phase = GW_PH_LINGER;
    /* Half-close, then read and discard until the peer closes: closing with
     * unread input would reset the connection and could destroy the answer. */
    if (uv_shutdown(&conn->ureq.shut, (uv_stream_t *)&conn->tcp, on_shutdown) != 0) {
        gw__conn_close(conn);
        return;
    }
    if (!conn->is_reading && uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read) == 0)
        conn->is_reading = true;
    /* While draining, the process is about to exit: linger only briefly. */
    unsigned linger = conn->loop->is_stopping ? GW_LINGER_MS / 10 : GW_LINGER_MS;
    if (conn->loop->is_stopping && conn_cfg(conn)->drain_timeout_ms < linger)
        linger = conn_cfg(conn)->drain_timeout_ms;
    set_deadline(conn, uv_now(&conn->loop->uv) + linger);
}

static void on_shutdown(uv_shutdown_t *s, int status)
{
    gw_conn_t *conn = container_of(s, gw_conn_t, ureq.shut);
    if (status < 0)
        gw__conn_close(conn);
}

void gw__conn_stop_idle(gw_loop_t *loop)
{
    for (gw_conn_t *conn = loop->conns, *next; conn; conn = next) {
        next = conn->next;
        if (conn->phase == GW_PH_IDLE && !conn->is_writing && conn->tail.len == conn->tail_off)
            gw__conn_finish(conn);
    }
}

void gw__conn_abandon_all(gw_loop_t *loop)
{
    while (loop->conns)
        gw__conn_close(loop->conns);
}

/* ---- Writing ------------------------------------------------------------- */

static void start_write(gw_conn_t *conn)
{
    const uv_buf_t buf = uv_buf_init(conn->wbuf.ptr, (unsigned)conn->wbuf.len);
    if (uv_write(&conn->ureq.write, (uv_stream_t *)&conn->tcp, &buf, 1, on_write) != 0) {
        gw__conn_close(conn);
        return;
    }
    conn->is_writing = true;
}

void gw__conn_write(gw_conn_t *conn, const uv_buf_t *bufs, unsigned n)
{
    if (conn->phase >= GW_PH_LINGER)
        return;
    if (conn->is_writing) {
        for (unsigned i = 0; i < n; i++)
            eng_buf_append(&conn->qbuf, bufs[i].base, bufs[i].len);
        return;
    }
    int sent = uv_try_write((uv_stream_t *)&conn->tcp, bufs, n);
    if (sent == UV_EAGAIN)
        sent = 0;
    if (sent < 0) { /* The peer is gone; nothing else will be said on it. */
        gw__conn_close(conn);
        return;
    }
    size_t skip = (size_t)sent;
    for (unsigned i = 0; i < n; i++) {
        const size_t take = skip < bufs[i].len ? skip : bufs[i].len;
        skip -= take;
        eng_buf_append(&conn->wbuf, bufs[i].base + take, bufs[i].len - take);
    }
    if (conn->wbuf.len)
        start_write(conn);
}

static void continue_input(gw_conn_t *conn);

static void on_write(uv_write_t *w, int status)
{
    gw_conn_t *conn = container_of(w, gw_conn_t, ureq.write);
    conn->is_writing = false;
    if (conn->wbuf.cap > GW_KEEP_CAP_BYTES)
        eng_buf_free(&conn->wbuf);
    eng_buf_reset(&conn->wbuf);
    if (conn->phase == GW_PH_CLOSED)
        return;
    if (status < 0) {
        gw__conn_close(conn);
        return;
    }
    if (conn->qbuf.len) {
        const eng_buf_t t = conn->wbuf;
        conn->wbuf = conn->qbuf;
        conn->qbuf = t;
        start_write(conn);
        return;
    }
    if (conn->is_close_after)
        gw__conn_finish(conn);
    else
        continue_input(conn);
}

/* ---- Reading and parsing --------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    const gw_conn_t *conn = h->data;
    /* One buffer per loop: libuv calls on_read right after on_alloc, and the
     * parser copies whatever it keeps before on_read returns. */
    *buf = uv_buf_init(conn->loop->rbuf, GW_READ_BUF_BYTES);
}

static const char *fail_message(int status)
{
    return status == 400 ? "Malformed request" : gw__status_text(status);
}

static void dispatch(gw_conn_t *conn)
{
    conn->is_dispatching = true;
    gw__dispatch(conn);
    conn->is_dispatching = false;
}

/* Parse `len` bytes, dispatching each complete request. Returns how many bytes
 * were consumed: fewer than len when a request is in flight or writes back
 * up (the rest is the caller's tail to keep). */
static size_t feed(gw_conn_t *conn, const char *data, size_t len)
{
    const char *p = data, *const end = data + len;
    while (p < end && wants_input(conn)) {
        const llhttp_errno_t err = llhttp_execute(&conn->parser, p, (size_t)(end - p));
        if (err == HPE_OK)
            return len;
        if (err != HPE_PAUSED || conn->phase != GW_PH_INFLIGHT) {
            const int status = conn->fail_status ? conn->fail_status : 400;
            ENG_DEBUG("gateway", "bad request: %s (%s)", llhttp_errno_name(err),
                      llhttp_get_error_reason(&conn->parser));
            gw__respond_error(conn, status, fail_message(status));
            return len;
        }
        p = llhttp_get_error_pos(&conn->parser);
        conn->has_pending_input = p < end;
        dispatch(conn);
    }
    return (size_t)(p - data);
}

static void stop_reading(gw_conn_t *conn)
{
    if (conn->is_reading) {
        uv_read_stop((uv_stream_t *)&conn->tcp);
        conn->is_reading = false;
    }
}

/* Input may flow again (an answer went out or a write finished): parse the
 * kept tail, then read from the socket. */
static void continue_input(gw_conn_t *conn)
{
    if (!wants_input(conn))
        return;
    const size_t left = conn->tail.len - conn->tail_off;
    if (left) {
        conn->tail_off += feed(conn, conn->tail.ptr + conn->tail_off, left);
        if (conn->tail_off == conn->tail.len) {
            if (conn->tail.cap > GW_KEEP_CAP_BYTES)
                eng_buf_free(&conn->tail);
            eng_buf_reset(&conn->tail);
            conn->tail_off = 0;
        }
        if (!wants_input(conn))
            return;
    }
    if (conn->loop->is_stopping && conn->phase == GW_PH_IDLE) {
        gw__conn_finish(conn);
        return;
    }
    if (!conn->is_reading && uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read) == 0)
        conn->is_reading = true;
    rearm(conn);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    gw_conn_t *conn = s->data;
    if (nread == UV_EOF && conn->is_writing) { /* Half-closed: finish writing first. */
        stop_reading(conn);
        gw__conn_finish(conn);
        return;
    }
    if (nread < 0) { /* EOF or reset, with nothing left to send. */
        gw__conn_close(conn);
        return;
    }
    if (nread == 0 || !wants_input(conn))
        return; /* Lingering or failed: input is discarded. */
    const size_t used = feed(conn, buf->base, (size_t)nread);
    if (conn->phase >= GW_PH_LINGER || conn->is_close_after)
        return;
    if (used < (size_t)nread) {
        assert(conn->tail.len == conn->tail_off);
        eng_buf_append(&conn->tail, buf->base + used, (size_t)nread - used);
    }
    if (!wants_input(conn)) {
        stop_reading(conn);
        return;
    }
    if (conn->loop->is_stopping && conn->phase == GW_PH_IDLE) {
        gw__conn_finish(conn);
        return;
    }
    rearm(conn);
}

void gw__conn_answered(gw_conn_t *conn, bool is_keep_alive)
{
    if (conn->is_abandoned) { /* Closed meanwhile; the answer went nowhere. */
        conn->is_abandoned = false;
        unlink_conn(&conn->loop->abandoned, conn);
        if (conn->n_handles == 0)
            gw__conn_free(conn);
        return;
    }
    if (conn->phase == GW_PH_CLOSED)
        return;
    conn->phase = GW_PH_IDLE;
    llhttp_resume(&conn->parser);
    if (!is_keep_alive) {
        gw__conn_finish(conn);
        return;
    }
    if (!conn->is_dispatching)
        continue_input(conn);
}

/* ---- llhttp callbacks: copy what the request keeps, enforce limits ---------- */

static gw_conn_t *parser_conn(llhttp_t *p)
{
    return container_of(p, gw_conn_t, parser);
}

static int count_header_bytes(gw_conn_t *conn, size_t len)
{
    conn->header_bytes += len;
    if (conn->header_bytes <= conn_cfg(conn)->max_header_bytes)
        return 0;
    conn->fail_status = 431;
    return -1;
}

static int on_message_begin(llhttp_t *p)
{
    gw_conn_t *conn = parser_conn(p);
    conn->phase = GW_PH_HEADERS;
    conn->phase_start_ms = uv_now(&conn->loop->uv);
    conn->header_bytes = 0;
    conn->fail_status = 0;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    gw_conn_t *conn = parser_conn(p);
    if (count_header_bytes(conn, len) < 0)
        return -1;
    eng_buf_append(&conn->req.head, at, len);
    return 0;
}

/* Offset of the path in an absolute-form target ("http://host/p?q", RFC
 * 9112 §3.2.2): past the scheme and authority; 0 for the usual origin form. */
static uint32_t path_start(const char *url, uint32_t len)
{
    const char *sep = len > 3 && url[0] != '/' ? memmem(url, len, "://", 3) : NULL;
    if (!sep)
        return 0;
    const char *auth = sep + 3, *end = url + len;
    const char *p = auth;
    while (p < end && *p != '/' && *p != '?')
        p++;
    return (uint32_t)(p - url);
}

static int on_url_complete(llhttp_t *p)
{
    gw_req_t *req = &parser_conn(p)->req;
    req->url_len = (uint32_t)req->head.len;
    req->path_off = path_start(req->head.ptr, req->url_len);
    const char *q = memchr(req->head.ptr + req->path_off, '?', req->url_len - req->path_off);
    req->path_len = q ? (uint32_t)(q - req->head.ptr) : req->url_len;
    req->name_off = req->url_len;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    return on_url(p, at, len); /* Same bookkeeping: count, then append. */
}

static int on_header_field_complete(llhttp_t *p)
{
    gw_conn_t *conn = parser_conn(p);
    gw_req_t *req = &conn->req;
    req->name_len = (uint32_t)req->head.len - req->name_off;
    /* RFC 9112 §5.1: no whitespace between a field name and its colon. */
    if (memchr(req->head.ptr + req->name_off, ' ', req->name_len) ||
        memchr(req->head.ptr + req->name_off, '\t', req->name_len)) {
        conn->fail_status = 400;
        return -1;
    }
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    return on_url(p, at, len);
}

static int on_header_value_complete(llhttp_t *p)
{
    gw_conn_t *conn = parser_conn(p);
    gw_req_t *req = &conn->req;
    if (count_header_bytes(conn, 4) < 0) /* ": " and CRLF. */
        return -1;
    if (req->n_ix == req->cap_ix) {
        req->cap_ix = req->cap_ix ? req->cap_ix * 2 : 16;
        req->ix = eng_realloc(req->ix, req->cap_ix * sizeof *req->ix);
    }
    const uint32_t value_off = req->name_off + req->name_len;
    uint32_t value_len = (uint32_t)req->head.len - value_off;
    while (value_len && (req->head.ptr[value_off + value_len - 1] == ' ' ||
                         req->head.ptr[value_off + value_len - 1] == '\t'))
        value_len--;
    req->ix[req->n_ix++] = (gw_hdr_ix_t){
        .name_off = req->name_off,
        .name_len = req->name_len,
        .value_off = value_off,
        .value_len = value_len,
    };
    req->name_off = (uint32_t)req->head.len;
    return 0;
}

static bool expects_continue(const gw_req_t *req)
{
    eng_slice_t v;
    return gw_req_header(req, "expect", &v) && v.len == 12 &&
           strncasecmp(v.ptr, "100-continue", 12) == 0;
}

/* RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host field. */
static bool has_one_host(const gw_req_t *req)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < req->n_ix; i++)
        n += req->ix[i].name_len == 4 &&
             strncasecmp(req->head.ptr + req->ix[i].name_off, "host", 4) == 0;
    return n == 1;
}

static int on_headers_complete(llhttp_t *p)
{
    gw_conn_t *conn = parser_conn(p);
    gw_req_t *req = &conn->req;
    const size_t max_body = conn_cfg(conn)->max_body_bytes;
    req->method = p->method;
    if (p->http_major == 1 && p->http_minor >= 1 && !has_one_host(req)) {
        conn->fail_status = 400;
        return -1;
    }
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > max_body) {
        conn->fail_status = 413; /* Decided now: the body is never read. */
        return -1;
    }
    if (!(p->flags & F_CHUNKED) && p->content_length == 0)
        return 0;
    conn->phase = GW_PH_BODY;
    conn->phase_start_ms = uv_now(&conn->loop->uv);
    const size_t hint =
        p->content_length < GW_KEEP_CAP_BYTES ? p->content_length : GW_KEEP_CAP_BYTES;
    eng_buf_reserve(&req->body, (size_t)hint);
    if (p->http_major == 1 && p->http_minor >= 1 && expects_continue(req)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        const uv_buf_t buf = uv_buf_init((char *)(uintptr_t)cont, sizeof cont - 1);
        gw__conn_write(conn, &buf, 1);
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    gw_conn_t *conn = parser_conn(p);
    if (conn->req.body.len + len > conn_cfg(conn)->max_body_bytes) {
        conn->fail_status = 413;
        return -1;
    }
    eng_buf_append(&conn->req.body, at, len);
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    gw_conn_t *conn = parser_conn(p);
    conn->req.is_keep_alive = llhttp_should_keep_alive(p) && !p->upgrade;
    conn->phase = GW_PH_INFLIGHT;
    return HPE_PAUSED;
}
