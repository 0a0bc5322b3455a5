/* SPDX-License-Identifier: MIT
 * gw.h: the HTTP/1.1 gateway. N I/O threads, each with its own libuv loop and
 * its own SO_REUSEPORT listener, parse requests with llhttp and hand each one
 * to the handler its route names. Other modules plug in by registering routes
 * (by X-Amz-Target prefix or by path prefix) before gw_start; the server core
 * never knows what they serve. Handlers may answer inline or later (after a
 * storage commit) through gw_req_post, which hops back to the request's loop. */
#ifndef GW_H
#define GW_H

#include "engine/fn/fn.h"
#include "engine/mem.h"
#include "storage/store.h"
#include "streams/strm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw gw_t;         /* Opaque. The server: listeners, threads, routes. */
typedef struct gw_req gw_req_t; /* Opaque. One request; owned by its connection. */

typedef struct gw_config {
    const char *host;           /* Listen address, IPv4 or IPv6 literal. */
    int port;                   /* 0 picks an ephemeral port (see gw_port). */
    unsigned threads;           /* I/O threads, >= 1. */
    size_t max_header_bytes;    /* Request line + headers; over it: 431. */
    size_t max_body_bytes;      /* Over it: 413, without buffering the body. */
    unsigned idle_timeout_ms;   /* Keep-alive connection with no request in progress. */
    unsigned header_timeout_ms; /* A request's headers must be complete within this. */
    unsigned body_timeout_ms;   /* A request's body must be complete within this. */
    unsigned max_conns;         /* Open connections across all threads. */
    unsigned drain_timeout_ms;  /* On shutdown: time allowed for in-flight requests. */
} gw_config_t;

/* Fill `cfg` with the defaults: 127.0.0.1:8000, one thread per core, 16 KiB
 * headers, 16 MiB bodies, 60 s idle, 10 s headers, 60 s body, 20,000
 * connections, 10 s drain. */
void gw_config_default(gw_config_t *cfg);

/* A route handler. Runs on the I/O thread that read `req`. It must eventually
 * call gw_respond exactly once, either before returning or later from a
 * callback run with gw_req_post. `arg` is the pointer given at registration. */
typedef void (*gw_handler_cb)(gw_req_t *req, void *arg);

/* Create the server and bind its listeners (one socket per thread), so that a
 * port in use or a bad address fails here, before anything starts.
 * On 0, the caller owns *out and must call gw_destroy.
 * Returns 0, ENG_EINVAL (bad config or address), ENG_EBUSY (address in use),
 * ENG_EACCES (permission denied) or ENG_EIO. Main thread only. */
int gw_create(const gw_config_t *cfg, gw_t **out);

/* Route requests whose X-Amz-Target header starts with `prefix` to `cb`.
 * Requests carrying an X-Amz-Target no route claims get 400
 * {"__type":"com.amazon.coral.service#UnknownOperationException"}.
 * `prefix` is copied. Before gw_start only. Returns 0 or ENG_EEXIST. */
int gw_route_target(gw_t *gw, const char *prefix, gw_handler_cb cb, void *arg);

/* Route requests whose path starts with `prefix` to `cb`; the longest
 * matching prefix wins. Paths no route claims get 404 in JSON.
 * `prefix` is copied. Before gw_start only. Returns 0 or ENG_EEXIST. */
int gw_route_path(gw_t *gw, const char *prefix, gw_handler_cb cb, void *arg);

/* The bound port (useful when the config asked for port 0). */
int gw_port(const gw_t *gw);

/* Number of I/O threads; gw_req_thread returns values below it. */
unsigned gw_threads(const gw_t *gw);

/* Start the I/O threads. Returns 0 or ENG_EIO. Main thread only. */
int gw_start(gw_t *gw);

/* Begin a graceful stop: close the listeners, answer requests already read,
 * close idle connections, and let each loop end once its in-flight requests
 * are answered or the drain timeout passes. Thread-safe; returns at once. */
void gw_shutdown(gw_t *gw);

/* Wait for the I/O threads to end (after gw_shutdown; calls it if needed).
 * Afterwards no handler runs, gw_req_post discards what it is given, and
 * the server's memory stays valid until gw_destroy: producers on other
 * threads (function workers) can be stopped in between. Idempotent. Main
 * thread only. Blocks. */
void gw_wait(gw_t *gw);

/* Wait for the I/O threads to end (after gw_shutdown), then free everything.
 * NULL is a no-op. Main thread only. Blocks. */
void gw_destroy(gw_t *gw);

/* Request accessors. Every slice is borrowed and valid until gw_respond(req). */
eng_slice_t gw_req_method(const gw_req_t *req); /* "GET", "POST", ... */
eng_slice_t gw_req_path(const gw_req_t *req);   /* Raw path, no query string. */
eng_slice_t gw_req_query(const gw_req_t *req);  /* After '?', empty if none. */
eng_slice_t gw_req_body(const gw_req_t *req);   /* Whole body, de-chunked. */
bool gw_req_is_head(const gw_req_t *req);

/* Find header `name` (case-insensitive). On true, *value is borrowed and
 * valid until gw_respond(req). */
bool gw_req_header(const gw_req_t *req, const char *name, eng_slice_t *value);

/* Index of the I/O thread that owns `req`, in [0, gw_threads). Handlers use it
 * to pick per-thread state (a reusable read transaction, scratch buffers). */
unsigned gw_req_thread(const gw_req_t *req);

typedef struct gw_header {
    const char *name;  /* Borrowed for the duration of the gw_respond call. */
    eng_slice_t value; /* Borrowed for the duration of the gw_respond call. */
} gw_header_t;

/* Answer `req`: status line, Content-Type (omitted if NULL), the extra
 * headers, Content-Length and the body (omitted for HEAD). Copies everything
 * it is given into the connection's reused output buffer; responses leave in
 * request order even when pipelined requests are answered out of order.
 * After this call `req` is invalid. Loop thread of `req` only. */
void gw_respond(gw_req_t *req, int status, const char *content_type, eng_slice_t body,
                const gw_header_t *headers, size_t n_headers);

/* A node for gw_req_post, embedded in the caller's own struct so posting
 * never allocates. Owned by the caller; must stay valid until `cb` runs. */
typedef struct gw_post gw_post_t;
typedef void (*gw_post_cb)(gw_post_t *post);
struct gw_post {
    gw_post_t *next; /* Private to the gateway. */
    gw_post_cb cb;   /* Set by gw_req_post. */
};

/* Run `cb(post)` on the I/O thread that owns `req`, soon. Thread-safe and
 * non-blocking; callable from any thread (the storage writer uses it). The
 * request stays valid until it is answered, even if the client hung up
 * meanwhile (the answer is then discarded). Use container_of in `cb` to
 * recover the enclosing struct.
 * Returns true when queued. Returns false when the request's loop has ended
 * (a shutdown's drain gave up on it): `cb` will never run, and the caller
 * frees whatever `post` belongs to. Valid until gw_destroy. */
bool gw_req_post(gw_req_t *req, gw_post_t *post, gw_post_cb cb);

/* Register the gateway's own admin routes (GET /_eddy/health answers 200
 * {"status":"ok"}). Before gw_start only. Returns 0 or ENG_EEXIST. */
int gw_admin_register(gw_t *gw);

/* ---- The DynamoDB JSON 1.0 front door (gateway/ddb*.c) ---------------- */

typedef struct gw_ddb gw_ddb_t; /* Opaque. Per-thread readers and scratch buffers. */

/* Serve DynamoDB_20120810.* targets (and the /_eddy/ table inspection routes)
 * from `store`. Call before gw_start. On 0 the caller owns *out and must call
 * gw_ddb_destroy after gw_destroy and before store_close.
 * Returns 0 or ENG_EIO. Main thread only. */
int gw_ddb_create(gw_t *gw, store_t *store, const char *region, gw_ddb_t **out);
void gw_ddb_destroy(gw_ddb_t *ddb);

/* ---- The DynamoDB Streams front door (gateway/ddbs*.c) ----------------- */

typedef struct gw_ddbs gw_ddbs_t; /* Opaque. Per-thread readers; the iterator secret. */

typedef struct gw_ddbs_config {
    const char *region;       /* In stream ARNs; NULL or "": us-east-1. Copied. */
    unsigned iterator_ttl_ms; /* Shard iterator lifetime; 0: DynamoDB's 15 minutes. */
} gw_ddbs_config_t;

/* Serve DynamoDBStreams_20120810.* targets (ListStreams, DescribeStream,
 * GetShardIterator, GetRecords) from the change log of `store`, answering
 * inline on the I/O threads with read transactions. Call before gw_start.
 * On 0 the caller owns *out and must call gw_ddbs_destroy after gw_destroy
 * and before store_close. Returns 0, ENG_EEXIST (route taken) or ENG_EIO.
 * Main thread only. */
int gw_ddbs_create(gw_t *gw, store_t *store, const gw_ddbs_config_t *cfg, gw_ddbs_t **out);
void gw_ddbs_destroy(gw_ddbs_t *ddbs);

/* ---- The Lambda REST front door (gateway/lambda*.c) -------------------- */

typedef struct gw_lambda gw_lambda_t; /* Opaque. Routes /2015-03-31/functions. */

/* Serve the Lambda API (CreateFunction with Code.Path, GetFunction,
 * GetFunctionConfiguration, ListFunctions, DeleteFunction, Invoke) from `fns`
 * under /2015-03-31/functions. Invocations run on the registry's workers,
 * never on an I/O thread. Call before gw_start. On 0 the caller owns *out.
 * Stop in this order: gw_wait, gw_lambda_close, eng_fn_registry_destroy
 * (it waits for running invocations), gw_lambda_destroy, gw_destroy.
 * Returns 0 or ENG_EEXIST (route taken). Main thread only. */
int gw_lambda_create(gw_t *gw, eng_fn_registry_t *fns, gw_lambda_t **out);

/* From now on, invocations that finish are dropped instead of answered:
 * their requests were abandoned when the gateway's drain timed out. Call
 * after gw_wait. Thread-safe; NULL is a no-op. */
void gw_lambda_close(gw_lambda_t *lam);

/* Free the front door. NULL is a no-op. */
void gw_lambda_destroy(gw_lambda_t *lam);

typedef struct gw_esm gw_esm_t; /* Opaque. Routes /2015-03-31/event-source-mappings. */

/* Serve Lambda's event-source-mapping API (Create, List, Get, Update,
 * Delete) under /2015-03-31/event-source-mappings and the dispatcher's admin
 * reads under /_eddy/mappings (counters; /<uuid>/failures: on-failure
 * records) from `d`. Create, Update and Delete wait for one storage commit
 * on the I/O thread. Call before gw_start. On 0 the caller owns *out and
 * must call gw_esm_destroy after gw_wait (no handler runs any more). Returns 0 or ENG_EEXIST (route
 * taken). Main thread. */
int gw_esm_create(gw_t *gw, strm_dispatch_t *d, gw_esm_t **out);
void gw_esm_destroy(gw_esm_t *e);

#endif
