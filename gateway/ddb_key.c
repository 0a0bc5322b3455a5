/* SPDX-License-Identifier: MIT
 * ddb_key.c: from request JSON to what storage needs: primary keys built per
 * the table's key schema (with DynamoDB's messages for missing, mistyped or
 * empty key attributes), whole items validated and sized, and top-level
 * projections. Nested document paths in projections are not handled here;
 * they arrive with the expression engine. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <stdio.h>
#include <string.h>

static const char *why_fmt(ddb_thread_t *th, const char *fmt, const char *a)
{
    eng_buf_reset(&th->why);
    eng_buf_printf(&th->why, fmt, a);
    return th->why.ptr;
}

int ddb__key_build(ddb_thread_t *th, const ddb_schema_t *s, const cJSON *obj, bool is_exact,
                   store_key_t *key, eng_buf_t *keys_json, const char **why)
{
    int err = store_schema_key(s, obj, is_exact, key, keys_json, &th->why);
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

int ddb__item_canon(ddb_thread_t *th, const cJSON *item, eng_buf_t *out, size_t *size,
                    const char **why)
{
    eng_buf_reset(&th->why);
    int err = store_item_canon(item, out, size, why, &th->why);
    if (err < 0)
        return ENG_EINVAL;
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

/* ---- projections ------------------------------------------------------- */

static int proj_add(ddb_thread_t *th, const cJSON *names_map, const char *tok, size_t len,
                    cJSON *names, const char **why)
{
    char buf[DDB_NAME_MAX + 2];
    if (len == 0 || len > DDB_NAME_MAX) {
        *why = "Invalid ProjectionExpression: Syntax error; token: \",\"";
        return ENG_EINVAL;
    }
    memcpy(buf, tok, len);
    buf[len] = '\0';
    if (strpbrk(buf, ".[]")) {
        *why = "Invalid ProjectionExpression: nested attribute paths are not supported yet";
        return ENG_EINVAL;
    }
    const char *name = buf;
    if (buf[0] == '#') {
        name = eng_json_get_str(names_map, buf);
        if (!name) {
            *why = why_fmt(th, "Invalid ProjectionExpression: An expression attribute name used "
                               "in the document path is not defined; attribute name: %s",
                           buf);
            return ENG_EINVAL;
        }
    }
    cJSON_AddItemToArray(names, cJSON_CreateString(name));
    return 0;
}

int ddb__projection(ddb_thread_t *th, const cJSON *body, cJSON **names, const char **why)
{
    *names = NULL;
    const cJSON *pe = eng_json_get(body, "ProjectionExpression");
    if (!pe)
        return 0;
    if (!cJSON_IsString(pe) || !pe->valuestring[0]) {
        *why = "Invalid ProjectionExpression: The expression can not be empty;";
        return ENG_EINVAL;
    }
    const cJSON *map = eng_json_get(body, "ExpressionAttributeNames");
    cJSON *arr = cJSON_CreateArray();
    const char *p = pe->valuestring;
    int err = 0;
    while (err == 0) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\n'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n'))
            b--;
        err = proj_add(th, map, a, (size_t)(b - a), arr, why);
        if (!comma)
            break;
        p = comma + 1;
    }
    if (err < 0) {
        eng_json_delete(arr);
        return err;
    }
    *names = arr;
    return 0;
}

void ddb__project(eng_slice_t item_text, const cJSON *names, eng_buf_t *out)
{
    if (!names) {
        eng_buf_append(out, item_text.ptr, item_text.len);
        return;
    }
    cJSON *item = NULL;
    if (eng_json_parse(item_text.ptr, item_text.len, &item) < 0) {
        eng_buf_append_str(out, "{}");
        return;
    }
    /* Walk the stored (sorted) item so the output stays in canonical order. */
    eng_buf_append_char(out, '{');
    bool is_first = true;
    for (const cJSON *m = item->child; m; m = m->next) {
        const cJSON *n;
        bool is_wanted = false;
        cJSON_ArrayForEach(n, names)
            is_wanted = is_wanted || strcmp(n->valuestring, m->string) == 0;
        if (!is_wanted)
            continue;
        if (!is_first)
            eng_buf_append_char(out, ',');
        is_first = false;
        eng_json_append_string(out, m->string, strlen(m->string));
        eng_buf_append_char(out, ':');
        eng_json_print(m, out);
    }
    eng_buf_append_char(out, '}');
    eng_json_delete(item);
}
