/* SPDX-License-Identifier: MIT
 * schema.c: key schemas, from a table's meta JSON to what the key codec
 * needs. Builds a store_key_t from an item or a Key object with DynamoDB's
 * messages for missing, mistyped, empty or oversized key attributes, and the
 * key's canonical JSON for change-log records. Shared by every writer of
 * items (the DynamoDB front door, the trigger dispatcher's staged writes).
 * It does not read tables: the caller hands it the meta. */
#include "storage/expr_int.h"
#include "storage/store.h"
#include "storage/store_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define INVALID "One or more parameter values were invalid: "
#define NO_MATCH "The provided key element does not match the schema"

typedef struct keypart {
    const char *name;
    store_ktype_t type;
    const cJSON *value; /* The AttributeValue's single member ({"S":"x"} -> "x"). */
    size_t off, len;    /* Value bytes in the scratch buffer. */
} keypart_t;

static int key_type(const cJSON *defs, const char *name, store_ktype_t *out)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *n = eng_json_get_str(d, "AttributeName");
        const char *t = eng_json_get_str(d, "AttributeType");
        if (n && t && strcmp(n, name) == 0 && strlen(t) == 1 && strchr("SNB", t[0])) {
            *out = (store_ktype_t)t[0];
            return 0;
        }
    }
    return ENG_ECORRUPT;
}

/* Record one KeySchema element: the first of each kind in pk/sk, the rest after. */
static int schema_add(store_schema_t *s, const char *name, bool is_hash, const cJSON *defs)
{
    bool is_first = is_hash ? !s->pk[0] : !s->has_sk;
    uint8_t *n_more = is_hash ? &s->n_more_hash : &s->n_more_range;
    if (!is_first && *n_more >= STORE_KEY_ATTRS_MAX - 1)
        return ENG_ECORRUPT;
    char *dst = is_first ? (is_hash ? s->pk : s->sk)
                         : (is_hash ? s->more_hash[*n_more] : s->more_range[*n_more]);
    store_ktype_t *type =
        is_first ? (is_hash ? &s->pk_type : &s->sk_type)
                 : (is_hash ? &s->more_hash_type[*n_more] : &s->more_range_type[*n_more]);
    snprintf(dst, STORE_NAME_MAX + 1, "%s", name);
    if (key_type(defs, name, type) < 0)
        return ENG_ECORRUPT;
    if (!is_first)
        (*n_more)++;
    s->has_sk = s->has_sk || !is_hash;
    return 0;
}

int store_schema_from_json(const cJSON *key_schema, const cJSON *defs, store_schema_t *out)
{
    *out = (store_schema_t){0};
    const cJSON *k;
    cJSON_ArrayForEach(k, key_schema)
    {
        const char *name = eng_json_get_str(k, "AttributeName");
        const char *type = eng_json_get_str(k, "KeyType");
        if (!name || !type || !name[0] || strlen(name) > STORE_NAME_MAX)
            return ENG_ECORRUPT;
        bool is_hash = strcmp(type, "HASH") == 0;
        if (!is_hash && strcmp(type, "RANGE") != 0)
            return ENG_ECORRUPT;
        if (schema_add(out, name, is_hash, defs) < 0)
            return ENG_ECORRUPT;
    }
    return out->pk[0] ? 0 : ENG_ECORRUPT;
}

const char *store_schema_attr(const store_schema_t *s, bool is_range, int i, store_ktype_t *type)
{
    assert(i >= 0 && i < (is_range ? store_schema_n_range(s) : store_schema_n_hash(s)));
    store_ktype_t t = is_range ? (i ? s->more_range_type[i - 1] : s->sk_type)
                               : (i ? s->more_hash_type[i - 1] : s->pk_type);
    if (type)
        *type = t;
    return is_range ? (i ? s->more_range[i - 1] : s->sk) : (i ? s->more_hash[i - 1] : s->pk);
}

bool store_schema_has_attr(const store_schema_t *s, const char *name)
{
    for (int r = 0; r < 2; r++) {
        int n = r ? store_schema_n_range(s) : store_schema_n_hash(s);
        for (int i = 0; i < n; i++)
            if (strcmp(store_schema_attr(s, r, i, NULL), name) == 0)
                return true;
    }
    return false;
}

int store_schema_parse(eng_slice_t meta, store_schema_t *out)
{
    cJSON *root = NULL;
    if (eng_json_parse(meta.ptr, meta.len, &root) < 0)
        return ENG_ECORRUPT;
    int err = store_schema_from_json(eng_json_get(root, "KeySchema"),
                                     eng_json_get(root, "AttributeDefinitions"), out);
    /* LSIs exist only from CreateTable on, so this never goes stale. */
    out->has_lsi = cJSON_GetArraySize(eng_json_get(root, "LocalSecondaryIndexes")) > 0;
    eng_json_delete(root);
    return err;
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

/* Locate and type-check one key attribute of `obj`; *fault says why not. */
static int part_find(const cJSON *obj, bool is_exact, keypart_t *p, eng_buf_t *why,
                     store_key_fault_t *fault)
{
    const cJSON *av = eng_json_get(obj, p->name);
    *fault = STORE_KEY_NO_MATCH;
    if (!av) {
        if (is_exact)
            eng_buf_append_str(why, NO_MATCH);
        else
            eng_buf_printf(why, INVALID "Missing the key %s in the item", p->name);
        return ENG_EINVAL;
    }
    const cJSON *m = av_member(av);
    char want[2] = {(char)p->type, 0};
    if (!m || !cJSON_IsString(m) || strcmp(m->string, want) != 0) {
        *fault = STORE_KEY_TYPE;
        if (is_exact)
            eng_buf_append_str(why, NO_MATCH);
        else
            eng_buf_printf(why, INVALID "Type mismatch for key %s expected: %s actual: %s", p->name,
                           want, m ? m->string : "NULL");
        return ENG_EINVAL;
    }
    if (m->valuestring[0] == '\0') {
        *fault = STORE_KEY_EMPTY;
        eng_buf_printf(why,
                       "One or more parameter values are not valid. The AttributeValue for a key "
                       "attribute cannot contain an empty %s value. Key: %s",
                       p->type == STORE_KT_B ? "binary" : "string", p->name);
        return ENG_EINVAL;
    }
    p->value = m;
    *fault = STORE_KEY_VALUE; /* Whatever fails now is the value itself. */
    return 0;
}

/* Append the key value's storage bytes (S raw, N normalized, B decoded). */
static int part_bytes(keypart_t *p, eng_buf_t *kb, eng_buf_t *why)
{
    p->off = kb->len;
    const char *v = p->value->valuestring;
    int err = 0;
    if (p->type == STORE_KT_S) {
        eng_buf_append_str(kb, v);
    } else if (p->type == STORE_KT_N) {
        const char *w = NULL;
        if ((err = store_num_normalize(eng_slice_cstr(v), kb, &w)) < 0)
            eng_buf_append_str(why, w ? w : "The parameter cannot be converted to a numeric value");
    } else {
        unsigned char *bytes = NULL;
        size_t n = 0;
        if ((err = expr__b64_decode(v, &bytes, &n)) < 0 || n == 0)
            eng_buf_append_str(why, n == 0 && err == 0
                                        ? "One or more parameter values are not valid. The "
                                          "AttributeValue for a key attribute cannot contain an "
                                          "empty binary value."
                                        : "Invalid Base64 value for a binary key attribute");
        if (err == 0 && n == 0)
            err = ENG_EINVAL;
        if (err == 0)
            eng_buf_append(kb, bytes, n);
        eng_free(bytes);
    }
    p->len = kb->len - p->off;
    return err;
}

static int part_limits(size_t len, bool is_sort, eng_buf_t *why)
{
    if (!is_sort && len > 2048) {
        eng_buf_append_str(why, INVALID
                           "Size of hashkey has exceeded the maximum size limit of2048 bytes");
        return ENG_EINVAL;
    }
    if (is_sort && len > 1024) {
        eng_buf_append_str(why, INVALID "Aggregated size of all range keys has exceeded the size "
                                        "limit of 1024 bytes");
        return ENG_EINVAL;
    }
    return 0;
}

/* {"name":{"T":...}}: S and B as given (B was checked to decode), N normalized. */
static void part_json(const keypart_t *p, const eng_buf_t *kb, eng_buf_t *out)
{
    eng_json_append_string(out, p->name, strlen(p->name));
    eng_buf_printf(out, ":{\"%c\":", (char)p->type);
    if (p->type == STORE_KT_N)
        eng_json_append_string(out, kb->ptr + p->off, p->len);
    else
        eng_json_append_string(out, p->value->valuestring, strlen(p->value->valuestring));
    eng_buf_append_char(out, '}');
}

static void keys_json_append(keypart_t *parts, int n, const eng_buf_t *kb, eng_buf_t *out)
{
    /* Canonical: names in bytewise order, like any stored map. */
    int order[2 * STORE_KEY_ATTRS_MAX];
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && strcmp(parts[i].name, parts[order[j - 1]].name) < 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    eng_buf_append_char(out, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            eng_buf_append_char(out, ',');
        part_json(&parts[order[i]], kb, out);
    }
    eng_buf_append_char(out, '}');
}

/* Append `len` bytes escaped so the result is prefix-free and keeps bytewise
 * order: 0x00 becomes 0x00 0xFF, and a component ends with 0x00 0x01, which
 * sorts below any continuation. */
static void escape_append(eng_buf_t *tb, const uint8_t *p, size_t len, bool is_last)
{
    for (size_t i = 0; i < len; i++) {
        eng_buf_append_char(tb, (char)p[i]);
        if (p[i] == 0)
            eng_buf_append_char(tb, (char)0xFF);
    }
    if (!is_last)
        eng_buf_append(tb, "\x00\x01", 2);
}

/* A multi-attribute key's HASH tuple (each value length-prefixed: equal
 * tuples, equal bytes) and RANGE tuple (each value in its sort encoding,
 * escaped: tuples compare attribute by attribute) into `tb`, as the two
 * parts store_key_encode takes. A single attribute of a kind keeps its plain
 * value. Returns 0 or ENG_EINVAL (a tuple over the key size limits). */
static int tuple_encode(const keypart_t *parts, int nh, int nr, const eng_buf_t *kb, eng_buf_t *tb,
                        store_keyval_t kv[2], eng_buf_t *why)
{
    for (int i = 0; nh > 1 && i < nh; i++) {
        uint8_t len[2] = {(uint8_t)(parts[i].len >> 8), (uint8_t)parts[i].len};
        eng_buf_append(tb, len, 2);
        eng_buf_append(tb, kb->ptr + parts[i].off, parts[i].len);
    }
    const size_t hash_len = tb->len;
    for (int i = nh; nr > 1 && i < nh + nr; i++) {
        const uint8_t *v = (const uint8_t *)kb->ptr + parts[i].off;
        uint8_t num[STORE__NUM_KEY_MAX];
        size_t len = parts[i].len;
        if (parts[i].type == STORE_KT_N) {
            len = store__num_key(eng_slice((const char *)v, len), num);
            v = num;
        }
        escape_append(tb, v, len, i == nh + nr - 1);
    }
    int err = part_limits(hash_len, false, why);
    if (err == 0)
        err = part_limits(tb->len - hash_len, true, why);
    if (err < 0)
        return err;
    const keypart_t *h = &parts[0], *r = &parts[nh];
    kv[0] = nh > 1 ? (store_keyval_t){.type = STORE_KT_B, .val = eng_slice(tb->ptr, hash_len)}
                   : (store_keyval_t){.type = h->type, .val = eng_slice(kb->ptr + h->off, h->len)};
    if (nr > 1)
        kv[1] = (store_keyval_t){.type = STORE_KT_B,
                                 .val = eng_slice(tb->ptr + hash_len, tb->len - hash_len)};
    else if (nr == 1)
        kv[1] = (store_keyval_t){.type = r->type, .val = eng_slice(kb->ptr + r->off, r->len)};
    return 0;
}

static void parts_init(const store_schema_t *s, keypart_t *parts)
{
    if (!s->n_more_hash && !s->n_more_range) { /* Tables and LSIs: the common case, kept short. */
        parts[0] = (keypart_t){.name = s->pk, .type = s->pk_type};
        parts[1] = (keypart_t){.name = s->sk, .type = s->sk_type};
        return;
    }
    const int nh = store_schema_n_hash(s), n = nh + store_schema_n_range(s);
    for (int i = 0; i < n; i++) {
        store_ktype_t t;
        const char *name = store_schema_attr(s, i >= nh, i >= nh ? i - nh : i, &t);
        parts[i] = (keypart_t){.name = name, .type = t};
    }
}

int store_schema_key(const store_schema_t *s, const cJSON *obj, bool is_exact, store_key_t *key,
                     eng_buf_t *keys_json, eng_buf_t *why, store_key_fault_t *fault)
{
    store_key_fault_t f = STORE_KEY_NO_MATCH;
    keypart_t parts[2 * STORE_KEY_ATTRS_MAX];
    const int nh = store_schema_n_hash(s), nr = store_schema_n_range(s), n = nh + nr;
    parts_init(s, parts);
    eng_buf_t kb, tb = {0};
    eng_buf_init(&kb, 128); /* Never NULL: key slices point into it. */
    eng_buf_reset(why);
    int err = ENG_EINVAL;
    if (!cJSON_IsObject(obj) || (is_exact && cJSON_GetArraySize(obj) != n)) {
        eng_buf_append_str(why, NO_MATCH);
        goto out;
    }
    err = 0;
    for (int i = 0; i < n && err == 0; i++) {
        err = part_find(obj, is_exact, &parts[i], why, &f);
        if (err == 0)
            err = part_bytes(&parts[i], &kb, why);
        if (err == 0)
            err = part_limits(parts[i].len, i >= nh, why);
    }
    if (err < 0)
        goto out;
    store_keyval_t kv[2];
    if (nh > 1 || nr > 1) {
        eng_buf_init(&tb, 128);
        if ((err = tuple_encode(parts, nh, nr, &kb, &tb, kv, why)) < 0)
            goto out;
    } else {
        for (int i = 0; i < n; i++)
            kv[i] = (store_keyval_t){.type = parts[i].type,
                                     .val = eng_slice(kb.ptr + parts[i].off, parts[i].len)};
    }
    if ((err = store_key_encode(&kv[0], nr ? &kv[1] : NULL, key)) < 0) {
        eng_buf_append_str(why, NO_MATCH);
        goto out;
    }
    if (keys_json)
        keys_json_append(parts, n, &kb, keys_json);
out:
    if (err < 0 && fault)
        *fault = f;
    eng_buf_free(&tb);
    eng_buf_free(&kb);
    return err;
}
