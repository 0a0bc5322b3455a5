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

typedef struct keypart {
    const char *name;
    store_ktype_t type;
    const cJSON *value;  /* The AttributeValue's single member. */
    size_t off, len;     /* Value bytes in th->kbuf. */
} keypart_t;

static const char *why_fmt(ddb_thread_t *th, const char *fmt, const char *a, const char *b,
                           const char *c)
{
    eng_buf_reset(&th->why);
    eng_buf_printf(&th->why, fmt, a, b, c);
    return th->why.ptr;
}

/* The only non-null member of an AttributeValue, or NULL. */
static const cJSON *av_member(const cJSON *av)
{
    const cJSON *found = NULL;
    for (const cJSON *m = cJSON_IsObject(av) ? av->child : NULL; m; m = m->next) {
        if (cJSON_IsNull(m))
            continue;
        if (found)
            return NULL;
        found = m;
    }
    return found;
}

/* Locate and type-check one key attribute of `obj`. */
static int part_find(ddb_thread_t *th, const cJSON *obj, bool is_exact, keypart_t *p, const char **why)
{
    const cJSON *av = eng_json_get(obj, p->name);
    if (!av) {
        *why = is_exact ? DDB_NO_MATCH
                        : why_fmt(th, DDB_INVALID "Missing the key %s in the item", p->name, "", "");
        return ENG_EINVAL;
    }
    const cJSON *m = av_member(av);
    char want[2] = {(char)p->type, 0};
    if (!m || !cJSON_IsString(m) || strcmp(m->string, want) != 0) {
        *why = is_exact ? DDB_NO_MATCH
                        : why_fmt(th, DDB_INVALID "Type mismatch for key %s expected: %s actual: %s",
                                  p->name, want, m ? m->string : "NULL");
        return ENG_EINVAL;
    }
    if (m->valuestring[0] == '\0') {
        *why = why_fmt(th,
                       "One or more parameter values are not valid. The AttributeValue for a key "
                       "attribute cannot contain an empty %s value. Key: %s",
                       p->type == STORE_KT_B ? "binary" : "string", p->name, "");
        return ENG_EINVAL;
    }
    p->value = m;
    return 0;
}

/* Append the key value's storage bytes (S raw, N normalized, B decoded) to th->kbuf. */
static int part_bytes(ddb_thread_t *th, keypart_t *p, const char **why)
{
    eng_buf_t *kb = &th->kbuf;
    p->off = kb->len;
    const char *v = p->value->valuestring;
    int err = 0;
    if (p->type == STORE_KT_S) {
        eng_buf_append_str(kb, v);
    } else if (p->type == STORE_KT_N) {
        const char *w = NULL;
        if ((err = store_num_normalize(eng_slice_cstr(v), kb, &w)) < 0)
            *why = w ? w : "The parameter cannot be converted to a numeric value";
    } else if ((err = ddb__b64_decode(v, strlen(v), kb)) < 0) {
        *why = "Invalid Base64 value for a binary key attribute";
    }
    p->len = kb->len - p->off;
    return err;
}

static void part_json(ddb_thread_t *th, const keypart_t *p, eng_buf_t *out)
{
    const char *bytes = th->kbuf.ptr + p->off;
    eng_json_append_string(out, p->name, strlen(p->name));
    eng_buf_printf(out, ":{\"%c\":", (char)p->type);
    if (p->type == STORE_KT_S) {
        eng_json_append_string(out, bytes, p->len);
    } else {
        eng_buf_append_char(out, '"');
        if (p->type == STORE_KT_N)
            eng_buf_append(out, bytes, p->len);
        else
            ddb__b64_encode((const unsigned char *)bytes, p->len, out);
        eng_buf_append_char(out, '"');
    }
    eng_buf_append_char(out, '}');
}

static int part_limits(const keypart_t *p, bool is_sort, const char **why)
{
    if (!is_sort && p->len > 2048) {
        *why = DDB_INVALID "Size of hashkey has exceeded the maximum size limit of2048 bytes";
        return ENG_EINVAL;
    }
    if (is_sort && p->len > 1024) {
        *why = DDB_INVALID "Aggregated size of all range keys has exceeded the size limit of 1024 bytes";
        return ENG_EINVAL;
    }
    return 0;
}

int ddb__key_build(ddb_thread_t *th, const ddb_schema_t *s, const cJSON *obj, bool is_exact,
                   store_key_t *key, eng_buf_t *keys_json, const char **why)
{
    keypart_t parts[2] = {{.name = s->pk, .type = s->pk_type}, {.name = s->sk, .type = s->sk_type}};
    int n = s->has_sk ? 2 : 1;
    if (!cJSON_IsObject(obj) || (is_exact && cJSON_GetArraySize(obj) != n)) {
        *why = DDB_NO_MATCH;
        return ENG_EINVAL;
    }
    eng_buf_reset(&th->kbuf);
    int err = 0;
    for (int i = 0; i < n && err == 0; i++) {
        err = part_find(th, obj, is_exact, &parts[i], why);
        if (err == 0)
            err = part_bytes(th, &parts[i], why);
        if (err == 0)
            err = part_limits(&parts[i], i == 1, why);
    }
    if (err < 0)
        return err;
    store_keyval_t kv[2];
    for (int i = 0; i < n; i++)
        kv[i] = (store_keyval_t){.type = parts[i].type,
                                 .val = eng_slice(th->kbuf.ptr + parts[i].off, parts[i].len)};
    if ((err = store_key_encode(&kv[0], n == 2 ? &kv[1] : NULL, key)) < 0) {
        *why = DDB_NO_MATCH;
        return err;
    }
    if (keys_json) {
        /* Canonical: names in bytewise order, like any stored map. */
        bool is_swapped = n == 2 && strcmp(parts[1].name, parts[0].name) < 0;
        eng_buf_append_char(keys_json, '{');
        for (int i = 0; i < n; i++) {
            if (i)
                eng_buf_append_char(keys_json, ',');
            part_json(th, &parts[is_swapped ? n - 1 - i : i], keys_json);
        }
        eng_buf_append_char(keys_json, '}');
    }
    return 0;
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
                           buf, "", "");
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
