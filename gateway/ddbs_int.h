/* SPDX-License-Identifier: MIT
 * ddbs_int.h: private to gateway/ddbs*.c, the DynamoDB Streams front door.
 * Per-thread state (a reader and scratch buffers), the per-call context,
 * error replies with the Streams API's types, and the lookup of one stream
 * (its meta entry, log range and shard) from a table name and label. */
#ifndef GW_DDBS_INT_H
#define GW_DDBS_INT_H

#include "engine/json.h"
#include "gateway/gw.h"
#include "storage/store.h"
#include "streams/strm.h"

#include <stdbool.h>
#include <stdint.h>

#define DDBS_ACCOUNT "000000000000"
#define DDBS_MAX_RECORDS 1000        /* GetRecords returns at most this many... */
#define DDBS_MAX_BYTES (1024 * 1024) /* ...or about this many bytes. */

typedef enum ddbs_err {
    DDBS_E_VALIDATION = 0, /* ValidationException, 400. */
    DDBS_E_NOT_FOUND,      /* ResourceNotFoundException, 400. */
    DDBS_E_EXPIRED,        /* ExpiredIteratorException, 400. */
    DDBS_E_TRIMMED,        /* TrimmedDataAccessException, 400. */
    DDBS_E_SERIALIZATION,  /* SerializationException, 400. */
    DDBS_E_UNKNOWN_OP,     /* UnknownOperationException, 400. */
    DDBS_E_INTERNAL,       /* InternalServerError, 500. */
} ddbs_err_t;

typedef struct ddbs_thread {
    store_reader_t *reader; /* Owned; this I/O thread only. */
    eng_buf_t out;          /* Response body scratch, reused. */
    uint64_t n_requests;    /* Feeds x-amzn-RequestId. */
    unsigned index;         /* I/O thread index. */
} ddbs_thread_t;

struct gw_ddbs {
    store_t *store; /* Borrowed. */
    char region[64];
    unsigned iterator_ttl_ms; /* Shard iterators older than this are expired. */
    strm_iter_key_t key;      /* Signs shard iterators; fixed for the process. */
    unsigned n_threads;
    ddbs_thread_t *threads; /* Owned; n_threads of them. */
};

/* One call handled inline on a loop thread. */
typedef struct ddbs_call {
    gw_ddbs_t *ddbs;
    ddbs_thread_t *th;
    gw_req_t *req;
    const cJSON *body; /* The request object; freed after the op returns. */
    bool is_reading;   /* store_read_begin was called. */
} ddbs_call_t;

/* One stream of a table, as its meta describes it. */
typedef struct ddbs_stream {
    cJSON *meta;            /* Owned parsed table meta (ddbs__stream_free). */
    const cJSON *entry;     /* Its "Streams" entry, borrowed from meta. */
    store_table_t table;    /* Borrowed until the call's read ends. */
    const char *table_name; /* Borrowed from meta. */
    const char *label;      /* Borrowed from meta. */
    strm_view_t view;
    double created_s;   /* CreationDateTime of the stream. */
    uint64_t start_seq; /* First log seq that belongs to the stream. */
    uint64_t end_seq;   /* Last one: EndSeq when closed, else the table's last seq. */
    bool is_closed;     /* Disabled: its shard is closed. */
    char shard_id[STRM_SHARD_ID_LEN + 1];
    char arn[512];
} ddbs_stream_t;

/* Send 200 with `body` / an error of `type` with `msg` (NULL: none). Loop thread. */
void ddbs__reply(ddbs_call_t *c, eng_slice_t body);
void ddbs__reply_err(ddbs_call_t *c, ddbs_err_t type, const char *msg);
/* printf a message and reply with it as `type`. */
void ddbs__reply_fmt(ddbs_call_t *c, ddbs_err_t type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Begin the call's read snapshot (idempotent). Returns 0 or ENG_EIO. */
int ddbs__read(ddbs_call_t *c);

/* Find stream `label` of table `table`. On 0 the caller owns s->meta
 * (ddbs__stream_free). Returns 0, ENG_ENOTFOUND or ENG_ECORRUPT. */
int ddbs__stream_find(ddbs_call_t *c, const char *table, const char *label, ddbs_stream_t *s);
/* Same, from a stream ARN. Returns 0, ENG_EINVAL (not a stream ARN), ENG_ENOTFOUND. */
int ddbs__stream_by_arn(ddbs_call_t *c, const char *arn, ddbs_stream_t *s);
void ddbs__stream_free(ddbs_stream_t *s);
/* True when `arn` has the shape of a stream ARN (the stream may not exist). Pure. */
bool ddbs__is_stream_arn(const char *arn);

/* The lowest seq still in the table's log (last_seq + 1 when it is empty). */
uint64_t ddbs__oldest_seq(ddbs_call_t *c, const store_table_t *t);

/* Check an optional Limit member in [1, max]. Returns 0, or replies with a
 * ValidationException and returns ENG_EINVAL. *out gets the limit or `dflt`. */
int ddbs__limit(ddbs_call_t *c, int max, int dflt, int *out);

/* Operations. */
void ddbs__op_list_streams(ddbs_call_t *c);
void ddbs__op_describe_stream(ddbs_call_t *c);
void ddbs__op_get_shard_iterator(ddbs_call_t *c);
void ddbs__op_get_records(ddbs_call_t *c);

#endif
