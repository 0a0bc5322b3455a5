/* SPDX-License-Identifier: MIT
 * fn_int.h: private to engine/fn/. The function and registry structs, the
 * raw result a handler produces (shared by the in-process runtime and the
 * host executable), the host wire protocol, and the cross-file helpers. */
#ifndef ENG_FN_INT_H
#define ENG_FN_INT_H

#include "engine/fn/eddy.h"
#include "engine/fn/fn.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#define FN_MAX_RESPONSE_BYTES (6u * 1024 * 1024) /* Lambda's synchronous payload limit. */
#define FN_MAX_LOG_BYTES (1024u * 1024)          /* Per invocation, beyond it: dropped. */
#define FN_MAX_WRITES 100u                       /* As TransactWriteItems. */
#define FN_MAX_FRAME_BYTES (16u * 1024 * 1024)   /* Anything larger is garbage. */
#define FN_HOST_FD 3                             /* The host's end of the socketpair. */

/* What one handler run produced, before the engine turns it into a result. */
typedef struct fn_raw {
    int rc;                 /* The handler's return value. */
    bool has_response;      /* eddy_respond was called. */
    eng_buf_t response;     /* The bytes given to eddy_respond (unvalidated). */
    char *error_type;       /* From eddy_fail, or NULL. */
    char *error_message;    /* From eddy_fail, or NULL. */
    eng_buf_t log;          /* The handler's log lines (and, in a host, its stdout). */
    eng_fn_write_t *writes; /* Owned, n_writes of them. */
    size_t n_writes;
    long max_rss_kb; /* Host mode: the host's peak RSS; 0 if unknown. */
} fn_raw_t;

void fn__raw_free(fn_raw_t *raw);

/* The runtime: run `handler` on `event` with a fresh context; fills raw.
 * `deadline_ms` is CLOCK_MONOTONIC milliseconds. Used by both modes. */
void fn__rt_run(eddy_handler_fn handler, const char *name, const char *request_id,
                int64_t deadline_ms, const char *event, size_t len, fn_raw_t *raw);

/* CLOCK_MONOTONIC now, in milliseconds and microseconds. */
int64_t fn__now_ms(void);
uint64_t fn__now_us(void);

/* Open `path` and find `symbol` (an eddy_handler_fn) after checking the
 * module's eddy_abi_version. On failure sets *error_type and *message (owned by
 * the caller) and returns ENG_EINVAL. On 0 *dl is the dlopen handle. */
int fn__load(const char *path, const char *symbol, void **dl, eddy_handler_fn *handler,
             char **error_type, char **message);

/* ---- Host wire protocol: [u32 type][u32 len][fields], fields [u32 len][bytes],
 * len FN_NULL_FIELD meaning NULL. Host order: both ends are on this machine. */
enum {
    FN_MSG_READY = 1,      /* H->E: module loaded. No fields. */
    FN_MSG_LOAD_ERROR = 2, /* H->E: error_type, message. Then the host exits. */
    FN_MSG_INVOKE = 3,     /* E->H: request_id, remaining_ms, event. */
    FN_MSG_RESULT = 4,     /* H->E: an encoded fn_raw_t. */
};
#define FN_NULL_FIELD UINT32_MAX

typedef struct fn_frame_reader {
    const char *p;   /* Next field. */
    const char *end; /* End of the payload. */
    bool is_bad;     /* A field ran past the end. */
} fn_frame_reader_t;

void fn__frame_begin(eng_buf_t *b, uint32_t type);
void fn__frame_add(eng_buf_t *b, const char *s, size_t len); /* s NULL: a NULL field. */
void fn__frame_add_str(eng_buf_t *b, const char *s);
void fn__frame_end(eng_buf_t *b); /* Patches the payload length. */
/* Next field as a new NUL-terminated string (NULL for a NULL field). */
char *fn__frame_next(fn_frame_reader_t *r, size_t *len);

void fn__raw_encode(const fn_raw_t *raw, eng_buf_t *out);
int fn__raw_decode(const char *p, size_t len, fn_raw_t *raw); /* 0 or ENG_EINVAL. */

/* Blocking I/O on a socket. read_frame waits until `deadline_ms` (-1: no
 * deadline). Both return 0, ENG_ECLOSED (peer gone), ENG_ETIMEDOUT,
 * ENG_ETOOBIG or ENG_EIO. On 0 *payload is owned by the caller. */
int fn__write_all(int fd, const char *p, size_t len);
int fn__read_frame(int fd, int64_t deadline_ms, uint32_t *type, char **payload, size_t *len);

/* ---- Engine side ---- */

typedef struct fn_host {
    pid_t pid; /* The eddy-fnhost process. */
    int fd;    /* Our end of its socketpair. */
} fn_host_t;

typedef struct fn_env {
    char **vars; /* "K=V" strings, owned. */
    size_t n;
} fn_env_t;

struct eng_fn {
    atomic_int refs;        /* The registry holds one while registered. */
    eng_fn_registry_t *reg; /* Borrowed; outlives every function. */
    char *name, *runtime, *handler, *code_path, *description;
    char *arn;
    char *role;          /* Echoed in FunctionConfiguration; not enforced. */
    size_t n_user_env;   /* env.vars[0..n_user_env) came from Environment. */
    unsigned timeout_ms; /* Timeout * 1000, or set by tests. */
    unsigned memory_mb;
    int64_t code_size;      /* Bytes of the .so at creation. */
    char last_modified[40]; /* ISO 8601, Lambda's format. */
    bool is_in_process;     /* Mode chosen at creation. */
    fn_env_t env;           /* Environment.Variables. */
    pthread_mutex_t mu;     /* Guards everything below. */
    pthread_cond_t cv;      /* Signalled when a host becomes idle. */
    fn_host_t *idle;        /* Warm hosts, a stack. */
    size_t n_idle;
    unsigned n_live;            /* Hosts alive (idle + busy), <= max_hosts. */
    void *dl;                   /* In-process: dlopen handle once loaded. */
    eddy_handler_fn handler_fn; /* In-process: resolved handler. */
    char *load_error_type;      /* In-process: sticky load failure. */
    char *load_error_message;
};

struct eng_fn_registry {
    char *region;
    char *host_path;
    unsigned max_hosts;
    size_t max_event_bytes;
    bool is_in_process_allowed;
    pthread_mutex_t mu; /* Guards fns and the queue. */
    eng_fn_t **fns;     /* Sorted by name. */
    size_t n_fns, cap_fns;
    pthread_cond_t queue_cv; /* Workers wait here. */
    struct fn_job *head, *tail;
    bool is_closing;
    pthread_t *workers;
    unsigned n_workers;
};

/* The host-mode invocation: fills raw or reports an outcome in res. */
int fn__host_invoke(eng_fn_t *fn, const char *request_id, const char *event, size_t len,
                    eng_fn_result_t *res, fn_raw_t *raw, bool *is_done);
void fn__host_kill_idle(eng_fn_t *fn);

/* Result building shared by both modes. */
void fn__result_error(eng_fn_result_t *res, const char *type, const char *message);
void fn__make_request_id(char out[37]);
void fn__iso_time(char *buf, size_t size);

/* Registry: insert `fn` taking the caller's reference (see registry.c). */
int fn__registry_insert(eng_fn_registry_t *reg, eng_fn_t *fn, bool is_replace, eng_fn_t **replaced);

void fn__queue_start(eng_fn_registry_t *reg, unsigned n);
void fn__queue_stop(eng_fn_registry_t *reg);

#endif
