/* SPDX-License-Identifier: MIT
 * expr_ctx.c: the per-request expression context. It borrows the request's
 * ExpressionAttributeNames and ExpressionAttributeValues, checks their keys,
 * resolves #names and :values for every expression of the request and
 * remembers which were used, so the request can be refused for unused ones
 * with DynamoDB's messages. */
#include "engine/err.h"
#include "storage/expr_int.h"

#include <ctype.h>
#include <stdlib.h>

/* A key is the sigil followed by one or more [A-Za-z0-9_]. */
static bool key_ok(const char *key, char sigil)
{
    if (!key || key[0] != sigil || key[1] == '\0')
        return false;
    for (const char *s = key + 1; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static int check_map(const cJSON *map, const char *param, char sigil, eng_buf_t *why)
{
    if (!map)
        return 0;
    if (!cJSON_IsObject(map) || !map->child) {
        eng_buf_printf(why, "%s must not be empty", param);
        return ENG_EINVAL;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, map)
    {
        if (!key_ok(m->string, sigil)) {
            eng_buf_printf(why, "%s contains invalid key: Syntax error; key: \"%s\"", param,
                           m->string ? m->string : "");
            return ENG_EINVAL;
        }
    }
    return 0;
}

/* Validate one :value as an attribute value, with the item rules (no empty
 * set, well-formed numbers and binaries...). */
static int check_value(const cJSON *m, eng_buf_t *why)
{
    cJSON *wrap = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(wrap, m->string, (cJSON *)m); /* Borrowed, not copied. */
    eng_buf_t canon = {0}, msg_buf = {0};
    const char *msg = NULL;
    size_t size = 0;
    int err = store_item_canon(wrap, &canon, &size, &msg, &msg_buf);
    if (err < 0)
        eng_buf_printf(why, "ExpressionAttributeValues contains invalid value: %s for key %s",
                       msg ? msg : "Invalid attribute value", m->string);
    eng_buf_free(&canon);
    eng_buf_free(&msg_buf);
    cJSON_Delete(wrap);
    return err < 0 ? ENG_EINVAL : 0;
}

static int check_values(const cJSON *values, eng_buf_t *why)
{
    int err = 0;
    for (const cJSON *m = values ? values->child : NULL; err == 0 && m; m = m->next)
        err = check_value(m, why);
    return err;
}

int store_expr_ctx_create(const cJSON *names, const cJSON *values, store_expr_ctx_t **out,
                          eng_buf_t *why)
{
    *out = NULL;
    int err = check_map(names, "ExpressionAttributeNames", '#', why);
    if (err == 0)
        err = check_map(values, "ExpressionAttributeValues", ':', why);
    if (err == 0)
        err = check_values(values, why);
    if (err < 0)
        return err;
    store_expr_ctx_t *ctx = eng_calloc(1, sizeof *ctx);
    ctx->names = names;
    ctx->values = values;
    ctx->name_used = eng_calloc((size_t)cJSON_GetArraySize(names) + 1, sizeof(bool));
    ctx->value_used = eng_calloc((size_t)cJSON_GetArraySize(values) + 1, sizeof(bool));
    *out = ctx;
    return 0;
}

void store_expr_ctx_destroy(store_expr_ctx_t *ctx)
{
    if (!ctx)
        return;
    eng_free(ctx->name_used);
    eng_free(ctx->value_used);
    eng_free(ctx);
}

void expr__ctx_note_expr(store_expr_ctx_t *ctx)
{
    ctx->n_exprs++;
}

static const cJSON *lookup(const cJSON *map, bool *used, const char *key)
{
    size_t i = 0;
    for (const cJSON *m = map ? map->child : NULL; m; m = m->next, i++) {
        if (m->string && strcmp(m->string, key) == 0) {
            used[i] = true;
            return m;
        }
    }
    return NULL;
}

const char *expr__ctx_name(store_expr_ctx_t *ctx, const char *key)
{
    const cJSON *m = ctx ? lookup(ctx->names, ctx->name_used, key) : NULL;
    return m ? cJSON_GetStringValue(m) : NULL;
}

const cJSON *expr__ctx_value(store_expr_ctx_t *ctx, const char *key)
{
    return ctx ? lookup(ctx->values, ctx->value_used, key) : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append "Value provided in <param> unused in expressions: keys: {a, b}"
 * when some member of map is unused; keys are listed sorted. */
static int report_unused(const cJSON *map, const bool *used, const char *param, eng_buf_t *why)
{
    const size_t n = (size_t)cJSON_GetArraySize(map);
    const char **keys = eng_calloc(n + 1, sizeof *keys);
    size_t k = 0, i = 0;
    for (const cJSON *m = map ? map->child : NULL; m; m = m->next, i++)
        if (!used[i])
            keys[k++] = m->string;
    if (k > 0) {
        qsort(keys, k, sizeof *keys, cmp_str);
        eng_buf_printf(why, "Value provided in %s unused in expressions: keys: {", param);
        for (i = 0; i < k; i++)
            eng_buf_printf(why, "%s%s", i ? ", " : "", keys[i]);
        eng_buf_append_char(why, '}');
    }
    eng_free(keys);
    return k > 0 ? ENG_EINVAL : 0;
}

int store_expr_ctx_check_unused(const store_expr_ctx_t *ctx, eng_buf_t *why)
{
    if (ctx->n_exprs == 0 && (ctx->names || ctx->values)) {
        eng_buf_printf(why, "%s can only be specified when using expressions",
                       ctx->names ? "ExpressionAttributeNames" : "ExpressionAttributeValues");
        return ENG_EINVAL;
    }
    int err = report_unused(ctx->names, ctx->name_used, "ExpressionAttributeNames", why);
    if (err == 0)
        err = report_unused(ctx->values, ctx->value_used, "ExpressionAttributeValues", why);
    return err;
}
