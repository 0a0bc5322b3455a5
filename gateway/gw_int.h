/* SPDX-License-Identifier: MIT
 * gw_int.h: the gateway's private structures, shared by the gateway sources only.
 * One gw_t owns N gw_loop_t (one thread, one uv loop, one listener each); a
 * loop owns its connections; a connection embeds the one request it is
 * working on (requests on a connection are processed one at a time, so
 * pipelined responses leave in order by construction). */
#ifndef GW_INT_H
#define GW_INT_H

#include "gateway/gw.h"

#include <llhttp.h>
#include <stdatomic.h>
#include <uv.h>

#define GW_READ_BUF_BYTES (64 * 1024) /* Per-loop read buffer, borrowed by every conn. */
#define GW_LINGER_MS 1000u            /* Discard late input this long after a final answer. */
#define GW_KEEP_CAP_BYTES (64 * 1024) /* Per-conn buffers above this are freed when idle. */

/* ---- Routes (route.c) -------------------------------------------------- */

typedef struct gw_route {
    char *prefix;      /* Owned copy. */
    size_t prefix_len; /* strlen(prefix). */
    gw_handler_cb cb;  /* Called on the request's loop thread. */
    void *arg;         /* Passed to cb untouched. */
} gw_route_t;

typedef struct gw_routes {
    gw_route_t *items; /* Owned array of n entries. */
    size_t n;          /* Entries in use. */
} gw_routes_t;

/* Add a route; `prefix` is copied. Returns 0 or ENG_EEXIST (same prefix). */
int gw__routes_add(gw_routes_t *rt, const char *prefix, gw_handler_cb cb, void *arg);

/* The route whose prefix is the longest prefix of `key`, or NULL. Borrowed:
 * valid until gw__routes_free. Thread-safe once no more routes are added. */
const gw_route_t *gw__routes_match(const gw_routes_t *rt, eng_slice_t key);

/* Free every route and the array. */
void gw__routes_free(gw_routes_t *rt);

/* Find the operation named by `target` after its first `prefix_len` bytes
 * (X-Amz-Target "DynamoDB_20120810.GetItem" -> "GetItem") in a table of `n`
 * entries of `size` bytes, sorted by name, whose first member is
 * `const char *name`. Returns the entry or NULL. Any thread. */
const void *gw__op_find(const void *table, size_t n, size_t size, eng_slice_t target,
                        size_t prefix_len);

/* ---- The server and its loops (server.c) -------------------------------- */

typedef struct gw_loop gw_loop_t;
typedef struct gw_conn gw_conn_t;

struct gw {
    gw_config_t cfg;         /* Copied at create; cfg.host points at host below. */
    char *host;              /* Owned copy of the listen address. */
    int port;                /* Bound port (real one when cfg.port was 0). */
    gw_routes_t targets;     /* By X-Amz-Target prefix; frozen at gw_start. */
    gw_routes_t paths;       /* By path prefix; frozen at gw_start. */
    gw_loop_t *loops;        /* Owned array of cfg.threads loops. */
    atomic_uint n_conns;     /* Open connections across every loop. */
    atomic_bool is_stopping; /* Set once by gw_shutdown. */
    bool is_started;         /* gw_start succeeded; threads must be joined. */
    bool is_joined;          /* gw_wait joined the I/O threads. */
};

struct gw_loop {
    uv_loop_t uv;           /* This thread's loop; only this thread touches it. */
    uv_tcp_t listener;      /* SO_REUSEPORT socket of its own. */
    uv_async_t async;       /* Wakes the loop for posts and for shutdown. */
    uv_timer_t drain_timer; /* Armed at shutdown: forces the end of the drain. */
    uv_thread_t thread;     /* Runs loop_main. */
    gw_t *gw;               /* Back pointer; outlives the loop. */
    unsigned index;         /* Position in gw->loops; gw_req_thread's answer. */
    int fd;                 /* Listening socket until uv_tcp_open takes it; -1 after. */
    char *rbuf;             /* GW_READ_BUF_BYTES, lent to whichever conn is reading. */
    eng_buf_t scratch;      /* Response head being formatted; reused. */
    char date[40];          /* "Date: ...\r\n" for date_sec. */
    size_t date_len;        /* Bytes in date. */
    int64_t date_sec;       /* Wall-clock second date was formatted for. */
    gw_conn_t *conns;       /* Doubly linked list of open conns. */
    gw_conn_t *abandoned;   /* Conns whose request was unanswered at drain end. */
    unsigned n_conns;       /* Conns in `conns`. */
    bool is_stopping;       /* Loop-thread copy of gw->is_stopping, once acted on. */
    bool is_ending;         /* Handles are closing; the loop will return. */
    uv_mutex_t post_mu;     /* Guards posts and is_dead. */
    gw_post_t *posts;       /* LIFO of pending posts; reversed when drained. */
    bool is_dead;           /* The loop ended: later posts are discarded. */
};

/* ---- Connections and requests (conn.c, req.c) ---------------------------- */

typedef struct gw_hdr_ix {
    uint32_t name_off, name_len;   /* Into gw_req.head. */
    uint32_t value_off, value_len; /* Into gw_req.head, trailing blanks trimmed. */
} gw_hdr_ix_t;

struct gw_req {
    eng_buf_t head;     /* URL, then every header name and value, back to back. */
    eng_buf_t body;     /* Whole de-chunked body. */
    gw_hdr_ix_t *ix;    /* Owned, cap_ix entries; one per header. */
    uint32_t n_ix;      /* Headers seen. */
    uint32_t cap_ix;    /* Entries allocated. */
    uint32_t url_len;   /* head[0, url_len) is the request target. */
    uint32_t path_off;  /* Where the path starts: past "http://host" in an absolute-form target. */
    uint32_t path_len;  /* head[path_off, path_len) is the path (before '?'). */
    uint32_t name_off;  /* Where the header being parsed starts in head. */
    uint32_t name_len;  /* Its name length, once complete. */
    uint8_t method;     /* llhttp_method_t. */
    bool is_keep_alive; /* llhttp's verdict at message end. */
};

typedef enum gw_phase {
    GW_PH_IDLE = 0, /* Between requests (no byte of the next one seen). */
    GW_PH_HEADERS,  /* Reading a request line and headers. */
    GW_PH_BODY,     /* Reading a body. */
    GW_PH_INFLIGHT, /* Dispatched; waiting for gw_respond. */
    GW_PH_LINGER,   /* Final answer sent; discarding input until EOF or timeout. */
    GW_PH_CLOSED,   /* uv_close called on both handles. */
} gw_phase_t;

struct gw_conn {
    uv_tcp_t tcp;     /* Must stay first-ish: container_of recovers conn. */
    uv_timer_t timer; /* One timer for idle, header, body and linger deadlines. */
    llhttp_t parser;  /* Paused at each message end until answered. */
    union {
        uv_write_t write;   /* The one write in flight (wbuf). */
        uv_shutdown_t shut; /* Used only once every write completed. */
    } ureq;
    gw_req_t req;            /* The request being read or answered. */
    gw_loop_t *loop;         /* Owner. */
    gw_conn_t *prev, *next;  /* In loop->conns (or loop->abandoned). */
    eng_buf_t wbuf;          /* Bytes of the write in flight. */
    eng_buf_t qbuf;          /* Bytes waiting for that write to finish. */
    eng_buf_t tail;          /* Unparsed bytes read past a paused message. */
    size_t tail_off;         /* Bytes of tail already parsed. */
    size_t header_bytes;     /* Request line + header bytes of this request. */
    uint64_t phase_start_ms; /* uv_now when the phase began. */
    uint64_t deadline_ms;    /* When the current phase times out; UINT64_MAX: never. */
    uint64_t timer_due_ms;   /* When the armed timer fires; 0 when not armed. */
    int fail_status;         /* Status a callback asked for when it failed parsing. */
    uint8_t phase;           /* gw_phase_t. */
    uint8_t n_handles;       /* Open uv handles (tcp, timer); freed at 0. */
    bool is_reading;         /* uv_read_start is in effect. */
    bool is_writing;         /* ureq.write is in flight. */
    bool is_dispatching;     /* Inside the handler call made by the parser. */
    bool has_pending_input;  /* Bytes were read past the request in flight. */
    bool is_close_after;     /* Close gracefully once every write completed. */
    bool is_abandoned;       /* Closed at drain end with its request unanswered. */
};

/* Accept one connection from `loop`'s listener and start reading it.
 * Refuses (accepts and closes at once) past cfg.max_conns. Loop thread. */
void gw__conn_accept(gw_loop_t *loop);

/* Close gracefully: after pending writes, shut down, linger, close. */
void gw__conn_finish(gw_conn_t *conn);

/* Close at once (both handles); the conn is freed in the close callbacks. */
void gw__conn_close(gw_conn_t *conn);

/* Queue bytes for `conn` in order; tries a direct write first. Loop thread. */
void gw__conn_write(gw_conn_t *conn, const uv_buf_t *bufs, unsigned n);

/* Called by gw_respond once the answer is queued: resume parsing. */
void gw__conn_answered(gw_conn_t *conn, bool is_keep_alive);

/* Shutdown started on `loop`: close idle conns. */
void gw__conn_stop_idle(gw_loop_t *loop);

/* Drain timeout: close every remaining conn, abandoning unanswered requests. */
void gw__conn_abandon_all(gw_loop_t *loop);

/* Free a conn's memory; for abandoned conns at gw_destroy. */
void gw__conn_free(gw_conn_t *conn);

/* A conn left the loop: end the loop if it is draining and now empty. */
void gw__loop_conn_gone(gw_loop_t *loop);

/* Route a complete request to its handler (route.c). Loop thread. */
void gw__dispatch(gw_conn_t *conn);

/* Reset the request for reuse, keeping small buffers. */
void gw__req_reset(gw_req_t *req);
void gw__req_free(gw_req_t *req);

/* Answer with a small JSON error and close the conn after it. */
void gw__respond_error(gw_conn_t *conn, int status, const char *message);

/* Run every post queued on `loop`. Loop thread. */
void gw__posts_run(gw_loop_t *loop);

/* The reason phrase of `status` ("Not Found"), "Unknown" if unlisted. */
const char *gw__status_text(int status);

#endif
