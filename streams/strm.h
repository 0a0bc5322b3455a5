/* SPDX-License-Identifier: MIT
 * strm.h: everything that reads the change log. This section is the trigger
 * dispatcher: event source mappings (Lambda's CreateEventSourceMapping model,
 * persisted as engine records), the thread that turns new change-log records
 * into batched invocations with per-key order, filters, retries, bisect and
 * on-failure records, and durable checkpoints committed atomically with a
 * native handler's staged writes. Other sections belong to the Streams API. */
#ifndef STRM_H
#define STRM_H

#include "engine/fn/fn.h"
#include "engine/mem.h"
#include "storage/store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Filters (EventBridge pattern syntax; streams/filter.c) ------------ */

typedef struct strm_filter strm_filter_t; /* Opaque. One compiled FilterCriteria. */

/* Compile FilterCriteria ({"Filters":[{"Pattern":"<json text>"},...]}); NULL
 * or no filters compiles to "everything matches". On 0 the caller owns *out
 * (strm_filter_destroy). Returns 0 or ENG_EINVAL with Lambda's message in
 * `why` (a pattern that is not JSON, not an object, or an unknown operator).
 * Pure computation; any thread. */
int strm_filter_create(const cJSON *criteria, strm_filter_t **out, eng_buf_t *why);
void strm_filter_destroy(strm_filter_t *f);

/* True when `record` (one stream record as the function would get it)
 * matches at least one pattern, or when there are no patterns. Exact values
 * (numbers numerically), prefix, suffix, equals-ignore-case, anything-but,
 * numeric ranges and exists. Never fails; any thread. */
bool strm_filter_match(const strm_filter_t *f, const cJSON *record);

/* ---- Dispatch arithmetic (streams/dispatch_math.c) --------------------- */

/* The lane (0..n_lanes-1) of a record whose partition key is the Keys JSON
 * text `keys`: a stable hash, so a key always lands in the same lane. */
unsigned strm_lane_of(eng_slice_t keys, unsigned n_lanes);

/* The checkpoint of a mapping whose lanes have each processed every one of
 * their records up to done[i]: records up to the returned sequence number
 * are all processed, so a restart reads after it. */
uint64_t strm_ckpt_low(const uint64_t *done, unsigned n_lanes);

/* How many records of a batch of `n` stand before the lowest sequence number
 * a ReportBatchItemFailures response names. `seqs` are the batch's numbers in
 * order; `response` is the function's JSON. Returns n when nothing failed,
 * 0..n-1 for a partial success, or ENG_EINVAL when the response is malformed
 * or names an unknown record (Lambda then treats the whole batch as failed). */
int strm_batch_failures(const char *response, size_t len, const uint64_t *seqs, size_t n);

/* What to do after a function error on a batch of `n` records. */
typedef enum strm_retry_action {
    STRM_RETRY_SAME = 0, /* Retry the same batch after a backoff. */
    STRM_RETRY_BISECT,   /* Retry the first half; the second half follows. */
    STRM_RETRY_DISCARD,  /* Give up: record the batch on-failure, move past it. */
} strm_retry_action_t;

typedef struct strm_retry_policy {
    int max_attempts; /* MaximumRetryAttempts; -1 unlimited. */
    int max_age_s;    /* MaximumRecordAgeInSeconds; -1 unlimited. */
    bool is_bisect;   /* BisectBatchOnFunctionError. */
} strm_retry_policy_t;

/* Decide after the `attempts`-th failed retry (1 = the first failure) of a
 * batch of `n` records whose oldest is `age_ms` old. Bisected halves do not
 * spend retries; a single record or a bisect-less batch does. */
strm_retry_action_t strm_retry_decide(const strm_retry_policy_t *p, unsigned attempts, size_t n,
                                      uint64_t age_ms);

/* Backoff before retry number `attempts` (>= 1), in milliseconds: doubling
 * from 20 ms, capped at 1 s. */
uint64_t strm_retry_backoff_ms(unsigned attempts);

/* ---- The dispatcher (streams/dispatch*.c, streams/esm*.c) --------------- */

typedef struct strm_dispatch strm_dispatch_t; /* Opaque. Mappings, lanes, the thread. */

typedef struct strm_dispatch_config {
    store_t *store;         /* Borrowed; outlives the dispatcher. */
    eng_fn_registry_t *fns; /* Borrowed; outlives the dispatcher. */
    const char *region;     /* For ARNs; copied. NULL: "us-east-1". */
} strm_dispatch_config_t;

/* Load every persisted mapping and its checkpoint, take the store's commit
 * callback (set nothing else on it) and start the dispatcher thread. Call
 * before the first client write. On 0 the caller owns *out and must call
 * strm_dispatch_destroy before eng_fn_registry_destroy and store_close.
 * Returns 0, ENG_EIO or ENG_ECORRUPT (a stored mapping does not parse).
 * Main thread; blocks on reads. */
int strm_dispatch_create(const strm_dispatch_config_t *cfg, strm_dispatch_t **out);

/* Stop the thread: no new invocation starts; those in flight end (bounded by
 * their Timeout) and their commits finish. NULL is a no-op. Blocks. */
void strm_dispatch_destroy(strm_dispatch_t *d);

/* The result of a mapping operation, ready for the Lambda REST front door. */
typedef struct strm_reply {
    int status;             /* HTTP status: 200, 202, 204, 400, 404, 409 or 500. */
    const char *error_type; /* NULL on success, else Lambda's code (static string). */
    eng_buf_t body;         /* Success: the JSON body; error: the message. Caller frees. */
} strm_reply_t;

/* Lambda's event-source-mapping operations. `body` is the request JSON
 * (borrowed). Each fills `rep` (zero it first; the caller frees rep->body)
 * and returns 0 when the operation succeeded or a negative ENG_E* matching
 * rep->status (ENG_EINVAL 400, ENG_ENOTFOUND 404, ENG_EEXIST 409, ENG_EIO
 * 500). Create, Update and Delete block for one storage commit (rare admin
 * calls; the I/O thread waits about one fsync). Thread-safe.
 * With `is_manifest`, TableName may stand for EventSourceArn and an existing
 * mapping of the same function and stream is updated instead (idempotent). */
int strm_esm_create(strm_dispatch_t *d, const cJSON *body, bool is_manifest, strm_reply_t *rep);
int strm_esm_get(strm_dispatch_t *d, const char *uuid, strm_reply_t *rep);
int strm_esm_update(strm_dispatch_t *d, const char *uuid, const cJSON *body, strm_reply_t *rep);
int strm_esm_delete(strm_dispatch_t *d, const char *uuid, strm_reply_t *rep);

/* ListEventSourceMappings: optional FunctionName and EventSourceArn filters,
 * Marker (a UUID from NextMarker) and MaxItems (0: 100, at most 10,000). */
int strm_esm_list(strm_dispatch_t *d, const char *function_name, const char *source_arn,
                  const char *marker, unsigned max_items, strm_reply_t *rep);

/* Apply the manifest's "eventSourceMappings" array (CreateEventSourceMapping
 * bodies, TableName allowed). Returns 0, or the first failure's code with its
 * message in `why`. Blocks for the commits. Main thread, before serving. */
int strm_esm_apply_manifest(strm_dispatch_t *d, const cJSON *mappings, eng_buf_t *why);

/* Append the counters of one mapping (uuid) or of all (uuid NULL:
 * {"Mappings":[...]}) as JSON: Invocations, Errors, Records, Batches,
 * LastBatchSize, MaxBatchSize, IteratorAgeMs (last), MaxIteratorAgeMs,
 * Skipped (filtered), Discarded, Checkpoint. Returns 0 or ENG_ENOTFOUND.
 * Thread-safe. */
int strm_esm_metrics_json(strm_dispatch_t *d, const char *uuid, eng_buf_t *out);

/* Append {"Failures":[...]}: the on-failure records of mapping `uuid` in the
 * shape Lambda sends to an on-failure destination, oldest first (at most
 * `limit`, 0: 100). Returns 0, ENG_ENOTFOUND or ENG_EIO. Thread-safe. */
int strm_esm_failures_json(strm_dispatch_t *d, const char *uuid, unsigned limit, eng_buf_t *out);

/* ---- Streams API: records, shards, iterators (streams/stream.c, shard.c) --
 * The DynamoDB Streams model: one shard per stream, records cut down to a
 * stream's view type, opaque signed shard iterators. Streams are described
 * in each table's meta ("Streams" entries with StartSeq/EndSeq; see
 * docs/streams.md). */

typedef enum strm_view {
    STRM_VIEW_KEYS_ONLY = 0,
    STRM_VIEW_NEW_IMAGE,
    STRM_VIEW_OLD_IMAGE,
    STRM_VIEW_NEW_AND_OLD_IMAGES,
} strm_view_t;

/* Parse a StreamViewType name. Returns 0 or ENG_EINVAL. */
int strm_view_parse(const char *name, strm_view_t *out);

/* The StreamViewType name of `view` (a static string). */
const char *strm_view_name(strm_view_t view);

/* Append change-log record `rec` (as stored: NEW_AND_OLD_IMAGES) to `out`
 * as a record of a stream of `view`: NEW_AND_OLD_IMAGES is spliced as is;
 * narrower views copy the stored bytes minus the images they leave out and
 * with their own StreamViewType, never re-encoding an image. Returns 0 or
 * ENG_ECORRUPT (the record is not what storage writes; `out` is then
 * restored to its length on entry). Pure; any thread. */
int strm_record_append(eng_slice_t rec, strm_view_t view, eng_buf_t *out);

/* The ApproximateCreationDateTime (seconds) of a stored record.
 * Returns 0 or ENG_ECORRUPT. Pure; any thread. */
int strm_record_time(eng_slice_t rec, int64_t *out_s);

#define STRM_SHARD_ID_LEN 37 /* "shardId-" + 20 digits + "-" + 8 hex. */
#define STRM_ITER_MAX 600    /* Longest encoded iterator, NUL included. */

/* The id of a stream's only shard: "shardId-<20-digit creation ms>-<8 hex of
 * a hash of the table name and label>", stable across restarts. `out` gets
 * STRM_SHARD_ID_LEN chars and a NUL. Pure; any thread. */
void strm_shard_id(const char *table, const char *label, double created_s,
                   char out[STRM_SHARD_ID_LEN + 1]);

/* A position in one stream's shard. */
typedef struct strm_iter {
    char table[256];    /* Table name. */
    char label[64];     /* Stream label. */
    uint64_t after_seq; /* The next record served has a seq above this. */
    int64_t created_ms; /* Wall-clock ms when the iterator was handed out. */
} strm_iter_t;

typedef struct strm_iter_key {
    uint8_t k[16]; /* Secret for the integrity check; random per process. */
} strm_iter_key_t;

/* Fill `key` with random bytes (getrandom, falling back to the clock).
 * Iterators signed under one key fail the check under another, so they do
 * not survive a restart (documented in docs/streams.md). */
void strm_iter_key_init(strm_iter_key_t *key);

/* Append the opaque text of `it`, signed with `key`, to `out`. Pure. */
void strm_iter_encode(const strm_iter_key_t *key, const strm_iter_t *it, eng_buf_t *out);

/* Decode and verify iterator text. Returns 0 or ENG_EINVAL (malformed,
 * forged or too long). Expiry is the caller's decision (created_ms). Pure. */
int strm_iter_decode(const strm_iter_key_t *key, eng_slice_t text, strm_iter_t *out);

/* ---- Retention (streams/retention.c) ------------------------------------ */

typedef struct strm_retention strm_retention_t; /* Opaque. One background trimmer. */

typedef struct strm_retention_config {
    uint64_t retention_s; /* Records older than this go; 0 means the default, 24 h. */
    unsigned interval_ms; /* Pause between passes; 0 means the default, 60 s. */
} strm_retention_config_t;

/* Start a thread that, every interval, finds per table (every table: the
 * change log is always on) the highest seq whose ApproximateCreationDateTime
 * is older than the retention and trims up to it with STORE_W_LOG_TRIM, one
 * write of at most STORE_TRIM_MAX records at a time, waiting for each commit
 * before the next so writers are never stalled. On 0 the caller owns *out
 * and must call strm_retention_destroy before store_close. Returns 0 or
 * ENG_EIO. Main thread. */
int strm_retention_create(store_t *store, const strm_retention_config_t *cfg,
                          strm_retention_t **out);

/* Stop the thread (after the trim in flight commits) and free. NULL is a
 * no-op. Blocks briefly. Main thread. */
void strm_retention_destroy(strm_retention_t *ret);

#endif
