/* SPDX-License-Identifier: MIT
 * ddb_expr.c: a request's expressions, parsed once with one context so
 * unused ExpressionAttributeNames/Values are caught across all of them.
 * Each expression parameter has a legacy twin (AttributesToGet, ScanFilter,
 * QueryFilter, KeyConditions, Expected, AttributeUpdates) translated into
 * the same AST; mixing the two styles is refused with DynamoDB's message.
 * Also projections of stored item text. Evaluation happens in the callers. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <string.h>

typedef struct xparam {
    unsigned flag;      /* DDB_X_*. */
    const char *modern; /* Expression parameter name. */
    store_expr_kind_t kind;
    size_t slot; /* Offset of the store_expr_t * in ddb_exprs_t. */
} xparam_t;

static const xparam_t XPARAMS[] = {
    /* In DynamoDB's order of validation. */
    {DDB_X_KEY, "KeyConditionExpression", STORE_EXPR_KEY_CONDITION, offsetof(ddb_exprs_t, key)},
    {DDB_X_UPDATE, "UpdateExpression", STORE_EXPR_UPDATE, offsetof(ddb_exprs_t, update)},
    {DDB_X_COND, "ConditionExpression", STORE_EXPR_CONDITION, offsetof(ddb_exprs_t, cond)},
    {DDB_X_FILTER, "FilterExpression", STORE_EXPR_FILTER, offsetof(ddb_exprs_t, filter)},
    {DDB_X_PROJ, "ProjectionExpression", STORE_EXPR_PROJECTION, offsetof(ddb_exprs_t, proj)},
};

static const char *const LEGACY[] = {"AttributesToGet",    "ScanFilter", "QueryFilter",
                                     "KeyConditions",      "Expected",   "AttributeUpdates",
                                     "ConditionalOperator"};

/* Does the body name any expression member: a modern or legacy expression
 * parameter, or the names and values they use? A plain GetItem or PutItem
 * names none, and then there is nothing to check or parse: one pass over
 * its few members instead of a lookup of each parameter. */
static bool has_expr_members(const cJSON *body)
{
    for (const cJSON *m = body->child; m; m = m->next) {
        const char *k = m->string ? m->string : "";
        for (size_t i = 0; i < ENG_ARRAY_LEN(XPARAMS); i++)
            if (k[0] == XPARAMS[i].modern[0] && strcmp(k, XPARAMS[i].modern) == 0)
                return true;
        for (size_t i = 0; i < ENG_ARRAY_LEN(LEGACY); i++)
            if (k[0] == LEGACY[i][0] && strcmp(k, LEGACY[i]) == 0)
                return true;
        if (strncmp(k, "ExpressionAttribute", 19) == 0)
            return true;
    }
    return false;
}

static store_expr_t **slot_of(ddb_exprs_t *x, size_t off)
{
    return (store_expr_t **)((char *)x + off);
}

static int check_mixed(const cJSON *body, eng_buf_t *why)
{
    const char *legacy[ENG_ARRAY_LEN(LEGACY) + 1] = {0};
    const char *modern[ENG_ARRAY_LEN(XPARAMS) + 1] = {0};
    size_t nl = 0, nm = 0;
    /* KeyConditions mixes only with KeyConditionExpression: DynamoDB takes it
     * alongside FilterExpression or ProjectionExpression. */
    const bool is_kce = eng_json_get(body, "KeyConditionExpression") != NULL;
    for (size_t i = 0; i < ENG_ARRAY_LEN(LEGACY); i++)
        if (eng_json_get(body, LEGACY[i]) && (is_kce || strcmp(LEGACY[i], "KeyConditions") != 0))
            legacy[nl++] = LEGACY[i];
    for (size_t i = 0; i < ENG_ARRAY_LEN(XPARAMS); i++)
        if (eng_json_get(body, XPARAMS[i].modern))
            modern[nm++] = XPARAMS[i].modern;
    return store_expr_check_mixed(legacy, modern, why);
}

static int parse_modern(ddb_exprs_t *x, const cJSON *body, unsigned which, eng_buf_t *why)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(XPARAMS); i++) {
        const xparam_t *p = &XPARAMS[i];
        const cJSON *v = eng_json_get(body, p->modern);
        if (!(which & p->flag) || !v)
            continue;
        const char *text = cJSON_IsString(v) ? v->valuestring : "";
        int err = store_expr_parse(x->ctx, p->kind, text, strlen(text), slot_of(x, p->slot), why);
        if (err < 0)
            return err;
    }
    return 0;
}

static int parse_legacy(ddb_exprs_t *x, const cJSON *body, unsigned which, eng_buf_t *why)
{
    const char *op = eng_json_get_str(body, "ConditionalOperator");
    const cJSON *v;
    int err = 0;
    if ((which & DDB_X_PROJ) && (v = eng_json_get(body, "AttributesToGet")))
        err = store_expr_from_legacy_attributes(v, &x->proj, why);
    if (err == 0 && (which & DDB_X_FILTER) &&
        ((v = eng_json_get(body, "ScanFilter")) || (v = eng_json_get(body, "QueryFilter"))))
        err = store_expr_from_legacy_conditions(STORE_EXPR_FILTER, v, op, &x->filter, why);
    if (err == 0 && (which & DDB_X_KEY) && (v = eng_json_get(body, "KeyConditions")))
        err = store_expr_from_legacy_conditions(STORE_EXPR_KEY_CONDITION, v, NULL, &x->key, why);
    if (err == 0 && (which & DDB_X_COND) && (v = eng_json_get(body, "Expected")))
        err = store_expr_from_legacy_conditions(STORE_EXPR_CONDITION, v, op, &x->cond, why);
    if (err == 0 && (which & DDB_X_UPDATE) && (v = eng_json_get(body, "AttributeUpdates")))
        err = store_expr_from_legacy_updates(v, &x->update, why);
    return err;
}

int ddb__exprs_parse(ddb_thread_t *th, const cJSON *body, unsigned which, ddb_exprs_t *x,
                     const char **why)
{
    *x = (ddb_exprs_t){0};
    if (!has_expr_members(body))
        return 0;
    eng_buf_t *m = &th->why;
    eng_buf_reset(m);
    int err = check_mixed(body, m);
    if (err == 0)
        err = store_expr_ctx_create(eng_json_get(body, "ExpressionAttributeNames"),
                                    eng_json_get(body, "ExpressionAttributeValues"), &x->ctx, m);
    if (err == 0)
        err = parse_modern(x, body, which, m);
    if (err == 0)
        err = store_expr_ctx_check_unused(x->ctx, m);
    if (err == 0)
        err = parse_legacy(x, body, which, m);
    if (err < 0) {
        ddb__exprs_free(x);
        *why = m->ptr ? m->ptr : "Invalid expression";
        return ENG_EINVAL;
    }
    return 0;
}

/* DynamoDB reports a single-item write's refused expressions from its request
 * validation, inside the envelope; reads and transactions report them bare. */
#define ENVELOPE "1 validation error detected: "

void ddb__reply_write_exprs_err(ddb_thread_t *th, gw_req_t *req, const char *why)
{
    const bool is_wrapped = strncmp(why, ENVELOPE, strlen(ENVELOPE)) == 0;
    ddb__reply_validation(th, req, "%s%s", is_wrapped ? "" : ENVELOPE, why);
}

void ddb__exprs_free(ddb_exprs_t *x)
{
    store_expr_ctx_destroy(x->ctx);
    store_expr_destroy(x->proj);
    store_expr_destroy(x->filter);
    store_expr_destroy(x->key);
    store_expr_destroy(x->cond);
    store_expr_destroy(x->update);
    *x = (ddb_exprs_t){0};
}

void ddb__project(eng_slice_t item_text, const store_expr_t *proj, eng_buf_t *out)
{
    if (!proj) {
        eng_buf_append(out, item_text.ptr, item_text.len);
        return;
    }
    cJSON *item = NULL, *sel = NULL;
    if (eng_json_parse(item_text.ptr, item_text.len, &item) < 0) {
        eng_buf_append_str(out, "{}");
        return;
    }
    store_expr_project(proj, item, &sel);
    eng_json_print(sel, out);
    eng_json_delete(sel);
    eng_json_delete(item);
}

bool ddb__filter_text(const store_expr_t *filter, eng_slice_t item_text)
{
    if (!filter)
        return true;
    cJSON *item = NULL;
    if (eng_json_parse(item_text.ptr, item_text.len, &item) < 0)
        return false;
    bool is_match = store_expr_eval(filter, item);
    eng_json_delete(item);
    return is_match;
}
