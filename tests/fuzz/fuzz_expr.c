/* SPDX-License-Identifier: MIT
 * fuzz_expr.c: libFuzzer target for the expression engine. The first byte
 * picks the kind ('c'ondition, 'f'ilter, 'k'ey condition, 'p'rojection,
 * 'u'pdate; anything else modulo 5), the rest is the expression text. When
 * it parses, it is evaluated, projected or applied against a fixed item, so
 * ASan/UBSan watch the whole engine, not just the parser. */
#include "engine/json.h"
#include "storage/store.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char names_json[] = "{\"#n\":\"name\",\"#a\":\"a\",\"#l\":\"l\"}";
static const char values_json[] =
    "{\":s\":{\"S\":\"x\"},\":n\":{\"N\":\"5\"},\":m\":{\"N\":\"-1.5e3\"},\":b\":{\"B\":\"AQ==\"},"
    "\":l\":{\"L\":[{\"S\":\"y\"}]},\":ss\":{\"SS\":[\"a\",\"b\"]},\":ns\":{\"NS\":[\"1\"]},"
    "\":t\":{\"S\":\"N\"},\":big\":{\"N\":\"9.9999999999999999999999999999999999999E+125\"}}";
static const char item_json[] =
    "{\"id\":{\"S\":\"k\"},\"a\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"},\"ss\":{\"SS\":[\"a\"]},"
    "\"l\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"c\":{\"N\":\"1\"}}}]},\"m\":{\"M\":{\"a\":{\"NULL\":"
    "true}}},"
    "\"name\":{\"S\":\"Ama\"}}";

static store_expr_kind_t pick_kind(uint8_t c)
{
    switch (c) {
    case 'c':
        return STORE_EXPR_CONDITION;
    case 'f':
        return STORE_EXPR_FILTER;
    case 'k':
        return STORE_EXPR_KEY_CONDITION;
    case 'p':
        return STORE_EXPR_PROJECTION;
    case 'u':
        return STORE_EXPR_UPDATE;
    default:
        return (store_expr_kind_t)(c % 5);
    }
}

/* Key conditions are checked against a table key (id, s) and against a
 * multi-attribute GSI key (id; s, a, name), so both rule sets get fuzzed. */
static int key_cond(const store_expr_t *x, store_key_cond_t *kc, eng_buf_t *why)
{
    store_schema_t s = {.has_sk = true, .pk_type = STORE_KT_S, .sk_type = STORE_KT_S};
    snprintf(s.pk, sizeof(s.pk), "id");
    snprintf(s.sk, sizeof(s.sk), "s");
    (void)store_expr_key_cond(x, &s, kc, why);
    s.n_more_range = 2;
    snprintf(s.more_range[0], sizeof(s.more_range[0]), "a");
    snprintf(s.more_range[1], sizeof(s.more_range[1]), "name");
    return store_expr_key_cond(x, &s, kc, why);
}

static void exercise(store_expr_t *x, const cJSON *item, eng_buf_t *why)
{
    cJSON *out = NULL, *copy = NULL;
    store_key_cond_t kc;
    switch (store_expr_kind(x)) {
    case STORE_EXPR_PROJECTION:
        store_expr_project(x, item, &out);
        break;
    case STORE_EXPR_UPDATE:
        copy = cJSON_Duplicate(item, 1);
        (void)store_expr_update(x, copy, why);
        break;
    case STORE_EXPR_KEY_CONDITION:
        (void)key_cond(x, &kc, why);
        (void)store_expr_eval(x, item);
        break;
    default:
        (void)store_expr_eval(x, item);
        break;
    }
    cJSON_Delete(out);
    cJSON_Delete(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    cJSON *names = NULL, *values = NULL, *item = NULL;
    eng_json_parse(names_json, sizeof names_json - 1, &names);
    eng_json_parse(values_json, sizeof values_json - 1, &values);
    eng_json_parse(item_json, sizeof item_json - 1, &item);
    store_expr_ctx_t *ctx = NULL;
    store_expr_t *x = NULL;
    eng_buf_t why = {0};
    if (store_expr_ctx_create(names, values, &ctx, &why) == 0 &&
        store_expr_parse(ctx, pick_kind(data[0]), (const char *)data + 1, size - 1, &x, &why) ==
            0) {
        exercise(x, item, &why);
        (void)store_expr_ctx_check_unused(ctx, &why);
    }
    store_expr_destroy(x);
    store_expr_ctx_destroy(ctx);
    eng_buf_free(&why);
    eng_json_delete(names);
    eng_json_delete(values);
    eng_json_delete(item);
    return 0;
}
