/* SPDX-License-Identifier: MIT
 * store.h: DynamoDB-style tables in one LMDB environment, plus a change log
 * that records every committed item change in the same transaction, in
 * commit order. One writer thread owns every write transaction and commits
 * whatever is queued as one group; readers use reusable read transactions
 * and never wait for it. Items are canonical DynamoDB-JSON text, stored with
 * their DynamoDB size so reads splice the bytes without re-encoding.
 * This module knows DynamoDB's data model (numbers, keys, items, stream
 * records); it knows nothing of HTTP, requests or libuv loops. */
#ifndef STORE_H
#define STORE_H

#include "engine/mem.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t; /* Opaque. One per data directory. */
typedef struct store_reader
    store_reader_t; /* Opaque. One reusable read txn; one thread at a time. */
typedef struct store_cursor store_cursor_t; /* Opaque. An ordered walk over a table's items. */

typedef enum store_durability {
    STORE_DURABILITY_FULL = 0, /* fsync at every commit (default). */
    STORE_DURABILITY_RELAXED,  /* fsync deferred by at most 1 s. */
    STORE_DURABILITY_NONE,     /* Never fsync explicitly; the OS decides. */
} store_durability_t;

typedef struct store_config {
    const char *dir; /* Data directory; created if missing. */
    store_durability_t durability;
    size_t initial_map_bytes; /* Starting LMDB map size; 0 = default. Grows on demand. */
    const char *region;       /* awsRegion written in stream records. */
} store_config_t;

/* Parse "full", "relaxed" or "none". Returns 0 or ENG_EINVAL. */
int store_durability_parse(const char *name, store_durability_t *out);

/* Open (creating if needed) the environment in cfg->dir and start the writer
 * thread. On 0 the caller owns *out and must call store_close.
 * Returns 0, ENG_EACCES (directory not writable), ENG_EBUSY (another eddy
 * holds the directory), ENG_ECORRUPT or ENG_EIO. Blocks on disk I/O. */
int store_open(const store_config_t *cfg, store_t **out);

/* Finish every queued write (their done callbacks run), stop the writer,
 * sync and close. All readers must be destroyed first. NULL is a no-op. Blocks. */
void store_close(store_t *store);

/* Register `cb`, run on the writer thread after each commit that appended
 * change-log records (the trigger dispatcher wakes on it). One callback;
 * set before any write. */
typedef void (*store_commit_cb)(void *arg);
void store_set_commit_cb(store_t *store, store_commit_cb cb, void *arg);

/* ---- Numbers ---------------------------------------------------------- */

/* Normalize a DynamoDB number: at most 38 significant digits, magnitude
 * 1E-130 to 9.9999999999999999999999999999999999999E+125 (or zero); leading
 * and trailing zeros dropped ("01.50" -> "1.5", "-0" -> "0", "1e3" -> "1000").
 * On 0 appends the canonical text to `out`. On ENG_EINVAL, *why (if not NULL)
 * is DynamoDB's message, a static string, e.g. "The parameter cannot be
 * converted to a numeric value" or "Attempting to store more than 38
 * significant digits in a Number". */
int store_num_normalize(eng_slice_t in, eng_buf_t *out, const char **why);

/* Compare two normalized numbers numerically: <0, 0, >0. */
int store_num_cmp(eng_slice_t a, eng_slice_t b);

/* ---- Keys -------------------------------------------------------------- */

typedef enum store_ktype { STORE_KT_S = 'S', STORE_KT_N = 'N', STORE_KT_B = 'B' } store_ktype_t;

/* One key attribute value: S as its UTF-8 bytes, N as normalized text,
 * B as its decoded raw bytes. Borrowed. */
typedef struct store_keyval {
    store_ktype_t type;
    eng_slice_t val;
} store_keyval_t;

#define STORE_KEY_ATTRS_MAX 4 /* HASH (and RANGE) attributes of a GSI's multi-attribute key. */
#define STORE_KEY_MAX 480     /* Encoded key bytes; below LMDB's 511 with room for the table id. */

/* An encoded primary key (without the table id; storage adds it). Keys sort
 * by a 32-bit hash of the partition key (so Scan segments are disjoint hash
 * ranges), then the partition key, then the sort key in DynamoDB's order
 * (S and B bytewise, N numerically). Partition keys up to 2048 bytes and sort
 * keys up to 1024 bytes fit: long ones are cut and completed by a 128-bit
 * hash, and the full key is kept with the item so no two keys can be
 * confused (see docs/storage.md for the one ordering caveat). */
#define STORE_KEY_FULL_MAX                                                                         \
    3088 /* Uncut encoding of the longest key (2048-byte pk, 1024-byte sk). */

typedef struct store_key {
    uint8_t buf[STORE_KEY_MAX];
    size_t len;
    size_t full_len; /* 0 unless the key was cut: then `full` is the uncut encoding. */
    uint8_t
        full[STORE_KEY_FULL_MAX]; /* Stored with the item so a lookup of a cut key is verified. */
} store_key_t;

/* Encode (pk, sk); sk is NULL for a hash-only table. Returns 0 or ENG_EINVAL
 * (pk empty or over 2048 bytes, sk over 1024 bytes, bad number text). */
int store_key_encode(const store_keyval_t *pk, const store_keyval_t *sk, store_key_t *out);

/* The 32-bit partition hash a key starts with (Scan segment i of n covers
 * hashes [i * 2^32 / n, (i + 1) * 2^32 / n)). */
uint32_t store_key_hash(const store_key_t *key);

/* ---- Items ------------------------------------------------------------- */

/* Validate an item given as a DynamoDB JSON object ({"a":{"S":"x"},...}) and
 * append its canonical text to `out`: attribute names sorted bytewise at every
 * map level, numbers normalized, sets checked non-empty and duplicate-free.
 * *size_bytes gets the item's size as DynamoDB counts it (names' UTF-8 bytes
 * plus values). On ENG_EINVAL *why is DynamoDB's ValidationException message
 * (a static string or one formatted into `why_buf`); ENG_ETOOBIG, with its
 * message likewise, is a value nested past 32 levels. Does not check keys or
 * the 400 KB limit; the caller does, knowing the table. */
int store_item_canon(const cJSON *item, eng_buf_t *out, size_t *size_bytes, const char **why,
                     eng_buf_t *why_buf);

/* ---- Tables ------------------------------------------------------------ */

typedef struct store_table {
    uint32_t id;         /* Unique for the life of the directory; never reused. */
    eng_slice_t name;    /* Borrowed until store_read_end. */
    eng_slice_t meta;    /* The JSON the API layer stored; borrowed until store_read_end. */
    uint64_t item_count; /* Items now in the table. */
    uint64_t size_bytes; /* Sum of the items' DynamoDB sizes. */
    uint64_t last_seq;   /* Highest change-log sequence number, 0 if none. */
} store_table_t;

/* ---- Writes (through the writer thread) -------------------------------- */

typedef enum store_wkind {
    STORE_W_PUT,          /* Put `item` at `key`. */
    STORE_W_DELETE,       /* Delete the item at `key` (absent: no change, no record). */
    STORE_W_TABLE_CREATE, /* Create table `table` with `meta`; ENG_EEXIST if present. */
    STORE_W_TABLE_UPDATE, /* Replace the meta of `table`; ENG_ENOTFOUND if absent. */
    STORE_W_TABLE_DELETE, /* Delete `table`, its items and its log; ENG_ENOTFOUND if absent. */
    STORE_W_KV_PUT,       /* Engine record: set key `table` to bytes `item` (the "sys" database). */
    STORE_W_KV_DELETE,    /* Engine record: delete key `table` (absent: ENG_ENOTFOUND). */
    STORE_W_LOG_TRIM,     /* Delete change-log records of `table_id` with seq <= trim_upto,
                           * at most STORE_TRIM_MAX of them, oldest first. */
} store_wkind_t;

typedef struct store_write store_write_t;

/* Optional hook run on the writer thread inside the write transaction, with
 * the current item (old.ptr NULL when absent), or for TABLE_UPDATE with the
 * current meta (it may then rewrite w->item, the new meta), or for
 * TABLE_DELETE with the current meta. It may veto the write by
 * returning ENG_ECONDITION, or rewrite w->kind / w->item / w->item_size (an
 * UpdateItem computes its new item here). Any other negative return fails the
 * write with that code. Must not block. */
typedef int (*store_check_cb)(store_write_t *w, eng_slice_t old, void *arg);

struct store_write {
    store_wkind_t kind;
    uint32_t table_id;     /* Items: the id from store_table_get; a mismatch is ENG_ENOTFOUND. */
    eng_slice_t table;     /* Table DDL: the name. Borrowed until done. */
    store_key_t key;       /* Items: encoded primary key. */
    eng_slice_t keys_json; /* Items: {"pk":{"S":"a"}} for the stream record. Borrowed until done. */
    eng_slice_t item;      /* PUT: canonical item text; TABLE_*: meta JSON. Borrowed until done. */
    uint32_t item_size;    /* PUT: DynamoDB size of `item`. */
    store_check_cb check;  /* Optional; see above. */
    void *check_arg;
    bool want_old;      /* Copy the previous item (or table meta) into `old`. */
    bool is_service;    /* Items: the change is DynamoDB's own (a TTL expiry): its stream
                         * record carries "userIdentity" (type Service). */
    uint64_t trim_upto; /* LOG_TRIM: the highest sequence number that may go. */

    /* Results, set before the batch's done callback runs. */
    int err;       /* 0, ENG_ENOTFOUND, ENG_EEXIST, ENG_ECONDITION, ENG_ENOSPC, ENG_EIO. */
    bool had_old;  /* An item (or table) existed before. */
    eng_buf_t old; /* want_old && had_old: its text. The caller frees it. */
    uint64_t seq;  /* Items: change-log sequence number appended; 0 if nothing
                    * changed. TABLE_UPDATE: the table's last sequence number,
                    * set before `check` runs (a stream enabled by this update
                    * starts after it). LOG_TRIM: the highest seq deleted, 0 if
                    * none. */
};

typedef struct store_batch store_batch_t;
typedef void (*store_done_cb)(store_batch_t *batch);

/* A group of writes handed to the writer at once. With is_atomic, either all
 * writes apply or none does (the first failure's code is in that write's err
 * and in batch->err); otherwise each write succeeds or fails on its own. */
struct store_batch {
    store_write_t *writes; /* Borrowed until done runs. */
    size_t n_writes;
    bool is_atomic;
    store_done_cb done;   /* Runs once, on the writer thread, after the commit
                           * holding the batch returned (durable before visible),
                           * or after the batch failed. Must not block. */
    void *arg;            /* For the caller. */
    int err;              /* Batch-level result: 0, ENG_ECLOSED, ENG_ENOSPC or ENG_EIO
                           * (the whole group failed), or the atomic failure. */
    store_batch_t *next_; /* Private to storage. */
};

/* Queue `batch` for the writer. Thread-safe, never blocks. The batch and
 * everything it points to stay the caller's, borrowed until done runs.
 * After store_close began, done runs at once with ENG_ECLOSED. */
void store_submit(store_t *store, store_batch_t *batch);

/* Submit `batch` and block until its done has run; sets batch->done and
 * batch->arg itself (the caller's are ignored). Returns batch->err. The batch
 * is the caller's throughout. Blocks: any thread but the writer. */
int store_submit_wait(store_t *store, store_batch_t *batch);

/* Wait until every batch submitted before this call has run its done
 * callback (shutdown uses it so no completion outlives the modules it calls
 * into). Blocks. Any thread but the writer. */
void store_flush(store_t *store);

/* ---- Reads (any thread, one reader per thread) ------------------------- */

/* Create a reader: a read transaction kept reset between uses. Caller owns it
 * (store_reader_destroy, before store_close). Returns 0 or ENG_EIO. */
int store_reader_create(store_t *store, store_reader_t **out);
void store_reader_destroy(store_reader_t *r);

/* Renew the reader's snapshot / release it. Everything borrowed from a reader
 * is valid only between these two calls. Never waits for the writer. */
int store_read_begin(store_reader_t *r);
void store_read_end(store_reader_t *r);

/* Look up a table by name. Returns 0 or ENG_ENOTFOUND. */
int store_table_get(store_reader_t *r, eng_slice_t name, store_table_t *out);

/* The first table whose name sorts after `after` (empty: the first table).
 * Returns 0 or ENG_ENOTFOUND when there is none. */
int store_table_next(store_reader_t *r, eng_slice_t after, store_table_t *out);

/* Get the item at `key`. On 0 *item is the canonical text, borrowed until
 * store_read_end. Returns 0 or ENG_ENOTFOUND. */
int store_item_get(store_reader_t *r, uint32_t table_id, const store_key_t *key, eng_slice_t *item);

typedef struct store_range {
    const store_key_t *after;  /* Start strictly after this key (NULL: from the start). */
    const store_key_t *prefix; /* Only keys starting with these bytes (NULL: all). */
    uint32_t hash_lo, hash_hi; /* Only partition hashes in [lo, hi]; 0 and UINT32_MAX for all. */
    bool is_reverse;           /* Walk from the end. */
} store_range_t;

/* Open a cursor over the items of `table_id` within `range`. Valid until
 * store_read_end; close it before. Returns 0 or ENG_EIO. */
int store_cursor_open(store_reader_t *r, uint32_t table_id, const store_range_t *range,
                      store_cursor_t **out);

/* Step to the next item. On 0, *item (canonical text) and *key are borrowed
 * until the next call. Returns 0 or ENG_ENOTFOUND at the end. */
int store_cursor_next(store_cursor_t *c, eng_slice_t *item, store_key_t *key);
void store_cursor_close(store_cursor_t *c);

/* The DynamoDB size of the item the last store_cursor_next returned (kept
 * with the item, so no parse is needed); 0 before the first. */
uint32_t store_cursor_size(const store_cursor_t *c);

#define STORE_TRIM_MAX 1024 /* Records one LOG_TRIM write deletes at most: keeps commits short. */

/* Read engine record `key` (written with STORE_W_KV_PUT). On 0 *val is
 * borrowed until store_read_end. Returns 0 or ENG_ENOTFOUND. */
int store_kv_get(store_reader_t *r, eng_slice_t key, eng_slice_t *val);

/* The first engine record whose key starts with `prefix` and sorts after
 * `after` (empty: the first with that prefix). On 0 *key and *val are
 * borrowed until the next call or store_read_end. Returns 0 or ENG_ENOTFOUND. */
int store_kv_next(store_reader_t *r, eng_slice_t prefix, eng_slice_t after, eng_slice_t *key,
                  eng_slice_t *val);

/* Read the change-log record of `table_id` with the smallest sequence number
 * greater than `after_seq`. On 0, *seq is its number and *record its stream
 * record JSON ({"eventID":..,"eventName":..,"dynamodb":{..}}), borrowed
 * until store_read_end. Returns 0 or ENG_ENOTFOUND. */
int store_log_next(store_reader_t *r, uint32_t table_id, uint64_t after_seq, uint64_t *seq,
                   eng_slice_t *record);

/* ---- Time to live ------------------------------------------------------- */

/* The TTL sweeper: a thread that, every interval, walks the tables whose
 * meta holds "TimeToLiveSpecification":{"AttributeName":"x","Enabled":true}
 * (written by the API layer) in chunks of at most STORE_TTL_CHUNK items per
 * read snapshot, and deletes each item whose attribute x is a Number of
 * epoch seconds in the past (but not more than five years past, as in
 * DynamoDB), on the condition that the item is unchanged since it was read.
 * Each deletion appends a REMOVE record marked is_service. */
typedef struct store_ttl store_ttl_t; /* Opaque. */
#define STORE_TTL_CHUNK 256
#define STORE_TTL_MEMBER "TimeToLiveSpecification"

/* Start the sweeper on `store`, pausing `interval_ms` (> 0) between passes.
 * On 0 the caller owns *out (store_ttl_stop, before store_close).
 * Returns 0, ENG_EINVAL (interval 0) or ENG_EIO (no thread or reader). */
int store_ttl_start(store_t *store, uint32_t interval_ms, store_ttl_t **out);
/* Stop the sweeper: finishes the chunk in flight, joins the thread, frees
 * it. NULL is a no-op. Blocks for at most one chunk's commit. */
void store_ttl_stop(store_ttl_t *ttl);

/* ---- Expressions -------------------------------------------------------- */

/* DynamoDB's expression language: one recursive-descent parser building an
 * AST for condition, filter, key-condition, projection and update
 * expressions, an evaluator over DynamoDB-JSON items ({"a":{"S":"x"}}), and
 * builders that translate the legacy parameters into the same AST. Every
 * validation message is DynamoDB's own text (a ValidationException). */

typedef struct store_expr_ctx store_expr_ctx_t; /* Opaque. One per request. */
typedef struct store_expr store_expr_t;         /* Opaque. One parsed expression. */

typedef enum store_expr_kind {
    STORE_EXPR_CONDITION,     /* ConditionExpression. */
    STORE_EXPR_FILTER,        /* FilterExpression (same grammar, own message prefix). */
    STORE_EXPR_KEY_CONDITION, /* KeyConditionExpression. */
    STORE_EXPR_PROJECTION,    /* ProjectionExpression. */
    STORE_EXPR_UPDATE,        /* UpdateExpression. */
} store_expr_kind_t;

/* Comparison operators, also the sort-key condition of a Query. */
typedef enum store_expr_op {
    STORE_EXPR_OP_NONE = 0, /* No sort-key condition. */
    STORE_EXPR_OP_EQ,
    STORE_EXPR_OP_NE,
    STORE_EXPR_OP_LT,
    STORE_EXPR_OP_LE,
    STORE_EXPR_OP_GT,
    STORE_EXPR_OP_GE,
    STORE_EXPR_OP_BETWEEN,     /* values[0] <= x <= values[1]. */
    STORE_EXPR_OP_BEGINS_WITH, /* values[0] is the prefix. */
} store_expr_op_t;

/* Create the context of one request from its ExpressionAttributeNames and
 * ExpressionAttributeValues (either may be NULL). Both are borrowed and must
 * outlive the context and every expression parsed with it. The context
 * records which names and values the request's expressions use.
 * Returns 0 or ENG_EINVAL with DynamoDB's message in `why` (empty map,
 * malformed key, invalid value such as an empty set). On 0 the caller owns
 * *out (store_expr_ctx_destroy).
 * Pure computation; any thread, one thread at a time per context. */
int store_expr_ctx_create(const cJSON *names, const cJSON *values, store_expr_ctx_t **out,
                          eng_buf_t *why);

/* Destroy a context. NULL is a no-op. Expressions parsed with it stay valid
 * as long as the names/values JSON lives. */
void store_expr_ctx_destroy(store_expr_ctx_t *ctx);

/* After every expression of the request was parsed: 0, or ENG_EINVAL with
 * "Value provided in ExpressionAttributeNames unused in expressions: keys:
 * {#a, #b}" (names are checked first, then values) in `why`. */
int store_expr_ctx_check_unused(const store_expr_ctx_t *ctx, eng_buf_t *why);

/* Parse `text` (len bytes) as an expression of `kind`, resolving #names and
 * :values through `ctx` (marking them used). On 0 the caller owns *out
 * (store_expr_destroy); it borrows ctx's names/values JSON. Returns 0 or
 * ENG_EINVAL with DynamoDB's full message, prefix included ("Invalid
 * UpdateExpression: Syntax error; token: \"=\", near: \"a = = :v\""), in `why`. */
int store_expr_parse(store_expr_ctx_t *ctx, store_expr_kind_t kind, const char *text, size_t len,
                     store_expr_t **out, eng_buf_t *why);

/* Destroy an expression. NULL is a no-op. */
void store_expr_destroy(store_expr_t *expr);

/* The kind an expression was parsed (or built) as. */
store_expr_kind_t store_expr_kind(const store_expr_t *expr);

/* Evaluate a CONDITION, FILTER or KEY_CONDITION expression against `item`
 * (a DynamoDB-JSON object; NULL means no item). Comparisons follow DynamoDB:
 * numbers numerically, S and B bytewise, different types never equal, a
 * missing attribute never compares true (except with <>). Never fails. */
bool store_expr_eval(const store_expr_t *expr, const cJSON *item);

/* Apply an UPDATE expression to `item` (a DynamoDB-JSON object, modified in
 * place; pass an empty object for a new item). Operands read the item as it
 * was before the update. Returns 0, or ENG_EINVAL with DynamoDB's runtime
 * message in `why` ("The provided expression refers to an attribute that
 * does not exist in the item", "An operand in the update expression has an
 * incorrect data type", "The document path provided in the update expression
 * is invalid for update", number overflow...); on error `item` is unchanged. */
int store_expr_update(const store_expr_t *expr, cJSON *item, eng_buf_t *why);

/* store_expr_update for an item that does not exist yet (`item` holds the
 * key alone): the same, except that REMOVE of a nested path whose parent is
 * missing is ignored, as DynamoDB does, instead of being "The document path
 * provided in the update expression is invalid for update". Returns
 * ENG_ENOTFOUND (item untouched) when the expression only REMOVEs (for
 * AttributeUpdates: only DELETEs): DynamoDB then does not create the item. */
int store_expr_update_new(const store_expr_t *expr, cJSON *item, eng_buf_t *why);

/* Build the projection of `item` by a PROJECTION expression: nested paths
 * keep their structure and selected list elements collapse in index order.
 * *out is a new object owned by the caller (eng_json_delete); attributes
 * that do not exist are left out. Never fails. */
void store_expr_project(const store_expr_t *expr, const cJSON *item, cJSON **out);

/* The parts of a KEY_CONDITION a Query needs. Values are borrowed from the
 * expression (and through it from the request JSON). */
typedef struct store_key_cond {
    const cJSON *pk_value;     /* {"S":"x"}: the (first) partition key equality value. */
    store_expr_op_t sk_op;     /* Last RANGE attribute named; STORE_EXPR_OP_NONE: none. */
    const cJSON *sk_values[2]; /* One value, two for BETWEEN. */
    /* Multi-attribute keys: every HASH value, in KeySchema order (hash_values[0] is
     * pk_value), and the conditions on the gap-free prefix of RANGE attributes named
     * (all equalities but maybe the last, which is sk_op/sk_values). */
    const cJSON *hash_values[STORE_KEY_ATTRS_MAX];
    int n_ranges;
    struct {
        store_expr_op_t op;
        const cJSON *values[2];
    } ranges[STORE_KEY_ATTRS_MAX];
} store_key_cond_t;

/* Check a KEY_CONDITION against the key schema `s` (a table's or an index's,
 * multi-attribute GSI keys included) and extract its parts. Returns 0 or
 * ENG_EINVAL with DynamoDB's message in `why` ("Query condition missed key
 * schema element: id", "Query key condition not supported", "RANGE key
 * attributes b must have equality conditions specified in the query because
 * a condition is present on key attribute c"). Pure; any thread. */
typedef struct store_schema store_schema_t; /* Below, with the schemas. */
int store_expr_key_cond(const store_expr_t *expr, const store_schema_t *s, store_key_cond_t *out,
                        eng_buf_t *why);

/* Does a CONDITION, FILTER or KEY_CONDITION expression read top-level
 * attribute `name` anywhere (a Query refuses filters on its key
 * attributes)? False for NULL. Pure; any thread. */
bool store_expr_names_attr(const store_expr_t *expr, const char *name);

/* Check that a request does not mix expression and legacy parameters.
 * `legacy` and `modern` are NULL-terminated lists of the parameter names
 * present in the request. Returns 0, or ENG_EINVAL with "Can not use both
 * expression and non-expression parameters in the same request:
 * Non-expression parameters: {AttributesToGet} Expression parameters:
 * {ProjectionExpression}" in `why`. */
int store_expr_check_mixed(const char *const *legacy, const char *const *modern, eng_buf_t *why);

/* Legacy parameters, translated into the same AST (the result is owned by
 * the caller, store_expr_destroy, and copies what it needs from the JSON):
 * - KeyConditions, QueryFilter, ScanFilter: `conds` maps attribute names to
 *   {"ComparisonOperator":"EQ","AttributeValueList":[...]}; `kind` is
 *   KEY_CONDITION or FILTER; `conditional_operator` is "AND", "OR" or NULL.
 * - Expected: as conditions, and also the {"Value":..,"Exists":..} form;
 *   kind CONDITION.
 * Returns 0 or ENG_EINVAL with DynamoDB's message in `why`. */
int store_expr_from_legacy_conditions(store_expr_kind_t kind, const cJSON *conds,
                                      const char *conditional_operator, store_expr_t **out,
                                      eng_buf_t *why);

/* AttributesToGet (an array of names) as a PROJECTION. Returns 0 or ENG_EINVAL
 * ("One or more parameter values were invalid: Duplicate value in attribute
 * name: a"). */
int store_expr_from_legacy_attributes(const cJSON *names, store_expr_t **out, eng_buf_t *why);

/* AttributeUpdates ({"a":{"Action":"PUT","Value":{...}}}) as an UPDATE.
 * Returns 0 or ENG_EINVAL with DynamoDB's message. */
int store_expr_from_legacy_updates(const cJSON *updates, store_expr_t **out, eng_buf_t *why);

/* ---- Schemas ------------------------------------------------------------ */

/* A table's (or index's) primary key, as DynamoDB's KeySchema and
 * AttributeDefinitions declare it. Plain data; copy freely. */
#define STORE_NAME_MAX 255 /* Longest key attribute name DynamoDB accepts. */

/* A GSI may name up to 4 HASH and up to 4 RANGE attributes; tables and LSIs
 * one of each. pk/sk are always the first of each kind, so single-attribute
 * code reads them as before; the others follow in more_hash/more_range, in
 * KeySchema order. A multi-attribute key encodes its HASH tuple as one
 * partition key and its RANGE tuple so that it sorts attribute by attribute
 * (see store_schema_key); a single-attribute key encodes exactly as before. */
typedef struct store_schema {
    bool has_sk; /* A sort key (RANGE) is declared. */
    store_ktype_t pk_type, sk_type;
    char pk[STORE_NAME_MAX + 1]; /* Partition key attribute name. */
    char sk[STORE_NAME_MAX + 1]; /* Sort key attribute name; "" when none. */
    bool has_lsi;                /* store_schema_parse: the table has a local secondary index. */
    uint8_t n_more_hash, n_more_range; /* HASH/RANGE attributes after pk/sk (0-3 each). */
    store_ktype_t more_hash_type[STORE_KEY_ATTRS_MAX - 1], more_range_type[STORE_KEY_ATTRS_MAX - 1];
    char more_hash[STORE_KEY_ATTRS_MAX - 1][STORE_NAME_MAX + 1];
    char more_range[STORE_KEY_ATTRS_MAX - 1][STORE_NAME_MAX + 1];
} store_schema_t;

/* HASH attributes of `s` (1-4) and RANGE attributes (0-4; 0 when !has_sk, so
 * clearing has_sk leaves the HASH part: a Query prefix). Pure. */
static inline int store_schema_n_hash(const store_schema_t *s)
{
    return 1 + s->n_more_hash;
}
static inline int store_schema_n_range(const store_schema_t *s)
{
    return s->has_sk ? 1 + s->n_more_range : 0;
}

/* The name of the i-th HASH (is_range false) or RANGE attribute of `s`, in
 * KeySchema order, and its type into *type (may be NULL). `i` must be below
 * store_schema_n_hash / store_schema_n_range. Borrowed from `s`. Pure. */
const char *store_schema_attr(const store_schema_t *s, bool is_range, int i, store_ktype_t *type);

/* Is `name` one of the key attributes of `s` (any HASH or RANGE)? Pure. */
bool store_schema_has_attr(const store_schema_t *s, const char *name);

/* Parse the KeySchema and AttributeDefinitions members of a table meta JSON
 * (store_table_t.meta, or a CreateTable body). Returns 0 or ENG_ECORRUPT
 * (missing or inconsistent members). Pure; any thread. */
int store_schema_parse(eng_slice_t meta, store_schema_t *out);

/* Same, from an already parsed KeySchema array and AttributeDefinitions
 * array (a secondary index's KeySchema with its table's definitions).
 * Returns 0 or ENG_ECORRUPT. */
int store_schema_from_json(const cJSON *key_schema, const cJSON *defs, store_schema_t *out);

/* Build the primary key of `obj`: an item when !is_exact (other attributes
 * allowed), a Key object when is_exact (exactly the key attributes). On 0
 * fills *key and, if keys_json is not NULL, appends the key's canonical JSON
 * ({"id":{"S":"a"},"n":{"N":"1"}}: names sorted, numbers normalized) to it.
 * Returns 0 or ENG_EINVAL with DynamoDB's message in `why` (reset first):
 * "The provided key element does not match the schema", "One or more
 * parameter values were invalid: Missing the key id in the item", "...Type
 * mismatch for key id expected: S actual: N", empty key values, size limits.
 * On ENG_EINVAL *fault (when not NULL) says which rule broke, for callers
 * whose answer depends on it. Pure; any thread. */
typedef enum store_key_fault {
    STORE_KEY_NO_MATCH, /* Not the schema's shape, or an attribute missing. */
    STORE_KEY_TYPE,     /* A key attribute of another type. */
    STORE_KEY_EMPTY,    /* An empty string or binary key value. */
    STORE_KEY_VALUE,    /* A bad number or base64 value, or a size limit. */
} store_key_fault_t;
int store_schema_key(const store_schema_t *s, const cJSON *obj, bool is_exact, store_key_t *key,
                     eng_buf_t *keys_json, eng_buf_t *why, store_key_fault_t *fault);

/* ---- Conditional and update writes --------------------------------------- */

/* A store_update_t turns one store_write_t into a conditional write or an
 * UpdateItem: its check callback (run on the writer thread, possibly more
 * than once for one write when the writer replays a group) evaluates the
 * condition on the current item and, for an update, computes the new item
 * with the expression engine (seeded with the key when the item is absent,
 * as DynamoDB creates it), canonicalizes it and points w->item at it.
 * Lifecycle: create, attach to a write, submit the batch, read the results
 * once the batch's done callback ran, destroy. */
typedef struct store_update store_update_t; /* Opaque. One per write. */

enum {
    STORE_UPDATE_KEEP_OLD =
        1 << 0, /* Keep the current item's text (also when the condition fails). */
    STORE_UPDATE_CHECK_ONLY = 1 << 1, /* Only the condition: the write changes nothing (a
                                       * transaction's ConditionCheck); w->kind is rewritten. */
};

/* Create an update from parsed expressions: `update` (kind UPDATE) or NULL
 * for a conditional Put or Delete; `cond` (kind CONDITION) or NULL. Takes
 * ownership of both, even on failure; they keep borrowing the request's
 * names/values JSON, which must outlive *out. `s` is the table's schema:
 * an update that sets or removes a key attribute is refused here.
 * `item_max_bytes` is the size limit after the update (0: 400 KB).
 * Returns 0 or ENG_EINVAL with "One or more parameter values were invalid:
 * Cannot update attribute id. This attribute is part of the key" in `why`.
 * On 0 the caller owns *out (store_update_destroy). */
int store_update_create(const store_schema_t *s, store_expr_t *update, store_expr_t *cond,
                        unsigned flags, size_t item_max_bytes, store_update_t **out,
                        eng_buf_t *why);

/* Convenience for staged writes: parse `update_text` (NULL: none) and
 * `cond_text` (NULL: none) with `names`/`values` (either NULL), reject unused
 * names and values, then store_update_create. The JSON is borrowed and must
 * outlive *out. Returns 0 or ENG_EINVAL with DynamoDB's message in `why`. */
int store_update_parse(const store_schema_t *s, const char *update_text, const char *cond_text,
                       const cJSON *names, const cJSON *values, unsigned flags,
                       store_update_t **out, eng_buf_t *why);

/* Attach `u` to `w`: sets w->check and w->check_arg. With an update
 * expression w becomes a PUT whose item the check computes (w->key and
 * w->keys_json must be the item's key, from store_schema_key); otherwise w
 * keeps its kind and item and only the condition is checked. `u` must stay
 * alive until the batch's done callback ran. */
void store_update_attach(store_update_t *u, store_write_t *w);

/* After done ran: why the check failed with ENG_EINVAL (DynamoDB's runtime
 * message, e.g. "The provided expression refers to an attribute that does not
 * exist in the item" or "Item size to update has exceeded the maximum allowed
 * size"), or NULL. Borrowed until store_update_destroy. */
const char *store_update_why(const store_update_t *u);

/* After done ran: the item before the write (with STORE_UPDATE_KEEP_OLD;
 * {NULL, 0} when it did not exist) and, for an update that applied, the new
 * item. Canonical text, borrowed until store_update_destroy. */
eng_slice_t store_update_old(const store_update_t *u);
eng_slice_t store_update_new(const store_update_t *u);

/* After an update applied: append the attributes it touched, projected from
 * the old item (is_new false: UPDATED_OLD) or from the new one (UPDATED_NEW),
 * as a DynamoDB-JSON object ("{}" when none). Needs STORE_UPDATE_KEEP_OLD for
 * the old side. */
void store_update_changed(const store_update_t *u, bool is_new, eng_buf_t *out);

/* Destroy an update and its expressions. NULL is a no-op. */
void store_update_destroy(store_update_t *u);

/* ---- Indexes ------------------------------------------------------------- */

/* Secondary indexes are declared in the table meta the API layer stores
 * (members GlobalSecondaryIndexes and LocalSecondaryIndexes, each entry with
 * IndexName, KeySchema and Projection {ProjectionType, NonKeyAttributes};
 * key attribute types come from the meta's AttributeDefinitions). Storage
 * reads them at TABLE_CREATE and TABLE_UPDATE: an index new to the table gets
 * an id and is backfilled from the table's items in that same transaction,
 * an index gone from the meta is dropped. From then on every PUT and DELETE
 * of the table updates the index entries in the write's own transaction:
 * an item lacking an index key attribute has no entry (sparse), and a PUT
 * whose index key attribute has the wrong type fails with ENG_EINVAL before
 * anything changed. Each entry holds the projected item (canonical text) and
 * is walked with the item cursor API (store_cursor_next, store_cursor_close). */

typedef struct store_index {
    uint32_t id;         /* Index id: the cursor prefix of its entries. */
    uint64_t item_count; /* Entries now in the index. */
    uint64_t size_bytes; /* Sum of the projected items' DynamoDB sizes. */
} store_index_t;

/* Look up index `name` of table `table_id`. Returns 0 or ENG_ENOTFOUND
 * (ENG_ECORRUPT/ENG_EIO on a damaged store). Any thread, between
 * store_read_begin and store_read_end. */
int store_index_get(store_reader_t *r, uint32_t table_id, eng_slice_t name, store_index_t *out);

/* Build the key of one index entry from the index key's partition part
 * (`ipk`: store_schema_key with the index schema minus its sort key, i.e.
 * the Query prefix), the whole index key (`ikey`) and the table's primary key
 * (`tkey`). Entries order by index partition, then index sort key, then table
 * key. An entry longer than STORE_KEY_MAX is cut and completed by a 128-bit
 * hash (same ordering caveat as long item keys). Pure; any thread. */
void store_index_key(const store_key_t *ipk, const store_key_t *ikey, const store_key_t *tkey,
                     store_key_t *out);

/* Open a cursor over the entries of index `index_id` within `range` (whose
 * keys are entry keys from store_index_key; hash_lo/hi select index partition
 * hashes). store_cursor_next yields the projected item text and the entry
 * key. Valid until store_read_end. Returns 0 or ENG_EIO. */
int store_index_cursor_open(store_reader_t *r, uint32_t index_id, const store_range_t *range,
                            store_cursor_t **out);

#endif
