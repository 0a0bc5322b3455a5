/* SPDX-License-Identifier: MIT
 * test_server.c: the gateway in-process on an ephemeral port with one I/O
 * thread and routes registered by the test (an echo route, an async route
 * answered from another thread through gw_req_post, fixed-answer routes),
 * spoken to with raw HTTP over blocking sockets: pipelining order, chunked
 * bodies, 100-continue, HEAD, limits, routing precedence and draining. */
#include "engine/err.h"
#include "gateway/gw.h"
#include "tests/lib/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

T_MAIN_GLOBALS

/* ---- Routes the tests register ----------------------------------------- */

static void on_echo(gw_req_t *req, void *arg)
{
    (void)arg;
    eng_buf_t b = {0};
    const eng_slice_t m = gw_req_method(req), p = gw_req_path(req), q = gw_req_query(req),
                      body = gw_req_body(req);
    eng_buf_printf(&b, "method=%.*s path=%.*s query=%.*s len=%zu body=%.*s", (int)m.len, m.ptr,
                   (int)p.len, p.ptr, (int)q.len, q.ptr, body.len, (int)body.len, body.ptr);
    gw_respond(req, 200, "text/plain", eng_slice(b.ptr, b.len), NULL, 0);
    eng_buf_free(&b);
}

static void on_fixed(gw_req_t *req, void *arg)
{
    const gw_header_t h = {.name = "X-Route", .value = eng_slice_cstr(arg)};
    gw_respond(req, 200, "text/plain", eng_slice_cstr(arg), &h, 1);
}

typedef struct async_job {
    gw_post_t post; /* Embedded: posting never allocates. */
    gw_req_t *req;
    unsigned delay_ms;
} async_job_t;

static void on_async_answer(gw_post_t *post)
{
    async_job_t *job = container_of(post, async_job_t, post);
    gw_respond(job->req, 200, "text/plain", ENG_SLICE_LIT("async"), NULL, 0);
    eng_free(job);
}

static void *async_worker(void *arg)
{
    async_job_t *job = arg;
    usleep(job->delay_ms * 1000);
    gw_req_post(job->req, &job->post, on_async_answer);
    return NULL;
}

static void start_async(gw_req_t *req, unsigned delay_ms)
{
    async_job_t *job = eng_calloc(1, sizeof *job);
    job->req = req;
    job->delay_ms = delay_ms;
    pthread_t t;
    pthread_create(&t, NULL, async_worker, job);
    pthread_detach(t);
}

static void on_async(gw_req_t *req, void *arg)
{
    (void)arg;
    start_async(req, 30);
}

/* A request held until the test lets it go: signals `is_held` when it arrives. */
typedef struct hold {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    gw_req_t *req;
} hold_t;

static void on_hold(gw_req_t *req, void *arg)
{
    hold_t *h = arg;
    pthread_mutex_lock(&h->mu);
    h->req = req;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static gw_req_t *hold_wait(hold_t *h)
{
    pthread_mutex_lock(&h->mu);
    while (!h->req)
        pthread_cond_wait(&h->cv, &h->mu);
    gw_req_t *req = h->req;
    pthread_mutex_unlock(&h->mu);
    return req;
}

/* ---- A server and raw HTTP clients -------------------------------------- */

typedef struct server {
    gw_t *gw;
    int port;
    hold_t hold;
} server_t;

static int server_start(server_t *s, const gw_config_t *overrides)
{
    gw_config_t cfg;
    gw_config_default(&cfg);
    if (overrides)
        cfg = *overrides;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 1;
    *s = (server_t){.hold = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER}};
    int err = gw_create(&cfg, &s->gw);
    if (err < 0)
        return err;
    gw_route_path(s->gw, "/e", on_echo, NULL);
    gw_route_path(s->gw, "/async", on_async, NULL);
    gw_route_path(s->gw, "/hold", on_hold, &s->hold);
    gw_route_path(s->gw, "/api", on_fixed, "api");
    gw_route_path(s->gw, "/api/v2", on_fixed, "v2");
    gw_route_target(s->gw, "Svc_1.", on_fixed, "target");
    s->port = gw_port(s->gw);
    return gw_start(s->gw);
}

static void server_stop(server_t *s)
{
    gw_shutdown(s->gw);
    gw_destroy(s->gw);
}

typedef struct client {
    int fd;
    char buf[256 * 1024]; /* Bytes received and not yet consumed. */
    size_t len;
} client_t;

static client_t *client_open(int port)
{
    client_t *c = eng_calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    const struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
    }
    return c;
}

static void client_close(client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    eng_free(c);
}

static void client_send(client_t *c, const char *data, size_t len)
{
    while (len) {
        const ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void client_sends(client_t *c, const char *s)
{
    client_send(c, s, strlen(s));
}

/* Read more bytes; returns false on EOF, error or timeout. */
static bool client_fill(client_t *c)
{
    if (c->len == sizeof c->buf)
        return false;
    const ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    return true;
}

typedef struct resp {
    int status;
    char head[4096];  /* Status line and headers, NUL-terminated. */
    char body[65536]; /* NUL-terminated. */
    size_t body_len;
} resp_t;

static void client_consume(client_t *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Read one response (no body for HEAD). Returns false if none came. */
static bool client_read(client_t *c, bool is_head, resp_t *r)
{
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        if (!client_fill(c))
            return false;
    }
    const size_t head_len = (size_t)(end - c->buf) + 4;
    if (head_len >= sizeof r->head)
        return false;
    memcpy(r->head, c->buf, head_len);
    r->head[head_len] = '\0';
    client_consume(c, head_len);
    r->status = atoi(r->head + 9);
    const char *cl = strcasestr(r->head, "\r\nContent-Length: ");
    r->body_len = cl && !is_head && r->status != 100 ? strtoul(cl + 18, NULL, 10) : 0;
    if (r->body_len >= sizeof r->body)
        return false;
    while (c->len < r->body_len) {
        if (!client_fill(c))
            return false;
    }
    memcpy(r->body, c->buf, r->body_len);
    r->body[r->body_len] = '\0';
    client_consume(c, r->body_len);
    return true;
}

/* True once the server closed the connection (EOF or reset) with nothing more. */
static bool client_sees_close(client_t *c)
{
    char b[256];
    for (;;) {
        const ssize_t n = recv(c->fd, b, sizeof b, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0)
            return false; /* Timeout. */
    }
}

/* ---- Tests -------------------------------------------------------------- */

static resp_t r; /* Large; one at a time. */

static void test_echo(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "GET /e/hello?x=1&y=2 HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT_EQ(200, r.status);
    T_ASSERT_STREQ("method=GET path=/e/hello query=x=1&y=2 len=0 body=", r.body);
    T_ASSERT(strstr(r.head, "\r\nDate: ") && strstr(r.head, "Content-Type: text/plain\r\n"));
}

static void test_pipelining_keeps_order(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    /* The first is answered late from another thread; the rest must wait. */
    client_sends(c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /e/2 HTTP/1.1\r\nHost: t\r\n\r\n"
                    "POST /e/3 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /e/5 HTTP/1.1\r\nHost: t\r\n\r\n");
    const char *want[] = {"async", "method=GET path=/e/2 query= len=0 body=",
                          "method=POST path=/e/3 query= len=3 body=abc", "async",
                          "method=GET path=/e/5 query= len=0 body="};
    int got = 0;
    for (size_t i = 0; i < ENG_ARRAY_LEN(want); i++) {
        if (client_read(c, false, &r) && strcmp(r.body, want[i]) == 0)
            got++;
    }
    client_close(c);
    server_stop(&s);
    T_ASSERT_EQ(5, got);
}

static void test_pipelined_bytes_split_anywhere(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    const char *req = "POST /e/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                      "GET /e/y HTTP/1.1\r\nHost: t\r\n\r\n";
    int got = 0;
    for (size_t i = 0; req[i]; i++) { /* One byte per packet. */
        client_send(c, req + i, 1);
        usleep(200);
    }
    if (client_read(c, false, &r) && strstr(r.body, "len=5 body=hello"))
        got++;
    if (client_read(c, false, &r) && strstr(r.body, "path=/e/y"))
        got++;
    client_close(c);
    server_stop(&s);
    T_ASSERT_EQ(2, got);
}

static void test_chunked_body(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "POST /e/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n");
    usleep(20000);
    client_sends(c, "6;ext=1\r\n world\r\n0\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT_STREQ("method=POST path=/e/c query= len=11 body=hello world", r.body);
}

static void test_expect_100_continue(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "PUT /e/x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                    "Content-Length: 4\r\n\r\n");
    const bool has_continue = client_read(c, false, &r) && r.status == 100;
    client_sends(c, "data");
    const bool ok = client_read(c, false, &r);
    client_close(c);
    server_stop(&s);
    T_ASSERT(has_continue);
    T_ASSERT(ok);
    T_ASSERT_STREQ("method=PUT path=/e/x query= len=4 body=data", r.body);
}

static void test_head_has_no_body(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "HEAD /e/h HTTP/1.1\r\nHost: t\r\n\r\nGET /e/g HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool ok1 = client_read(c, true, &r);
    const bool has_length = strstr(r.head, "Content-Length: 40\r\n") != NULL;
    const bool ok2 = client_read(c, false, &r);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok1 && has_length);
    T_ASSERT(ok2);
    /* Had HEAD carried a body, this would read it instead of the GET's answer. */
    T_ASSERT_STREQ("method=GET path=/e/g query= len=0 body=", r.body);
}

static void test_header_limit_431(void)
{
    server_t s;
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.max_header_bytes = 1024;
    T_ASSERT_OK(server_start(&s, &cfg));
    client_t *c = client_open(s.port);
    char big[2048];
    memset(big, 'a', sizeof big);
    client_sends(c, "GET /e/x HTTP/1.1\r\nHost: t\r\nX-Big: ");
    client_send(c, big, sizeof big);
    client_sends(c, "\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    const bool is_closed = client_sees_close(c);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT_EQ(431, r.status);
    T_ASSERT(is_closed);
}

static void test_body_limit_content_length_413(void)
{
    server_t s;
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.max_body_bytes = 100;
    T_ASSERT_OK(server_start(&s, &cfg));
    client_t *c = client_open(s.port);
    /* Only the headers: the answer must come without the body being sent. */
    client_sends(c, "POST /e/x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    const int status = r.status;
    client_close(c);
    c = client_open(s.port); /* At the limit exactly: accepted. */
    client_sends(c, "POST /e/x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
    char body[100];
    memset(body, 'b', sizeof body);
    client_send(c, body, sizeof body);
    const bool ok2 = client_read(c, false, &r);
    const int status2 = r.status;
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok && ok2);
    T_ASSERT_EQ(413, status);
    T_ASSERT_EQ(200, status2);
}

static void test_body_limit_chunked_413(void)
{
    server_t s;
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.max_body_bytes = 100;
    T_ASSERT_OK(server_start(&s, &cfg));
    client_t *c = client_open(s.port);
    client_sends(c, "POST /e/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[70];
    memset(chunk, 'c', sizeof chunk);
    client_sends(c, "46\r\n");
    client_send(c, chunk, sizeof chunk);
    client_sends(c, "\r\n46\r\n");
    client_send(c, chunk, sizeof chunk);
    /* No terminating chunk: the answer comes as soon as the limit is passed. */
    const bool ok = client_read(c, false, &r);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT_EQ(413, r.status);
}

static void test_malformed_400_and_close(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "GARBAGE\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    const bool is_closed = client_sees_close(c);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT_EQ(400, r.status);
    T_ASSERT(is_closed);
}

static void test_route_precedence(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "POST /api/v2/x HTTP/1.1\r\nHost: t\r\nX-Amz-Target: Svc_1.Op\r\n"
                    "Content-Length: 0\r\n\r\n"
                    "GET /api/v2/x HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /api/x HTTP/1.1\r\nHost: t\r\n\r\n"
                    "POST /e/x HTTP/1.1\r\nHost: t\r\nX-Amz-Target: Nope.Op\r\n\r\n"
                    "GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
    const char *want[] = {"target", "v2", "api",
                          "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}",
                          "{\"message\":\"Not Found\"}"};
    const int want_status[] = {200, 200, 200, 400, 404};
    int got = 0;
    for (size_t i = 0; i < ENG_ARRAY_LEN(want); i++) {
        if (client_read(c, false, &r) && r.status == want_status[i] && !strcmp(r.body, want[i]))
            got++;
        else
            printf("# response %zu: %d %s\n", i, r.status, r.body);
    }
    client_close(c);
    server_stop(&s);
    T_ASSERT_EQ(5, got);
}

static void test_post_from_other_thread(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    int got = 0;
    for (int i = 0; i < 20; i++) {
        client_sends(c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n");
        if (client_read(c, false, &r) && strcmp(r.body, "async") == 0)
            got++;
    }
    client_close(c);
    server_stop(&s);
    T_ASSERT_EQ(20, got);
}

static void test_shutdown_answers_inflight(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_t *idle = client_open(s.port);
    client_sends(c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    gw_req_t *req = hold_wait(&s.hold);
    gw_shutdown(s.gw);
    start_async(req, 50); /* Answered after the shutdown began. */
    const bool ok = client_read(c, false, &r);
    const bool is_closed = client_sees_close(c);
    const bool idle_closed = client_sees_close(idle);
    gw_destroy(s.gw);
    client_close(c);
    client_close(idle);
    T_ASSERT(ok);
    T_ASSERT_STREQ("async", r.body);
    T_ASSERT(strstr(r.head, "Connection: close\r\n"));
    T_ASSERT(is_closed && idle_closed);
}

static void test_answer_after_client_hung_up(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    gw_req_t *req = hold_wait(&s.hold);
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* Close with a reset. */
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    client_close(c);
    usleep(20000);
    start_async(req, 10); /* The request is still valid; the answer goes nowhere. */
    usleep(50000);
    c = client_open(s.port);
    client_sends(c, "GET /e/after HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT_EQ(200, r.status);
}

static void on_never(gw_post_t *post)
{
    (void)post;
    abort(); /* Posts to a loop that ended are discarded. */
}

static void test_drain_timeout_abandons_unanswered(void)
{
    server_t s;
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.drain_timeout_ms = 100;
    T_ASSERT_OK(server_start(&s, &cfg));
    client_t *c = client_open(s.port);
    client_sends(c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    gw_req_t *req = hold_wait(&s.hold);
    gw_shutdown(s.gw);
    const bool is_closed = client_sees_close(c); /* At the drain timeout. */
    usleep(50000);
    gw_post_t post;
    gw_req_post(req, &post, on_never); /* Too late: discarded, never run. */
    gw_destroy(s.gw);
    client_close(c);
    T_ASSERT(is_closed);
}

static void test_header_timeout(void)
{
    server_t s;
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.header_timeout_ms = 200;
    T_ASSERT_OK(server_start(&s, &cfg));
    client_t *slow = client_open(s.port);
    client_sends(slow, "GET /e/x HTTP/1.1\r\nHost: t\r\n");
    client_t *c = client_open(s.port);
    client_sends(c, "GET /e/y HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    const bool slow_answered = client_read(slow, false, &r);
    const int slow_status = r.status;
    const bool slow_closed = client_sees_close(slow);
    client_close(slow);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT(slow_answered);
    T_ASSERT_EQ(408, slow_status);
    T_ASSERT(slow_closed);
}

static void test_max_conns_refuses_extra(void)
{
    server_t s;
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.max_conns = 2;
    T_ASSERT_OK(server_start(&s, &cfg));
    client_t *a = client_open(s.port), *b = client_open(s.port);
    client_sends(a, "GET /e/a HTTP/1.1\r\nHost: t\r\n\r\n");
    client_sends(b, "GET /e/b HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool ok_ab = client_read(a, false, &r) && client_read(b, false, &r);
    client_t *extra = client_open(s.port);
    client_sends(extra, "GET /e/c HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool extra_closed = client_sees_close(extra);
    client_sends(a, "GET /e/a2 HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool ok_a2 = client_read(a, false, &r);
    client_close(extra);
    client_close(a);
    client_close(b);
    server_stop(&s);
    T_ASSERT(ok_ab);
    T_ASSERT(extra_closed);
    T_ASSERT(ok_a2);
}

static void test_http10_closes(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    client_t *c = client_open(s.port);
    client_sends(c, "GET /e/old HTTP/1.0\r\n\r\n");
    const bool ok = client_read(c, false, &r);
    const bool is_closed = client_sees_close(c);
    client_close(c);
    server_stop(&s);
    T_ASSERT(ok);
    T_ASSERT(strstr(r.head, "Connection: close\r\n"));
    T_ASSERT(is_closed);
}

static void test_port_in_use(void)
{
    server_t s;
    T_ASSERT_OK(server_start(&s, NULL));
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.port = s.port;
    cfg.threads = 1;
    gw_t *gw2 = NULL;
    const int err = gw_create(&cfg, &gw2);
    server_stop(&s);
    T_ASSERT_EQ(ENG_EBUSY, err);
}

int main(void)
{
    T_RUN(test_echo);
    T_RUN(test_pipelining_keeps_order);
    T_RUN(test_pipelined_bytes_split_anywhere);
    T_RUN(test_chunked_body);
    T_RUN(test_expect_100_continue);
    T_RUN(test_head_has_no_body);
    T_RUN(test_header_limit_431);
    T_RUN(test_body_limit_content_length_413);
    T_RUN(test_body_limit_chunked_413);
    T_RUN(test_malformed_400_and_close);
    T_RUN(test_route_precedence);
    T_RUN(test_post_from_other_thread);
    T_RUN(test_shutdown_answers_inflight);
    T_RUN(test_answer_after_client_hung_up);
    T_RUN(test_drain_timeout_abandons_unanswered);
    T_RUN(test_header_timeout);
    T_RUN(test_max_conns_refuses_extra);
    T_RUN(test_http10_closes);
    T_RUN(test_port_in_use);
    return t_done();
}
