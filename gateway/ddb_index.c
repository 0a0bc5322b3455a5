/* SPDX-License-Identifier: MIT
 * ddb_index.c: secondary indexes at the DynamoDB front door: validating
 * GlobalSecondaryIndexes / LocalSecondaryIndexes at CreateTable and
 * GlobalSecondaryIndexUpdates at UpdateTable into the table meta (storage
 * maintains the entries from the meta), describing them, and resolving an
 * IndexName for Query and Scan. A new GSI is backfilled inside the
 * UpdateTable transaction: the reply says CREATING, DescribeTable then ACTIVE.
 * An index read that names attributes outside a non-ALL projection is refused
 * on a GSI and served by fetching the table item on an LSI (ddb_scan.c). */
#include "gateway/ddb_int.h"

#include "engine/err.h"
#include "engine/mem.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ACCOUNT "000000000000"
#define GSI_MAX 20
#define LSI_MAX 5

/* ---- validation --------------------------------------------------------- */

bool ddb__is_defined(const cJSON *defs, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *n = eng_json_get_str(d, "AttributeName");
        if (n && name && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

const char *ddb__key_attr(const cJSON *ks, const char *type)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, ks)
    {
        const char *t = eng_json_get_str(k, "KeyType");
        if (t && strcmp(t, type) == 0)
            return eng_json_get_str(k, "AttributeName");
    }
    return NULL;
}

/* Append the AttributeName of each element of `list` to `b`, ", "-separated,
 * as DynamoDB lists them in its key-schema messages. */
static void append_attr_names(eng_buf_t *b, const cJSON *list)
{
    const cJSON *e;
    const char *sep = "";
    cJSON_ArrayForEach(e, list)
    {
        const char *n = eng_json_get_str(e, "AttributeName");
        eng_buf_printf(b, "%s%s", sep, n ? n : "null");
        sep = ", ";
    }
}

int ddb__undefined_key(eng_buf_t *m, const char *key, const cJSON *defs, const char **why)
{
    eng_buf_reset(m);
    eng_buf_printf(m,
                   DDB_INVALID "Some index key attributes are not defined in AttributeDefinitions. "
                               "Keys: [%s], AttributeDefinitions: [",
                   key);
    append_attr_names(m, defs);
    eng_buf_append_char(m, ']');
    *why = m->ptr;
    return ENG_EINVAL;
}

/* The first name listed twice in NonKeyAttributes, or NULL. */
static const char *duplicate_in(const cJSON *nka)
{
    for (const cJSON *a = nka ? nka->child : NULL; a; a = a->next) {
        for (const cJSON *b = a->next; cJSON_IsString(a) && b; b = b->next) {
            if (cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0)
                return a->valuestring;
        }
    }
    return NULL;
}

/* The Projection member, normalized. */
static int check_projection(ddb_thread_t *th, const cJSON *p, cJSON *out, const char **why)
{
    const char *type = eng_json_get_str(p, "ProjectionType");
    const cJSON *nka = eng_json_get(p, "NonKeyAttributes");
    static const char *const types[] = {"ALL", "KEYS_ONLY", "INCLUDE"};
    bool is_known = false;
    for (size_t i = 0; type && i < ENG_ARRAY_LEN(types); i++)
        is_known = is_known || strcmp(type, types[i]) == 0;
    eng_buf_reset(&th->why);
    if (!is_known) {
        eng_buf_printf(&th->why, DDB_INVALID "Unknown ProjectionType: %s", type ? type : "null");
        return *why = th->why.ptr, ENG_EINVAL;
    }
    if (nka && strcmp(type, "INCLUDE") != 0) {
        eng_buf_printf(&th->why,
                       DDB_INVALID "ProjectionType is %s, but NonKeyAttributes is specified", type);
        return *why = th->why.ptr, ENG_EINVAL;
    }
    if (!nka && strcmp(type, "INCLUDE") == 0) {
        *why = DDB_INVALID "ProjectionType is INCLUDE, but NonKeyAttributes is not specified";
        return ENG_EINVAL;
    }
    const char *dup = duplicate_in(nka);
    if (dup) {
        eng_buf_printf(&th->why, DDB_INVALID "Duplicate attribute in NonKeyAttributes: %s", dup);
        return *why = th->why.ptr, ENG_EINVAL;
    }
    cJSON *po = cJSON_AddObjectToObject(out, "Projection");
    cJSON_AddStringToObject(po, "ProjectionType", type);
    if (nka)
        cJSON_AddItemToObject(po, "NonKeyAttributes", cJSON_Duplicate(nka, 1));
    return 0;
}

/* A GSI's KeySchema lists 1-4 HASH attributes, then 0-4 RANGE attributes
 * (multi-attribute keys); an LSI's one HASH then one RANGE. */
static bool key_shape_ok(const cJSON *ks, bool is_lsi)
{
    int n_hash = 0, n_range = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, ks)
    {
        const char *t = eng_json_get_str(k, "KeyType");
        bool is_hash = t && strcmp(t, "HASH") == 0;
        if (!eng_json_get_str(k, "AttributeName") || (!is_hash && (!t || strcmp(t, "RANGE") != 0)))
            return false;
        if (is_hash && n_range) /* HASH attributes come first. */
            return false;
        *(is_hash ? &n_hash : &n_range) += 1;
    }
    const int max = is_lsi ? 1 : STORE_KEY_ATTRS_MAX;
    return n_hash >= 1 && n_hash <= max && n_range <= max;
}

/* Does a key attribute appear twice in `ks`? */
static bool duplicate_key(const cJSON *ks)
{
    for (const cJSON *a = ks->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(eng_json_get_str(a, "AttributeName"),
                       eng_json_get_str(b, "AttributeName")) == 0)
                return true;
    return false;
}

const char *ddb__undefined_attr(const cJSON *ks, const cJSON *defs)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, ks)
    {
        const char *n = eng_json_get_str(k, "AttributeName");
        if (!ddb__is_defined(defs, n))
            return n;
    }
    return NULL;
}

/* One index definition `ix` into a normalized copy appended to `arr`. */
static int check_one(ddb_thread_t *th, const cJSON *ix, const cJSON *meta, bool is_lsi, cJSON *arr,
                     const char *field, const char **why)
{
    const char *name = eng_json_get_str(ix, "IndexName");
    /* Index names follow the table-name rules; DynamoDB reports them the same way. */
    if (name && ddb__check_table_name(th, name, field, why) < 0)
        return ENG_EINVAL;
    const cJSON *ks = eng_json_get(ix, "KeySchema");
    const cJSON *defs = eng_json_get(meta, "AttributeDefinitions");
    const char *hash = ddb__key_attr(ks, "HASH"), *range = ddb__key_attr(ks, "RANGE");
    const char *thash = ddb__key_attr(eng_json_get(meta, "KeySchema"), "HASH");
    eng_buf_t *m = &th->why;
    eng_buf_reset(m);
    if (!name || !*name || strlen(name) < 3 || strlen(name) > DDB_NAME_MAX || !cJSON_IsArray(ks) ||
        !hash || !key_shape_ok(ks, is_lsi)) {
        eng_buf_printf(m, DDB_INVALID "Invalid index definition%s%s", name ? ": " : "",
                       name ? name : "");
        return *why = m->ptr, ENG_EINVAL;
    }
    if (duplicate_key(ks)) {
        *why = "Both the Hash Key and the Range Key element in the KeySchema have the same name";
        return ENG_EINVAL;
    }
    const char *undef = ddb__undefined_attr(ks, defs);
    if (undef) {
        return ddb__undefined_key(m, undef, defs, why);
    }
    if (is_lsi && (strcmp(hash, thash) != 0)) {
        eng_buf_printf(m,
                       DDB_INVALID
                       "Index KeySchema does not have the same leading hash key as "
                       "table KeySchema for index: %s. index hash key: %s, table hash key: %s",
                       name, hash, thash);
        return *why = m->ptr, ENG_EINVAL;
    }
    if (is_lsi && !range) {
        eng_buf_printf(m, DDB_INVALID "Index KeySchema must have a range key for index: %s", name);
        return *why = m->ptr, ENG_EINVAL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "IndexName", name);
    cJSON_AddItemToObject(o, "KeySchema", cJSON_Duplicate(ks, 1));
    if (!is_lsi && eng_json_get(ix, "ProvisionedThroughput"))
        cJSON_AddItemToObject(o, "ProvisionedThroughput",
                              cJSON_Duplicate(eng_json_get(ix, "ProvisionedThroughput"), 1));
    return check_projection(th, eng_json_get(ix, "Projection"), o, why);
}

static bool name_taken(const cJSON *meta, const char *name)
{
    static const char *const members[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (size_t i = 0; i < ENG_ARRAY_LEN(members); i++) {
        const cJSON *ix;
        cJSON_ArrayForEach(ix, eng_json_get(meta, members[i]))
        {
            const char *n = eng_json_get_str(ix, "IndexName");
            if (n && strcmp(n, name) == 0)
                return true;
        }
    }
    return false;
}

/* Every index of body member `member` into meta, names unique across both kinds. */
static int check_list(ddb_thread_t *th, const cJSON *body, cJSON *meta, const char *member,
                      bool is_lsi, const char **why)
{
    const cJSON *list = eng_json_get(body, member);
    if (!list)
        return 0;
    int n = cJSON_GetArraySize(list);
    eng_buf_reset(&th->why);
    if (n > (is_lsi ? LSI_MAX : GSI_MAX) || n == 0) {
        *why = n == 0   ? DDB_INVALID "List of secondary indexes is empty"
               : is_lsi ? DDB_INVALID "Number of LocalSecondaryIndexes exceeds per-table limit of 5"
                        : DDB_INVALID
                   "GlobalSecondaryIndex count exceeds the per-table limit of 20";
        return ENG_EINVAL;
    }
    if (is_lsi && !ddb__key_attr(eng_json_get(meta, "KeySchema"), "RANGE")) {
        *why = DDB_INVALID "Table KeySchema does not have a range key, which is required when "
                           "specifying a LocalSecondaryIndex";
        return ENG_EINVAL;
    }
    cJSON *arr = cJSON_AddArrayToObject(meta, member);
    const cJSON *ix;
    int pos = 0;
    cJSON_ArrayForEach(ix, list)
    {
        const char *name = eng_json_get_str(ix, "IndexName");
        if (name && name_taken(meta, name)) {
            eng_buf_printf(&th->why, DDB_INVALID "Duplicate index name: %s", name);
            return *why = th->why.ptr, ENG_EINVAL;
        }
        char field[64];
        snprintf(field, sizeof(field), "%s.%d.member.indexName",
                 is_lsi ? "localSecondaryIndexes" : "globalSecondaryIndexes", ++pos);
        if (check_one(th, ix, meta, is_lsi, arr, field, why) < 0)
            return ENG_EINVAL;
    }
    return 0;
}

static void add_used(cJSON *used, const cJSON *ks)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, ks)
    {
        const char *n = eng_json_get_str(k, "AttributeName");
        if (n && !ddb__is_defined(used, n)) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "AttributeName", n);
            cJSON_AddItemToArray(used, o);
        }
    }
}

/* AttributeDefinitions must name exactly the key attributes in use. */
static int check_unused(ddb_thread_t *th, const cJSON *meta, const char **why)
{
    cJSON *used = cJSON_CreateArray();
    add_used(used, eng_json_get(meta, "KeySchema"));
    static const char *const members[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (size_t i = 0; i < ENG_ARRAY_LEN(members); i++) {
        const cJSON *ix;
        cJSON_ArrayForEach(ix, eng_json_get(meta, members[i]))
            add_used(used, eng_json_get(ix, "KeySchema"));
    }
    const cJSON *defs = eng_json_get(meta, "AttributeDefinitions");
    if (cJSON_GetArraySize(used) == cJSON_GetArraySize(defs)) {
        eng_json_delete(used);
        return 0;
    }
    eng_buf_t *m = &th->why;
    eng_buf_reset(m);
    eng_buf_append_str(m, DDB_INVALID "Some AttributeDefinitions are not used. "
                                      "AttributeDefinitions: [");
    append_attr_names(m, defs);
    eng_buf_append_str(m, "], keys used: [");
    append_attr_names(m, used);
    eng_buf_append_char(m, ']');
    eng_json_delete(used);
    return *why = m->ptr, ENG_EINVAL;
}

int ddb__index_create(ddb_call_t *c, cJSON *meta, const char **why)
{
    int err = check_list(c->th, c->body, meta, "GlobalSecondaryIndexes", false, why);
    if (err == 0)
        err = check_list(c->th, c->body, meta, "LocalSecondaryIndexes", true, why);
    return err == 0 ? check_unused(c->th, meta, why) : err;
}

/* ---- UpdateTable -------------------------------------------------------- */

/* Merge the request's AttributeDefinitions into meta (new names only). */
static void merge_defs(const cJSON *body, cJSON *meta)
{
    cJSON *defs = eng_json_get(meta, "AttributeDefinitions");
    const cJSON *d;
    cJSON_ArrayForEach(d, eng_json_get(body, "AttributeDefinitions"))
    {
        const char *n = eng_json_get_str(d, "AttributeName");
        if (n && !ddb__is_defined(defs, n))
            cJSON_AddItemToArray(defs, cJSON_Duplicate(d, 1));
    }
}

/* Remove from meta the definitions no key uses any more. */
static void prune_defs(cJSON *meta)
{
    cJSON *used = cJSON_CreateArray();
    add_used(used, eng_json_get(meta, "KeySchema"));
    const cJSON *ix;
    cJSON_ArrayForEach(ix, eng_json_get(meta, "GlobalSecondaryIndexes"))
        add_used(used, eng_json_get(ix, "KeySchema"));
    cJSON_ArrayForEach(ix, eng_json_get(meta, "LocalSecondaryIndexes"))
        add_used(used, eng_json_get(ix, "KeySchema"));
    cJSON *defs = eng_json_get(meta, "AttributeDefinitions");
    for (int i = cJSON_GetArraySize(defs) - 1; i >= 0; i--) {
        const char *n = eng_json_get_str(cJSON_GetArrayItem(defs, i), "AttributeName");
        if (!n || !ddb__is_defined(used, n))
            cJSON_DeleteItemFromArray(defs, i);
    }
    eng_json_delete(used);
}

/* `pos` is the update's 1-based place in GlobalSecondaryIndexUpdates. */
static int gsi_delete(ddb_thread_t *th, cJSON *meta, const char *name, int pos, const char **why)
{
    if (!name) { /* A member constraint: checked before the index is looked up. */
        eng_buf_reset(&th->why);
        eng_buf_printf(&th->why,
                       "1 validation error detected: Value null at "
                       "'globalSecondaryIndexUpdates.%d.member.delete.indexName' failed to "
                       "satisfy constraint: Member must not be null",
                       pos);
        return *why = th->why.ptr, ENG_EINVAL;
    }
    cJSON *arr = eng_json_get(meta, "GlobalSecondaryIndexes");
    for (int i = 0; i < cJSON_GetArraySize(arr); i++) {
        const char *n = eng_json_get_str(cJSON_GetArrayItem(arr, i), "IndexName");
        if (n && strcmp(n, name) == 0) {
            cJSON_DeleteItemFromArray(arr, i);
            return 0;
        }
    }
    eng_buf_reset(&th->why);
    eng_buf_printf(&th->why, "Requested resource not found: Index: %s not found", name);
    return *why = th->why.ptr, ENG_ENOTFOUND;
}

static int gsi_create(ddb_thread_t *th, cJSON *meta, const cJSON *spec, const char **why)
{
    const char *name = eng_json_get_str(spec, "IndexName");
    if (name && name_taken(meta, name)) {
        eng_buf_reset(&th->why);
        eng_buf_printf(&th->why, "Attempting to create an index which already exists");
        return *why = th->why.ptr, ENG_EINVAL;
    }
    cJSON *arr = eng_json_get(meta, "GlobalSecondaryIndexes");
    if (!arr)
        arr = cJSON_AddArrayToObject(meta, "GlobalSecondaryIndexes");
    if (cJSON_GetArraySize(arr) >= GSI_MAX) {
        *why = DDB_INVALID "GlobalSecondaryIndex count exceeds the per-table limit of 20";
        return ENG_EINVAL;
    }
    return check_one(th, spec, meta, false, arr,
                     "globalSecondaryIndexUpdates.1.member.create.indexName", why);
}

/* A new index's key attributes must each be declared in the request's own
 * AttributeDefinitions: DynamoDB does not count the table's stored ones. */
static int check_request_defs(ddb_thread_t *th, const cJSON *body, const cJSON *spec,
                              const char **why)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, eng_json_get(spec, "KeySchema"))
    {
        const char *n = eng_json_get_str(k, "AttributeName");
        const cJSON *defs = eng_json_get(body, "AttributeDefinitions");
        if (n && !ddb__is_defined(defs, n))
            return ddb__undefined_key(&th->why, n, defs, why);
    }
    return 0;
}

int ddb__index_update(ddb_call_t *c, cJSON *meta, const char **why, bool *is_not_found)
{
    const cJSON *u;
    int pos = 0;
    *is_not_found = false;
    merge_defs(c->body, meta);
    cJSON_ArrayForEach(u, eng_json_get(c->body, "GlobalSecondaryIndexUpdates"))
    {
        pos++;
        const cJSON *create = eng_json_get(u, "Create"), *del = eng_json_get(u, "Delete");
        int err = 0;
        if (create) {
            err = check_request_defs(c->th, c->body, create, why);
            if (err == 0)
                err = gsi_create(c->th, meta, create, why);
        } else if (del)
            err = gsi_delete(c->th, meta, eng_json_get_str(del, "IndexName"), pos, why);
        else if (!eng_json_get(u, "Update"))
            err = (*why = "One or more parameter values were invalid: One of "
                          "GlobalSecondaryIndexUpdate.Update, "
                          "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete "
                          "must not be null",
                   ENG_EINVAL);
        if (err < 0) {
            *is_not_found = err == ENG_ENOTFOUND;
            return ENG_EINVAL;
        }
    }
    prune_defs(meta);
    return check_unused(c->th, meta, why);
}

/* ---- DescribeTable ------------------------------------------------------ */

static void describe_one(const cJSON *ix, const char *arn, bool is_gsi, const store_index_t *st,
                         const char *status, cJSON *arr)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    const char *name = eng_json_get_str(ix, "IndexName");
    cJSON_AddStringToObject(o, "IndexName", name ? name : "");
    cJSON_AddItemToObject(o, "KeySchema", cJSON_Duplicate(eng_json_get(ix, "KeySchema"), 1));
    cJSON_AddItemToObject(o, "Projection", cJSON_Duplicate(eng_json_get(ix, "Projection"), 1));
    if (is_gsi) {
        cJSON_AddStringToObject(o, "IndexStatus", status);
        const cJSON *pt = eng_json_get(ix, "ProvisionedThroughput");
        cJSON *p = cJSON_AddObjectToObject(o, "ProvisionedThroughput");
        cJSON_AddNumberToObject(p, "NumberOfDecreasesToday", 0);
        const cJSON *r = eng_json_get(pt, "ReadCapacityUnits"),
                    *w = eng_json_get(pt, "WriteCapacityUnits");
        cJSON_AddNumberToObject(p, "ReadCapacityUnits", cJSON_IsNumber(r) ? r->valuedouble : 0);
        cJSON_AddNumberToObject(p, "WriteCapacityUnits", cJSON_IsNumber(w) ? w->valuedouble : 0);
    }
    cJSON_AddNumberToObject(o, "IndexSizeBytes", (double)st->size_bytes);
    cJSON_AddNumberToObject(o, "ItemCount", (double)st->item_count);
    eng_buf_t a = {0};
    eng_buf_printf(&a, "%s/index/%s", arn, name ? name : "");
    cJSON_AddStringToObject(o, "IndexArn", a.ptr);
    eng_buf_free(&a);
}

void ddb__index_describe(store_reader_t *r, uint32_t tid, const cJSON *meta, const char *arn,
                         const char *creating, cJSON *d)
{
    static const char *const members[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (size_t i = 0; i < ENG_ARRAY_LEN(members); i++) {
        const cJSON *list = eng_json_get(meta, members[i]), *ix;
        if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
            continue;
        cJSON *arr = cJSON_AddArrayToObject(d, members[i]);
        cJSON_ArrayForEach(ix, list)
        {
            const char *name = eng_json_get_str(ix, "IndexName");
            store_index_t st = {0};
            if (r && name)
                store_index_get(r, tid, eng_slice_cstr(name), &st);
            bool is_new = creating && name && strcmp(creating, name) == 0;
            describe_one(ix, arn, i == 0, &st, is_new ? "CREATING" : "ACTIVE", arr);
        }
    }
}

/* ---- Query / Scan ------------------------------------------------------- */

/* Find index `name` in meta; *is_gsi tells which kind. */
static const cJSON *find(const cJSON *meta, const char *name, bool *is_gsi)
{
    static const char *const members[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (size_t i = 0; i < ENG_ARRAY_LEN(members); i++) {
        const cJSON *ix;
        cJSON_ArrayForEach(ix, eng_json_get(meta, members[i]))
        {
            const char *n = eng_json_get_str(ix, "IndexName");
            if (n && strcmp(n, name) == 0) {
                *is_gsi = i == 0;
                return ix;
            }
        }
    }
    return NULL;
}

/* Select and ConsistentRead against the index kind and projection. */
static int check_read(ddb_call_t *c, const ddb_index_t *ix)
{
    const char *sel = eng_json_get_str(c->body, "Select");
    if (ix->is_gsi && cJSON_IsTrue(eng_json_get(c->body, "ConsistentRead"))) {
        ddb__reply_validation(c->th, c->req,
                              "Consistent reads are not supported on global secondary indexes");
        return ENG_EINVAL;
    }
    if (ix->is_gsi && !ix->is_all && sel && strcmp(sel, "ALL_ATTRIBUTES") == 0) {
        ddb__reply_validation(
            c->th, c->req,
            DDB_INVALID "Select type ALL_ATTRIBUTES is not supported "
                        "for global secondary index %s because its projection type is not ALL",
            ix->name);
        return ENG_EINVAL;
    }
    return 0;
}

/* ---- attributes a request names ------------------------------------------ */

static bool has_name(const cJSON *names, const char *name, size_t len)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (cJSON_IsString(n) && strlen(n->valuestring) == len &&
            memcmp(n->valuestring, name, len) == 0)
            return true;
    }
    return false;
}

/* Add `name` (a "#placeholder" is resolved through `ean`) unless already there. */
static void add_name(cJSON *names, const cJSON *ean, const char *name, size_t len)
{
    char ph[DDB_NAME_MAX + 2];
    if (name[0] == '#' && len < sizeof(ph)) {
        memcpy(ph, name, len);
        ph[len] = 0;
        const char *real = eng_json_get_str(ean, ph);
        if (!real)
            return; /* Expression parsing already refused an undefined placeholder. */
        name = real;
        len = strlen(real);
    }
    if (!has_name(names, name, len)) {
        char *copy = eng_malloc(len + 1);
        memcpy(copy, name, len);
        copy[len] = 0;
        cJSON_AddItemToArray(names, cJSON_CreateString(copy));
        eng_free(copy);
    }
}

static bool is_keyword(const char *w, size_t len)
{
    static const char *const words[] = {"AND", "OR", "NOT", "BETWEEN", "IN"};
    for (size_t i = 0; i < ENG_ARRAY_LEN(words); i++)
        if (strlen(words[i]) == len && strncasecmp(words[i], w, len) == 0)
            return true;
    return false;
}

static bool is_word_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* The top-level attribute names of an (already parsed, so well-formed)
 * projection or filter expression: words that are not values (":v"),
 * functions (followed by "("), keywords, or nested path steps (after "."). */
static void names_of_text(const char *text, const cJSON *ean, cJSON *names)
{
    char prev = 0;
    for (size_t i = 0; text && text[i];) {
        const char ch = text[i];
        if (isspace((unsigned char)ch)) {
            i++;
            continue;
        }
        if (ch != ':' && ch != '#' && !isalpha((unsigned char)ch) && ch != '_') {
            prev = ch;
            i++;
            continue;
        }
        size_t start = i++;
        while (is_word_char(text[i]))
            i++;
        size_t j = i;
        while (isspace((unsigned char)text[j]))
            j++;
        if (ch != ':' && prev != '.' && text[j] != '(' && !is_keyword(text + start, i - start))
            add_name(names, ean, text + start, i - start);
        prev = 'a';
    }
}

/* The attributes a Query or Scan asks for (`want`) and filters on (`filt`). */
static void request_names(const cJSON *body, cJSON *want, cJSON *filt)
{
    const cJSON *ean = eng_json_get(body, "ExpressionAttributeNames"), *n;
    names_of_text(eng_json_get_str(body, "ProjectionExpression"), ean, want);
    names_of_text(eng_json_get_str(body, "FilterExpression"), ean, filt);
    cJSON_ArrayForEach(n, eng_json_get(body, "AttributesToGet"))
    {
        if (cJSON_IsString(n))
            add_name(want, NULL, n->valuestring, strlen(n->valuestring));
    }
    const cJSON *legacy = eng_json_get(body, "QueryFilter");
    legacy = legacy ? legacy : eng_json_get(body, "ScanFilter");
    cJSON_ArrayForEach(n, legacy) add_name(filt, NULL, n->string, strlen(n->string));
}

/* Append "[a, b]" of the `names` index `ix` (definition `def`) does not
 * project to `out`; returns how many. */
static size_t not_projected(const ddb_index_t *ix, const cJSON *def, const cJSON *names,
                            eng_buf_t *out)
{
    const cJSON *nka = eng_json_get(eng_json_get(def, "Projection"), "NonKeyAttributes"), *n;
    size_t count = 0;
    cJSON_ArrayForEach(n, names)
    {
        const char *a = n->valuestring;
        if (has_name(nka, a, strlen(a)) || store_schema_has_attr(ix->ts, a) ||
            store_schema_has_attr(&ix->s, a))
            continue;
        eng_buf_append_str(out, count++ ? ", " : "[");
        eng_buf_append_str(out, a);
    }
    if (count)
        eng_buf_append_char(out, ']');
    return count;
}

/* Attributes outside a non-ALL projection: a GSI refuses them (it cannot
 * read the table), an LSI fetches each result's table item. */
static int check_attrs(ddb_call_t *c, ddb_index_t *ix, const cJSON *def)
{
    if (ix->is_all)
        return 0;
    cJSON *want = cJSON_CreateArray(), *filt = cJSON_CreateArray();
    eng_buf_t w = {0}, f = {0};
    request_names(c->body, want, filt);
    size_t n_want = not_projected(ix, def, want, &w), n_filt = not_projected(ix, def, filt, &f);
    const char *sel = eng_json_get_str(c->body, "Select");
    int err = 0;
    if (ix->is_gsi && (n_want || n_filt)) {
        if (n_want)
            ddb__reply_validation(c->th, c->req,
                                  DDB_INVALID "Global secondary index %s does not "
                                              "project %s",
                                  ix->name, w.ptr);
        else
            ddb__reply_validation(c->th, c->req,
                                  DDB_INVALID "Secondary index %s does not project "
                                              "one or more filter attributes: %s",
                                  ix->name, f.ptr);
        err = ENG_EINVAL;
    }
    ix->is_whole = !ix->is_gsi && sel && strcmp(sel, "ALL_ATTRIBUTES") == 0;
    ix->is_fetch = !ix->is_gsi && (n_want || n_filt || ix->is_whole);
    eng_buf_free(&w);
    eng_buf_free(&f);
    eng_json_delete(want);
    eng_json_delete(filt);
    return err;
}

/* Fill `ix` from its definition `def` in `meta`. Returns 0 or ENG_ECORRUPT. */
static int fill(ddb_index_t *ix, const store_table_t *t, const ddb_schema_t *ts, const char *name,
                const store_index_t *st, const cJSON *def, const cJSON *meta)
{
    ix->id = st->id;
    ix->table_id = t->id;
    ix->ts = ts;
    ix->is_fetch = ix->is_whole = false;
    snprintf(ix->name, sizeof(ix->name), "%s", name);
    const char *pt = eng_json_get_str(eng_json_get(def, "Projection"), "ProjectionType");
    ix->is_all = pt && strcmp(pt, "ALL") == 0;
    return store_schema_from_json(eng_json_get(def, "KeySchema"),
                                  eng_json_get(meta, "AttributeDefinitions"), &ix->s);
}

int ddb__index_open(ddb_call_t *c, const store_table_t *t, const ddb_schema_t *ts, const char *name,
                    ddb_index_t *ix)
{
    cJSON *meta = NULL;
    int err = eng_json_parse(t->meta.ptr, t->meta.len, &meta) < 0 ? ENG_ECORRUPT : 0;
    const cJSON *def = err == 0 ? find(meta, name, &ix->is_gsi) : NULL;
    store_index_t st;
    if (err == 0 &&
        (!def || store_index_get(c->th->reader, t->id, eng_slice_cstr(name), &st) < 0)) {
        ddb__reply_validation(c->th, c->req, "The table does not have the specified index: %s",
                              name);
        err = ENG_ENOTFOUND;
    }
    if (err == 0 && (err = fill(ix, t, ts, name, &st, def, meta)) < 0)
        ddb__reply_store_err(c->th, c->req, err);
    if (err == ENG_ECORRUPT && !def)
        ddb__reply_store_err(c->th, c->req, err);
    if (err == 0)
        err = check_read(c, ix);
    if (err == 0)
        err = check_attrs(c, ix, def);
    eng_json_delete(meta);
    return err;
}

int ddb__index_fetch(ddb_call_t *c, const ddb_index_t *ix, const cJSON *entry, eng_slice_t *item)
{
    store_key_t key;
    int err = store_schema_key(ix->ts, entry, false, &key, NULL, &c->th->why, NULL);
    return err == 0 ? store_item_get(c->th->reader, ix->table_id, &key, item) : err;
}

void ddb__index_capacity(eng_buf_t *out, int rcc, const char *table, const ddb_index_t *ix,
                         double index_units, double table_units)
{
    if (rcc <= 0)
        return;
    ddb__sep(out);
    eng_buf_append_str(out, "\"ConsumedCapacity\":{\"TableName\":");
    eng_json_append_string(out, table, strlen(table));
    eng_buf_printf(out, ",\"CapacityUnits\":%.1f", index_units + table_units);
    if (rcc ==
        2) { /* INDEXES: the table's share (fetches) and the index's, as DynamoDB splits it. */
        eng_buf_printf(out, ",\"Table\":{\"CapacityUnits\":%.1f},\"%s\":{", table_units,
                       ix->is_gsi ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
        eng_json_append_string(out, ix->name, strlen(ix->name));
        eng_buf_printf(out, ":{\"CapacityUnits\":%.1f}}", index_units);
    }
    eng_buf_append_char(out, '}');
}

int ddb__index_start(ddb_call_t *c, const ddb_schema_t *ts, const ddb_index_t *ix, store_key_t *key,
                     bool *has_start)
{
    const cJSON *esk = eng_json_get(c->body, "ExclusiveStartKey");
    *has_start = esk != NULL;
    if (!esk)
        return 0;
    store_key_t ipk, ikey, tkey;
    ddb_schema_t ps = ix->s;
    ps.has_sk = false; /* The HASH part alone: the index partition. */
    const char *why = NULL;
    int err = ddb__key_build(c->th, &ps, esk, false, &ipk, NULL, &why, NULL);
    if (err == 0)
        err = ddb__key_build(c->th, &ix->s, esk, false, &ikey, NULL, &why, NULL);
    if (err == 0)
        err = ddb__key_build(c->th, ts, esk, false, &tkey, NULL, &why, NULL);
    if (err < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, "The provided starting key is invalid");
        return err;
    }
    store_index_key(&ipk, &ikey, &tkey, key);
    return 0;
}

void ddb__index_last_key(const ddb_schema_t *ts, const ddb_index_t *ix, const cJSON *item,
                         eng_buf_t *out)
{
    cJSON *k = cJSON_CreateObject();
    /* The table key, then every index key attribute (all of a multi-attribute key). */
    const char *names[2 + 2 * STORE_KEY_ATTRS_MAX] = {ts->pk, ts->has_sk ? ts->sk : NULL};
    size_t n = 2;
    for (int r = 0; r < 2; r++) {
        int count = r ? store_schema_n_range(&ix->s) : store_schema_n_hash(&ix->s);
        for (int i = 0; i < count; i++)
            names[n++] = store_schema_attr(&ix->s, r, i, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = names[i] ? eng_json_get(item, names[i]) : NULL;
        if (v && !eng_json_get(k, names[i]))
            cJSON_AddItemReferenceToObject(k, names[i], (cJSON *)v);
    }
    eng_json_print(k, out);
    cJSON_Delete(k);
}

/* ---- why storage refused a write ----------------------------------------- */

/* The type letter(s) of an attribute value ({"S":..} -> "S"), or NULL. */
static const char *value_type(const cJSON *v)
{
    return cJSON_IsObject(v) && v->child ? v->child->string : NULL;
}

static const char *defined_type(const cJSON *meta, const char *attr)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, eng_json_get(meta, "AttributeDefinitions"))
    {
        const char *n = eng_json_get_str(d, "AttributeName");
        if (n && strcmp(n, attr) == 0)
            return eng_json_get_str(d, "AttributeType");
    }
    return NULL;
}

/* If index `ix` has a key attribute present in `item` with the wrong type,
 * return that attribute's name and set the types. */
static const char *mismatch_in(const cJSON *meta, const cJSON *ix, const cJSON *item,
                               const char **want, const char **got)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, eng_json_get(ix, "KeySchema"))
    {
        const char *attr = eng_json_get_str(k, "AttributeName");
        const char *t = attr ? value_type(eng_json_get(item, attr)) : NULL;
        const char *d = attr ? defined_type(meta, attr) : NULL;
        if (t && d && strcmp(t, d) != 0) {
            *want = d, *got = t;
            return attr;
        }
    }
    return NULL;
}

/* If index `ix` has a key attribute in `item` that is an empty S or B, return its name. */
static const char *empty_in(const cJSON *ix, const cJSON *item, const char **kind)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, eng_json_get(ix, "KeySchema"))
    {
        const char *attr = eng_json_get_str(k, "AttributeName");
        const cJSON *v = attr ? eng_json_get(item, attr) : NULL;
        const char *t = value_type(v);
        bool is_empty = t && (strcmp(t, "S") == 0 || strcmp(t, "B") == 0) &&
                        cJSON_IsString(v->child) && v->child->valuestring[0] == 0;
        if (is_empty) {
            *kind = t[0] == 'S' ? "string" : "binary";
            return attr;
        }
    }
    return NULL;
}

/* The first fault of `it` against the indexes of `meta`, as DynamoDB words
 * it, into `out`. Returns 0 (none) or ENG_EINVAL (*is_type: a type
 * mismatch rather than an empty key value). */
static int item_fault(const cJSON *meta, const cJSON *it, bool is_update, eng_buf_t *out,
                      bool *is_type)
{
    static const char *const members[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    const char *attr = NULL, *want = NULL, *got = NULL, *index = NULL;
    const char *e_attr = NULL, *e_kind = NULL, *e_index = NULL;
    /* DynamoDB names the alphabetically first index the attribute breaks. */
    for (size_t i = 0; i < ENG_ARRAY_LEN(members); i++) {
        const cJSON *ix;
        cJSON_ArrayForEach(ix, eng_json_get(meta, members[i]))
        {
            const char *w = NULL, *g = NULL, *a = mismatch_in(meta, ix, it, &w, &g), *kind = NULL;
            const char *name = eng_json_get_str(ix, "IndexName");
            if (a && name && (!index || strcmp(name, index) < 0))
                attr = a, want = w, got = g, index = name;
            const char *ea = empty_in(ix, it, &kind);
            if (ea && name && (!e_index || strcmp(name, e_index) < 0))
                e_attr = ea, e_kind = kind, e_index = name;
        }
    }
    if (index)
        eng_buf_printf(out,
                       "One or more parameter values were invalid: Type mismatch for Index "
                       "Key %s Expected: %s Actual: %s IndexName: %s",
                       attr, want, got, index);
    else if (e_index && is_update) /* An update expression's value: no index named. */
        eng_buf_printf(out,
                       "One or more parameter values are not valid. The update expression "
                       "attempted to update a secondary index key to a value that is not "
                       "supported. The AttributeValue for a key attribute cannot contain an "
                       "empty %s value.",
                       e_kind);
    else if (e_index)
        eng_buf_printf(out,
                       "One or more parameter values are not valid. A value specified for a "
                       "secondary index key is not supported. The AttributeValue for a key "
                       "attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s",
                       e_kind, e_index, e_attr);
    *is_type = index != NULL;
    return index || e_index ? ENG_EINVAL : 0;
}

cJSON *ddb__index_meta(const store_table_t *t)
{
    /* Most tables have no index: the meta text says so without a parse. */
    if (!memmem(t->meta.ptr, t->meta.len, "SecondaryIndexes", 16))
        return NULL;
    cJSON *meta = NULL;
    return eng_json_parse(t->meta.ptr, t->meta.len, &meta) == 0 ? meta : NULL;
}

int ddb__index_check_item(const cJSON *meta, const cJSON *item, eng_buf_t *out, bool *is_type)
{
    *is_type = false;
    return meta ? item_fault(meta, item, false, out, is_type) : 0;
}

int ddb__index_mismatch(ddb_thread_t *th, const char *table, eng_slice_t item, bool is_update,
                        eng_buf_t *out, bool *is_type)
{
    store_table_t t;
    cJSON *meta = NULL, *it = NULL;
    if (store_read_begin(th->reader) < 0)
        return ENG_EIO;
    int err = store_table_get(th->reader, eng_slice_cstr(table), &t);
    if (err == 0 && (err = eng_json_parse(t.meta.ptr, t.meta.len, &meta)) == 0)
        err = eng_json_parse(item.ptr, item.len, &it);
    store_read_end(th->reader);
    if (err == 0) /* Explained: 0; a fault found is what was asked for. */
        err = item_fault(meta, it, is_update, out, is_type) == ENG_EINVAL ? 0 : ENG_ENOTFOUND;
    eng_json_delete(it);
    eng_json_delete(meta);
    return err;
}
