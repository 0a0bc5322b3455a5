/* SPDX-License-Identifier: MIT
 * ddbs.c: the DynamoDB Streams front door (DynamoDBStreams_20120810.*):
 * per-thread state, dispatch through a sorted table, replies and errors,
 * the lookup of a stream from its table's meta, and ListStreams and
 * DescribeStream. Streams are read-only here: they are created by
 * UpdateTable/CreateTable (ddb_table.c) and fed by the change log. Each
 * stream has exactly one shard (see docs/streams.md). */
#include "gateway/ddbs_int.h"
#include "gateway/gw_int.h"
#include "gateway/wire_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_PREFIX "DynamoDBStreams_20120810."
#define CONTENT_TYPE "application/x-amz-json-1.0"
#define ERR_NS "com.amazonaws.dynamodb.v20120810#"

static void on_request(gw_req_t *req, void *arg);

/* ---- dispatch ------------------------------------------------------------ */

typedef struct op_entry {
    const char *name;
    void (*fn)(ddbs_call_t *c);
} op_entry_t;

static const op_entry_t OPS[] = {
    /* Sorted by name for bsearch. */
    {.name = "DescribeStream", .fn = ddbs__op_describe_stream},
    {.name = "GetRecords", .fn = ddbs__op_get_records},
    {.name = "GetShardIterator", .fn = ddbs__op_get_shard_iterator},
    {.name = "ListStreams", .fn = ddbs__op_list_streams},
};

/* The Streams operations' top-level scalar members by wire type, sorted. */
static const gw_wire_member_t MEMBERS[] = {
    {.name = "ExclusiveStartShardId", .type = GW_WIRE_STRING},
    {.name = "ExclusiveStartStreamArn", .type = GW_WIRE_STRING},
    {.name = "Limit", .type = GW_WIRE_INTEGER},
    {.name = "SequenceNumber", .type = GW_WIRE_STRING},
    {.name = "ShardId", .type = GW_WIRE_STRING},
    {.name = "ShardIterator", .type = GW_WIRE_STRING},
    {.name = "ShardIteratorType", .type = GW_WIRE_STRING},
    {.name = "StreamArn", .type = GW_WIRE_STRING},
    {.name = "TableName", .type = GW_WIRE_STRING},
};

static void on_request(gw_req_t *req, void *arg)
{
    gw_ddbs_t *ddbs = arg;
    ddbs_call_t c = {.ddbs = ddbs, .th = &ddbs->threads[gw_req_thread(req)], .req = req};
    eng_slice_t target = {0};
    gw_req_header(req, "X-Amz-Target", &target);
    const op_entry_t *op =
        gw__op_find(OPS, ENG_ARRAY_LEN(OPS), sizeof(OPS[0]), target, sizeof(TARGET_PREFIX) - 1);
    if (!op) {
        ddbs__reply_err(&c, DDBS_E_UNKNOWN_OP, NULL);
        return;
    }
    eng_slice_t body = gw_req_body(req);
    cJSON *root = NULL;
    if (eng_json_parse(body.ptr ? body.ptr : "", body.len, &root) < 0 || !cJSON_IsObject(root)) {
        eng_json_delete(root);
        /* Same Coral wording as the DynamoDB front door (gateway/ddb.c). */
        ddbs__reply_err(&c, DDBS_E_SERIALIZATION,
                        body.len ? "Start of structure or map found where not expected."
                                 : "Request body is not valid JSON");
        return;
    }
    gw__wire_drop_nulls(root);
    eng_buf_t why = {0};
    if (gw__wire_error(root, MEMBERS, ENG_ARRAY_LEN(MEMBERS), NULL, &why)) {
        ddbs__reply_err(&c, DDBS_E_SERIALIZATION, why.ptr);
        eng_buf_free(&why);
        eng_json_delete(root);
        return;
    }
    c.body = root;
    op->fn(&c);
    if (c.is_reading)
        store_read_end(c.th->reader);
    eng_json_delete(root);
}

/* ---- replies --------------------------------------------------------------- */

typedef struct err_entry {
    const char *type;
    int status;
} err_entry_t;

static const err_entry_t ERRS[] = {
    [DDBS_E_VALIDATION] = {ERR_NS "ValidationException", 400},
    [DDBS_E_NOT_FOUND] = {ERR_NS "ResourceNotFoundException", 400},
    [DDBS_E_EXPIRED] = {ERR_NS "ExpiredIteratorException", 400},
    [DDBS_E_TRIMMED] = {ERR_NS "TrimmedDataAccessException", 400},
    [DDBS_E_SERIALIZATION] = {"com.amazon.coral.service#SerializationException", 400},
    [DDBS_E_UNKNOWN_OP] = {"com.amazon.coral.service#UnknownOperationException", 400},
    [DDBS_E_INTERNAL] = {ERR_NS "InternalServerError", 500},
};

static void respond(ddbs_call_t *c, int status, eng_slice_t body)
{
    char id[40];
    int n = snprintf(id, sizeof(id), "EDDYS%02u%016" PRIX64 "EMVJF66Q9ASUAAJG", c->th->index % 100u,
                     ++c->th->n_requests);
    gw_header_t h[] = {{.name = "x-amzn-RequestId", .value = eng_slice(id, (size_t)n)}};
    gw_respond(c->req, status, CONTENT_TYPE, body, h, ENG_ARRAY_LEN(h));
}

void ddbs__reply(ddbs_call_t *c, eng_slice_t body)
{
    respond(c, 200, body);
}

void ddbs__reply_err(ddbs_call_t *c, ddbs_err_t type, const char *msg)
{
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"__type\":");
    eng_json_append_string(out, ERRS[type].type, strlen(ERRS[type].type));
    if (msg) {
        eng_buf_append_str(out, ",\"message\":");
        eng_json_append_string(out, msg, strlen(msg));
    }
    eng_buf_append_char(out, '}');
    respond(c, ERRS[type].status, eng_slice(out->ptr, out->len));
}

void ddbs__reply_fmt(ddbs_call_t *c, ddbs_err_t type, const char *fmt, ...)
{
    eng_buf_t msg = {0};
    va_list ap;
    va_start(ap, fmt);
    eng_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    ddbs__reply_err(c, type, msg.ptr ? msg.ptr : "");
    eng_buf_free(&msg);
}

int ddbs__limit(ddbs_call_t *c, int max, int dflt, int *out)
{
    const cJSON *lim = eng_json_get(c->body, "Limit");
    *out = dflt;
    if (!lim)
        return 0;
    double v = cJSON_IsNumber(lim) ? lim->valuedouble : 0;
    if (v >= 1 && v <= max) {
        *out = (int)v;
        return 0;
    }
    ddbs__reply_fmt(c, DDBS_E_VALIDATION,
                    "1 validation error detected: Value '%.0f' at 'limit' failed to satisfy "
                    "constraint: Member must have value %s %d",
                    v, v < 1 ? "greater than or equal to" : "less than or equal to",
                    v < 1 ? 1 : max);
    return ENG_EINVAL;
}

/* ---- streams from table metas ---------------------------------------------- */

int ddbs__read(ddbs_call_t *c)
{
    if (c->is_reading)
        return 0;
    int err = store_read_begin(c->th->reader);
    c->is_reading = err == 0;
    return err;
}

uint64_t ddbs__oldest_seq(ddbs_call_t *c, const store_table_t *t)
{
    uint64_t seq;
    eng_slice_t rec;
    return store_log_next(c->th->reader, t->id, 0, &seq, &rec) == 0 ? seq : t->last_seq + 1;
}

static uint64_t num_member(const cJSON *o, const char *name, uint64_t dflt)
{
    const cJSON *v = eng_json_get(o, name);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble : dflt;
}

/* Fill the derived fields of `s` from its meta entry. */
static int stream_fill(gw_ddbs_t *ddbs, ddbs_stream_t *s)
{
    const cJSON *e = s->entry;
    if (strm_view_parse(eng_json_get_str(e, "StreamViewType"), &s->view) < 0)
        return ENG_ECORRUPT;
    const cJSON *created = eng_json_get(e, "CreationDateTime");
    s->created_s = cJSON_IsNumber(created) ? created->valuedouble : 0;
    /* Streams recorded before ranges existed start at the log's beginning. */
    s->start_seq = num_member(e, "StartSeq", 1);
    s->is_closed = eng_json_get(e, "DisabledDateTime") != NULL;
    s->end_seq = s->is_closed ? num_member(e, "EndSeq", s->table.last_seq) : s->table.last_seq;
    strm_shard_id(s->table_name, s->label, s->created_s, s->shard_id);
    snprintf(s->arn, sizeof(s->arn), "arn:aws:dynamodb:%s:" DDBS_ACCOUNT ":table/%s/stream/%s",
             ddbs->region, s->table_name, s->label);
    return 0;
}

int ddbs__stream_find(ddbs_call_t *c, const char *table, const char *label, ddbs_stream_t *s)
{
    *s = (ddbs_stream_t){0};
    int err = ddbs__read(c);
    if (err == 0)
        err = store_table_get(c->th->reader, eng_slice_cstr(table), &s->table);
    if (err < 0)
        return err;
    if (eng_json_parse(s->table.meta.ptr, s->table.meta.len, &s->meta) < 0)
        return ENG_ECORRUPT;
    s->table_name = eng_json_get_str(s->meta, "TableName");
    const cJSON *e;
    cJSON_ArrayForEach(e, eng_json_get(s->meta, "Streams"))
    {
        const char *l = eng_json_get_str(e, "StreamLabel");
        if (l && strcmp(l, label) == 0 && s->table_name) {
            s->entry = e;
            s->label = l;
            return stream_fill(c->ddbs, s);
        }
    }
    return ENG_ENOTFOUND;
}

/* Split a stream ARN into its table part [*t, *st) and label (*st + 8).
 * Returns false when `arn` does not have the shape of one. */
static bool arn_split(const char *arn, const char **t, const char **st)
{
    *t = strstr(arn, ":table/");
    *st = *t ? strstr(*t + 7, "/stream/") : NULL;
    return strncmp(arn, "arn:aws:dynamodb:", 17) == 0 && *st && *st != *t + 7 && (*st)[8];
}

bool ddbs__is_stream_arn(const char *arn)
{
    const char *t, *st;
    return arn_split(arn, &t, &st);
}

int ddbs__stream_by_arn(ddbs_call_t *c, const char *arn, ddbs_stream_t *s)
{
    *s = (ddbs_stream_t){0};
    const char *t, *st;
    if (!arn_split(arn, &t, &st))
        return ENG_EINVAL;
    char table[256];
    size_t n = (size_t)(st - (t + 7));
    if (n >= sizeof(table))
        return ENG_ENOTFOUND;
    memcpy(table, t + 7, n);
    table[n] = '\0';
    return ddbs__stream_find(c, table, st + 8, s);
}

void ddbs__stream_free(ddbs_stream_t *s)
{
    eng_json_delete(s->meta);
    s->meta = NULL;
}

/* ---- ListStreams ----------------------------------------------------------- */

/* Append the streams of one table's meta, skipping until `*start` (an ARN)
 * was passed. Returns false once `limit` entries are out and one more exists. */
static bool list_table(const store_table_t *t, const char **start, cJSON *arr, int limit,
                       char *last, size_t last_cap)
{
    cJSON *meta = NULL;
    if (eng_json_parse(t->meta.ptr, t->meta.len, &meta) < 0)
        return true;
    bool has_room = true;
    const cJSON *e;
    cJSON_ArrayForEach(e, eng_json_get(meta, "Streams"))
    {
        const char *arn = eng_json_get_str(e, "StreamArn");
        const char *label = eng_json_get_str(e, "StreamLabel");
        if (!arn || !label)
            continue;
        if (*start) {
            *start = strcmp(arn, *start) == 0 ? NULL : *start;
            continue;
        }
        if (cJSON_GetArraySize(arr) == limit) {
            has_room = false;
            break;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "StreamArn", arn);
        const char *name = eng_json_get_str(meta, "TableName");
        cJSON_AddStringToObject(o, "TableName", name ? name : "");
        cJSON_AddStringToObject(o, "StreamLabel", label);
        cJSON_AddItemToArray(arr, o);
        snprintf(last, last_cap, "%s", arn);
    }
    eng_json_delete(meta);
    return has_room;
}

/* Walk the tables (one when TableName is given). Returns 0 or ENG_ENOTFOUND. */
static int list_walk(ddbs_call_t *c, const char *table, const char *start, int limit, cJSON *root)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "Streams");
    char last[512] = "";
    store_table_t t;
    bool has_room = true;
    if (table) {
        int err = store_table_get(c->th->reader, eng_slice_cstr(table), &t);
        if (err < 0)
            return err;
        has_room = list_table(&t, &start, arr, limit, last, sizeof(last));
    }
    eng_slice_t after = eng_slice("", 0);
    while (!table && has_room && store_table_next(c->th->reader, after, &t) == 0) {
        has_room = list_table(&t, &start, arr, limit, last, sizeof(last));
        after = t.name;
    }
    if (!has_room)
        cJSON_AddStringToObject(root, "LastEvaluatedStreamArn", last);
    return 0;
}

void ddbs__op_list_streams(ddbs_call_t *c)
{
    int limit;
    if (ddbs__limit(c, 100, 100, &limit) < 0)
        return;
    const char *table = eng_json_get_str(c->body, "TableName");
    const char *start = eng_json_get_str(c->body, "ExclusiveStartStreamArn");
    if (start && !ddbs__is_stream_arn(start)) {
        ddbs__reply_fmt(c, DDBS_E_VALIDATION, "Invalid ExclusiveStartStreamArn: %s", start);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    int err = ddbs__read(c);
    if (err == 0)
        err = list_walk(c, table, start, limit, root);
    if (err == ENG_ENOTFOUND) {
        ddbs__reply_fmt(c, DDBS_E_NOT_FOUND, "Requested resource not found: Table: %s not found",
                        table);
    } else if (err < 0) {
        ddbs__reply_err(c, DDBS_E_INTERNAL, "Internal server error");
    } else {
        eng_buf_reset(&c->th->out);
        eng_json_print(root, &c->th->out);
        ddbs__reply(c, eng_slice(c->th->out.ptr, c->th->out.len));
    }
    eng_json_delete(root);
}

/* ---- lifecycle ------------------------------------------------------------- */

void gw_ddbs_destroy(gw_ddbs_t *ddbs)
{
    if (!ddbs)
        return;
    for (unsigned i = 0; i < ddbs->n_threads; i++) {
        store_reader_destroy(ddbs->threads[i].reader);
        eng_buf_free(&ddbs->threads[i].out);
    }
    eng_free(ddbs->threads);
    eng_free(ddbs);
}

int gw_ddbs_create(gw_t *gw, store_t *store, const gw_ddbs_config_t *cfg, gw_ddbs_t **out)
{
    gw_ddbs_t *ddbs = eng_calloc(1, sizeof(*ddbs));
    ddbs->store = store;
    const char *region = cfg && cfg->region && *cfg->region ? cfg->region : "us-east-1";
    snprintf(ddbs->region, sizeof(ddbs->region), "%s", region);
    ddbs->iterator_ttl_ms = cfg && cfg->iterator_ttl_ms ? cfg->iterator_ttl_ms : 15u * 60u * 1000u;
    strm_iter_key_init(&ddbs->key);
    ddbs->n_threads = gw_threads(gw);
    ddbs->threads = eng_calloc(ddbs->n_threads, sizeof(*ddbs->threads));
    int err = 0;
    for (unsigned i = 0; i < ddbs->n_threads && err == 0; i++) {
        ddbs->threads[i].index = i;
        err = store_reader_create(store, &ddbs->threads[i].reader);
    }
    if (err == 0)
        err = gw_route_target(gw, TARGET_PREFIX, on_request, ddbs);
    if (err < 0) {
        ENG_ERROR("ddbs", "cannot start the DynamoDB Streams front door: %s", eng_strerror(err));
        gw_ddbs_destroy(ddbs);
        return err == ENG_EEXIST ? err : ENG_EIO;
    }
    *out = ddbs;
    return 0;
}
