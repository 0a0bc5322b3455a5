/* SPDX-License-Identifier: MIT
 * expr_val.c: DynamoDB attribute values as the expression engine sees them:
 * their type, equality (sets unordered, numbers numerically, L and M deep),
 * ordering of S, N and B (bytewise on decoded binary), document-path lookup
 * and DynamoDB's rendering of a path in messages. Values are cJSON nodes in
 * DynamoDB JSON ({"N":"1"}); nothing here allocates except base64 decoding. */
#include "engine/err.h"
#include "storage/expr_int.h"

static const char *const type_names[] = {
    [EXPR_T_NONE] = "",     [EXPR_T_S] = "S",   [EXPR_T_N] = "N",   [EXPR_T_B] = "B",
    [EXPR_T_SS] = "SS",     [EXPR_T_NS] = "NS", [EXPR_T_BS] = "BS", [EXPR_T_BOOL] = "BOOL",
    [EXPR_T_NULL] = "NULL", [EXPR_T_L] = "L",   [EXPR_T_M] = "M",
};

const char *expr__type_name(expr_type_t t)
{
    return type_names[t];
}

expr_type_t expr__type_of(const cJSON *v, const cJSON **payload)
{
    if (!v || !cJSON_IsObject(v) || !v->child || !v->child->string || v->child->next)
        return EXPR_T_NONE;
    for (int t = EXPR_T_S; t <= EXPR_T_M; t++) {
        if (strcmp(v->child->string, type_names[t]) == 0) {
            if (payload)
                *payload = v->child;
            return (expr_type_t)t;
        }
    }
    return EXPR_T_NONE;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int expr__b64_decode(const char *s, unsigned char **out, size_t *len)
{
    const size_t n = strlen(s);
    unsigned char *buf = eng_malloc(n / 4 * 3 + 3);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const int v = b64_val((unsigned char)s[i]);
        if (v < 0) {
            eng_free(buf);
            return ENG_EINVAL;
        }
        acc = (acc << 6) | (unsigned)v;
        if ((bits += 6) >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out = buf;
    *len = o;
    return 0;
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    const int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int b64_cmp(const char *a, const char *b)
{
    unsigned char *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    int c;
    if (expr__b64_decode(a, &x, &xl) < 0 || expr__b64_decode(b, &y, &yl) < 0)
        c = strcmp(a, b);
    else
        c = bytes_cmp((const char *)x, xl, (const char *)y, yl);
    eng_free(x);
    eng_free(y);
    return c;
}

/* Compare two scalar payloads of type t. */
static int scalar_cmp(expr_type_t t, const cJSON *a, const cJSON *b)
{
    const char *as = cJSON_GetStringValue(a), *bs = cJSON_GetStringValue(b);
    if (!as || !bs)
        return as ? 1 : bs ? -1 : 0;
    if (t == EXPR_T_N)
        return expr__num_cmp(as, bs);
    if (t == EXPR_T_B)
        return b64_cmp(as, bs);
    return bytes_cmp(as, strlen(as), bs, strlen(bs));
}

bool expr__val_cmp(const cJSON *a, const cJSON *b, int *cmp)
{
    const cJSON *pa, *pb;
    const expr_type_t t = expr__type_of(a, &pa);
    if (t != expr__type_of(b, &pb) || (t != EXPR_T_S && t != EXPR_T_N && t != EXPR_T_B))
        return false;
    *cmp = scalar_cmp(t, pa, pb);
    return true;
}

/* Every member of set a is in set b (element type et). */
static bool set_subset(expr_type_t et, const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;
    cJSON_ArrayForEach(x, a)
    {
        bool found = false;
        cJSON_ArrayForEach(y, b)
        {
            if ((found = scalar_cmp(et, x, y) == 0))
                break;
        }
        if (!found)
            return false;
    }
    return true;
}

static bool list_eq(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next)
        if (!expr__val_eq(x, y))
            return false;
    return true;
}

static bool map_eq(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!expr__val_eq(x, cJSON_GetObjectItemCaseSensitive(b, x->string)))
            return false;
    }
    return true;
}

bool expr__val_eq(const cJSON *a, const cJSON *b)
{
    const cJSON *pa, *pb;
    const expr_type_t t = expr__type_of(a, &pa);
    if (t == EXPR_T_NONE || t != expr__type_of(b, &pb))
        return false;
    switch (t) {
    case EXPR_T_SS:
    case EXPR_T_NS:
    case EXPR_T_BS: {
        const expr_type_t et = t == EXPR_T_SS ? EXPR_T_S : t == EXPR_T_NS ? EXPR_T_N : EXPR_T_B;
        return cJSON_GetArraySize(pa) == cJSON_GetArraySize(pb) && set_subset(et, pa, pb);
    }
    case EXPR_T_BOOL:
        return cJSON_IsTrue(pa) == cJSON_IsTrue(pb);
    case EXPR_T_NULL:
        return true;
    case EXPR_T_L:
        return list_eq(pa, pb);
    case EXPR_T_M:
        return map_eq(pa, pb);
    default:
        return scalar_cmp(t, pa, pb) == 0;
    }
}

const cJSON *expr__path_get(const cJSON *item, const expr_path_t *path)
{
    const cJSON *cur = NULL, *payload = NULL;
    for (size_t i = 0; i < path->n; i++) {
        const expr_seg_t *s = &path->segs[i];
        if (i == 0) {
            cur = item ? cJSON_GetObjectItemCaseSensitive(item, s->name) : NULL;
        } else if (s->is_index) {
            if (expr__type_of(cur, &payload) != EXPR_T_L ||
                s->index >= (size_t)cJSON_GetArraySize(payload))
                return NULL;
            cur = cJSON_GetArrayItem(payload, (int)s->index);
        } else {
            if (expr__type_of(cur, &payload) != EXPR_T_M)
                return NULL;
            cur = cJSON_GetObjectItemCaseSensitive(payload, s->name);
        }
        if (!cur)
            return NULL;
    }
    return cur;
}

void expr__path_str(const expr_path_t *path, eng_buf_t *out)
{
    eng_buf_append_char(out, '[');
    for (size_t i = 0; i < path->n; i++) {
        if (i > 0)
            eng_buf_append_str(out, ", ");
        if (path->segs[i].is_index)
            eng_buf_printf(out, "[%zu]", path->segs[i].index);
        else
            eng_buf_append_str(out, path->segs[i].name);
    }
    eng_buf_append_char(out, ']');
}
