/* SPDX-License-Identifier: MIT
 * ddb_key.c: from request JSON to what storage needs: primary keys built per
 * the table's key schema (storage's store_schema_key, with DynamoDB's
 * messages), keys taken back out of stored items for LastEvaluatedKey, and
 * whole items validated and sized against the 400 KB limit. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <stdio.h>
#include <string.h>

int ddb__key_build(ddb_thread_t *th, const ddb_schema_t *s, const cJSON *obj, bool is_exact,
                   store_key_t *key, eng_buf_t *keys_json, const char **why,
                   store_key_fault_t *fault)
{
    int err = store_schema_key(s, obj, is_exact, key, keys_json, &th->why, fault);
    *why = err < 0 ? th->why.ptr : NULL;
    return err;
}

int ddb__key_of_item(const ddb_schema_t *s, const cJSON *item, eng_buf_t *out)
{
    const char *names[2] = {s->pk, s->sk};
    int n = s->has_sk ? 2 : 1;
    if (n == 2 && strcmp(names[1], names[0]) < 0) {
        names[0] = s->sk;
        names[1] = s->pk;
    }
    eng_buf_append_char(out, '{');
    for (int i = 0; i < n; i++) {
        const cJSON *av = eng_json_get(item, names[i]);
        if (!av)
            return ENG_ECORRUPT;
        if (i)
            eng_buf_append_char(out, ',');
        eng_json_append_string(out, names[i], strlen(names[i]));
        eng_buf_append_char(out, ':');
        eng_json_print(av, out);
    }
    eng_buf_append_char(out, '}');
    return 0;
}

int ddb__value_depth(const cJSON *v)
{
    const cJSON *inner = eng_json_get(v, "M");
    if (!inner)
        inner = eng_json_get(v, "L");
    int deepest = -1;
    for (const cJSON *m = cJSON_IsObject(inner) || cJSON_IsArray(inner) ? inner->child : NULL; m;
         m = m->next) {
        const int d = ddb__value_depth(m);
        deepest = d > deepest ? d : deepest;
    }
    return deepest + 1;
}

int ddb__item_canon(ddb_thread_t *th, const cJSON *item, eng_buf_t *out, size_t *size,
                    const char **why)
{
    eng_buf_reset(&th->why);
    int err = store_item_canon(item, out, size, why, &th->why);
    if (err < 0)
        return err == ENG_ETOOBIG ? ENG_ETOOBIG : ENG_EINVAL;
    if (*size > DDB_ITEM_MAX_BYTES) {
        *why = "Item size has exceeded the maximum allowed size";
        return ENG_EINVAL;
    }
    return 0;
}

size_t ddb__item_size(ddb_thread_t *th, eng_slice_t text)
{
    cJSON *root = NULL;
    size_t size = 0;
    if (eng_json_parse(text.ptr, text.len, &root) < 0)
        return 0;
    eng_buf_reset(&th->canon);
    const char *why = NULL;
    if (store_item_canon(root, &th->canon, &size, &why, NULL) < 0)
        size = 0;
    eng_json_delete(root);
    return size;
}
