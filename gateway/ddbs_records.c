/* SPDX-License-Identifier: MIT
 * ddbs_records.c: DescribeStream, GetShardIterator and GetRecords. A
 * stream's only shard holds the change-log records in [StartSeq, EndSeq]
 * (EndSeq: the table's last seq while the stream is enabled). Iterators are
 * signed positions (streams/shard.c); GetRecords splices the stored records
 * into the reply, cut to the stream's view type, straight from the map. */
#include "gateway/ddbs_int.h"

#include "engine/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void seq_text(uint64_t seq, char out[32])
{
    snprintf(out, 32, "%021" PRIu64, seq);
}

/* A required string member; replies "Value null at ..." when absent. */
static const char *required(ddbs_call_t *c, const char *member, const char *field)
{
    const char *v = eng_json_get_str(c->body, member);
    if (!v)
        ddbs__reply_fmt(c, DDBS_E_VALIDATION,
                        "1 validation error detected: Value null at '%s' failed to satisfy "
                        "constraint: Member must not be null",
                        field);
    return v;
}

/* Look a stream up by the request's StreamArn; replies on failure. */
static int stream_arg(ddbs_call_t *c, ddbs_stream_t *s)
{
    const char *arn = required(c, "StreamArn", "streamArn");
    if (!arn)
        return ENG_EINVAL;
    int err = ddbs__stream_by_arn(c, arn, s);
    if (err == ENG_EINVAL)
        ddbs__reply_fmt(c, DDBS_E_VALIDATION, "Invalid StreamArn: %s", arn);
    else if (err == ENG_ENOTFOUND)
        ddbs__reply_fmt(c, DDBS_E_NOT_FOUND, "Requested resource not found: Stream: %s not found",
                        arn);
    else if (err < 0)
        ddbs__reply_err(c, DDBS_E_INTERNAL, "Internal server error");
    return err;
}

/* ---- DescribeStream --------------------------------------------------------- */

static void add_shard(cJSON *shards, const ddbs_stream_t *s)
{
    char seq[32];
    cJSON *sh = cJSON_CreateObject();
    cJSON_AddStringToObject(sh, "ShardId", s->shard_id);
    cJSON *range = cJSON_AddObjectToObject(sh, "SequenceNumberRange");
    seq_text(s->start_seq, seq);
    cJSON_AddStringToObject(range, "StartingSequenceNumber", seq);
    if (s->is_closed) {
        seq_text(s->end_seq, seq);
        cJSON_AddStringToObject(range, "EndingSequenceNumber", seq);
    }
    cJSON_AddItemToArray(shards, sh);
}

static void describe(ddbs_call_t *c, const ddbs_stream_t *s, bool has_shard)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(root, "StreamDescription");
    cJSON_AddStringToObject(d, "StreamArn", s->arn);
    cJSON_AddStringToObject(d, "StreamLabel", s->label);
    cJSON_AddStringToObject(d, "StreamStatus", s->is_closed ? "DISABLED" : "ENABLED");
    cJSON_AddStringToObject(d, "StreamViewType", strm_view_name(s->view));
    cJSON_AddNumberToObject(d, "CreationRequestDateTime", s->created_s);
    cJSON_AddStringToObject(d, "TableName", s->table_name);
    const cJSON *ks = eng_json_get(s->meta, "KeySchema");
    if (ks)
        cJSON_AddItemToObject(d, "KeySchema", cJSON_Duplicate(ks, true));
    cJSON *shards = cJSON_AddArrayToObject(d, "Shards");
    if (has_shard)
        add_shard(shards, s);
    eng_buf_reset(&c->th->out);
    eng_json_print(root, &c->th->out);
    eng_json_delete(root);
    ddbs__reply(c, eng_slice(c->th->out.ptr, c->th->out.len));
}

void ddbs__op_describe_stream(ddbs_call_t *c)
{
    int limit;
    if (ddbs__limit(c, 100, 100, &limit) < 0)
        return;
    ddbs_stream_t s = {0}; /* Freed below even when stream_arg fails before filling it. */
    if (stream_arg(c, &s) == 0) {
        /* Shards are listed in id order after ExclusiveStartShardId, so an
         * id at or past the only shard's (even an unknown one) lists none. */
        const char *start = eng_json_get_str(c->body, "ExclusiveStartShardId");
        describe(c, &s, !start || strcmp(s.shard_id, start) > 0);
    }
    ddbs__stream_free(&s);
}

/* ---- GetShardIterator ------------------------------------------------------- */

typedef enum iter_type { IT_TRIM_HORIZON, IT_LATEST, IT_AT, IT_AFTER } iter_type_t;

static const char *const ITER_TYPES[] = {
    [IT_TRIM_HORIZON] = "TRIM_HORIZON",
    [IT_LATEST] = "LATEST",
    [IT_AT] = "AT_SEQUENCE_NUMBER",
    [IT_AFTER] = "AFTER_SEQUENCE_NUMBER",
};

static int iter_type_parse(const char *name, iter_type_t *out)
{
    for (size_t i = 0; name && i < ENG_ARRAY_LEN(ITER_TYPES); i++) {
        if (strcmp(name, ITER_TYPES[i]) == 0) {
            *out = (iter_type_t)i;
            return 0;
        }
    }
    return ENG_EINVAL;
}

static int seq_parse(const char *text, uint64_t *out)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > 21 || strspn(text, "0123456789") != n)
        return ENG_EINVAL;
    errno = 0;
    *out = strtoull(text, NULL, 10);
    return errno ? ENG_EINVAL : 0;
}

/* Where AT/AFTER_SEQUENCE_NUMBER starts; replies on failure. */
static int position_at(ddbs_call_t *c, const ddbs_stream_t *s, iter_type_t type, uint64_t *after)
{
    const char *text = eng_json_get_str(c->body, "SequenceNumber");
    uint64_t n = 0;
    /* An open shard with no record yet still accepts its StartingSequenceNumber. */
    uint64_t last = s->end_seq > s->start_seq ? s->end_seq : s->start_seq;
    if (seq_parse(text, &n) < 0 || n < s->start_seq || n > last) {
        ddbs__reply_fmt(c, DDBS_E_VALIDATION, "Invalid SequenceNumber %s for shard %s of stream %s",
                        text ? text : "null", s->shard_id, s->arn);
        return ENG_EINVAL;
    }
    if (n < ddbs__oldest_seq(c, &s->table)) {
        ddbs__reply_fmt(c, DDBS_E_TRIMMED,
                        "Requested sequence number %s is beyond the trim horizon of shard %s", text,
                        s->shard_id);
        return ENG_EINVAL;
    }
    *after = type == IT_AT ? n - 1 : n;
    return 0;
}

static int position(ddbs_call_t *c, const ddbs_stream_t *s, iter_type_t type, uint64_t *after)
{
    switch (type) {
    case IT_TRIM_HORIZON: {
        uint64_t oldest = ddbs__oldest_seq(c, &s->table);
        uint64_t first = s->start_seq > oldest ? s->start_seq : oldest;
        *after = first - 1 < s->end_seq ? first - 1 : s->end_seq;
        return 0;
    }
    case IT_LATEST:
        *after = s->end_seq;
        return 0;
    default:
        return position_at(c, s, type, after);
    }
}

/* AT/AFTER_SEQUENCE_NUMBER need a SequenceNumber, TRIM_HORIZON and LATEST
 * take none; replies on a mismatch. */
static int seq_combination(ddbs_call_t *c, iter_type_t type)
{
    bool has_seq = eng_json_get(c->body, "SequenceNumber") != NULL;
    bool needs_seq = type == IT_AT || type == IT_AFTER;
    if (has_seq == needs_seq)
        return 0;
    ddbs__reply_fmt(c, DDBS_E_VALIDATION,
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                    "SequenceNumber or (2) TRIM_HORIZON or LATEST and no SequenceNumber. "
                    "Request specified %s and %sSequenceNumber.",
                    ITER_TYPES[type], has_seq ? "" : "no ");
    return ENG_EINVAL;
}

static void reply_iterator(ddbs_call_t *c, const ddbs_stream_t *s, uint64_t after)
{
    strm_iter_t it = {.after_seq = after, .created_ms = now_ms()};
    snprintf(it.table, sizeof(it.table), "%s", s->table_name);
    snprintf(it.label, sizeof(it.label), "%s", s->label);
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"ShardIterator\":\"");
    strm_iter_encode(&c->ddbs->key, &it, out);
    eng_buf_append_str(out, "\"}");
    ddbs__reply(c, eng_slice(out->ptr, out->len));
}

void ddbs__op_get_shard_iterator(ddbs_call_t *c)
{
    ddbs_stream_t s = {0};
    iter_type_t type;
    const char *shard = NULL;
    const char *type_name = NULL;
    if (!required(c, "StreamArn", "streamArn") || !(shard = required(c, "ShardId", "shardId")) ||
        !(type_name = required(c, "ShardIteratorType", "shardIteratorType")))
        goto out;
    if (iter_type_parse(type_name, &type) < 0) {
        ddbs__reply_fmt(c, DDBS_E_VALIDATION,
                        "1 validation error detected: Value '%s' at 'shardIteratorType' failed "
                        "to satisfy constraint: Member must satisfy enum value set: "
                        "[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]",
                        type_name);
        goto out;
    }
    if (seq_combination(c, type) < 0 || stream_arg(c, &s) < 0)
        goto out;
    if (strcmp(shard, s.shard_id) != 0) {
        ddbs__reply_fmt(c, DDBS_E_NOT_FOUND,
                        "Requested resource not found: Shard does not exist: %s", shard);
        goto out;
    }
    uint64_t after;
    if (position(c, &s, type, &after) == 0)
        reply_iterator(c, &s, after);
out:
    ddbs__stream_free(&s);
}

/* ---- GetRecords ------------------------------------------------------------- */

/* Decode, verify and check the age of the request's iterator; replies on failure. */
static int iterator_arg(ddbs_call_t *c, strm_iter_t *it)
{
    const char *text = required(c, "ShardIterator", "shardIterator");
    if (!text)
        return ENG_EINVAL;
    if (strm_iter_decode(&c->ddbs->key, eng_slice_cstr(text), it) < 0) {
        ddbs__reply_err(c, DDBS_E_VALIDATION, "Invalid ShardIterator");
        return ENG_EINVAL;
    }
    int64_t now = now_ms();
    if (now - it->created_ms > (int64_t)c->ddbs->iterator_ttl_ms) {
        ddbs__reply_fmt(c, DDBS_E_EXPIRED,
                        "Iterator expired. The iterator was created at time %" PRId64
                        " while right now it is %" PRId64
                        " which is further in the future than the tolerated delay of %u "
                        "milliseconds.",
                        it->created_ms, now, c->ddbs->iterator_ttl_ms);
        return ENG_ETIMEDOUT;
    }
    return 0;
}

/* How storage ends a TTL deletion's record: userIdentity is its last member. */
#define SERVICE_TAIL                                                                               \
    "\"userIdentity\":{\"type\":\"Service\",\"principalId\":\"dynamodb.amazonaws.com\"}}"

/* A TTL deletion's record is stored with the Lambda event's lowercase
 * userIdentity members; the Streams API spells them Type and PrincipalId.
 * The member closes the record and has the same length either way, so only
 * the record's tail is compared and fixed in place. */
static void capitalize_identity(eng_buf_t *out, size_t from)
{
    const size_t n = sizeof(SERVICE_TAIL) - 1;
    if (out->len - from < n)
        return;
    char *p = out->ptr + out->len - n;
    if (memcmp(p, SERVICE_TAIL, n) != 0)
        return;
    p[sizeof("\"userIdentity\":{\"") - 1] = 'T';
    p[sizeof("\"userIdentity\":{\"type\":\"Service\",\"") - 1] = 'P';
}

/* Append up to `limit` records after it->after_seq; advances it->after_seq. */
static int append_records(ddbs_call_t *c, const ddbs_stream_t *s, strm_iter_t *it, int limit)
{
    eng_buf_t *out = &c->th->out;
    uint64_t seq = it->after_seq;
    eng_slice_t rec;
    for (int n = 0; n < limit && seq < s->end_seq; n++) {
        if (store_log_next(c->th->reader, s->table.id, it->after_seq, &seq, &rec) < 0 ||
            seq > s->end_seq || (n > 0 && out->len + rec.len > DDBS_MAX_BYTES))
            break;
        if (n > 0)
            eng_buf_append_char(out, ',');
        size_t from = out->len;
        int err = strm_record_append(rec, s->view, out);
        if (err < 0)
            return err;
        capitalize_identity(out, from);
        it->after_seq = seq;
    }
    return 0;
}

static void reply_records(ddbs_call_t *c, const ddbs_stream_t *s, strm_iter_t *it, int limit)
{
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"Records\":[");
    if (append_records(c, s, it, limit) < 0) {
        ddbs__reply_err(c, DDBS_E_INTERNAL, "Internal server error");
        return;
    }
    eng_buf_append_char(out, ']');
    /* A closed shard read to its end has no next iterator. */
    if (!s->is_closed || it->after_seq < s->end_seq) {
        it->created_ms = now_ms();
        eng_buf_append_str(out, ",\"NextShardIterator\":\"");
        strm_iter_encode(&c->ddbs->key, it, out);
        eng_buf_append_char(out, '"');
    }
    eng_buf_append_char(out, '}');
    ddbs__reply(c, eng_slice(out->ptr, out->len));
}

void ddbs__op_get_records(ddbs_call_t *c)
{
    int limit;
    strm_iter_t it;
    ddbs_stream_t s = {0};
    if (ddbs__limit(c, DDBS_MAX_RECORDS, DDBS_MAX_RECORDS, &limit) < 0 || iterator_arg(c, &it) < 0)
        goto out;
    int err = ddbs__stream_find(c, it.table, it.label, &s);
    if (err < 0) {
        ddbs__reply_fmt(c, err == ENG_ENOTFOUND ? DDBS_E_NOT_FOUND : DDBS_E_INTERNAL,
                        "Requested resource not found: Stream: %s not found", it.label);
        goto out;
    }
    if (it.after_seq < s.end_seq && it.after_seq + 1 < ddbs__oldest_seq(c, &s.table)) {
        ddbs__reply_err(c, DDBS_E_TRIMMED,
                        "The operation attempted to read past the oldest stream record in a shard");
        goto out;
    }
    reply_records(c, &s, &it, limit);
out:
    ddbs__stream_free(&s);
}
