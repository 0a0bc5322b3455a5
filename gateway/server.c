/* SPDX-License-Identifier: MIT
 * server.c: the gateway's life cycle. gw_create binds one SO_REUSEPORT socket
 * per I/O thread (so a busy port fails before anything starts); gw_start runs
 * one uv loop per thread; gw_shutdown stops accepting and lets each loop
 * drain its in-flight requests until the drain timeout; gw_destroy joins and
 * frees. Connections themselves live in conn.c. */
#include "gateway/gw_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#define GW_BACKLOG 4096 /* The kernel caps it at net.core.somaxconn. */

static void on_connection(uv_stream_t *server, int status);
static void on_async(uv_async_t *a);
static void on_drain_timer(uv_timer_t *t);
static void on_loop_handle_close(uv_handle_t *h);

void gw_config_default(gw_config_t *cfg)
{
    *cfg = (gw_config_t){
        .host = "127.0.0.1",
        .port = 8000,
        .threads = uv_available_parallelism(),
        .max_header_bytes = 16 * 1024,
        .max_body_bytes = 16 * 1024 * 1024,
        .idle_timeout_ms = 60 * 1000,
        .header_timeout_ms = 10 * 1000,
        .body_timeout_ms = 60 * 1000,
        .max_conns = 20000,
        .drain_timeout_ms = 10 * 1000,
    };
}

static int map_errno(int e)
{
    switch (e) {
    case EADDRINUSE:
        return ENG_EBUSY;
    case EACCES:
    case EPERM:
        return ENG_EACCES;
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
        return ENG_EINVAL;
    default:
        return ENG_EIO;
    }
}

static int parse_addr(const char *host, int port, struct sockaddr_storage *ss)
{
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return ENG_EINVAL;
}

static socklen_t addr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Bind a socket to `ss`; with `is_shared` it joins the SO_REUSEPORT group.
 * On 0, *fd is the caller's. */
static int bind_socket(const struct sockaddr_storage *ss, bool is_shared, int *fd)
{
    const int one = 1;
    int s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = s < 0 ? map_errno(errno) : 0;
    if (err < 0)
        goto out;
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (is_shared && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
        bind(s, (const struct sockaddr *)ss, addr_len(ss)) != 0) {
        err = map_errno(errno);
        goto out;
    }
    *fd = s;
    s = -1;
out:
    if (s >= 0)
        close(s);
    return err;
}

/* Find the port and make sure nobody holds it: a probe bound WITHOUT
 * SO_REUSEPORT fails even against another SO_REUSEPORT group (another eddy),
 * which our own shared sockets alone would silently join. */
static int probe_port(struct sockaddr_storage *ss)
{
    int fd = -1;
    int err = bind_socket(ss, false, &fd);
    if (err < 0)
        return err;
    socklen_t len = sizeof *ss;
    if (getsockname(fd, (struct sockaddr *)ss, &len) != 0)
        err = map_errno(errno);
    close(fd);
    return err;
}

static int bind_listeners(gw_t *gw, struct sockaddr_storage *ss)
{
    int err = probe_port(ss);
    if (err < 0)
        return err;
    gw->port = ntohs(ss->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)ss)->sin6_port
                                               : ((struct sockaddr_in *)ss)->sin_port);
    for (unsigned i = 0; i < gw->cfg.threads; i++) {
        err = bind_socket(ss, true, &gw->loops[i].fd);
        if (err < 0)
            return err;
        if (listen(gw->loops[i].fd, GW_BACKLOG) != 0)
            return map_errno(errno);
    }
    return 0;
}

static bool config_is_valid(const gw_config_t *cfg)
{
    return cfg->host && cfg->port >= 0 && cfg->port <= 65535 && cfg->threads >= 1 &&
           cfg->threads <= 1024 && cfg->max_header_bytes >= 64 && cfg->max_conns >= 1 &&
           cfg->idle_timeout_ms && cfg->header_timeout_ms && cfg->body_timeout_ms;
}

int gw_create(const gw_config_t *cfg, gw_t **out)
{
    struct sockaddr_storage ss;
    if (!config_is_valid(cfg) || parse_addr(cfg->host, cfg->port, &ss) < 0)
        return ENG_EINVAL;
    gw_t *gw = eng_calloc(1, sizeof *gw);
    gw->cfg = *cfg;
    gw->host = eng_strdup(cfg->host);
    gw->cfg.host = gw->host;
    gw->loops = eng_calloc(cfg->threads, sizeof *gw->loops);
    for (unsigned i = 0; i < cfg->threads; i++) {
        gw->loops[i].fd = -1;
        gw->loops[i].index = i;
        gw->loops[i].gw = gw;
    }
    const int err = bind_listeners(gw, &ss);
    if (err < 0) {
        gw_destroy(gw);
        return err;
    }
    *out = gw;
    return 0;
}

int gw_port(const gw_t *gw)
{
    return gw->port;
}

unsigned gw_threads(const gw_t *gw)
{
    return gw->cfg.threads;
}

/* Set up one loop's handles on the calling (main) thread; the loop runs on
 * its own thread afterwards and nothing else touches it. */
static int loop_init(gw_loop_t *loop)
{
    if (uv_loop_init(&loop->uv) != 0)
        return ENG_EIO;
    uv_mutex_init(&loop->post_mu);
    loop->rbuf = eng_malloc(GW_READ_BUF_BYTES);
    loop->date_sec = -1;
    uv_async_init(&loop->uv, &loop->async, on_async);
    uv_timer_init(&loop->uv, &loop->drain_timer);
    uv_tcp_init(&loop->uv, &loop->listener);
    if (uv_tcp_open(&loop->listener, loop->fd) != 0)
        return ENG_EIO;
    loop->fd = -1; /* The handle owns it now. */
    if (uv_listen((uv_stream_t *)&loop->listener, GW_BACKLOG, on_connection) != 0)
        return ENG_EIO;
    return 0;
}

static void loop_main(void *arg)
{
    gw_loop_t *loop = arg;
    uv_run(&loop->uv, UV_RUN_DEFAULT);
}

int gw_start(gw_t *gw)
{
    assert(!gw->is_started);
    /* I/O threads never take SIGPIPE (a write to a closed socket fails with
     * EPIPE instead) nor the stop signals, which main waits for. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int err = 0;
    unsigned started = 0;
    for (unsigned i = 0; i < gw->cfg.threads && err == 0; i++)
        err = loop_init(&gw->loops[i]);
    for (unsigned i = 0; i < gw->cfg.threads && err == 0; i++) {
        if (uv_thread_create(&gw->loops[i].thread, loop_main, &gw->loops[i]) != 0)
            err = ENG_EIO;
        else
            started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    gw->is_started = true;
    if (err < 0) { /* Threads that did start stop again; gw_destroy joins them. */
        gw->cfg.threads = started;
        gw_shutdown(gw);
    }
    return err;
}

static void on_connection(uv_stream_t *server, int status)
{
    gw_loop_t *loop = container_of(server, gw_loop_t, listener);
    if (status < 0) {
        ENG_WARN("gateway", "accept failed: %s", uv_strerror(status));
        return;
    }
    gw__conn_accept(loop);
}

/* The loop is drained: close its own handles so uv_run returns. Posts still
 * queued run first (they may answer abandoned requests); later ones are
 * discarded. */
static void loop_end(gw_loop_t *loop)
{
    if (loop->is_ending)
        return;
    loop->is_ending = true;
    uv_mutex_lock(&loop->post_mu);
    loop->is_dead = true;
    uv_mutex_unlock(&loop->post_mu);
    gw__posts_run(loop);
    uv_close((uv_handle_t *)&loop->async, NULL);
    uv_close((uv_handle_t *)&loop->drain_timer, NULL);
}

void gw__loop_conn_gone(gw_loop_t *loop)
{
    if (loop->is_stopping && loop->n_conns == 0)
        loop_end(loop);
}

static void loop_stop(gw_loop_t *loop)
{
    loop->is_stopping = true;
    uv_close((uv_handle_t *)&loop->listener, on_loop_handle_close);
    gw__conn_stop_idle(loop);
    uv_timer_start(&loop->drain_timer, on_drain_timer, loop->gw->cfg.drain_timeout_ms, 0);
    gw__loop_conn_gone(loop);
}

static void on_loop_handle_close(uv_handle_t *h)
{
    (void)h; /* The handle lives inside the loop struct; nothing to free. */
}

static void on_async(uv_async_t *a)
{
    gw_loop_t *loop = container_of(a, gw_loop_t, async);
    gw__posts_run(loop);
    if (!loop->is_stopping && atomic_load(&loop->gw->is_stopping))
        loop_stop(loop);
}

static void on_drain_timer(uv_timer_t *t)
{
    gw_loop_t *loop = container_of(t, gw_loop_t, drain_timer);
    if (loop->n_conns)
        ENG_WARN("gateway", "drain timeout: closing %u connections", loop->n_conns);
    gw__conn_abandon_all(loop);
    loop_end(loop);
}

void gw_shutdown(gw_t *gw)
{
    atomic_store(&gw->is_stopping, true);
    if (!gw->is_started)
        return;
    for (unsigned i = 0; i < gw->cfg.threads; i++) {
        gw_loop_t *loop = &gw->loops[i];
        uv_mutex_lock(&loop->post_mu);
        if (!loop->is_dead)
            uv_async_send(&loop->async);
        uv_mutex_unlock(&loop->post_mu);
    }
}

static void loop_free(gw_loop_t *loop, bool is_inited)
{
    if (loop->fd >= 0)
        close(loop->fd);
    if (!is_inited)
        return;
    while (loop->abandoned) {
        gw_conn_t *conn = loop->abandoned;
        loop->abandoned = conn->next;
        gw__conn_free(conn);
    }
    if (uv_loop_close(&loop->uv) != 0)
        ENG_WARN("gateway", "loop %u closed with handles open", loop->index);
    uv_mutex_destroy(&loop->post_mu);
    eng_free(loop->rbuf);
    eng_buf_free(&loop->scratch);
}

void gw_wait(gw_t *gw)
{
    if (!gw || !gw->is_started || gw->is_joined)
        return;
    gw_shutdown(gw);
    for (unsigned i = 0; i < gw->cfg.threads; i++)
        uv_thread_join(&gw->loops[i].thread);
    gw->is_joined = true;
}

void gw_destroy(gw_t *gw)
{
    if (!gw)
        return;
    gw_wait(gw);
    for (unsigned i = 0; gw->loops && i < gw->cfg.threads; i++)
        loop_free(&gw->loops[i], gw->is_started);
    gw__routes_free(&gw->targets);
    gw__routes_free(&gw->paths);
    eng_free(gw->loops);
    eng_free(gw->host);
    eng_free(gw);
}
