/* SPDX-License-Identifier: MIT
 * fn.h: the function registry and the invoker, as the rest of the engine sees
 * them. A registry holds functions declared by CreateFunction bodies (from
 * the Lambda API or the app manifest), runs them either in a supervised host
 * process (default) or in process (opt-in, trusted code), and returns each
 * invocation's response, log and staged item writes. It never applies the
 * staged writes itself: the stream dispatcher commits them with its checkpoint. */
#ifndef ENG_FN_H
#define ENG_FN_H

#include "engine/mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eng_fn_registry eng_fn_registry_t; /* Opaque. Functions, hosts, workers. */
typedef struct eng_fn eng_fn_t;                   /* Opaque. One function; ref-counted. */

typedef struct eng_fn_registry_config {
    const char *region;         /* For ARNs; copied. Default "us-east-1". */
    const char *host_path;      /* The eddy-fnhost executable; copied. NULL: see
                                   eng_fn_host_path_default. */
    unsigned workers;           /* Threads for eng_fn_invoke_async. Default 4. */
    unsigned max_hosts;         /* Host processes per function (its concurrency). Default 4. */
    size_t max_event_bytes;     /* Larger events are ENG_ETOOBIG. Default 6 MB, as Lambda. */
    bool is_in_process_allowed; /* Honour EDDY_IN_PROCESS=1 in a function's Environment.
                                   Default true. */
} eng_fn_registry_config_t;

/* Fill `cfg` with the defaults listed above. */
void eng_fn_registry_config_default(eng_fn_registry_config_t *cfg);

/* Find the host executable: $EDDY_FNHOST, else eddy-fnhost beside the running
 * binary, else the build tree's, else the installed one (libexecdir). Writes a
 * NUL-terminated path into buf. Returns 0 or ENG_ENOTFOUND. Any thread. */
int eng_fn_host_path_default(char *buf, size_t size);

/* Create a registry and start its worker threads. Host processes are
 * spawned on first use and exit within a second of the engine's death.
 * On 0 the caller owns *out and must call eng_fn_registry_destroy.
 * Returns 0, ENG_EINVAL (bad config) or ENG_ENOTFOUND (no host executable). */
int eng_fn_registry_create(const eng_fn_registry_config_t *cfg, eng_fn_registry_t **out);

/* Finish queued async invocations (each bounded by its function's Timeout),
 * stop the workers, kill every host and free everything. Functions still
 * referenced by callers stay valid until their last eng_fn_unref. NULL is a
 * no-op. Blocks. Not from a worker thread. */
void eng_fn_registry_destroy(eng_fn_registry_t *reg);

/* The region given at creation. Borrowed; valid while `reg` lives. */
const char *eng_fn_registry_region(const eng_fn_registry_t *reg);

typedef struct eng_fn_create_opts {
    const char *base_dir; /* Relative Code.Path resolves against it; NULL: the cwd. */
    bool is_replace;      /* An existing function of that name is replaced (manifest
                             apply is idempotent); otherwise ENG_EEXIST. */
} eng_fn_create_opts_t;

/* Register a function from a CreateFunction body: FunctionName, Runtime "c"
 * (also "provided.al2"/"provided" for native code), Handler (the exported
 * symbol), Code.Path (a .so; ZipFile is not supported), Timeout (seconds,
 * 1..900, default 3), MemorySize (128..10240, default 128), Description,
 * Environment.Variables (set in the host process; EDDY_IN_PROCESS=1 opts into
 * in-process mode). Code is not loaded here: load errors are function errors
 * at the first invocation, as with Lambda.
 * On 0, *out (if out is not NULL) is a new reference the caller must
 * eng_fn_unref. On ENG_EINVAL, `msg` (if not NULL) gets a Lambda-style
 * message. Returns 0, ENG_EINVAL, ENG_ENOTFOUND (Code.Path does not exist;
 * message set) or ENG_EEXIST (message set). Thread-safe. */
int eng_fn_create(eng_fn_registry_t *reg, const char *json, size_t len,
                  const eng_fn_create_opts_t *opts, eng_buf_t *msg, eng_fn_t **out);

/* Look up `name` (a plain name; callers strip ARNs). On 0 *out is a new
 * reference the caller must eng_fn_unref. Returns 0 or ENG_ENOTFOUND.
 * Thread-safe, non-blocking apart from a mutex. */
int eng_fn_get(eng_fn_registry_t *reg, const char *name, eng_fn_t **out);

/* Remove `name` from the registry. Invocations in flight finish; its host
 * processes are stopped when the last reference goes. Returns 0 or
 * ENG_ENOTFOUND. Thread-safe. */
int eng_fn_delete(eng_fn_registry_t *reg, const char *name);

/* Append a JSON array of FunctionConfiguration objects, sorted by name, to
 * `out`, starting after `marker` (NULL: from the start), at most `max_items`
 * (0: all). If more remain, *next_marker (when next_marker is not NULL) gets
 * the marker for the next page, owned by the caller (eng_free); else NULL.
 * Thread-safe. */
void eng_fn_list_json(eng_fn_registry_t *reg, const char *marker, unsigned max_items,
                      eng_buf_t *out, char **next_marker);

/* Drop a reference from eng_fn_get/eng_fn_create. NULL is a no-op. Thread-safe. */
void eng_fn_unref(eng_fn_t *fn);

/* The function's name. Borrowed; valid while the caller holds a reference. */
const char *eng_fn_name(const eng_fn_t *fn);

/* Append the function's FunctionConfiguration JSON object to `out`. */
void eng_fn_config_json(const eng_fn_t *fn, eng_buf_t *out);

/* ---- Invocation results -------------------------------------------------- */

typedef enum eng_fn_write_kind {
    ENG_FN_WRITE_PUT = 0,    /* item_json is the whole item. */
    ENG_FN_WRITE_DELETE = 1, /* key_json names the item. */
    ENG_FN_WRITE_UPDATE = 2, /* key_json, update_expression, optional names/values. */
} eng_fn_write_kind_t;

/* One staged item write. Every string is owned by the enclosing result and
 * NUL-terminated; absent optional fields are NULL. JSON is DynamoDB JSON,
 * validated to be a JSON object (not checked against the table's schema:
 * the dispatcher's storage batch does that). */
typedef struct eng_fn_write {
    eng_fn_write_kind_t kind;
    char *table;             /* Table name, non-empty. */
    char *item_json;         /* PUT only. */
    char *key_json;          /* DELETE and UPDATE. */
    char *update_expression; /* UPDATE only, non-empty. */
    char *names_json;        /* UPDATE: ExpressionAttributeNames or NULL. */
    char *values_json;       /* UPDATE: ExpressionAttributeValues or NULL. */
} eng_fn_write_t;

/* The outcome of one invocation. Zero-initialise; release with
 * eng_fn_result_free. */
typedef struct eng_fn_result {
    char request_id[37]; /* UUID of the invocation. */
    bool is_error;       /* A function error: crash, timeout, eddy_fail, bad response. */
    char *error_type;    /* On error: "Runtime.ExitError", "Sandbox.Timedout", ... */
    char *payload;       /* Response JSON, or the error JSON
                            {"errorType":..,"errorMessage":..}. NUL-terminated. */
    size_t payload_len;
    char *log; /* START .. REPORT lines, NUL-terminated. */
    size_t log_len;
    eng_fn_write_t *writes; /* Staged writes in order; none when is_error. */
    size_t n_writes;
    uint64_t duration_us; /* Wall time of the handler (host mode: round trip). */
} eng_fn_result_t;

/* Free everything `res` owns and zero it. */
void eng_fn_result_free(eng_fn_result_t *res);

/* Run `fn` with `event` (len bytes of JSON; not validated here) and fill
 * `res`. Blocks for up to the function's Timeout (host mode) or as long as
 * the handler runs (in-process mode): never call it on an I/O thread.
 * Returns 0 when the invocation happened (function errors are in res),
 * ENG_ETOOBIG (event over max_event_bytes) or ENG_EIO (a host could not be
 * spawned; logged). On failure res is left zeroed. Thread-safe. */
int eng_fn_invoke(eng_fn_t *fn, const char *event, size_t len, eng_fn_result_t *res);

/* Called on a worker thread when an async invocation ends. `res` is borrowed
 * for the duration of the call (move its fields out to keep them); `err` is
 * eng_fn_invoke's return value. */
typedef void (*eng_fn_done_cb)(int err, eng_fn_result_t *res, void *arg);

/* Queue an invocation on the registry's workers. The event is copied and a
 * reference to `fn` is taken, so both may go at once. `cb` runs exactly once,
 * on a worker thread, unless this returns an error. Returns 0, ENG_ETOOBIG or
 * ENG_ECLOSED (registry shutting down). Thread-safe, non-blocking. */
int eng_fn_invoke_async(eng_fn_registry_t *reg, eng_fn_t *fn, const char *event, size_t len,
                        eng_fn_done_cb cb, void *arg);

#endif
