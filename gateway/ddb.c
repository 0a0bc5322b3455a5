/* SPDX-License-Identifier: MIT
 * ddb.c: the DynamoDB JSON 1.0 front door: per-thread state, the dispatch of
 * X-Amz-Target operations through a sorted table, replies and errors in
 * DynamoDB's shapes, the per-thread schema cache and the pool of write
 * requests whose replies wait for the writer's commit (durable before
 * visible). The operations themselves live in ddb_table.c, ddb_item.c,
 * ddb_scan.c and ddb_batch.c. */
#include "gateway/ddb_int.h"
#include "gateway/gw_int.h"
#include "gateway/wire_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_PREFIX "DynamoDB_20120810."
#define CONTENT_TYPE "application/x-amz-json-1.0"

static void on_request(gw_req_t *req, void *arg);
static void on_batch_done(store_batch_t *batch);
static void on_posted(gw_post_t *post);
static void wreq_clear(ddb_wreq_t *w);
static void wreq_free(ddb_wreq_t *w);

/* ---- dispatch ---------------------------------------------------------- */

typedef struct op_entry {
    const char *name;
    void (*fn)(ddb_call_t *c);
    const gw_wire_member_t *wire; /* The member it types unlike MEMBERS (wire.c), if any. */
} op_entry_t;

static const gw_wire_member_t WRITE_ITEMS, GET_ITEMS, WRITE_ACTIONS, GET_ACTIONS;

static const op_entry_t OPS[] = {
    /* Sorted by name for bsearch. */
    {.name = "BatchGetItem", .fn = ddb__op_batch_get, .wire = &GET_ITEMS},
    {.name = "BatchWriteItem", .fn = ddb__op_batch_write, .wire = &WRITE_ITEMS},
    {.name = "CreateTable", .fn = ddb__op_create_table},
    {.name = "DeleteItem", .fn = ddb__op_delete_item},
    {.name = "DeleteTable", .fn = ddb__op_delete_table},
    {.name = "DescribeEndpoints", .fn = ddb__op_describe_endpoints},
    {.name = "DescribeLimits", .fn = ddb__op_describe_limits},
    {.name = "DescribeTable", .fn = ddb__op_describe_table},
    {.name = "DescribeTimeToLive", .fn = ddb__op_describe_ttl},
    {.name = "GetItem", .fn = ddb__op_get_item},
    {.name = "ListTables", .fn = ddb__op_list_tables},
    {.name = "ListTagsOfResource", .fn = ddb__op_list_tags},
    {.name = "PutItem", .fn = ddb__op_put_item},
    {.name = "Query", .fn = ddb__op_query},
    {.name = "Scan", .fn = ddb__op_scan},
    {.name = "TagResource", .fn = ddb__op_tag_resource},
    {.name = "TransactGetItems", .fn = ddb__op_transact_get, .wire = &GET_ACTIONS},
    {.name = "TransactWriteItems", .fn = ddb__op_transact_write, .wire = &WRITE_ACTIONS},
    {.name = "UntagResource", .fn = ddb__op_untag_resource},
    {.name = "UpdateItem", .fn = ddb__op_update_item},
    {.name = "UpdateTable", .fn = ddb__op_update_table},
    {.name = "UpdateTimeToLive", .fn = ddb__op_update_ttl},
};

/* Shapes of the structures requests carry, for the decoder's type checks
 * (gateway/wire.c): each member's wire type, and for nested structures
 * their class and shape. Members not listed are not type-checked. */
#define SHAPE(members) (&(const gw_wire_shape_t){members, ENG_ARRAY_LEN(members)})
#define OF_(n, t)                                                                                  \
    {                                                                                              \
        .name = n, .type = t                                                                       \
    }
#define S_(n) OF_(n, GW_WIRE_STRING)
#define BOOL_(n) OF_(n, GW_WIRE_BOOLEAN)
#define LONG_(n) OF_(n, GW_WIRE_LONG)
#define INT_(n) OF_(n, GW_WIRE_INTEGER)
#define AV_(n)                                                                                     \
    {                                                                                              \
        .name = n, .type = GW_WIRE_STRUCT, .cls = "AttributeValue", .shape = &gw__wire_av_shape    \
    }
#define CLASS_(c, members)                                                                         \
    (&(const gw_wire_member_t){                                                                    \
        .name = "", .type = GW_WIRE_STRUCT, .cls = c, .shape = SHAPE(members)})
#define STRUCT_(n, c, members)                                                                     \
    {                                                                                              \
        .name = n, .type = GW_WIRE_STRUCT, .cls = c, .shape = SHAPE(members)                       \
    }
#define LIST_(n, elem_)                                                                            \
    {                                                                                              \
        .name = n, .type = GW_WIRE_LIST, .elem = elem_                                             \
    }
#define MAP_(n, elem_)                                                                             \
    {                                                                                              \
        .name = n, .type = GW_WIRE_MAP, .elem = elem_                                              \
    }
#define STRINGS_(n) LIST_(n, &gw__wire_str)
#define NAMES_(n) MAP_(n, &gw__wire_str)
#define AVS_(n) MAP_(n, &gw__wire_av)

static const gw_wire_member_t KEY_SCHEMA_ELEMENT[] = {S_("AttributeName"), S_("KeyType")};
static const gw_wire_member_t ATTRIBUTE_DEFINITION[] = {S_("AttributeName"), S_("AttributeType")};
static const gw_wire_member_t THROUGHPUT[] = {LONG_("ReadCapacityUnits"),
                                              LONG_("WriteCapacityUnits")};
static const gw_wire_member_t ON_DEMAND[] = {LONG_("MaxReadRequestUnits"),
                                             LONG_("MaxWriteRequestUnits")};
static const gw_wire_member_t STREAM_SPEC[] = {BOOL_("StreamEnabled"), S_("StreamViewType")};
static const gw_wire_member_t TTL_SPEC[] = {S_("AttributeName"), BOOL_("Enabled")};
static const gw_wire_member_t SSE_SPEC[] = {BOOL_("Enabled"), S_("KMSMasterKeyId"), S_("SSEType")};
static const gw_wire_member_t PROJECTION[] = {STRINGS_("NonKeyAttributes"), S_("ProjectionType")};
static const gw_wire_member_t TAG[] = {S_("Key"), S_("Value")};
static const gw_wire_member_t GSI[] = {
    S_("IndexName"),
    LIST_("KeySchema", CLASS_("KeySchemaElement", KEY_SCHEMA_ELEMENT)),
    STRUCT_("Projection", "Projection", PROJECTION),
    STRUCT_("ProvisionedThroughput", "ProvisionedThroughput", THROUGHPUT),
    STRUCT_("OnDemandThroughput", "OnDemandThroughput", ON_DEMAND),
};
static const gw_wire_member_t LSI[] = {
    S_("IndexName"),
    LIST_("KeySchema", CLASS_("KeySchemaElement", KEY_SCHEMA_ELEMENT)),
    STRUCT_("Projection", "Projection", PROJECTION),
};
static const gw_wire_member_t GSI_DELETE[] = {S_("IndexName")};
static const gw_wire_member_t GSI_UPDATE_ACTION[] = {
    S_("IndexName"),
    STRUCT_("ProvisionedThroughput", "ProvisionedThroughput", THROUGHPUT),
    STRUCT_("OnDemandThroughput", "OnDemandThroughput", ON_DEMAND),
};
static const gw_wire_member_t GSI_UPDATE[] = {
    STRUCT_("Create", "CreateGlobalSecondaryIndexAction", GSI),
    STRUCT_("Delete", "DeleteGlobalSecondaryIndexAction", GSI_DELETE),
    STRUCT_("Update", "UpdateGlobalSecondaryIndexAction", GSI_UPDATE_ACTION),
};
static const gw_wire_member_t CONDITION[] = {LIST_("AttributeValueList", &gw__wire_av),
                                             S_("ComparisonOperator")};
static const gw_wire_member_t EXPECTED[] = {
    LIST_("AttributeValueList", &gw__wire_av),
    S_("ComparisonOperator"),
    BOOL_("Exists"),
    AV_("Value"),
};
static const gw_wire_member_t AV_UPDATE[] = {S_("Action"), AV_("Value")};

/* The operations whose RequestItems or TransactItems have shapes of their
 * own (op_entry_t.wire). */
static const gw_wire_member_t PUT_REQUEST[] = {AVS_("Item")};
static const gw_wire_member_t DELETE_REQUEST[] = {AVS_("Key")};
static const gw_wire_member_t WRITE_REQUEST[] = {
    STRUCT_("DeleteRequest", "DeleteRequest", DELETE_REQUEST),
    STRUCT_("PutRequest", "PutRequest", PUT_REQUEST),
};
static const gw_wire_member_t KEYS_AND_ATTRIBUTES[] = {
    STRINGS_("AttributesToGet"),
    BOOL_("ConsistentRead"),
    NAMES_("ExpressionAttributeNames"),
    LIST_("Keys", (&(const gw_wire_member_t){
                      .name = "", .type = GW_WIRE_MAP, .elem = &gw__wire_av, .is_generic = true})),
    S_("ProjectionExpression"),
};
static const gw_wire_member_t WRITE_ITEMS =
    MAP_("RequestItems", (&(const gw_wire_member_t){.name = "",
                                                    .type = GW_WIRE_LIST,
                                                    .elem = CLASS_("WriteRequest", WRITE_REQUEST),
                                                    .is_generic = true}));
static const gw_wire_member_t GET_ITEMS =
    MAP_("RequestItems", CLASS_("KeysAndAttributes", KEYS_AND_ATTRIBUTES));
/* A transaction action's members: `K` is its Key or Item. */
#define ACTION_(key)                                                                               \
    {                                                                                              \
        AVS_(key), S_("TableName"), S_("ConditionExpression"), NAMES_("ExpressionAttributeNames"), \
            AVS_("ExpressionAttributeValues"), S_("ReturnValuesOnConditionCheckFailure"),          \
    }
static const gw_wire_member_t CHECK_ACTION[] = ACTION_("Key");
static const gw_wire_member_t PUT_ACTION[] = ACTION_("Item");
static const gw_wire_member_t DELETE_ACTION[] = ACTION_("Key");
static const gw_wire_member_t UPDATE_ACTION[] = {
    AVS_("Key"),
    S_("TableName"),
    S_("UpdateExpression"),
    S_("ConditionExpression"),
    NAMES_("ExpressionAttributeNames"),
    AVS_("ExpressionAttributeValues"),
    S_("ReturnValuesOnConditionCheckFailure"),
};
static const gw_wire_member_t TRANSACT_WRITE_ITEM[] = {
    STRUCT_("ConditionCheck", "ConditionCheck", CHECK_ACTION),
    STRUCT_("Delete", "Delete", DELETE_ACTION),
    STRUCT_("Put", "Put", PUT_ACTION),
    STRUCT_("Update", "Update", UPDATE_ACTION),
};
static const gw_wire_member_t GET_ACTION[] = {
    AVS_("Key"), S_("TableName"), S_("ProjectionExpression"), NAMES_("ExpressionAttributeNames")};
static const gw_wire_member_t TRANSACT_GET_ITEM[] = {STRUCT_("Get", "Get", GET_ACTION)};
static const gw_wire_member_t WRITE_ACTIONS =
    LIST_("TransactItems", CLASS_("TransactWriteItem", TRANSACT_WRITE_ITEM));
static const gw_wire_member_t GET_ACTIONS =
    LIST_("TransactItems", CLASS_("TransactGetItem", TRANSACT_GET_ITEM));

/* The top-level members of DynamoDB's operations by wire type, sorted by
 * name (gw__wire_error bisects them). A member name has one type in every
 * operation that takes it, except RequestItems and TransactItems (above). */
static const gw_wire_member_t MEMBERS[] = {
    LIST_("AttributeDefinitions", CLASS_("AttributeDefinition", ATTRIBUTE_DEFINITION)),
    MAP_("AttributeUpdates", CLASS_("AttributeValueUpdate", AV_UPDATE)),
    STRINGS_("AttributesToGet"),
    S_("BillingMode"),
    S_("ClientRequestToken"),
    S_("ConditionExpression"),
    S_("ConditionalOperator"),
    BOOL_("ConsistentRead"),
    BOOL_("DeletionProtectionEnabled"),
    AVS_("ExclusiveStartKey"),
    S_("ExclusiveStartTableName"),
    MAP_("Expected", CLASS_("ExpectedAttributeValue", EXPECTED)),
    NAMES_("ExpressionAttributeNames"),
    AVS_("ExpressionAttributeValues"),
    S_("FilterExpression"),
    LIST_("GlobalSecondaryIndexUpdates", CLASS_("GlobalSecondaryIndexUpdate", GSI_UPDATE)),
    LIST_("GlobalSecondaryIndexes", CLASS_("GlobalSecondaryIndex", GSI)),
    S_("IndexName"),
    AVS_("Item"),
    AVS_("Key"),
    S_("KeyConditionExpression"),
    MAP_("KeyConditions", CLASS_("Condition", CONDITION)),
    LIST_("KeySchema", CLASS_("KeySchemaElement", KEY_SCHEMA_ELEMENT)),
    INT_("Limit"),
    LIST_("LocalSecondaryIndexes", CLASS_("LocalSecondaryIndex", LSI)),
    S_("NextToken"),
    STRUCT_("OnDemandThroughput", "OnDemandThroughput", ON_DEMAND),
    S_("ProjectionExpression"),
    STRUCT_("ProvisionedThroughput", "ProvisionedThroughput", THROUGHPUT),
    MAP_("QueryFilter", CLASS_("Condition", CONDITION)),
    S_("ResourceArn"),
    S_("ReturnConsumedCapacity"),
    S_("ReturnItemCollectionMetrics"),
    S_("ReturnValues"),
    S_("ReturnValuesOnConditionCheckFailure"),
    STRUCT_("SSESpecification", "SSESpecification", SSE_SPEC),
    MAP_("ScanFilter", CLASS_("Condition", CONDITION)),
    BOOL_("ScanIndexForward"),
    INT_("Segment"),
    S_("Select"),
    STRUCT_("StreamSpecification", "StreamSpecification", STREAM_SPEC),
    S_("TableClass"),
    S_("TableName"),
    STRINGS_("TagKeys"),
    LIST_("Tags", CLASS_("Tag", TAG)),
    STRUCT_("TimeToLiveSpecification", "TimeToLiveSpecification", TTL_SPEC),
    INT_("TotalSegments"),
    S_("UpdateExpression"),
};

/* Does the body hold the character U+0000, raw or as the escape \u0000 (an
 * unescaped backslash before "u0000")? cJSON keeps strings NUL-terminated,
 * so such a string would be cut there and stored short: eddy refuses the
 * request instead of losing data silently. One memchr and memmem pass. */
static bool has_nul_char(eng_slice_t body)
{
    if (memchr(body.ptr, '\0', body.len))
        return true;
    const char *end = body.ptr + body.len;
    for (const char *p = body.ptr; (p = memmem(p, (size_t)(end - p), "\\u0000", 6)); p++) {
        /* The run of backslashes ending at p: an odd one escapes the u. */
        size_t at = (size_t)(p - body.ptr), run = 1;
        while (run <= at && body.ptr[at - run] == '\\')
            run++;
        if (run % 2 == 1)
            return true;
    }
    return false;
}

static void on_request(gw_req_t *req, void *arg)
{
    gw_ddb_t *ddb = arg;
    ddb_thread_t *th = &ddb->threads[gw_req_thread(req)];
    eng_slice_t target = {0};
    gw_req_header(req, "X-Amz-Target", &target);
    const op_entry_t *op =
        gw__op_find(OPS, ENG_ARRAY_LEN(OPS), sizeof(OPS[0]), target, sizeof(TARGET_PREFIX) - 1);
    if (!op) {
        ddb__reply_err(th, req, DDB_E_UNKNOWN_OP, NULL);
        return;
    }
    eng_slice_t body = gw_req_body(req);
    cJSON *root = NULL;
    if (eng_json_parse(body.ptr ? body.ptr : "", body.len, &root) < 0 || !cJSON_IsObject(root)) {
        eng_json_delete(root);
        ddb__reply_err(th, req, DDB_E_SERIALIZATION,
                       body.len ? "Start of structure or map found where not expected."
                                : "Request body is not valid JSON");
        return;
    }
    if (has_nul_char(body)) {
        eng_json_delete(root);
        ddb__reply_err(th, req, DDB_E_VALIDATION,
                       "One or more parameter values were invalid: eddy does not support the "
                       "character U+0000 in strings");
        return;
    }
    eng_buf_reset(&th->why);
    gw__wire_drop_nulls(root);
    if (gw__wire_error(root, MEMBERS, ENG_ARRAY_LEN(MEMBERS), op->wire, &th->why)) {
        ddb__reply_err(th, req, DDB_E_SERIALIZATION, th->why.ptr);
        eng_json_delete(root);
        return;
    }
    ddb_call_t c = {.ddb = ddb, .th = th, .req = req, .body = root, .root = root};
    op->fn(&c);
    if (c.is_reading)
        store_read_end(th->reader);
    eng_json_delete(c.root);
}

/* ---- replies ----------------------------------------------------------- */

typedef struct err_entry {
    const char *type;
    int status;
} err_entry_t;

static const err_entry_t ERRS[] = {
    [DDB_E_VALIDATION] = {"com.amazonaws.dynamodb.v20120810#ValidationException", 400},
    [DDB_E_NOT_FOUND] = {"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", 400},
    [DDB_E_IN_USE] = {"com.amazonaws.dynamodb.v20120810#ResourceInUseException", 400},
    [DDB_E_SERIALIZATION] = {"com.amazon.coral.service#SerializationException", 400},
    [DDB_E_UNKNOWN_OP] = {"com.amazon.coral.service#UnknownOperationException", 400},
    [DDB_E_INTERNAL] = {"com.amazonaws.dynamodb.v20120810#InternalServerError", 500},
    [DDB_E_CONDITION] = {"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400},
    [DDB_E_TXN_CANCELED] = {"com.amazonaws.dynamodb.v20120810#TransactionCanceledException", 400},
    [DDB_E_IDEMPOTENT] = {"com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                          400},
};

/* "EDDY" + the thread as 2 decimal digits + the request count as 16 upper-case
 * hex digits + a fixed tail: DynamoDB's 52-character shape is not needed, only
 * uniqueness. Written by hand: snprintf was 1.5% of a GetItem's CPU. */
static size_t request_id(char out[static 40], unsigned thread, uint64_t count)
{
    static const char head[] = "EDDY", tail[] = "AEMVJF66Q9ASUAAJG";
    static const char hex[] = "0123456789ABCDEF";
    size_t n = sizeof(head) - 1;
    memcpy(out, head, n);
    out[n++] = (char)('0' + thread / 10u);
    out[n++] = (char)('0' + thread % 10u);
    for (int shift = 60; shift >= 0; shift -= 4)
        out[n++] = hex[(count >> shift) & 0xFu];
    memcpy(out + n, tail, sizeof(tail) - 1);
    return n + sizeof(tail) - 1;
}

static void respond(ddb_thread_t *th, gw_req_t *req, int status, eng_slice_t body)
{
    char id[40];
    size_t n = request_id(id, th->index % 100u, ++th->n_requests);
    gw_header_t h[] = {{.name = "x-amzn-RequestId", .value = eng_slice(id, n)}};
    gw_respond(req, status, CONTENT_TYPE, body, h, ENG_ARRAY_LEN(h));
}

void ddb__reply(ddb_thread_t *th, gw_req_t *req, eng_slice_t body)
{
    respond(th, req, 200, body);
}

void ddb__reply_err(ddb_thread_t *th, gw_req_t *req, ddb_err_t type, const char *msg)
{
    ddb__reply_err_extra(th, req, type, msg, (eng_slice_t){0});
}

void ddb__reply_err_extra(ddb_thread_t *th, gw_req_t *req, ddb_err_t type, const char *msg,
                          eng_slice_t extra)
{
    eng_buf_t *out = &th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"__type\":");
    eng_json_append_string(out, ERRS[type].type, strlen(ERRS[type].type));
    if (msg) {
        eng_buf_append_str(out, ",\"message\":");
        eng_json_append_string(out, msg, strlen(msg));
    }
    if (extra.len) {
        eng_buf_append_char(out, ',');
        eng_buf_append(out, extra.ptr, extra.len);
    }
    eng_buf_append_char(out, '}');
    respond(th, req, ERRS[type].status, eng_slice(out->ptr, out->len));
}

void ddb__reply_errf(ddb_thread_t *th, gw_req_t *req, ddb_err_t type, const char *fmt, ...)
{
    eng_buf_t msg = {0};
    va_list ap;
    va_start(ap, fmt);
    eng_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    ddb__reply_err(th, req, type, msg.ptr ? msg.ptr : "");
    eng_buf_free(&msg);
}

void ddb__reply_store_err(ddb_thread_t *th, gw_req_t *req, int err)
{
    switch (err) {
    case ENG_ENOTFOUND:
        ddb__reply_err(th, req, DDB_E_NOT_FOUND, "Requested resource not found");
        break;
    case ENG_ECONDITION:
        ddb__reply_err(th, req, DDB_E_CONDITION, "The conditional request failed");
        break;
    case ENG_EINVAL:
        ddb__reply_err(th, req, DDB_E_VALIDATION, "Invalid request");
        break;
    default:
        ENG_WARN("ddb", "request failed: %s", eng_strerror(err));
        ddb__reply_err(th, req, DDB_E_INTERNAL, "Internal server error");
    }
}

/* ---- validation helpers ------------------------------------------------ */

static bool is_name_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '-';
}

bool ddb__is_name_pattern(const char *s)
{
    for (; *s; s++)
        if (!is_name_char((unsigned char)*s))
            return false;
    return true;
}

int ddb__check_table_name(ddb_thread_t *th, const char *name, const char *field, const char **why)
{
    eng_buf_t *m = &th->why;
    eng_buf_reset(m);
    if (!name) {
        eng_buf_printf(m,
                       "1 validation error detected: Value null at '%s' failed to satisfy "
                       "constraint: Member must not be null",
                       field);
        *why = m->ptr;
        return ENG_EINVAL;
    }
    const char *s = name;
    size_t len = strlen(s);
    const bool is_pattern_ok = len > 0 && ddb__is_name_pattern(s);
    const char *errs[2];
    int n = 0;
    if (!is_pattern_ok)
        errs[n++] = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+";
    if (len < 3)
        errs[n++] = "Member must have length greater than or equal to 3";
    else if (len > 255)
        errs[n++] = "Member must have length less than or equal to 255";
    if (n == 0)
        return 0;
    eng_buf_printf(m, "%d validation error%s detected: ", n, n > 1 ? "s" : "");
    for (int i = 0; i < n; i++)
        eng_buf_printf(m, "%sValue '%s' at '%s' failed to satisfy constraint: %s", i ? "; " : "", s,
                       field, errs[i]);
    *why = m->ptr;
    return ENG_EINVAL;
}

int ddb__read(ddb_call_t *c)
{
    if (c->is_reading)
        return 0;
    int err = store_read_begin(c->th->reader);
    c->is_reading = err == 0;
    return err;
}

int ddb__table_find(ddb_call_t *c, const char *name, store_table_t *t, const ddb_schema_t **s)
{
    int err = ddb__read(c);
    if (err < 0)
        return err;
    if ((err = store_table_get(c->th->reader, eng_slice_cstr(name), t)) < 0)
        return err;
    /* Key schemas never change and table ids are never reused: a slot
     * tagged with the id stays right for the life of the process. */
    ddb_slot_t *slot = &c->th->cache[t->id % DDB_SCHEMA_CACHE];
    if (!slot->is_set || slot->table_id != t->id) {
        slot->is_set = false;
        if ((err = store_schema_parse(t->meta, &slot->s)) < 0)
            return err;
        slot->table_id = t->id;
        slot->is_set = true;
    }
    *s = &slot->s;
    return 0;
}

int ddb__table(ddb_call_t *c, const char *name, store_table_t *t, const ddb_schema_t **s)
{
    int err = ddb__table_find(c, name, t, s);
    if (err < 0)
        ddb__reply_store_err(c->th, c->req, err);
    return err;
}

int ddb__rcc(const cJSON *body)
{
    return ddb__rcc_of(eng_json_get(body, "ReturnConsumedCapacity"));
}

int ddb__rcc_of(const cJSON *member)
{
    const char *v = cJSON_GetStringValue(member);
    if (!v || strcmp(v, "NONE") == 0)
        return 0;
    if (strcmp(v, "TOTAL") == 0)
        return 1;
    if (strcmp(v, "INDEXES") == 0)
        return 2;
    return -1;
}

void ddb__append_capacity(eng_buf_t *out, int rcc, const char *table, double units)
{
    if (rcc <= 0)
        return;
    ddb__sep(out);
    eng_buf_append_str(out, "\"ConsumedCapacity\":");
    ddb__capacity_obj(out, rcc, table, units);
}

void ddb__capacity_obj(eng_buf_t *out, int rcc, const char *table, double units)
{
    eng_buf_append_str(out, "{\"TableName\":");
    eng_json_append_string(out, table, strlen(table));
    eng_buf_printf(out, ",\"CapacityUnits\":%.1f", units);
    if (rcc == 2)
        eng_buf_printf(out, ",\"Table\":{\"CapacityUnits\":%.1f}", units);
    eng_buf_append_char(out, '}');
}

/* ---- base64 ------------------------------------------------------------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(unsigned char ch)
{
    const char *p = ch ? strchr(B64, ch) : NULL;
    return p ? (int)(p - B64) : -1;
}

int ddb__b64_decode(const char *s, size_t len, eng_buf_t *out)
{
    if (len % 4 != 0)
        return ENG_EINVAL;
    for (size_t i = 0; i < len; i += 4) {
        bool is_last = i + 4 == len;
        int pad = is_last ? (s[i + 3] == '=') + (s[i + 3] == '=' && s[i + 2] == '=') : 0;
        uint32_t w = 0;
        for (int k = 0; k < 4; k++) {
            int v = k >= 4 - pad ? 0 : b64_val((unsigned char)s[i + k]);
            if (v < 0)
                return ENG_EINVAL;
            w = w << 6 | (uint32_t)v;
        }
        char bytes[3] = {(char)(w >> 16), (char)(w >> 8), (char)w};
        eng_buf_append(out, bytes, (size_t)(3 - pad));
    }
    return 0;
}

void ddb__b64_encode(const unsigned char *p, size_t len, eng_buf_t *out)
{
    for (size_t i = 0; i < len; i += 3) {
        size_t n = len - i < 3 ? len - i : 3;
        uint32_t w = (uint32_t)p[i] << 16 | (n > 1 ? (uint32_t)p[i + 1] << 8 : 0) |
                     (n > 2 ? (uint32_t)p[i + 2] : 0);
        char q[4] = {B64[w >> 18 & 63], B64[w >> 12 & 63], n > 1 ? B64[w >> 6 & 63] : '=',
                     n > 2 ? B64[w & 63] : '='};
        eng_buf_append(out, q, 4);
    }
}

/* ---- write requests ---------------------------------------------------- */

ddb_wreq_t *ddb__wreq_get(ddb_call_t *c, ddb_wdone_fn on_done)
{
    ddb_thread_t *th = c->th;
    ddb_wreq_t *w = th->pool;
    if (w) {
        th->pool = w->next_free;
        th->pool_len--;
    } else {
        w = eng_calloc(1, sizeof(*w));
    }
    w->req = c->req;
    w->ddb = c->ddb;
    w->th = th;
    w->on_done = on_done;
    w->n_writes = 0;
    w->mode = 0;
    w->rcc = 0;
    w->units = 0;
    w->new_size = 0;
    w->table[0] = '\0';
    w->body = NULL;
    eng_buf_reset(&w->data);
    eng_buf_reset(&w->aux);
    return w;
}

store_write_t *ddb__wreq_add(ddb_wreq_t *w)
{
    if (w->n_writes == w->cap_writes) {
        w->cap_writes = w->cap_writes ? w->cap_writes * 2 : 4;
        w->writes = eng_realloc(w->writes, w->cap_writes * sizeof(*w->writes));
        w->offs = eng_realloc(w->offs, w->cap_writes * sizeof(*w->offs));
    }
    store_write_t *sw = &w->writes[w->n_writes];
    w->offs[w->n_writes] = (ddb_woff_t){0};
    w->n_writes++;
    *sw = (store_write_t){.kind = STORE_W_PUT};
    return sw;
}

void ddb__wreq_mark(ddb_wreq_t *w, size_t off, bool is_item)
{
    ddb_woff_t *o = &w->offs[w->n_writes - 1];
    if (is_item) {
        o->item_off = off;
        o->item_len = w->data.len - off;
    } else {
        o->keys_off = off;
        o->keys_len = w->data.len - off;
    }
}

int ddb__wreq_update(ddb_wreq_t *w, const ddb_schema_t *s, store_expr_t *upd, store_expr_t *cond,
                     unsigned flags, const char **why)
{
    ddb_woff_t *o = &w->offs[w->n_writes - 1];
    eng_buf_reset(&w->th->why);
    int err = store_update_create(s, upd, cond, flags, DDB_ITEM_MAX_BYTES, &o->upd, &w->th->why);
    if (err < 0) {
        *why = w->th->why.ptr;
        return err;
    }
    store_update_attach(o->upd, &w->writes[w->n_writes - 1]);
    return 0;
}

void ddb__wreq_keep_body(ddb_wreq_t *w, ddb_call_t *c)
{
    if (c->root) {
        w->body = c->root;
        c->root = NULL;
    }
}

void ddb__wreq_submit(ddb_wreq_t *w, bool is_atomic)
{
    for (size_t i = 0; i < w->n_writes; i++) {
        const ddb_woff_t *o = &w->offs[i];
        if (o->item_len)
            w->writes[i].item = eng_slice(w->data.ptr + o->item_off, o->item_len);
        if (o->keys_len)
            w->writes[i].keys_json = eng_slice(w->data.ptr + o->keys_off, o->keys_len);
    }
    w->batch = (store_batch_t){
        .writes = w->writes,
        .n_writes = w->n_writes,
        .is_atomic = is_atomic,
        .done = on_batch_done,
        .arg = w,
    };
    store_submit(w->ddb->store, &w->batch);
}

static void on_batch_done(store_batch_t *batch) /* Writer thread. */
{
    ddb_wreq_t *w = container_of(batch, ddb_wreq_t, batch);
    if (!gw_req_post(w->req, &w->post, on_posted))
        wreq_free(w); /* Shutdown gave up on the request: the write stands, unanswered. */
}

static void on_posted(gw_post_t *post) /* Back on the request's loop thread. */
{
    ddb_wreq_t *w = container_of(post, ddb_wreq_t, post);
    w->on_done(w);
    ddb__wreq_put(w);
}

/* Free a write request for good (not back to its thread's pool). Any thread. */
static void wreq_free(ddb_wreq_t *w)
{
    wreq_clear(w);
    eng_free(w->writes);
    eng_free(w->offs);
    eng_buf_free(&w->data);
    eng_buf_free(&w->aux);
    eng_free(w);
}

static void wreq_clear(ddb_wreq_t *w)
{
    for (size_t i = 0; i < w->n_writes; i++) {
        eng_buf_free(&w->writes[i].old);
        store_update_destroy(w->offs[i].upd);
        w->offs[i].upd = NULL;
    }
    w->n_writes = 0;
    eng_json_delete(w->body);
    w->body = NULL;
}

void ddb__wreq_put(ddb_wreq_t *w)
{
    wreq_clear(w);
    ddb_thread_t *th = w->th;
    if (th->pool_len < DDB_WREQ_POOL && w->data.cap < (1u << 20)) {
        w->next_free = th->pool;
        th->pool = w;
        th->pool_len++;
        return;
    }
    wreq_free(w);
}

/* ---- lifecycle --------------------------------------------------------- */

static void thread_free(ddb_thread_t *th)
{
    store_reader_destroy(th->reader);
    eng_buf_free(&th->out);
    eng_buf_free(&th->canon);
    eng_buf_free(&th->kbuf);
    eng_buf_free(&th->why);
    while (th->pool) {
        ddb_wreq_t *w = th->pool;
        th->pool = w->next_free;
        eng_free(w->writes);
        eng_free(w->offs);
        eng_buf_free(&w->data);
        eng_buf_free(&w->aux);
        eng_free(w);
    }
}

int gw_ddb_create(gw_t *gw, store_t *store, const char *region, gw_ddb_t **out)
{
    gw_ddb_t *ddb = eng_calloc(1, sizeof(*ddb));
    ddb->gw = gw;
    ddb->store = store;
    snprintf(ddb->region, sizeof(ddb->region), "%s", region && *region ? region : "us-east-1");
    ddb->n_threads = gw_threads(gw);
    ddb->threads = eng_calloc(ddb->n_threads, sizeof(*ddb->threads));
    int err = 0;
    for (unsigned i = 0; i < ddb->n_threads && err == 0; i++) {
        ddb->threads[i].index = i;
        err = store_reader_create(store, &ddb->threads[i].reader);
    }
    if (err == 0)
        err = gw_route_target(gw, TARGET_PREFIX, on_request, ddb);
    if (err == 0)
        err = gw_route_path(gw, "/_eddy/tables/", ddb__admin_handle, ddb);
    if (err < 0) {
        ENG_ERROR("ddb", "cannot start the DynamoDB front door: %s", eng_strerror(err));
        gw_ddb_destroy(ddb);
        return ENG_EIO;
    }
    *out = ddb;
    return 0;
}

void gw_ddb_destroy(gw_ddb_t *ddb)
{
    if (!ddb)
        return;
    for (unsigned i = 0; i < ddb->n_threads; i++)
        thread_free(&ddb->threads[i]);
    eng_free(ddb->threads);
    eng_free(ddb);
}
