/* SPDX-License-Identifier: MIT
 * item.c: validation and canonical text of DynamoDB items. The canonical form
 * is compact JSON with attribute names sorted bytewise at every map level,
 * numbers normalized, binaries re-encoded as padded base64 and set elements
 * sorted, so two equal items are byte-equal. It also counts the item's size
 * the way DynamoDB does. It knows nothing of tables or keys: callers check
 * key attributes and the 400 KB limit themselves. */
#include "storage/store.h"

#include "engine/err.h"
#include "engine/json.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32         /* DynamoDB's nesting limit, counted in values. */
#define SORT_STACK 32        /* Members sorted without allocating. */
#define NAME_MAX_BYTES 65535 /* DynamoDB's longest attribute name, at any depth. */

#define INVALID "One or more parameter values were invalid: "

typedef struct canon {
    eng_buf_t *out;     /* Canonical text is appended here. */
    const char **why;   /* The message on ENG_EINVAL. */
    eng_buf_t *why_buf; /* Backing store for formatted messages. */
} canon_t;

typedef int (*canon_fn)(canon_t *c, const cJSON *v, size_t *size, int depth);

static int canon_value(canon_t *c, const cJSON *av, size_t *size, int depth);
static int canon_members(canon_t *c, const cJSON *obj, size_t *size, int depth);

static int fail(canon_t *c, const char *msg)
{
    *c->why = msg;
    return ENG_EINVAL;
}

/* ---- base64 ------------------------------------------------------------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Decode padded base64 into `out`; rejects bad length, characters or padding. */
static int b64_decode(const char *s, size_t len, eng_buf_t *out)
{
    if (len % 4 != 0)
        return ENG_EINVAL;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            bool is_last = i + 4 == len;
            if (s[i + k] == '=' && is_last && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            if ((v[k] = b64_val((unsigned char)s[i + k])) < 0 || pad)
                return ENG_EINVAL;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        char bytes[3] = {(char)(w >> 16), (char)(w >> 8), (char)w};
        eng_buf_append(out, bytes, (size_t)(3 - pad));
    }
    return 0;
}

static void b64_encode(const unsigned char *p, size_t len, eng_buf_t *out)
{
    char *dst = eng_buf_reserve(out, (len + 2) / 3 * 4);
    char *d = dst;
    for (size_t i = 0; i < len; i += 3) {
        size_t n = len - i < 3 ? len - i : 3;
        uint32_t w = (uint32_t)p[i] << 16 | (n > 1 ? (uint32_t)p[i + 1] << 8 : 0) |
                     (n > 2 ? (uint32_t)p[i + 2] : 0);
        *d++ = B64[w >> 18 & 63];
        *d++ = B64[w >> 12 & 63];
        *d++ = n > 1 ? B64[w >> 6 & 63] : '=';
        *d++ = n > 2 ? B64[w & 63] : '=';
    }
    out->len += (size_t)(d - dst);
    out->ptr[out->len] = '\0';
}

/* ---- scalars ----------------------------------------------------------- */

/* Size of a normalized number: one byte of exponent, the mantissa in base-100
 * digits aligned on the exponent's parity, and a terminator for negatives. */
static size_t num_size(const char *n, size_t len)
{
    bool is_neg = len > 0 && n[0] == '-';
    long pos = 0, first = -1, last = -1, int_digits = -1;
    for (size_t i = is_neg; i < len; i++) {
        if (n[i] == '.') {
            int_digits = pos;
            continue;
        }
        if (n[i] != '0') {
            if (first < 0)
                first = pos;
            last = pos;
        }
        pos++;
    }
    if (first < 0)
        return 1; /* Zero. */
    if (int_digits < 0)
        int_digits = pos;
    long digits = last - first + 1;
    long e = int_digits - 1 - first; /* As in d.ddd x 10^e. */
    bool is_aligned = digits % 2 == 0 && e % 2 == 0;
    return 1 + (size_t)(digits + 1) / 2 + is_aligned + is_neg;
}

static int canon_s(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    if (!cJSON_IsString(v))
        return fail(c, "Unexpected value type in payload: S must be a string");
    size_t len = strlen(v->valuestring);
    eng_buf_append_str(c->out, "{\"S\":");
    eng_json_append_string(c->out, v->valuestring, len);
    eng_buf_append_char(c->out, '}');
    *size += len;
    return 0;
}

/* Append the normalized number text of `v` (a JSON string) to `out`. */
static int num_text(canon_t *c, const cJSON *v, eng_buf_t *out)
{
    if (!cJSON_IsString(v))
        return fail(c, "The parameter cannot be converted to a numeric value");
    const char *why = NULL;
    int err = store_num_normalize(eng_slice_cstr(v->valuestring), out, &why);
    if (err < 0)
        return fail(c, why ? why : "The parameter cannot be converted to a numeric value");
    return 0;
}

static int canon_n(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    eng_buf_append_str(c->out, "{\"N\":\"");
    size_t at = c->out->len;
    int err = num_text(c, v, c->out);
    if (err < 0)
        return err;
    *size += num_size(c->out->ptr + at, c->out->len - at);
    eng_buf_append_str(c->out, "\"}");
    return 0;
}

/* Append the canonical base64 of binary `v` to `out`; *raw_len gets its bytes. */
static int bin_text(canon_t *c, const cJSON *v, eng_buf_t *out, size_t *raw_len)
{
    if (!cJSON_IsString(v))
        return fail(c, "Unexpected value type in payload: B must be a base64 string");
    eng_buf_t raw = {0};
    int err = b64_decode(v->valuestring, strlen(v->valuestring), &raw);
    if (err < 0) {
        eng_buf_free(&raw);
        return fail(c, INVALID "Invalid Base64 value for a binary attribute");
    }
    b64_encode((const unsigned char *)raw.ptr, raw.len, out);
    *raw_len = raw.len;
    eng_buf_free(&raw);
    return 0;
}

static int canon_b(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    size_t raw_len = 0;
    eng_buf_append_str(c->out, "{\"B\":\"");
    int err = bin_text(c, v, c->out, &raw_len);
    if (err < 0)
        return err;
    eng_buf_append_str(c->out, "\"}");
    *size += raw_len;
    return 0;
}

static int canon_bool(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    if (!cJSON_IsBool(v))
        return fail(c, "Unexpected value type in payload: BOOL must be true or false");
    eng_buf_append_str(c->out, cJSON_IsTrue(v) ? "{\"BOOL\":true}" : "{\"BOOL\":false}");
    *size += 1;
    return 0;
}

static int canon_null(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    if (!cJSON_IsTrue(v))
        return fail(c, INVALID "Null attribute value types must have the value of true");
    eng_buf_append_str(c->out, "{\"NULL\":true}");
    *size += 1;
    return 0;
}

/* ---- documents --------------------------------------------------------- */

static int canon_m(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    if (!cJSON_IsObject(v))
        return fail(c, "Unexpected value type in payload: M must be an object");
    eng_buf_append_str(c->out, "{\"M\":");
    size_t inner = 0;
    int err = canon_members(c, v, &inner, depth + 1);
    if (err < 0)
        return err;
    eng_buf_append_char(c->out, '}');
    *size += 3 + inner + (size_t)cJSON_GetArraySize(v);
    return 0;
}

static int canon_l(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    if (!cJSON_IsArray(v))
        return fail(c, "Unexpected value type in payload: L must be an array");
    eng_buf_append_str(c->out, "{\"L\":[");
    size_t inner = 0, n = 0;
    for (const cJSON *e = v->child; e; e = e->next, n++) {
        if (n)
            eng_buf_append_char(c->out, ',');
        int err = canon_value(c, e, &inner, depth + 1);
        if (err < 0)
            return err;
    }
    eng_buf_append_str(c->out, "]}");
    *size += 3 + inner + n;
    return 0;
}

/* ---- sets -------------------------------------------------------------- */

/* One set element: its canonical text (and sort key) inside a scratch buffer. */
typedef struct elem {
    size_t off, len;         /* Canonical text in the scratch buffer. */
    size_t key_off, key_len; /* Bytes that order the set (raw for BS, text otherwise). */
    const char *base;        /* Scratch buffer base, set after all elements are in. */
    bool is_num;
} elem_t;

static int elem_cmp(const void *a, const void *b)
{
    const elem_t *x = a, *y = b;
    if (x->is_num)
        return store_num_cmp(eng_slice(x->base + x->off, x->len),
                             eng_slice(y->base + y->off, y->len));
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int r = memcmp(x->base + x->key_off, y->base + y->key_off, n);
    return r ? r : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Format "Input collection [a, b]<tail>" with the elements in input order. */
static int dup_error(canon_t *c, const cJSON *set, const char *head, const char *tail)
{
    if (!c->why_buf)
        return fail(c, INVALID "Input collection contains duplicates.");
    eng_buf_reset(c->why_buf);
    eng_buf_append_str(c->why_buf, head);
    eng_buf_append_str(c->why_buf, "Input collection [");
    for (const cJSON *e = set->child; e; e = e->next)
        eng_buf_printf(c->why_buf, "%s%s", e == set->child ? "" : ", ",
                       cJSON_IsString(e) ? e->valuestring : "");
    eng_buf_printf(c->why_buf, "]%s", tail);
    return fail(c, c->why_buf->ptr);
}

/* Render one element of set type `t` into `scratch`; adds its size. */
static int set_elem(canon_t *c, char t, const cJSON *e, eng_buf_t *scratch, elem_t *el,
                    size_t *size)
{
    el->off = scratch->len;
    el->is_num = t == 'N';
    int err = 0;
    if (t == 'S') {
        if (!cJSON_IsString(e))
            return fail(c, "Unexpected value type in payload: SS members must be strings");
        eng_json_append_string(scratch, e->valuestring, strlen(e->valuestring));
        *size += strlen(e->valuestring);
        el->key_off = el->off + 1;
        el->key_len =
            scratch->len - el->off - 2; /* Escaping is one-to-one: equal text, equal string. */
    } else if (t == 'N') {
        if ((err = num_text(c, e, scratch)) < 0)
            return err;
        *size += num_size(scratch->ptr + el->off, scratch->len - el->off);
    } else {
        size_t raw = 0;
        if ((err = bin_text(c, e, scratch, &raw)) < 0)
            return err;
        *size += raw;
        /* Decode again next to it so sorting compares raw bytes. */
        el->key_off = scratch->len;
        b64_decode(scratch->ptr + el->off, scratch->len - el->off, scratch);
        el->key_len = raw;
        scratch->len = el->key_off + raw;
        el->len = el->key_off - el->off;
        return 0;
    }
    el->len = scratch->len - el->off;
    return 0;
}

static void set_emit(canon_t *c, char t, elem_t *els, size_t n)
{
    eng_buf_printf(c->out, "{\"%cS\":[", t);
    for (size_t i = 0; i < n; i++) {
        if (i)
            eng_buf_append_char(c->out, ',');
        bool is_quoted = t != 'S';
        if (is_quoted)
            eng_buf_append_char(c->out, '"');
        eng_buf_append(c->out, els[i].base + els[i].off, els[i].len);
        if (is_quoted)
            eng_buf_append_char(c->out, '"');
    }
    eng_buf_append_str(c->out, "]}");
}

static int set_empty(canon_t *c, char t)
{
    if (t == 'S')
        return fail(c, INVALID "An string set  may not be empty");
    if (t == 'N')
        return fail(c, INVALID "An number set  may not be empty");
    return fail(c, INVALID "Binary sets should not be empty");
}

static int canon_set(canon_t *c, char t, const cJSON *v, size_t *size)
{
    if (!cJSON_IsArray(v))
        return fail(c, "Unexpected value type in payload: a set must be an array");
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n == 0)
        return set_empty(c, t);
    eng_buf_t scratch = {0};
    elem_t *els = eng_calloc(n, sizeof(*els));
    int err = 0;
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++)
        if ((err = set_elem(c, t, e, &scratch, &els[i], size)) < 0)
            goto out;
    for (i = 0; i < n; i++)
        els[i].base = scratch.ptr;
    qsort(els, n, sizeof(*els), elem_cmp);
    for (i = 1; i < n; i++) {
        if (elem_cmp(&els[i - 1], &els[i]) != 0)
            continue;
        if (t == 'N')
            err = fail(c, "Input collection contains duplicates");
        else
            err = dup_error(c, v, INVALID,
                            t == 'S' ? " contains duplicates." : "of type BS contains duplicates.");
        goto out;
    }
    set_emit(c, t, els, n);
out:
    eng_free(els);
    eng_buf_free(&scratch);
    return err;
}

static int canon_ss(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    return canon_set(c, 'S', v, size);
}

static int canon_ns(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    return canon_set(c, 'N', v, size);
}

static int canon_bs(canon_t *c, const cJSON *v, size_t *size, int depth)
{
    (void)depth;
    return canon_set(c, 'B', v, size);
}

/* ---- dispatch ---------------------------------------------------------- */

typedef struct type_entry {
    const char *name;
    canon_fn fn;
} type_entry_t;

static const type_entry_t TYPES[] = {
    /* Sorted for bsearch. */
    {.name = "B", .fn = canon_b},   {.name = "BOOL", .fn = canon_bool},
    {.name = "BS", .fn = canon_bs}, {.name = "L", .fn = canon_l},
    {.name = "M", .fn = canon_m},   {.name = "N", .fn = canon_n},
    {.name = "NS", .fn = canon_ns}, {.name = "NULL", .fn = canon_null},
    {.name = "S", .fn = canon_s},   {.name = "SS", .fn = canon_ss},
};

static int type_cmp(const void *key, const void *entry)
{
    return strcmp(key, ((const type_entry_t *)entry)->name);
}

static int canon_value(canon_t *c, const cJSON *av, size_t *size, int depth)
{
    if (!cJSON_IsObject(av))
        return fail(c, "Unexpected value type in payload: an AttributeValue must be an object");
    /* Every value counts as a level, scalars too: 31 maps around a string
     * are 32 levels and pass, 32 maps around it do not. */
    if (depth >= MAX_DEPTH) {
        fail(c, "Nesting Levels have exceeded supported limits: Attributes in the item have "
                "nested levels beyond supported limit");
        return ENG_ETOOBIG;
    }
    const cJSON *v = av->child;
    const type_entry_t *t = NULL;
    /* Members that name no type are ignored, as DynamoDB's parser does. */
    const cJSON *found = NULL;
    for (; v; v = v->next) {
        const type_entry_t *e =
            bsearch(v->string, TYPES, ENG_ARRAY_LEN(TYPES), sizeof(TYPES[0]), type_cmp);
        if (!e || cJSON_IsNull(v))
            continue;
        if (t)
            return fail(c, "Supplied AttributeValue has more than one datatypes set, "
                           "must contain exactly one of the supported datatypes");
        t = e;
        found = v;
    }
    if (!t)
        return fail(c, "Supplied AttributeValue is empty, must contain exactly one of the "
                       "supported datatypes");
    return t->fn(c, found, size, depth);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Append {"name":value,...} with names sorted; *size gets names plus values. */
static int canon_members(canon_t *c, const cJSON *obj, size_t *size, int depth)
{
    size_t n = (size_t)cJSON_GetArraySize(obj);
    const cJSON *stack[SORT_STACK];
    const cJSON **m = n <= SORT_STACK ? stack : eng_malloc(n * sizeof(*m));
    size_t i = 0;
    for (const cJSON *e = obj->child; e; e = e->next)
        m[i++] = e;
    qsort(m, n, sizeof(*m), name_cmp);
    int err = 0;
    eng_buf_append_char(c->out, '{');
    for (i = 0; i < n; i++) {
        if (i && strcmp(m[i - 1]->string, m[i]->string) == 0) {
            err = fail(c, INVALID "Duplicate attribute name in a map");
            goto out;
        }
        if (i)
            eng_buf_append_char(c->out, ',');
        size_t name_len = strlen(m[i]->string);
        if (name_len > NAME_MAX_BYTES) {
            err = fail(c, "1 validation error detected: Attribute name is too large, must be "
                          "less than 65536 bytes");
            goto out;
        }
        eng_json_append_string(c->out, m[i]->string, name_len);
        eng_buf_append_char(c->out, ':');
        *size += name_len;
        if ((err = canon_value(c, m[i], size, depth)) < 0)
            goto out;
    }
    eng_buf_append_char(c->out, '}');
out:
    if (m != stack)
        eng_free(m);
    return err;
}

int store_item_canon(const cJSON *item, eng_buf_t *out, size_t *size_bytes, const char **why,
                     eng_buf_t *why_buf)
{
    const char *dummy = NULL;
    canon_t c = {.out = out, .why = why ? why : &dummy, .why_buf = why_buf};
    if (!cJSON_IsObject(item))
        return fail(&c, "Unexpected value type in payload: an item must be an object");
    size_t size = 0;
    size_t start = out->len;
    int err = canon_members(&c, item, &size, 0);
    if (err < 0) {
        out->len = start;
        if (out->ptr)
            out->ptr[start] = '\0';
        return err;
    }
    *size_bytes = size;
    return 0;
}
