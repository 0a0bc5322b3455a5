/* SPDX-License-Identifier: MIT
 * ddb_table.c: CreateTable, DescribeTable, ListTables, UpdateTable and
 * DeleteTable. A table's meta (the JSON this file stores through storage)
 * holds what DescribeTable needs: name, id, creation time, key schema,
 * attribute definitions, billing, the stream specification and every stream
 * the table has had (for the Streams API) and its secondary indexes
 * (validated and described by ddb_index.c). Tables are ACTIVE at once;
 * tags and TTL are not handled here. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void on_create_done(ddb_wreq_t *w);
static void on_update_done(ddb_wreq_t *w);
static void on_delete_done(ddb_wreq_t *w);

#define ACCOUNT "000000000000"

/* ---- small helpers ------------------------------------------------------ */

static double now_seconds(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    /* Millisecond precision, as DynamoDB reports it. */
    return (double)ts->tv_sec + (double)(ts->tv_nsec / 1000000) / 1000.0;
}

static void uuid4(char out[37])
{
    unsigned char b[16] = {0};
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(b, &ts, sizeof(ts) < sizeof(b) ? sizeof(ts) : sizeof(b));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* A stream label as DynamoDB forms it: the UTC time with milliseconds. */
static void stream_label(const struct timespec *ts, char out[32])
{
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ld", ts->tv_nsec / 1000000);
}

static cJSON *table_name_arg(ddb_call_t *c)
{
    const char *why = NULL;
    cJSON *name = eng_json_get(c->body, "TableName");
    if (ddb__check_table_name(c->th, cJSON_IsString(name) ? name->valuestring : NULL, "tableName",
                              &why) < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return NULL;
    }
    return name;
}

static void reply_table_missing(ddb_call_t *c, const char *name)
{
    ddb__reply_errf(c->th, c->req, DDB_E_NOT_FOUND,
                    "Requested resource not found: Table: %s not found", name);
}

/* Read table `name` into *t, or answer the request with the error.
 * Returns 0 (t borrowed until the call's read ends) or the error answered. */
static int find_table(ddb_call_t *c, const char *name, store_table_t *t)
{
    int err = ddb__read(c);
    if (err == 0)
        err = store_table_get(c->th->reader, eng_slice_cstr(name), t);
    if (err == ENG_ENOTFOUND)
        reply_table_missing(c, name);
    else if (err < 0)
        ddb__reply_store_err(c->th, c->req, err);
    return err;
}

/* Format a refusal into `m` (reset first) and point *why at it.
 * Returns ENG_EINVAL, so a check can end with `return refuse(...)`. */
static int refuse(eng_buf_t *m, const char **why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(eng_buf_t *m, const char **why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    eng_buf_reset(m);
    eng_buf_vprintf(m, fmt, ap);
    va_end(ap);
    *why = m->ptr;
    return ENG_EINVAL;
}

static void copy_member(cJSON *dst, const cJSON *src, const char *name)
{
    const cJSON *v = eng_json_get(src, name);
    if (v)
        cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, true));
}

/* ---- table settings ------------------------------------------------------
 * DeletionProtectionEnabled, TableClass, SSESpecification and
 * OnDemandThroughput: each is kept in the meta in the shape DescribeTable
 * reports it, so describing costs a copy and the item paths never look. */

/* Replace member `name` of `meta` with `v` (taken over). */
static void meta_set(cJSON *meta, const char *name, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(meta, name);
    cJSON_AddItemToObject(meta, name, v);
}

static int set_protection(ddb_call_t *c, const cJSON *v, cJSON *meta, bool is_update,
                          const char **why)
{
    (void)c;
    (void)is_update;
    if (!cJSON_IsBool(v)) {
        *why = "1 validation error detected: Value at 'deletionProtectionEnabled' failed to "
               "satisfy constraint: Member must not be null";
        return ENG_EINVAL;
    }
    meta_set(meta, "DeletionProtectionEnabled", cJSON_CreateBool(cJSON_IsTrue(v)));
    return 0;
}

/* TableClassSummary as DescribeTable reports it; an update stamps the switch. */
static int set_class(ddb_call_t *c, const cJSON *v, cJSON *meta, bool is_update, const char **why)
{
    const char *cls = cJSON_IsString(v) ? v->valuestring : NULL;
    if (!cls || (strcmp(cls, "STANDARD") != 0 && strcmp(cls, "STANDARD_INFREQUENT_ACCESS") != 0)) {
        return refuse(&c->th->why, why,
                      "1 validation error detected: Value '%s' at 'tableClass' failed to satisfy "
                      "constraint: Member must satisfy enum value set: [STANDARD, "
                      "STANDARD_INFREQUENT_ACCESS]",
                      cls ? cls : "null");
    }
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddStringToObject(sum, "TableClass", cls);
    if (is_update) {
        struct timespec ts;
        cJSON_AddNumberToObject(sum, "LastUpdateDateTime", now_seconds(&ts));
    }
    meta_set(meta, "TableClassSummary", sum);
    return 0;
}

/* SSEDescription: a KMS key (the AWS-managed one unless named) when enabled;
 * disabled means the AWS-owned key, which DynamoDB does not describe. */
static int set_sse(ddb_call_t *c, const cJSON *v, cJSON *meta, bool is_update, const char **why)
{
    (void)is_update;
    const char *type = eng_json_get_str(v, "SSEType");
    if (type && strcmp(type, "KMS") != 0 && strcmp(type, "AES256") != 0) {
        *why = "1 validation error detected: Value at 'sSESpecification.sSEType' failed to "
               "satisfy constraint: Member must satisfy enum value set: [AES256, KMS]";
        return ENG_EINVAL;
    }
    if (!cJSON_IsTrue(eng_json_get(v, "Enabled"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "SSEDescription");
        return 0;
    }
    const char *key = eng_json_get_str(v, "KMSMasterKeyId");
    if (!key && eng_json_get(meta, "SSEDescription"))
        return 0; /* Re-enabling keeps the key the table already has. */
    eng_buf_t arn = {0};
    if (key && strncmp(key, "arn:", 4) == 0) {
        eng_buf_append_str(&arn, key);
    } else {
        char id[37];
        uuid4(id);
        eng_buf_printf(&arn, "arn:aws:kms:%s:" ACCOUNT ":key/%s", c->ddb->region, key ? key : id);
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Status", "ENABLED");
    cJSON_AddStringToObject(d, "SSEType", "KMS");
    cJSON_AddStringToObject(d, "KMSMasterKeyArn", arn.ptr);
    meta_set(meta, "SSEDescription", d);
    eng_buf_free(&arn);
    return 0;
}

/* OnDemandThroughput: each cap a whole number >= 1, or -1 for none. An
 * update changes only the caps it names. */
static int set_ondemand(ddb_call_t *c, const cJSON *v, cJSON *meta, bool is_update,
                        const char **why)
{
    static const char *const caps[] = {"MaxReadRequestUnits", "MaxWriteRequestUnits"};
    cJSON *cur = is_update ? eng_json_get(meta, "OnDemandThroughput") : NULL;
    cJSON *next = cur ? cJSON_Duplicate(cur, true) : cJSON_CreateObject();
    for (size_t i = 0; i < ENG_ARRAY_LEN(caps); i++) {
        const cJSON *n = eng_json_get(v, caps[i]);
        if (!n)
            continue;
        if (!cJSON_IsNumber(n) || (n->valuedouble < 1 && n->valuedouble != -1)) {
            eng_json_delete(next);
            return refuse(&c->th->why, why,
                          DDB_INVALID "%s must be greater than or equal to 1 or equal to -1",
                          caps[i]);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(next, caps[i]);
        cJSON_AddNumberToObject(next, caps[i], n->valuedouble);
    }
    meta_set(meta, "OnDemandThroughput", next);
    return 0;
}

typedef int (*setting_fn)(ddb_call_t *c, const cJSON *v, cJSON *meta, bool is_update,
                          const char **why);

static const struct {
    const char *member;
    setting_fn set;
} SETTINGS[] = {
    {"DeletionProtectionEnabled", set_protection},
    {"TableClass", set_class},
    {"SSESpecification", set_sse},
    {"OnDemandThroughput", set_ondemand},
};

/* Apply every setting the request names to meta. Returns 0 or ENG_EINVAL. */
static int apply_settings(ddb_call_t *c, cJSON *meta, bool is_update, const char **why)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(SETTINGS); i++) {
        const cJSON *v = eng_json_get(c->body, SETTINGS[i].member);
        if (v && SETTINGS[i].set(c, v, meta, is_update, why) < 0)
            return ENG_EINVAL;
    }
    return 0;
}

/* Whether the request names any setting (UpdateTable needs one change). */
static bool has_setting(const cJSON *body)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(SETTINGS); i++)
        if (eng_json_get(body, SETTINGS[i].member))
            return true;
    return false;
}

/* The settings' members of a TableDescription. */
static void describe_settings(cJSON *d, const cJSON *meta)
{
    const cJSON *dp = eng_json_get(meta, "DeletionProtectionEnabled");
    cJSON_AddBoolToObject(d, "DeletionProtectionEnabled", cJSON_IsTrue(dp));
    copy_member(d, meta, "TableClassSummary");
    copy_member(d, meta, "SSEDescription");
    copy_member(d, meta, "OnDemandThroughput");
}

/* ---- TableDescription --------------------------------------------------- */

static void describe_throughput(cJSON *d, const cJSON *meta)
{
    cJSON *pt = cJSON_AddObjectToObject(d, "ProvisionedThroughput");
    cJSON_AddNumberToObject(pt, "NumberOfDecreasesToday", 0);
    const cJSON *r = eng_json_get(meta, "ReadCapacityUnits");
    const cJSON *w = eng_json_get(meta, "WriteCapacityUnits");
    cJSON_AddNumberToObject(pt, "ReadCapacityUnits", cJSON_IsNumber(r) ? r->valuedouble : 0);
    cJSON_AddNumberToObject(pt, "WriteCapacityUnits", cJSON_IsNumber(w) ? w->valuedouble : 0);
    const char *mode = eng_json_get_str(meta, "BillingMode");
    cJSON *bm = cJSON_AddObjectToObject(d, "BillingModeSummary");
    cJSON_AddStringToObject(bm, "BillingMode", mode ? mode : "PROVISIONED");
    copy_member(bm, meta, "LastUpdateToPayPerRequestDateTime");
}

/* TableSizeBytes, ItemCount, TableArn (also left in *arn) and TableId of d. */
static void describe_sizes_and_ids(gw_ddb_t *ddb, cJSON *d, const cJSON *meta, uint64_t items,
                                   uint64_t bytes, eng_buf_t *arn)
{
    const char *name = eng_json_get_str(meta, "TableName");
    cJSON_AddNumberToObject(d, "TableSizeBytes", (double)bytes);
    cJSON_AddNumberToObject(d, "ItemCount", (double)items);
    eng_buf_printf(arn, "arn:aws:dynamodb:%s:" ACCOUNT ":table/%s", ddb->region, name ? name : "");
    cJSON_AddStringToObject(d, "TableArn", arn->ptr);
    copy_member(d, meta, "TableId");
}

/* Append {"<wrapper>":{TableDescription}} built from `meta`. */
static void describe(gw_ddb_t *ddb, eng_slice_t meta_text, const char *status, uint64_t items,
                     uint64_t bytes, const char *wrapper, eng_buf_t *out, store_reader_t *r,
                     uint32_t tid, const char *creating)
{
    cJSON *meta = NULL;
    if (eng_json_parse(meta_text.ptr, meta_text.len, &meta) < 0)
        meta = cJSON_CreateObject();
    cJSON *root = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(root, wrapper);
    copy_member(d, meta, "AttributeDefinitions");
    copy_member(d, meta, "TableName");
    copy_member(d, meta, "KeySchema");
    cJSON_AddStringToObject(d, "TableStatus", status);
    copy_member(d, meta, "CreationDateTime");
    describe_throughput(d, meta);
    eng_buf_t arn = {0};
    describe_sizes_and_ids(ddb, d, meta, items, bytes, &arn);
    ddb__index_describe(r, tid, meta, arn.ptr, creating, d);
    copy_member(d, meta, "StreamSpecification");
    const char *label = eng_json_get_str(meta, "LatestStreamLabel");
    if (label) {
        cJSON_AddStringToObject(d, "LatestStreamLabel", label);
        eng_buf_printf(&arn, "/stream/%s", label);
        cJSON_AddStringToObject(d, "LatestStreamArn", arn.ptr);
    }
    describe_settings(d, meta);
    eng_json_print(root, out);
    eng_buf_free(&arn);
    eng_json_delete(root);
    eng_json_delete(meta);
}

/* Append DeleteTable's {"TableDescription":{...}}: like DynamoDB, only the
 * name, status, ids, billing, throughput and sizes; no schema, indexes or
 * creation time, since the table is going away. */
static void describe_deleted(gw_ddb_t *ddb, eng_slice_t meta_text, uint64_t items, uint64_t bytes,
                             eng_buf_t *out)
{
    cJSON *meta = NULL;
    if (eng_json_parse(meta_text.ptr, meta_text.len, &meta) < 0)
        meta = cJSON_CreateObject();
    cJSON *root = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(root, "TableDescription");
    copy_member(d, meta, "TableName");
    cJSON_AddStringToObject(d, "TableStatus", "DELETING");
    describe_throughput(d, meta);
    eng_buf_t arn = {0};
    describe_sizes_and_ids(ddb, d, meta, items, bytes, &arn);
    describe_settings(d, meta);
    eng_json_print(root, out);
    eng_buf_free(&arn);
    eng_json_delete(root);
    eng_json_delete(meta);
}

/* ---- CreateTable validation --------------------------------------------- */

static const char *attr_type_ok(const char *t)
{
    return t && (strcmp(t, "S") == 0 || strcmp(t, "N") == 0 || strcmp(t, "B") == 0) ? t : NULL;
}

/* ---- name-length constraints --------------------------------------------- */

/* The first AttributeName over 255 bytes in the KeySchema-like or
 * AttributeDefinitions-like array `arr` found at request path `path`.
 * DynamoDB checks such member constraints before any semantic check, so a
 * long name is reported even when the schema is incoherent too. */
static int check_name_lens(const cJSON *arr, const char *path, eng_buf_t *m, const char **why)
{
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        const char *name = eng_json_get_str(e, "AttributeName");
        i++;
        if (name && strlen(name) > DDB_NAME_MAX) {
            return refuse(m, why,
                          "1 validation error detected: Value '%s' at "
                          "'%s.%d.member.attributeName' failed to satisfy constraint: Member "
                          "must have length less than or equal to 255",
                          name, path, i);
        }
    }
    return 0;
}

/* An index's key names and projected names (`ix` is one GSI/LSI description). */
static int check_index_name_lens(const cJSON *ix, const char *path, eng_buf_t *m, const char **why)
{
    char sub[128];
    snprintf(sub, sizeof(sub), "%s.keySchema", path);
    if (check_name_lens(eng_json_get(ix, "KeySchema"), sub, m, why) < 0)
        return ENG_EINVAL;
    const cJSON *n;
    cJSON_ArrayForEach(n, eng_json_get(eng_json_get(ix, "Projection"), "NonKeyAttributes"))
    {
        if (cJSON_IsString(n) && strlen(n->valuestring) > DDB_NAME_MAX) {
            return refuse(m, why,
                          "1 validation error detected: Value at '%s.projection.nonKeyAttributes' "
                          "failed to satisfy constraint: Member must satisfy constraint: [Member "
                          "must have length less than or equal to 255]",
                          path);
        }
    }
    return 0;
}

/* Every attribute-name length constraint of a CreateTable or UpdateTable body. */
static int check_all_name_lens(const cJSON *body, eng_buf_t *m, const char **why)
{
    if (check_name_lens(eng_json_get(body, "KeySchema"), "keySchema", m, why) < 0 ||
        check_name_lens(eng_json_get(body, "AttributeDefinitions"), "attributeDefinitions", m,
                        why) < 0)
        return ENG_EINVAL;
    static const struct {
        const char *member, *path, *inner;
    } lists[] = {
        {"GlobalSecondaryIndexes", "globalSecondaryIndexes", NULL},
        {"LocalSecondaryIndexes", "localSecondaryIndexes", NULL},
        {"GlobalSecondaryIndexUpdates", "globalSecondaryIndexUpdates", "Create"},
    };
    for (size_t k = 0; k < ENG_ARRAY_LEN(lists); k++) {
        int i = 0;
        const cJSON *ix;
        cJSON_ArrayForEach(ix, eng_json_get(body, lists[k].member))
        {
            char path[96];
            i++;
            snprintf(path, sizeof(path), "%s.%d.member%s", lists[k].path, i,
                     lists[k].inner ? ".create" : "");
            const cJSON *d = lists[k].inner ? eng_json_get(ix, lists[k].inner) : ix;
            if (d && check_index_name_lens(d, path, m, why) < 0)
                return ENG_EINVAL;
        }
    }
    return 0;
}

/* Append the constraint failures of index name `name` at request path
 * `path` to `m` (each "; "-separated), counting them in *n. */
static void index_name_errors(const char *name, const char *path, eng_buf_t *m, int *n)
{
    static const char *const fmt = "%sValue '%s' at '%s' failed to satisfy constraint: %s";
    size_t len = strlen(name);
    if (len == 0 || !ddb__is_name_pattern(name))
        eng_buf_printf(m, fmt, (*n)++ ? "; " : "", name, path,
                       "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    if (len < 3 || len > DDB_NAME_MAX)
        eng_buf_printf(m, fmt, (*n)++ ? "; " : "", name, path,
                       len < 3 ? "Member must have length greater than or equal to 3"
                               : "Member must have length less than or equal to 255");
}

/* Index names are member constraints: DynamoDB reports every bad one of a
 * CreateTable together, the GSIs' before the LSIs' whatever the order. */
static int check_index_names(const cJSON *body, eng_buf_t *m, const char **why)
{
    static const struct {
        const char *member, *path;
    } lists[] = {
        {"GlobalSecondaryIndexes", "globalSecondaryIndexes"},
        {"LocalSecondaryIndexes", "localSecondaryIndexes"},
    };
    eng_buf_t errs = {0};
    int n = 0;
    for (size_t k = 0; k < ENG_ARRAY_LEN(lists); k++) {
        int i = 0;
        const cJSON *ix;
        cJSON_ArrayForEach(ix, eng_json_get(body, lists[k].member))
        {
            char path[96];
            snprintf(path, sizeof(path), "%s.%d.member.indexName", lists[k].path, ++i);
            const char *name = eng_json_get_str(ix, "IndexName");
            if (name)
                index_name_errors(name, path, &errs, &n);
        }
    }
    if (n > 0) {
        eng_buf_reset(m);
        eng_buf_printf(m, "%d validation error%s detected: %s", n, n > 1 ? "s" : "", errs.ptr);
        *why = m->ptr;
    }
    eng_buf_free(&errs);
    return n > 0 ? ENG_EINVAL : 0;
}

/* A KeySchema of no or more than two elements. Over two, DynamoDB echoes
 * the elements in its own model's text form. */
static int key_count_error(const cJSON *ks, eng_buf_t *m, const char **why)
{
    if (cJSON_GetArraySize(ks) < 1) {
        eng_buf_append_str(m, "1 validation error detected: Value at 'keySchema' failed to satisfy "
                              "constraint: Member must have length greater than or equal to 1");
        return *why = m->ptr, ENG_EINVAL;
    }
    eng_buf_append_str(m, "1 validation error detected: Value '[");
    const cJSON *k;
    cJSON_ArrayForEach(k, ks)
    {
        const char *name = eng_json_get_str(k, "AttributeName");
        const char *type = eng_json_get_str(k, "KeyType");
        eng_buf_printf(m, "%sKeySchemaElement(attributeName=%s, keyType=%s)",
                       k == ks->child ? "" : ", ", name ? name : "null", type ? type : "null");
    }
    eng_buf_append_str(m, "]' at 'keySchema' failed to satisfy constraint: Member must have "
                          "length less than or equal to 2");
    return *why = m->ptr, ENG_EINVAL;
}

/* Copy KeySchema element `i` of `ks` into `keys`, checking its type and
 * position. Returns 0 or ENG_EINVAL with the message (in `m` or static). */
static int copy_key_element(const cJSON *ks, int i, cJSON *keys, eng_buf_t *m, const char **why)
{
    const cJSON *k = cJSON_GetArrayItem(ks, i);
    const char *name = eng_json_get_str(k, "AttributeName");
    const char *type = eng_json_get_str(k, "KeyType");
    if (!name || !*name || strlen(name) > DDB_NAME_MAX || !type ||
        (strcmp(type, "HASH") != 0 && strcmp(type, "RANGE") != 0)) {
        eng_buf_printf(m,
                       "1 validation error detected: Value '%s' at 'keySchema.%d.member.keyType' "
                       "failed to satisfy constraint: Member must satisfy enum value set: [HASH, "
                       "RANGE]",
                       type ? type : "null", i + 1);
        return *why = m->ptr, ENG_EINVAL;
    }
    if (strcmp(type, i == 0 ? "HASH" : "RANGE") != 0) {
        *why = i == 0 ? "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
                      : "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type";
        return ENG_EINVAL;
    }
    if (i == 1 && strcmp(name, eng_json_get_str(cJSON_GetArrayItem(ks, 0), "AttributeName")) == 0) {
        /* The second element is taken for an undefined attribute. */
        *why = "Invalid KeySchema: Some index key attribute have no definition";
        return ENG_EINVAL;
    }
    cJSON *ke = cJSON_CreateObject();
    cJSON_AddStringToObject(ke, "AttributeName", name);
    cJSON_AddStringToObject(ke, "KeyType", type);
    cJSON_AddItemToArray(keys, ke);
    return 0;
}

/* Copy AttributeDefinitions `ad` into `defs`, checking each member; *n is
 * how many there were. Returns 0 or ENG_EINVAL with the message in `m`. */
static int copy_definitions(const cJSON *ad, cJSON *defs, int *n, eng_buf_t *m, const char **why)
{
    const cJSON *d;
    int i = 0;
    cJSON_ArrayForEach(d, ad)
    {
        i++;
        const char *name = eng_json_get_str(d, "AttributeName");
        const char *t = eng_json_get_str(d, "AttributeType");
        const char *type = attr_type_ok(t);
        if (!name)
            eng_buf_printf(m,
                           "1 validation error detected: Value null at "
                           "'attributeDefinitions.%d.member.attributeName' failed to satisfy "
                           "constraint: Member must not be null",
                           i);
        else if (!type)
            eng_buf_printf(m,
                           "1 validation error detected: Value '%s' at "
                           "'attributeDefinitions.%d.member.attributeType' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [B, N, S]",
                           t ? t : "null", i);
        else if (ddb__is_defined(defs, name)) /* Two types for one name: refused, not picked. */
            eng_buf_printf(m, "Attribute Name is duplicated: %s", name);
        if (!name || !type || m->len)
            return *why = m->ptr, ENG_EINVAL;
        cJSON *de = cJSON_CreateObject();
        cJSON_AddStringToObject(de, "AttributeName", name);
        cJSON_AddStringToObject(de, "AttributeType", type);
        cJSON_AddItemToArray(defs, de);
    }
    *n = i;
    return 0;
}

/* Check KeySchema against AttributeDefinitions; copy both normalized into meta. */
static int check_keys(ddb_call_t *c, cJSON *meta, const char **why)
{
    const cJSON *ks = eng_json_get(c->body, "KeySchema");
    const cJSON *ad = eng_json_get(c->body, "AttributeDefinitions");
    eng_buf_t *m = &c->th->why;
    eng_buf_reset(m);
    if (!cJSON_IsArray(ks) || !cJSON_IsArray(ad)) {
        eng_buf_printf(m,
                       "1 validation error detected: Value null at '%s' failed to satisfy "
                       "constraint: Member must not be null",
                       !cJSON_IsArray(ks) ? "keySchema" : "attributeDefinitions");
        return *why = m->ptr, ENG_EINVAL;
    }
    int nk = cJSON_GetArraySize(ks), nd = 0;
    if (nk < 1 || nk > 2)
        return key_count_error(ks, m, why);
    cJSON *keys = cJSON_AddArrayToObject(meta, "KeySchema");
    cJSON *defs = cJSON_AddArrayToObject(meta, "AttributeDefinitions");
    for (int i = 0; i < nk; i++)
        if (copy_key_element(ks, i, keys, m, why) < 0)
            return ENG_EINVAL;
    if (copy_definitions(ad, defs, &nd, m, why) < 0)
        return ENG_EINVAL;
    bool has_indexes = eng_json_get(c->body, "GlobalSecondaryIndexes") ||
                       eng_json_get(c->body, "LocalSecondaryIndexes");
    if (nd != nk && !has_indexes) { /* With indexes, ddb__index_create checks the count. */
        *why = DDB_INVALID "Number of attributes in KeySchema does not exactly match number of "
                           "attributes defined in AttributeDefinitions";
        return ENG_EINVAL;
    }
    const char *undef = ddb__undefined_attr(keys, defs);
    return undef ? ddb__undefined_key(m, undef, defs, why) : 0;
}

/* BillingMode and ProvisionedThroughput into meta; `is_update` keeps old values. */
static int check_billing(const cJSON *body, cJSON *meta, bool is_update, const char **why)
{
    const char *mode = eng_json_get_str(body, "BillingMode");
    const cJSON *pt = eng_json_get(body, "ProvisionedThroughput");
    if (mode && strcmp(mode, "PROVISIONED") != 0 && strcmp(mode, "PAY_PER_REQUEST") != 0) {
        *why = "1 validation error detected: Value at 'billingMode' failed to satisfy constraint: "
               "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]";
        return ENG_EINVAL;
    }
    if (!mode)
        mode = is_update ? eng_json_get_str(meta, "BillingMode") : "PROVISIONED";
    if (!mode)
        mode = "PROVISIONED";
    bool is_ppr = strcmp(mode, "PAY_PER_REQUEST") == 0;
    if (is_ppr && pt) {
        *why = DDB_INVALID "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                           "BillingMode is PAY_PER_REQUEST";
        return ENG_EINVAL;
    }
    const cJSON *r = eng_json_get(pt, "ReadCapacityUnits");
    const cJSON *w = eng_json_get(pt, "WriteCapacityUnits");
    bool has_old = cJSON_IsNumber(eng_json_get(meta, "ReadCapacityUnits")) &&
                   eng_json_get(meta, "ReadCapacityUnits")->valuedouble > 0;
    if (!is_ppr && (!cJSON_IsNumber(r) || !cJSON_IsNumber(w)) && !(is_update && has_old && !pt)) {
        *why = DDB_INVALID "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                           "BillingMode is PROVISIONED";
        return ENG_EINVAL;
    }
    if (!is_ppr && pt && (r->valuedouble < 1 || w->valuedouble < 1)) {
        *why = "1 validation error detected: Value at 'provisionedThroughput.readCapacityUnits' "
               "failed to satisfy constraint: Member must have value greater than or equal to 1";
        return ENG_EINVAL;
    }
    char mode_copy[32]; /* `mode` may point into the member replaced below. */
    snprintf(mode_copy, sizeof(mode_copy), "%s", mode);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "BillingMode");
    cJSON_AddStringToObject(meta, "BillingMode", mode_copy);
    if (is_ppr || pt) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "ReadCapacityUnits");
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "WriteCapacityUnits");
        cJSON_AddNumberToObject(meta, "ReadCapacityUnits", is_ppr ? 0 : r->valuedouble);
        cJSON_AddNumberToObject(meta, "WriteCapacityUnits", is_ppr ? 0 : w->valuedouble);
    }
    return 0;
}

static const char *const VIEW_TYPES[] = {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES",
                                         "KEYS_ONLY"};

/* Turn the stream on in `meta`: a new label and ARN, remembered in "Streams". */
static void stream_enable(gw_ddb_t *ddb, cJSON *meta, const char *view)
{
    struct timespec ts;
    double now = now_seconds(&ts);
    char label[32];
    stream_label(&ts, label);
    const char *name = eng_json_get_str(meta, "TableName");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "StreamSpecification");
    cJSON *spec = cJSON_AddObjectToObject(meta, "StreamSpecification");
    cJSON_AddBoolToObject(spec, "StreamEnabled", true);
    cJSON_AddStringToObject(spec, "StreamViewType", view);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "LatestStreamLabel");
    cJSON_AddStringToObject(meta, "LatestStreamLabel", label);
    cJSON *streams = eng_json_get(meta, "Streams");
    if (!streams)
        streams = cJSON_AddArrayToObject(meta, "Streams");
    cJSON *s = cJSON_CreateObject();
    eng_buf_t arn = {0};
    eng_buf_printf(&arn, "arn:aws:dynamodb:%s:" ACCOUNT ":table/%s/stream/%s", ddb->region, name,
                   label);
    cJSON_AddStringToObject(s, "StreamLabel", label);
    cJSON_AddStringToObject(s, "StreamArn", arn.ptr);
    cJSON_AddStringToObject(s, "StreamViewType", view);
    cJSON_AddNumberToObject(s, "CreationDateTime", now);
    cJSON_AddItemToArray(streams, s);
    eng_buf_free(&arn);
}

static void stream_disable(cJSON *meta)
{
    struct timespec ts;
    double now = now_seconds(&ts);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "StreamSpecification");
    cJSON *streams = eng_json_get(meta, "Streams");
    cJSON *last = streams ? cJSON_GetArrayItem(streams, cJSON_GetArraySize(streams) - 1) : NULL;
    if (last && !eng_json_get(last, "DisabledDateTime"))
        cJSON_AddNumberToObject(last, "DisabledDateTime", now);
}

/* Record each stream's change-log range: a stream enabled now starts after
 * `seq`, one disabled now ends at it. CreateTable passes 0. */
static void stream_bounds(cJSON *meta, uint64_t seq)
{
    cJSON *s;
    cJSON_ArrayForEach(s, eng_json_get(meta, "Streams"))
    {
        if (!eng_json_get(s, "StartSeq"))
            cJSON_AddNumberToObject(s, "StartSeq", (double)(seq + 1));
        if (eng_json_get(s, "DisabledDateTime") && !eng_json_get(s, "EndSeq"))
            cJSON_AddNumberToObject(s, "EndSeq", (double)seq);
    }
}

/* Writer thread, inside the UpdateTable transaction: storage has set
 * sw->seq to the table's last seq, so the bounds are exact even while
 * items are being written. Rewrites the new meta in w->aux. */
static int on_update_check(store_write_t *sw, eng_slice_t old, void *arg)
{
    (void)old;
    ddb_wreq_t *w = arg;
    cJSON *meta = NULL;
    if (eng_json_parse(sw->item.ptr, sw->item.len, &meta) < 0)
        return ENG_ECORRUPT;
    stream_bounds(meta, sw->seq);
    eng_buf_reset(&w->aux);
    eng_json_print(meta, &w->aux);
    eng_json_delete(meta);
    sw->item = eng_slice(w->aux.ptr, w->aux.len);
    return 0;
}

/* Apply a StreamSpecification to meta. Returns 0 or ENG_EINVAL with *why. */
static int apply_stream(ddb_call_t *c, cJSON *meta, bool is_update, const char **why)
{
    const cJSON *spec = eng_json_get(c->body, "StreamSpecification");
    if (!spec)
        return 0;
    const cJSON *on = eng_json_get(spec, "StreamEnabled");
    const char *view = eng_json_get_str(spec, "StreamViewType");
    bool is_on = cJSON_IsTrue(on);
    bool was_on =
        cJSON_IsTrue(eng_json_get(eng_json_get(meta, "StreamSpecification"), "StreamEnabled"));
    const char *name = eng_json_get_str(meta, "TableName");
    eng_buf_t *m = &c->th->why;
    eng_buf_reset(m);
    if (!cJSON_IsBool(on)) {
        *why =
            "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed "
            "to satisfy constraint: Member must not be null";
        return ENG_EINVAL;
    }
    if (is_on) {
        bool is_known = false;
        for (size_t i = 0; view && i < ENG_ARRAY_LEN(VIEW_TYPES); i++)
            is_known = is_known || strcmp(view, VIEW_TYPES[i]) == 0;
        if (!is_known) {
            *why = DDB_INVALID "You must specify a StreamViewType when enabling a Stream";
            return ENG_EINVAL;
        }
        if (is_update && was_on) {
            eng_buf_printf(m, "Table already has an enabled stream: TableName: %s", name);
            return *why = m->ptr, ENG_EINVAL;
        }
        stream_enable(c->ddb, meta, view);
        return 0;
    }
    if (view) {
        *why = is_update ? DDB_INVALID "You cannot modify stream view type while disabling a stream"
                         : DDB_INVALID "Table is being created with a stream disabled, "
                                       "UpdateViewType should not be specified";
        return ENG_EINVAL;
    }
    if (is_update && !was_on) {
        eng_buf_printf(m, "Table has no stream to disable: TableName: %s", name);
        return *why = m->ptr, ENG_EINVAL;
    }
    if (is_update)
        stream_disable(meta);
    return 0;
}

/* ---- CreateTable -------------------------------------------------------- */

static int create_meta(ddb_call_t *c, const char *name, cJSON *meta, const char **why)
{
    int err = check_all_name_lens(c->body, &c->th->why, why);
    if (err == 0)
        err = check_index_names(c->body, &c->th->why, why);
    if (err == 0)
        err = check_keys(c, meta, why);
    if (err == 0)
        err = ddb__index_create(c, meta, why);
    if (err == 0)
        err = check_billing(c->body, meta, false, why);
    if (err == 0)
        err = apply_settings(c, meta, false, why);
    if (err == 0)
        err = ddb__tags_create(c->th, c->body, meta, why);
    if (err < 0)
        return err;
    char id[37];
    uuid4(id);
    struct timespec ts;
    cJSON_AddStringToObject(meta, "TableName", name);
    cJSON_AddStringToObject(meta, "TableId", id);
    double now = now_seconds(&ts);
    cJSON_AddNumberToObject(meta, "CreationDateTime", now);
    /* A table born on-demand reports its creation as the switch to it. */
    if (strcmp(eng_json_get_str(meta, "BillingMode"), "PAY_PER_REQUEST") == 0)
        cJSON_AddNumberToObject(meta, "LastUpdateToPayPerRequestDateTime", now);
    err = apply_stream(c, meta, false, why);
    if (err == 0)
        stream_bounds(meta, 0);
    return err;
}

void ddb__op_create_table(ddb_call_t *c)
{
    /* CreateTable names a missing table name its own way. */
    if (!eng_json_get(c->body, "TableName")) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION,
                       "The parameter 'TableName' is required but was not present in the request");
        return;
    }
    cJSON *name = table_name_arg(c);
    if (!name)
        return;
    const char *why = NULL;
    cJSON *meta = cJSON_CreateObject();
    if (create_meta(c, name->valuestring, meta, &why) < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        eng_json_delete(meta);
        return;
    }
    ddb_wreq_t *w = ddb__wreq_get(c, on_create_done);
    snprintf(w->table, sizeof(w->table), "%s", name->valuestring);
    eng_json_print(meta, &w->aux);
    eng_json_delete(meta);
    store_write_t *sw = ddb__wreq_add(w);
    sw->kind = STORE_W_TABLE_CREATE;
    sw->table = eng_slice_cstr(w->table);
    sw->item = eng_slice(w->aux.ptr, w->aux.len);
    ddb__wreq_submit(w, false);
}

static void on_create_done(ddb_wreq_t *w)
{
    int err = ddb__wreq_err(w);
    if (err == ENG_EEXIST) {
        ddb__reply_errf(w->th, w->req, DDB_E_IN_USE, "Table already exists: %s", w->table);
        return;
    }
    if (err < 0) {
        ddb__reply_store_err(w->th, w->req, err);
        return;
    }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    describe(w->ddb, eng_slice(w->aux.ptr, w->aux.len), "ACTIVE", 0, 0, "TableDescription", out,
             NULL, 0, NULL);
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}

/* ---- DescribeTable / ListTables ----------------------------------------- */

void ddb__op_describe_table(ddb_call_t *c)
{
    cJSON *name = table_name_arg(c);
    if (!name)
        return;
    store_table_t t;
    if (find_table(c, name->valuestring, &t) < 0)
        return;
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    describe(c->ddb, t.meta, "ACTIVE", t.item_count, t.size_bytes, "Table", out, c->th->reader,
             t.id, NULL);
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

void ddb__op_list_tables(ddb_call_t *c)
{
    const cJSON *lim = eng_json_get(c->body, "Limit");
    int limit = cJSON_IsNumber(lim) ? lim->valueint : 100;
    if (lim && (!cJSON_IsNumber(lim) || limit < 1 || limit > 100)) {
        ddb__reply_validation(
            c->th, c->req,
            "1 validation error detected: Value '%d' at 'limit' failed to "
            "satisfy constraint: Member must have value %s",
            limit, limit < 1 ? "greater than or equal to 1" : "less than or equal to 100");
        return;
    }
    const char *start = eng_json_get_str(c->body, "ExclusiveStartTableName");
    int err = ddb__read(c);
    if (err < 0) {
        ddb__reply_store_err(c->th, c->req, err);
        return;
    }
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"TableNames\":[");
    eng_slice_t after = start ? eng_slice_cstr(start) : eng_slice("", 0);
    store_table_t t;
    int n = 0;
    bool has_more = false;
    while (store_table_next(c->th->reader, after, &t) == 0) {
        if (n == limit) {
            has_more = true;
            break;
        }
        ddb__sep(out);
        eng_json_append_string(out, t.name.ptr, t.name.len);
        after = t.name;
        n++;
    }
    eng_buf_append_char(out, ']');
    if (has_more) {
        eng_buf_append_str(out, ",\"LastEvaluatedTableName\":");
        eng_json_append_string(out, after.ptr, after.len);
    }
    eng_buf_append_char(out, '}');
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

/* ---- UpdateTable -------------------------------------------------------- */

/* DynamoDB refuses a throughput "change" to the values a provisioned table
 * already has. Returns 0 or ENG_EINVAL with *why. */
static int check_throughput_change(ddb_call_t *c, const cJSON *meta, const char **why)
{
    const cJSON *pt = eng_json_get(c->body, "ProvisionedThroughput");
    const char *mode = eng_json_get_str(c->body, "BillingMode");
    const char *cur = eng_json_get_str(meta, "BillingMode");
    const cJSON *r = eng_json_get(pt, "ReadCapacityUnits");
    const cJSON *w = eng_json_get(pt, "WriteCapacityUnits");
    const cJSON *cr = eng_json_get(meta, "ReadCapacityUnits");
    const cJSON *cw = eng_json_get(meta, "WriteCapacityUnits");
    if ((cur && strcmp(cur, "PROVISIONED") != 0) || (mode && strcmp(mode, "PROVISIONED") != 0) ||
        !cJSON_IsNumber(r) || !cJSON_IsNumber(w) || !cJSON_IsNumber(cr) || !cJSON_IsNumber(cw) ||
        r->valuedouble != cr->valuedouble || w->valuedouble != cw->valuedouble)
        return 0;
    return refuse(&c->th->why, why,
                  "The provisioned throughput for the table will not change. The requested "
                  "value equals the current value. Current ReadCapacityUnits provisioned for "
                  "the table: %.0f. Requested ReadCapacityUnits: %.0f. Current "
                  "WriteCapacityUnits provisioned for the table: %.0f. Requested "
                  "WriteCapacityUnits: %.0f. Refer to the Amazon DynamoDB Developer Guide for "
                  "current limits and how to request higher limits.",
                  cr->valuedouble, r->valuedouble, cw->valuedouble, w->valuedouble);
}

/* BillingMode and ProvisionedThroughput of an UpdateTable; a switch to
 * on-demand is stamped. Returns 0 or ENG_EINVAL with *why. */
static int update_billing(ddb_call_t *c, cJSON *meta, const char **why)
{
    const char *old = eng_json_get_str(meta, "BillingMode");
    bool was_ppr = old && strcmp(old, "PAY_PER_REQUEST") == 0;
    int err = check_throughput_change(c, meta, why);
    if (err == 0)
        err = check_billing(c->body, meta, true, why);
    if (err < 0)
        return err;
    bool is_ppr = strcmp(eng_json_get_str(meta, "BillingMode"), "PAY_PER_REQUEST") == 0;
    if (is_ppr && !was_ppr) {
        struct timespec ts;
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "LastUpdateToPayPerRequestDateTime");
        cJSON_AddNumberToObject(meta, "LastUpdateToPayPerRequestDateTime", now_seconds(&ts));
    }
    return 0;
}

/* UpdateTable's AttributeDefinitions get CreateTable's member checks: the
 * index code merges them into the stored meta, where a definition without
 * a valid type would break the schema of every later write. */
static int check_update_defs(ddb_call_t *c, const char **why)
{
    cJSON *defs = cJSON_CreateArray();
    int n = 0;
    eng_buf_reset(&c->th->why);
    int err =
        copy_definitions(eng_json_get(c->body, "AttributeDefinitions"), defs, &n, &c->th->why, why);
    eng_json_delete(defs);
    return err;
}

static int update_meta(ddb_call_t *c, cJSON *meta, const char **why)
{
    const cJSON *b = c->body;
    if (check_all_name_lens(b, &c->th->why, why) < 0 || check_update_defs(c, why) < 0)
        return ENG_EINVAL;
    if (!eng_json_get(b, "StreamSpecification") && !eng_json_get(b, "BillingMode") &&
        !eng_json_get(b, "ProvisionedThroughput") &&
        !eng_json_get(b, "GlobalSecondaryIndexUpdates") && !has_setting(b)) {
        *why = "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
               "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required";
        return ENG_EINVAL;
    }
    int err = update_billing(c, meta, why);
    if (err == 0)
        err = apply_settings(c, meta, true, why);
    if (err == 0)
        err = apply_stream(c, meta, true, why);
    bool is_not_found = false;
    if (err == 0 && eng_json_get(b, "GlobalSecondaryIndexUpdates"))
        err = ddb__index_update(c, meta, why, &is_not_found);
    return err < 0 && is_not_found ? ENG_ENOTFOUND : err;
}

void ddb__op_update_table(ddb_call_t *c)
{
    cJSON *name = table_name_arg(c);
    if (!name)
        return;
    store_table_t t;
    if (find_table(c, name->valuestring, &t) < 0)
        return;
    cJSON *meta = NULL;
    const char *why = "Stored table meta is corrupt";
    int uerr = 0;
    if (eng_json_parse(t.meta.ptr, t.meta.len, &meta) < 0 ||
        (uerr = update_meta(c, meta, &why)) < 0) {
        ddb__reply_err(c->th, c->req,
                       !meta                   ? DDB_E_INTERNAL
                       : uerr == ENG_ENOTFOUND ? DDB_E_NOT_FOUND
                                               : DDB_E_VALIDATION,
                       why);
        eng_json_delete(meta);
        return;
    }
    ddb_wreq_t *w = ddb__wreq_get(c, on_update_done);
    if (eng_json_get(c->body, "GlobalSecondaryIndexUpdates"))
        ddb__wreq_keep_body(w, c); /* on_update_done names the GSI being created. */
    snprintf(w->table, sizeof(w->table), "%s", name->valuestring);
    eng_json_print(meta, &w->aux);
    eng_json_delete(meta);
    w->units = (double)t.item_count;
    w->new_size = t.size_bytes;
    store_write_t *sw = ddb__wreq_add(w);
    sw->kind = STORE_W_TABLE_UPDATE;
    sw->table = eng_slice_cstr(w->table);
    sw->item = eng_slice(w->aux.ptr, w->aux.len);
    if (eng_json_get(c->body, "StreamSpecification")) {
        sw->check = on_update_check;
        sw->check_arg = w;
    }
    ddb__wreq_submit(w, false);
}

static void on_update_done(ddb_wreq_t *w)
{
    int err = ddb__wreq_err(w);
    if (err < 0) {
        ddb__reply_store_err(w->th, w->req, err);
        return;
    }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    const cJSON *upd = w->body ? eng_json_get(w->body, "GlobalSecondaryIndexUpdates") : NULL;
    const cJSON *u;
    const char *creating = NULL;
    cJSON_ArrayForEach(u, upd) creating =
        eng_json_get(u, "Create") ? eng_json_get_str(eng_json_get(u, "Create"), "IndexName")
                                  : creating;
    describe(w->ddb, eng_slice(w->aux.ptr, w->aux.len), "ACTIVE", (uint64_t)w->units, w->new_size,
             "TableDescription", out, NULL, 0, creating);
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}

/* ---- DeleteTable -------------------------------------------------------- */

/* Writer thread: veto the drop while the committed meta says the table is
 * protected against deletion. */
static int on_delete_check(store_write_t *sw, eng_slice_t old, void *arg)
{
    (void)sw;
    (void)arg;
    cJSON *meta = NULL;
    if (eng_json_parse(old.ptr, old.len, &meta) < 0)
        return ENG_ECORRUPT;
    bool is_protected = cJSON_IsTrue(eng_json_get(meta, "DeletionProtectionEnabled"));
    eng_json_delete(meta);
    return is_protected ? ENG_ECONDITION : 0;
}

void ddb__op_delete_table(ddb_call_t *c)
{
    cJSON *name = table_name_arg(c);
    if (!name)
        return;
    store_table_t t;
    if (find_table(c, name->valuestring, &t) < 0)
        return;
    ddb_wreq_t *w = ddb__wreq_get(c, on_delete_done);
    snprintf(w->table, sizeof(w->table), "%s", name->valuestring);
    eng_buf_append(&w->aux, t.meta.ptr, t.meta.len);
    w->units = (double)t.item_count;
    w->new_size = t.size_bytes;
    store_write_t *sw = ddb__wreq_add(w);
    sw->kind = STORE_W_TABLE_DELETE;
    sw->table = eng_slice_cstr(w->table);
    sw->check = on_delete_check;
    ddb__wreq_submit(w, false);
}

static void on_delete_done(ddb_wreq_t *w)
{
    int err = ddb__wreq_err(w);
    if (err == ENG_ENOTFOUND) {
        ddb__reply_errf(w->th, w->req, DDB_E_NOT_FOUND,
                        "Requested resource not found: Table: %s not found", w->table);
        return;
    }
    if (err == ENG_ECONDITION) {
        ddb__reply_err(w->th, w->req, DDB_E_VALIDATION,
                       "Resource cannot be deleted as it is currently protected against deletion. "
                       "Disable deletion protection first.");
        return;
    }
    if (err < 0) {
        ddb__reply_store_err(w->th, w->req, err);
        return;
    }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    describe_deleted(w->ddb, eng_slice(w->aux.ptr, w->aux.len), (uint64_t)w->units, w->new_size,
                     out);
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}
