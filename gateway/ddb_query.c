/* SPDX-License-Identifier: MIT
 * ddb_query.c: Query, inline on the loop thread over one read snapshot. The
 * partition key equality becomes a cursor prefix (the encoded partition key),
 * so a Query reads only its partition, in sort-key order or reversed
 * (ScanIndexForward false). A sort-key condition is evaluated per item;
 * since matches form one contiguous run in key order, the walk stops at the
 * first miss after a hit. Pages, Limit, Select and filters are the shared
 * page walker's (ddb_scan.c). With IndexName the same walk runs over the
 * index's entries (ddb_index.c resolves it; the prefix is the index partition). */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <string.h>

/* The partition key value of the key condition as a cursor prefix. */
static int pk_prefix(ddb_call_t *c, const ddb_schema_t *s, const store_key_cond_t *kc,
                     store_key_t *prefix, const char **why)
{
    ddb_schema_t hs = *s;
    hs.has_sk = false;
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < store_schema_n_hash(s);
         i++) /* Every HASH value of a multi-attribute key. */
        cJSON_AddItemReferenceToObject(obj, store_schema_attr(s, false, i, NULL),
                                       (cJSON *)kc->hash_values[i]);
    store_key_fault_t fault;
    int err = store_schema_key(&hs, obj, false, prefix, NULL, &c->th->why, &fault);
    eng_json_delete(obj);
    if (err < 0)
        *why = fault == STORE_KEY_TYPE ? DDB_INVALID
                   "Condition parameter type does not match schema type"
                                       : c->th->why.ptr;
    return err;
}

/* Sort-key values must have the schema's type, as the partition key's must
 * (each RANGE attribute named, for a multi-attribute key). */
static const char *sk_type_why(const ddb_schema_t *s, const store_key_cond_t *kc)
{
    for (int r = 0; r < kc->n_ranges; r++) {
        store_ktype_t type;
        store_schema_attr(s, true, r, &type);
        for (size_t i = 0; i < 2 && kc->ranges[r].values[i]; i++) {
            const cJSON *v = kc->ranges[r].values[i]->child;
            if (!v || !v->string || v->string[0] != (char)type || v->string[1])
                return DDB_INVALID "Condition parameter type does not match schema type";
        }
    }
    return NULL;
}

/* A Query filters only non-key attributes: the key belongs in the key
 * condition. Returns 0 or replies DynamoDB's refusal naming the attribute. */
static int filter_keys(ddb_call_t *c, const ddb_schema_t *s, const ddb_page_t *p)
{
    const char *keys[2 * STORE_KEY_ATTRS_MAX] = {0};
    int n = 0;
    for (int r = 0; r < 2; r++) {
        int count = r ? store_schema_n_range(s) : store_schema_n_hash(s);
        for (int i = 0; i < count; i++)
            keys[n++] = store_schema_attr(s, r, i, NULL);
    }
    for (int i = 0; i < n; i++) {
        if (!store_expr_names_attr(p->x.filter, keys[i]))
            continue;
        ddb__reply_validation(
            c->th, c->req,
            "%s can only contain non-primary key attributes: Primary key "
            "attribute: %s",
            eng_json_get(c->body, "QueryFilter") ? "QueryFilter" : "Filter Expression", keys[i]);
        return ENG_EINVAL;
    }
    return 0;
}

/* Validate the key condition against the schema and extract the pk. */
static int key_condition(ddb_call_t *c, const ddb_schema_t *s, ddb_page_t *p, store_key_t *prefix)
{
    const char *why = NULL;
    store_key_cond_t kc;
    if (!p->x.key) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION,
                       "Either the KeyConditions or KeyConditionExpression parameter must be "
                       "specified in the request.");
        return ENG_EINVAL;
    }
    eng_buf_reset(&c->th->why);
    int err = store_expr_key_cond(p->x.key, s, &kc, &c->th->why);
    if (err < 0)
        why = c->th->why.ptr;
    if (err == 0 && (why = sk_type_why(s, &kc)) != NULL)
        err = ENG_EINVAL;
    if (err == 0)
        err = pk_prefix(c, s, &kc, prefix, &why);
    if (err < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return err;
    }
    if (filter_keys(c, s, p) < 0)
        return ENG_EINVAL;
    p->kcond = kc.sk_op != STORE_EXPR_OP_NONE ? p->x.key : NULL;
    return 0;
}

void ddb__op_query(ddb_call_t *c)
{
    ddb_page_t p = {0};
    store_table_t t;
    const ddb_schema_t *s = NULL;
    store_key_t start, prefix;
    bool has_start = false;
    if (ddb__page_args(c, DDB_X_PROJ | DDB_X_FILTER | DDB_X_KEY, &p) < 0)
        goto out;
    ddb_index_t ix;
    if (ddb__page_open(c, &p, &t, &s, &ix) < 0 ||
        key_condition(c, p.ix ? &ix.s : s, &p, &prefix) < 0 ||
        ddb__page_start(c, s, &p, &start, &has_start) < 0)
        goto out;
    const cJSON *fwd = eng_json_get(c->body, "ScanIndexForward");
    store_range_t range = {.after = has_start ? &start : NULL,
                           .prefix = &prefix,
                           .hash_lo = 0,
                           .hash_hi = UINT32_MAX,
                           .is_reverse = cJSON_IsFalse(fwd)};
    ddb__page_serve(c, s, t.id, &range, &p);
out:
    ddb__page_free(&p);
}
