/* SPDX-License-Identifier: MIT
 * ddb_int.h: private to gateway/ddb*.c. The DynamoDB front door's shared
 * pieces: the per-thread state (reader, scratch buffers, schema cache, pool
 * of write requests), the per-call context, error replies with DynamoDB's
 * types, key extraction and the write-request lifecycle (submit on the loop
 * thread, commit on the writer, reply back on the loop thread). */
#ifndef GW_DDB_INT_H
#define GW_DDB_INT_H

#include "engine/json.h"
#include "gateway/gw.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DDB_ITEM_MAX_BYTES 409600 /* 400 KB, DynamoDB's item size limit. */
#define DDB_NAME_MAX 255          /* Table and key attribute names. */
#define DDB_SCHEMA_CACHE 64       /* Direct-mapped per-thread schema slots. */
#define DDB_WREQ_POOL 256         /* Idle write requests kept per thread. */
#define DDB_INVALID "One or more parameter values were invalid: "
#define DDB_NO_MATCH "The provided key element does not match the schema"

typedef enum ddb_err {
    DDB_E_VALIDATION = 0, /* ValidationException, 400. */
    DDB_E_NOT_FOUND,      /* ResourceNotFoundException, 400. */
    DDB_E_IN_USE,         /* ResourceInUseException, 400. */
    DDB_E_SERIALIZATION,  /* SerializationException, 400. */
    DDB_E_UNKNOWN_OP,     /* UnknownOperationException, 400. */
    DDB_E_INTERNAL,       /* InternalServerError, 500. */
    DDB_E_CONDITION,      /* ConditionalCheckFailedException, 400. */
    DDB_E_TXN_CANCELED,   /* TransactionCanceledException, 400. */
    DDB_E_IDEMPOTENT,     /* IdempotentParameterMismatchException, 400. */
} ddb_err_t;

/* A table's primary key: storage's schema (storage/store.h, "Schemas"). */
typedef store_schema_t ddb_schema_t;

/* One per-thread schema cache slot, tagged with the table id. */
typedef struct ddb_slot {
    uint32_t table_id; /* Valid when is_set. */
    bool is_set;
    ddb_schema_t s;
} ddb_slot_t;

typedef struct ddb_wreq ddb_wreq_t;

typedef struct ddb_thread {
    store_reader_t *reader; /* Owned; this I/O thread only. */
    eng_buf_t out;          /* Response body scratch, reused. */
    eng_buf_t canon;        /* Canonical item scratch, reused. */
    eng_buf_t kbuf;         /* Key value bytes scratch, reused. */
    eng_buf_t why;          /* Formatted error messages, reused. */
    ddb_slot_t cache[DDB_SCHEMA_CACHE];
    uint64_t n_requests; /* Feeds x-amzn-RequestId. */
    unsigned index;      /* I/O thread index. */
    ddb_wreq_t *pool;    /* Idle write requests (singly linked). */
    size_t pool_len;
} ddb_thread_t;

struct gw_ddb {
    gw_t *gw;       /* Borrowed. */
    store_t *store; /* Borrowed. */
    char region[64];
    unsigned n_threads;
    ddb_thread_t *threads; /* Owned; n_threads of them. */
};

/* One call being handled inline on a loop thread. */
typedef struct ddb_call {
    gw_ddb_t *ddb;
    ddb_thread_t *th;
    gw_req_t *req;
    const cJSON *body; /* The request object; freed after the op returns... */
    cJSON *root;       /* ...unless an op took it (ddb__wreq_keep_body set this NULL). */
    bool is_reading;   /* store_read_begin was called. */
} ddb_call_t;

typedef void (*ddb_wdone_fn)(ddb_wreq_t *w);

/* Offsets of one write's texts inside ddb_wreq.data (which may move while it grows). */
typedef struct ddb_woff {
    size_t item_off, item_len;
    size_t keys_off, keys_len;
    size_t name_off, name_len; /* BatchWriteItem: the write's table name. */
    size_t icm_off, icm_len;   /* Its ItemCollectionMetrics entry (ddb__icm_mark); 0 if none. */
    store_update_t *upd;       /* Condition/update hook of this write; owned, may be NULL. */
} ddb_woff_t;

/* A request that needs the writer: lives from submit until its reply is sent. */
struct ddb_wreq {
    store_batch_t batch; /* batch.arg unused; container_of recovers us. */
    gw_post_t post;      /* Hop from the writer thread back to our loop. */
    gw_req_t *req;       /* Borrowed until answered. */
    gw_ddb_t *ddb;
    ddb_thread_t *th;
    ddb_wdone_fn on_done;  /* Loop thread: builds and sends the reply. */
    store_write_t *writes; /* Owned array of cap_writes. */
    ddb_woff_t *offs;      /* Owned array of cap_writes. */
    size_t n_writes, cap_writes;
    eng_buf_t data;  /* Items and keys texts of all writes. */
    eng_buf_t aux;   /* Op-specific text (table name, meta, reply). */
    cJSON *body;     /* The request JSON when its expressions are in flight; owned. */
    int mode;        /* Op-specific (ReturnValues etc.). */
    int rcc;         /* ReturnConsumedCapacity: 0 NONE, 1 TOTAL, 2 INDEXES. */
    double units;    /* Op-specific capacity accumulator. */
    size_t new_size; /* PutItem: size of the new item. */
    char table[DDB_NAME_MAX + 1];
    ddb_wreq_t *next_free;
};

/* Append a ',' unless `out` just opened an object or array. */
static inline void ddb__sep(eng_buf_t *out)
{
    if (out->len && out->ptr[out->len - 1] != '{' && out->ptr[out->len - 1] != '[')
        eng_buf_append_char(out, ',');
}

/* ---- replies (ddb.c) ---- */

/* Send 200 with `body`. Loop thread; ends the call. */
void ddb__reply(ddb_thread_t *th, gw_req_t *req, eng_slice_t body);
/* Send an error of `type` with `msg` (NULL: no message). */
void ddb__reply_err(ddb_thread_t *th, gw_req_t *req, ddb_err_t type, const char *msg);
/* Same, with raw JSON members (`extra`, e.g. "\"Item\":{...}") appended to the body. */
void ddb__reply_err_extra(ddb_thread_t *th, gw_req_t *req, ddb_err_t type, const char *msg,
                          eng_slice_t extra);
/* Map a storage error (ENG_ENOTFOUND etc.) to a reply. */
void ddb__reply_store_err(ddb_thread_t *th, gw_req_t *req, int err);
/* Reply an error of `type` whose message is printf-formatted. Loop thread. */
void ddb__reply_errf(ddb_thread_t *th, gw_req_t *req, ddb_err_t type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for a ValidationException, the common case. */
#define ddb__reply_validation(th, req, ...) ddb__reply_errf(th, req, DDB_E_VALIDATION, __VA_ARGS__)

/* ---- validation helpers (ddb.c) ---- */

/* Whether every character of `s` is one of DynamoDB's name characters,
 * [a-zA-Z0-9_.-] (true for ""). For table and index names. */
bool ddb__is_name_pattern(const char *s);
/* Check a table name (NULL: absent) given as member `field` of the request.
 * Returns 0, or ENG_EINVAL with *why the full message in th->why. */
int ddb__check_table_name(ddb_thread_t *th, const char *name, const char *field, const char **why);
/* The TableName member's string, or NULL. */
static inline const char *ddb__name_of(const cJSON *body)
{
    return eng_json_get_str(body, "TableName");
}
/* Begin the call's read snapshot (idempotent). Returns 0 or ENG_EIO. */
int ddb__read(ddb_call_t *c);
/* Find `name` and its schema. Returns 0, or ENG_ENOTFOUND / ENG_ECORRUPT /
 * ENG_EIO after replying the matching error (ResourceNotFoundException...).
 * The table and schema are borrowed until the call's read ends. */
int ddb__table(ddb_call_t *c, const char *name, store_table_t *t, const ddb_schema_t **s);
/* ddb__table without the reply: for callers to whom a missing table is an
 * answer, not an error. Same returns and lifetimes. */
int ddb__table_find(ddb_call_t *c, const char *name, store_table_t *t, const ddb_schema_t **s);
/* Parse KeySchema + AttributeDefinitions of a meta into `s`. Returns 0 or ENG_ECORRUPT. */
static inline int ddb__schema_parse(eng_slice_t meta, ddb_schema_t *s)
{
    return store_schema_parse(meta, s);
}
/* ReturnConsumedCapacity member: 0 NONE/absent, 1 TOTAL, 2 INDEXES, -1 invalid. */
int ddb__rcc(const cJSON *body);
/* The same for the member itself (NULL or not a string: 0). */
int ddb__rcc_of(const cJSON *member);

/* ---- request member rules (ddb_rules.c) ---- */

typedef enum ddb_rule_kind {
    DDB_RULE_TABLE,     /* A data-plane TableName: 1 to 255 of [a-zA-Z0-9_.-]. */
    DDB_RULE_REQUIRED,  /* An object member that must be present (Key, Item). */
    DDB_RULE_ENUM,      /* A string out of `values`, when present. */
    DDB_RULE_TABLE_MAP, /* An object whose keys are table names (BatchGetItem). */
    DDB_RULE_LENGTH,    /* A string of `min` to `max` characters, when present. */
    DDB_RULE_CAPACITY,  /* DDB_RULE_ENUM for ReturnConsumedCapacity, which the caller reads. */
} ddb_rule_kind_t;

/* One member constraint; an operation lists them in DynamoDB's report order. */
typedef struct ddb_rule {
    ddb_rule_kind_t kind;
    const char *member; /* JSON member name, e.g. "ReturnValues". */
    const char *field;  /* Its name in messages, e.g. "returnValues". */
    const char *values; /* DDB_RULE_ENUM: the set as DynamoDB prints it ("A, B"). */
    size_t min, max;    /* DDB_RULE_LENGTH: the bounds, in characters. */
} ddb_rule_t;

/* The capacity and collection-metrics enums, which most operations check. */
#define DDB_RULE_RCC                                                                               \
    {                                                                                              \
        .kind = DDB_RULE_CAPACITY, .member = "ReturnConsumedCapacity",                             \
        .field = "returnConsumedCapacity", .values = "INDEXES, TOTAL, NONE"                        \
    }
#define DDB_RULE_ICM                                                                               \
    {                                                                                              \
        .kind = DDB_RULE_ENUM, .member = "ReturnItemCollectionMetrics",                            \
        .field = "returnItemCollectionMetrics", .values = "SIZE, NONE"                             \
    }

#define DDB_RULES_FIRST_ONLY 1u /* With the required members present, report only the first. */

/* The members the rules looked up that callers go on to use, so no caller
 * looks them up again. Zero for a member without a rule or absent. */
typedef struct ddb_members {
    const char *table; /* DDB_RULE_TABLE's TableName; borrowed from c->body. */
    int rcc;           /* DDB_RULE_CAPACITY's value as ddb__rcc reads it. */
} ddb_members_t;

/* Check c->body against `rules`. DynamoDB reports every failed rule when a
 * required member is missing; otherwise a bad table name alone, else all
 * (or the first, with DDB_RULES_FIRST_ONLY). Returns 0 with *got filled,
 * or ENG_EINVAL after replying the ValidationException. Allocates nothing
 * when all pass. Loop thread. */
int ddb__rules_check(ddb_call_t *c, const ddb_rule_t *rules, size_t n, unsigned flags,
                     ddb_members_t *got);

/* ---- item collection metrics (ddb_icm.c) ---- */

/* ReturnItemCollectionMetrics of c->body: *is_on when it is SIZE and the
 * table of schema `s` (NULL: not known yet) has a local secondary index.
 * Returns 0, or ENG_EINVAL after replying DynamoDB's ValidationException for
 * a value other than SIZE or NONE. Loop thread. */
int ddb__icm_wanted(ddb_call_t *c, const ddb_schema_t *s, bool *is_on);
/* Append to w->data the {"ItemCollectionKey":{pk},"SizeEstimateRangeGB":
 * [0.0,1.0]} entry of w's last write (its key must be marked) and note it in
 * its offs (icm_off, icm_len). Loop thread. */
void ddb__icm_mark(ddb_wreq_t *w, const ddb_schema_t *s);
/* Append "ItemCollectionMetrics":{table:[entries]} (after a ',' unless
 * `out` just opened an object) for the writes that
 * succeeded and were marked, grouped by table name; nothing if none. Loop
 * thread. */
void ddb__icm_append(const ddb_wreq_t *w, eng_buf_t *out);
/* Append "ConsumedCapacity":{...} (after a separator) when rcc != 0. */
void ddb__append_capacity(eng_buf_t *out, int rcc, const char *table, double units);
/* Append one ConsumedCapacity object {"TableName":..,"CapacityUnits":..}. */
void ddb__capacity_obj(eng_buf_t *out, int rcc, const char *table, double units);

/* ---- write capacity in secondary indexes (ddb_wcap.c) ---- */

#define DDB_WCAP_INDEXES 32 /* DynamoDB allows 20 GSIs and 5 LSIs per table. */

/* One index of the table being charged. */
typedef struct ddb_wcap_ix {
    const char *name;     /* Borrowed from the wcap's meta, as are the next four. */
    const char *pk, *sk;  /* Index key attributes; sk NULL when there is none. */
    const char *proj;     /* ProjectionType. */
    const cJSON *include; /* INCLUDE: NonKeyAttributes. */
    bool is_gsi;
    double units; /* Write units charged so far. */
} ddb_wcap_ix_t;

/* Write capacity of one table's item writes, with their index share. */
typedef struct ddb_wcap {
    cJSON *meta;         /* The table's meta when it has indexes; owned. */
    const char *pk, *sk; /* The table's key attributes; borrowed from meta. */
    double table_units;  /* Sum of the table shares given to ddb__wcap_add. */
    bool is_txn;         /* A transaction's: each figure is also WriteCapacityUnits. */
    size_t n;            /* Indexes in ix. */
    ddb_wcap_ix_t ix[DDB_WCAP_INDEXES];
} ddb_wcap_t;

/* Write units of an item write of `bytes`: 1 KB each, at least one. */
double ddb__wcap_units(size_t bytes);
/* Start counting writes to `table`: reads its index definitions with a read
 * of its own. Returns 0 (a table without indexes too: only table units are
 * counted), ENG_ENOTFOUND, ENG_ECORRUPT or ENG_EIO; *cap is usable (and must
 * be closed) whatever it returns. Loop thread, outside a read. */
int ddb__wcap_open(ddb_thread_t *th, const char *table, ddb_wcap_t *cap);
/* Count one committed item write: `table_units` for the table, and what each
 * index is charged for turning item text `old` into `nw` (len 0: absent;
 * both borrowed for the call). Loop thread. */
void ddb__wcap_add(ddb_wcap_t *cap, eng_slice_t old, eng_slice_t nw, double table_units);
/* Append the ConsumedCapacity object of the writes counted: the total, and
 * for INDEXES (rcc 2) the Table share and the indexes that were charged;
 * with cap->is_txn every figure also as WriteCapacityUnits. Loop thread. */
void ddb__wcap_obj(const ddb_wcap_t *cap, int rcc, eng_slice_t table, eng_buf_t *out);
/* Release what ddb__wcap_open took (*cap may be reopened after). Loop thread. */
void ddb__wcap_close(ddb_wcap_t *cap);

/* ---- base64 (ddb.c) ---- */
int ddb__b64_decode(const char *s, size_t len, eng_buf_t *out);
void ddb__b64_encode(const unsigned char *p, size_t len, eng_buf_t *out);

/* ---- keys (ddb_key.c) ---- */

/* Build the primary key of `obj` (an item when !is_exact, a Key object when
 * is_exact: then it must hold exactly the key attributes) with
 * store_schema_key. Appends the key's canonical JSON to `keys_json` when not
 * NULL. The message lives in th->why.
 * Returns 0 or ENG_EINVAL with *why DynamoDB's message and, when `fault` is
 * not NULL, which rule broke. */
int ddb__key_build(ddb_thread_t *th, const ddb_schema_t *s, const cJSON *obj, bool is_exact,
                   store_key_t *key, eng_buf_t *keys_json, const char **why,
                   store_key_fault_t *fault);
/* Append {"pk":..,"sk":..} taken from a stored item's text (for LastEvaluatedKey). */
int ddb__key_of_item(const ddb_schema_t *s, const cJSON *item, eng_buf_t *out);
/* Validate and canonicalize a whole item (size limit included) into `out`.
 * Returns 0, ENG_ETOOBIG (nested past 32 levels) or ENG_EINVAL, with *why. */
int ddb__item_canon(ddb_thread_t *th, const cJSON *item, eng_buf_t *out, size_t *size,
                    const char **why);
/* The DynamoDB size of a stored item's text; 0 if it does not parse. */
size_t ddb__item_size(ddb_thread_t *th, eng_slice_t text);
/* DynamoDB's refusal of a value nested past 32 levels (the value itself is
 * level 1, scalars too). */
#define DDB_NEST_MSG                                                                               \
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "    \
    "beyond supported limit"
/* Levels of M and L wrapped around the deepest scalar of AttributeValue `v`
 * (0 for a scalar, -1 for a value holding nothing). Recursion is bounded by
 * cJSON's parse nesting limit. */
int ddb__value_depth(const cJSON *v);

/* ---- expressions (ddb_expr.c) ---- */

enum {                      /* Which expression parameters (and legacy twins) an operation takes. */
       DDB_X_PROJ = 1 << 0, /* ProjectionExpression / AttributesToGet. */
       DDB_X_FILTER = 1 << 1, /* FilterExpression / ScanFilter / QueryFilter. */
       DDB_X_KEY = 1 << 2,    /* KeyConditionExpression / KeyConditions. */
       DDB_X_COND = 1 << 3,   /* ConditionExpression / Expected. */
       DDB_X_UPDATE = 1 << 4, /* UpdateExpression / AttributeUpdates. */
};

/* A request's parsed expressions; each NULL when absent. Owned. */
typedef struct ddb_exprs {
    store_expr_ctx_t *ctx;
    store_expr_t *proj, *filter, *key, *cond, *update;
} ddb_exprs_t;

/* Parse the `which` expressions of `body` (an object holding them and their
 * ExpressionAttributeNames/Values), refusing mixed styles and unused names
 * or values. The expressions borrow `body`, which must outlive them; a body
 * naming no expression member leaves *x all NULL (no context either).
 * Returns 0 (free with ddb__exprs_free) or ENG_EINVAL with *why in th->why. */
int ddb__exprs_parse(ddb_thread_t *th, const cJSON *body, unsigned which, ddb_exprs_t *x,
                     const char **why);
/* Reply a ValidationException for a PutItem, UpdateItem or DeleteItem whose
 * expressions ddb__exprs_parse refused: `why` inside DynamoDB's "1 validation
 * error detected: " envelope (once). Loop thread; ends the call. */
void ddb__reply_write_exprs_err(ddb_thread_t *th, gw_req_t *req, const char *why);
/* Free what ddb__exprs_parse made; zeroes *x. */
void ddb__exprs_free(ddb_exprs_t *x);
/* Append `item_text` projected by `proj` (NULL: whole text) to `out`. */
void ddb__project(eng_slice_t item_text, const store_expr_t *proj, eng_buf_t *out);
/* Does the stored item text pass `filter` (NULL: always)? */
bool ddb__filter_text(const store_expr_t *filter, eng_slice_t item_text);

/* ---- pages of Scan and Query (ddb_scan.c) ---- */

#define DDB_PAGE_BYTES (1024 * 1024) /* A page ends once the items read reach 1 MB. */

typedef struct ddb_index ddb_index_t;

typedef struct ddb_page {
    const char *table; /* Borrowed from the body. */
    const ddb_index_t
        *ix;       /* Query/Scan on an index (LastEvaluatedKey adds its keys); NULL otherwise. */
    int limit;     /* 0: none. */
    bool is_count; /* Select COUNT. */
    int rcc;
    ddb_exprs_t x;             /* Owned. */
    const store_expr_t *kcond; /* Query with a sort-key condition: evaluated per item; borrowed. */
    size_t count, scanned, bytes;
    size_t fetch_units; /* LSI fetches: 4 KB units of the table items read, summed per item. */
    bool has_more;
    eng_buf_t last; /* Text of the last item read (for LastEvaluatedKey). */
} ddb_page_t;

/* Limit, Select, ReturnConsumedCapacity, and the `which` expressions. Replies on failure. */
int ddb__page_args(ddb_call_t *c, unsigned which, ddb_page_t *p);
/* The table p->table (*t, its key schema *s) and, with IndexName, the index
 * (*ix, then p->ix = ix). Returns 0, or a negative ENG_* code after replying
 * (ResourceNotFoundException, ValidationException). Loop thread, read
 * begun; *t, *s and *ix are borrowed until the read ends. */
int ddb__page_open(ddb_call_t *c, ddb_page_t *p, store_table_t *t, const ddb_schema_t **s,
                   ddb_index_t *ix);
/* ExclusiveStartKey into *key, against the index p->ix if set, else the
 * table's schema s (has_start false when absent). Returns 0 or ENG_EINVAL
 * after replying the ValidationException. */
int ddb__page_start(ddb_call_t *c, const ddb_schema_t *s, const ddb_page_t *p, store_key_t *key,
                    bool *has_start);
/* Walk `range` of table `table_id` (or of the index p->ix when set) into one
 * page: items, counts, LastEvaluatedKey and capacity, and reply (errors
 * too). Within the call's read. */
void ddb__page_serve(ddb_call_t *c, const ddb_schema_t *s, uint32_t table_id,
                     const store_range_t *range, ddb_page_t *p);
void ddb__page_free(ddb_page_t *p);

/* ---- secondary indexes (ddb_index.c) ---- */

/* The AttributeName of KeySchema `ks`'s element with KeyType `type` (HASH or
 * RANGE), borrowed from `ks`, or NULL. */
const char *ddb__key_attr(const cJSON *ks, const char *type);
/* Does AttributeDefinitions `defs` name `name` (NULL: no)? */
bool ddb__is_defined(const cJSON *defs, const char *name);
/* The first AttributeName of KeySchema `ks` missing from `defs` (borrowed
 * from `ks`), or NULL. */
const char *ddb__undefined_attr(const cJSON *ks, const cJSON *defs);
/* DynamoDB's refusal of key attribute `key` missing from AttributeDefinitions
 * `defs` (whose names it lists), written into `m` (reset first); *why points
 * into it. Returns ENG_EINVAL. */
int ddb__undefined_key(eng_buf_t *m, const char *key, const cJSON *defs, const char **why);

/* An index resolved for one Query or Scan. */
struct ddb_index {
    uint32_t id;            /* Storage's index id (cursor prefix). */
    uint32_t table_id;      /* The table's id: fetches read its items. */
    bool is_gsi;            /* Global (else local). */
    bool is_all;            /* ProjectionType ALL. */
    bool is_fetch;          /* LSI: the request needs attributes the index does not hold. */
    bool is_whole;          /* LSI fetch for Select ALL_ATTRIBUTES: reply the table item. */
    ddb_schema_t s;         /* The index's key schema. */
    const ddb_schema_t *ts; /* The table's key schema; borrowed until the call's read ends. */
    char name[DDB_NAME_MAX + 1];
};

/* CreateTable: validate the request's GlobalSecondaryIndexes and
 * LocalSecondaryIndexes against meta's KeySchema and AttributeDefinitions
 * (already normalized there), copy them normalized into meta, and check that
 * every AttributeDefinition is used by some key. Returns 0 or ENG_EINVAL with
 * *why DynamoDB's message (static or in th->why). Loop thread. */
int ddb__index_create(ddb_call_t *c, cJSON *meta, const char **why);
/* UpdateTable: apply GlobalSecondaryIndexUpdates (Create, Delete) and the
 * request's AttributeDefinitions to meta. Returns 0 or ENG_EINVAL with *why
 * (*is_not_found: the error is a ResourceNotFoundException). */
int ddb__index_update(ddb_call_t *c, cJSON *meta, const char **why, bool *is_not_found);
/* DescribeTable: add GlobalSecondaryIndexes / LocalSecondaryIndexes of meta
 * to the description `d`; counts come from `r` (NULL: zeros); the GSI named
 * `creating` (NULL: none) is reported CREATING. `arn` is the table ARN. */
void ddb__index_describe(store_reader_t *r, uint32_t tid, const cJSON *meta, const char *arn,
                         const char *creating, cJSON *d);
/* Explain why storage refused to write `item` (canonical text) into `table`
 * with ENG_EINVAL when an index key attribute has the wrong type or an empty
 * value: appends DynamoDB's message to `out` (an update expression's wording
 * when is_update) and sets *is_type for a type mismatch. Returns 0,
 * ENG_ENOTFOUND (no index explains it) or ENG_EIO. Loop thread, outside a
 * read (it takes its own). */
int ddb__index_mismatch(ddb_thread_t *th, const char *table, eng_slice_t item, bool is_update,
                        eng_buf_t *out, bool *is_type);
/* Table `t`'s meta parsed, when it declares secondary indexes (for
 * ddb__index_check_item); NULL when it has none or does not parse (the write
 * itself then reports it). Caller owns the result (eng_json_delete). `t` is
 * borrowed from the caller's open read. Loop thread. */
cJSON *ddb__index_meta(const store_table_t *t);
/* Check a request item (DynamoDB JSON) against the indexes of `meta` (from
 * ddb__index_meta; NULL: no indexes) before it is queued. Returns 0, or
 * ENG_EINVAL with DynamoDB's message appended to `out` for an index key
 * attribute of the wrong type (*is_type) or an empty S or B value. Pure. */
int ddb__index_check_item(const cJSON *meta, const cJSON *item, eng_buf_t *out, bool *is_type);
/* CreateTable's Tags: validate the request's list and store it in `meta`.
 * Returns 0 (also when there are none) or ENG_EINVAL with *why (borrowed
 * from th->why or static). Loop thread. */
int ddb__tags_create(ddb_thread_t *th, const cJSON *body, cJSON *meta, const char **why);

/* Resolve IndexName `name` of table `t` (schema `ts`, both borrowed from the
 * call's read) and check ConsistentRead, Select, the projection and the
 * filter against it: a GSI refuses attributes it does not project, an LSI
 * sets ix->is_fetch so each result is read from the table. Returns 0, or a
 * negative code after replying. Loop thread, inside the call's read. */
int ddb__index_open(ddb_call_t *c, const store_table_t *t, const ddb_schema_t *ts, const char *name,
                    ddb_index_t *ix);
/* The table item behind index entry `entry` (parsed): on 0 *item is its
 * canonical text, borrowed until the call's read ends. Returns 0,
 * ENG_ENOTFOUND or ENG_EINVAL (the entry lacks a table key attribute). */
int ddb__index_fetch(ddb_call_t *c, const ddb_index_t *ix, const cJSON *entry, eng_slice_t *item);
/* Append "ConsumedCapacity" (after a separator, when rcc != 0) of an index
 * read: the index's units and the table's (LSI fetches), with the per-index
 * breakdown DynamoDB gives for INDEXES. */
void ddb__index_capacity(eng_buf_t *out, int rcc, const char *table, const ddb_index_t *ix,
                         double index_units, double table_units);
/* ExclusiveStartKey of an index Query/Scan (table and index keys) as an
 * entry key. Returns 0 or ENG_EINVAL after replying. */
int ddb__index_start(ddb_call_t *c, const ddb_schema_t *ts, const ddb_index_t *ix, store_key_t *key,
                     bool *has_start);
/* Append the LastEvaluatedKey of an index page: table and index key attributes of `item`. */
void ddb__index_last_key(const ddb_schema_t *ts, const ddb_index_t *ix, const cJSON *item,
                         eng_buf_t *out);

/* ---- write requests (ddb.c) ---- */

/* Take a write request from the thread's pool. Loop thread. */
ddb_wreq_t *ddb__wreq_get(ddb_call_t *c, ddb_wdone_fn on_done);
/* Add a write; its texts are appended to w->data with ddb__wreq_text. */
store_write_t *ddb__wreq_add(ddb_wreq_t *w);
/* Record that w->data[off, data.len) is the item (is_item) or keys text of the last write. */
void ddb__wreq_mark(ddb_wreq_t *w, size_t off, bool is_item);
/* Attach a condition and/or update (owned by the last write from now on,
 * even on failure) to the last write. Returns 0 or ENG_EINVAL with *why. */
int ddb__wreq_update(ddb_wreq_t *w, const ddb_schema_t *s, store_expr_t *upd, store_expr_t *cond,
                     unsigned flags, const char **why);
/* Keep the call's request JSON alive until the request ends (expressions borrow it). */
void ddb__wreq_keep_body(ddb_wreq_t *w, ddb_call_t *c);
/* Fix up the slices and hand the batch to the writer. */
void ddb__wreq_submit(ddb_wreq_t *w, bool is_atomic);
/* After the writer: the group's error if it failed whole, else the first
 * write's (0 when it applied). For single-write requests. Loop thread. */
static inline int ddb__wreq_err(const ddb_wreq_t *w)
{
    return w->batch.err ? w->batch.err : w->writes[0].err;
}
/* Return a request to the pool (or free it). Loop thread. */
void ddb__wreq_put(ddb_wreq_t *w);

/* ---- operations ---- */
void ddb__op_create_table(ddb_call_t *c);
void ddb__op_describe_table(ddb_call_t *c);
void ddb__op_list_tables(ddb_call_t *c);
void ddb__op_update_table(ddb_call_t *c);
void ddb__op_delete_table(ddb_call_t *c);
void ddb__op_put_item(ddb_call_t *c);
void ddb__op_get_item(ddb_call_t *c);
void ddb__op_delete_item(ddb_call_t *c);
void ddb__op_scan(ddb_call_t *c);
void ddb__op_query(ddb_call_t *c);
void ddb__op_update_item(ddb_call_t *c);
void ddb__op_transact_write(ddb_call_t *c);
void ddb__op_transact_get(ddb_call_t *c);
void ddb__op_batch_write(ddb_call_t *c);
void ddb__op_batch_get(ddb_call_t *c);
/* ddb_ttl.c: TTL, tags and the constant answers. */
void ddb__op_update_ttl(ddb_call_t *c);
void ddb__op_describe_ttl(ddb_call_t *c);
void ddb__op_tag_resource(ddb_call_t *c);
void ddb__op_untag_resource(ddb_call_t *c);
void ddb__op_list_tags(ddb_call_t *c);
void ddb__op_describe_endpoints(ddb_call_t *c);
void ddb__op_describe_limits(ddb_call_t *c);

/* Admin: GET /_eddy/tables/<name>/log?after=&limit= */
void ddb__admin_handle(gw_req_t *req, void *arg);

#endif
