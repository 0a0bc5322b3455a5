/* SPDX-License-Identifier: MIT
 * expr_eval.c: evaluating conditions and filters against an item, building
 * projections, and extracting a Query's key condition. Evaluation never
 * fails: as in DynamoDB, a missing attribute or a type mismatch makes the
 * comparison false (only <> is true for different or missing values). */
#include "engine/err.h"
#include "engine/json.h"
#include "storage/expr_int.h"

#include <stdio.h>
#include <string.h>

/* An operand's value: borrowed from the item or expression, or computed
 * (size) and owned. */
typedef struct val {
    const cJSON *v;
    cJSON *owned;
} val_t;

/* DynamoDB counts a string's size in UTF-16 code units. */
static size_t utf16_units(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        n += *p >= 0xf0 ? 2 : 1;
    }
    return n;
}

static bool size_of(const cJSON *v, size_t *out)
{
    const cJSON *p = NULL;
    unsigned char *bytes = NULL;
    switch (expr__type_of(v, &p)) {
    case EXPR_T_S:
        *out = utf16_units(cJSON_GetStringValue(p) ? cJSON_GetStringValue(p) : "");
        return true;
    case EXPR_T_B:
        if (!cJSON_GetStringValue(p) || expr__b64_decode(p->valuestring, &bytes, out) < 0)
            return false;
        eng_free(bytes);
        return true;
    case EXPR_T_SS:
    case EXPR_T_NS:
    case EXPR_T_BS:
    case EXPR_T_L:
    case EXPR_T_M:
        *out = (size_t)cJSON_GetArraySize(p);
        return true;
    default:
        return false;
    }
}

static val_t operand(const expr_node_t *n, const cJSON *item)
{
    val_t r = {0};
    size_t size;
    if (n->kind == EXPR_N_PATH) {
        r.v = expr__path_get(item, &n->path);
    } else if (n->kind == EXPR_N_VALUE) {
        r.v = n->value;
    } else if (n->kind == EXPR_N_FUNC && n->op == EXPR_F_SIZE) {
        val_t arg = operand(n->args[0], item);
        if (size_of(arg.v, &size)) {
            char num[32];
            snprintf(num, sizeof num, "%zu", size);
            r.v = r.owned = cJSON_CreateObject();
            cJSON_AddStringToObject(r.owned, "N", num);
        }
        cJSON_Delete(arg.owned);
    }
    return r;
}

static bool compare(store_expr_op_t op, const cJSON *a, const cJSON *b)
{
    if (op == STORE_EXPR_OP_EQ || op == STORE_EXPR_OP_NE)
        return expr__val_eq(a, b) == (op == STORE_EXPR_OP_EQ);
    int c;
    if (!a || !b || !expr__val_cmp(a, b, &c))
        return false;
    switch (op) {
    case STORE_EXPR_OP_LT:
        return c < 0;
    case STORE_EXPR_OP_LE:
        return c <= 0;
    case STORE_EXPR_OP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

static bool eval_cmp(const expr_node_t *n, const cJSON *item)
{
    val_t a = operand(n->args[0], item), b = operand(n->args[1], item);
    const bool r = compare((store_expr_op_t)n->op, a.v, b.v);
    cJSON_Delete(a.owned);
    cJSON_Delete(b.owned);
    return r;
}

static bool eval_between(const expr_node_t *n, const cJSON *item)
{
    val_t x = operand(n->args[0], item), lo = operand(n->args[1], item),
          hi = operand(n->args[2], item);
    const bool r = compare(STORE_EXPR_OP_GE, x.v, lo.v) && compare(STORE_EXPR_OP_LE, x.v, hi.v);
    cJSON_Delete(x.owned);
    cJSON_Delete(lo.owned);
    cJSON_Delete(hi.owned);
    return r;
}

static bool eval_in(const expr_node_t *n, const cJSON *item)
{
    val_t x = operand(n->args[0], item);
    bool r = false;
    for (size_t i = 1; !r && i < n->n_args; i++) {
        val_t y = operand(n->args[i], item);
        r = expr__val_eq(x.v, y.v);
        cJSON_Delete(y.owned);
    }
    cJSON_Delete(x.owned);
    return r;
}

static bool str_prefix(const char *s, const char *prefix)
{
    return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool bin_prefix(const char *s, const char *prefix)
{
    unsigned char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    bool r = s && prefix && expr__b64_decode(s, &a, &al) == 0 &&
             expr__b64_decode(prefix, &b, &bl) == 0 && bl <= al && memcmp(a, b, bl) == 0;
    eng_free(a);
    eng_free(b);
    return r;
}

static bool begins_with(const cJSON *a, const cJSON *b)
{
    const cJSON *pa, *pb;
    const expr_type_t t = expr__type_of(a, &pa);
    if (t != expr__type_of(b, &pb))
        return false;
    if (t == EXPR_T_S)
        return str_prefix(cJSON_GetStringValue(pa), cJSON_GetStringValue(pb));
    return t == EXPR_T_B && bin_prefix(cJSON_GetStringValue(pa), cJSON_GetStringValue(pb));
}

/* A set element (string payload) equals another of element type t. */
static bool elem_eq(expr_type_t t, const cJSON *x, const cJSON *y)
{
    const char *a = cJSON_GetStringValue(x), *b = cJSON_GetStringValue(y);
    if (!a || !b)
        return false;
    return t == EXPR_T_N ? expr__num_cmp(a, b) == 0 : strcmp(a, b) == 0;
}

/* B contains B: a byte substring of the decoded values. */
static bool bytes_contain(const cJSON *pa, const cJSON *pb)
{
    unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    bool r = cJSON_GetStringValue(pa) && cJSON_GetStringValue(pb) &&
             expr__b64_decode(pa->valuestring, &a, &na) == 0 &&
             expr__b64_decode(pb->valuestring, &b, &nb) == 0 && (nb == 0 || memmem(a, na, b, nb));
    eng_free(a);
    eng_free(b);
    return r;
}

static bool contains(const cJSON *a, const cJSON *b)
{
    const cJSON *pa, *pb, *x;
    const expr_type_t ta = expr__type_of(a, &pa), tb = expr__type_of(b, &pb);
    if (ta == EXPR_T_S && tb == EXPR_T_S)
        return cJSON_GetStringValue(pa) && cJSON_GetStringValue(pb) &&
               strstr(pa->valuestring, pb->valuestring) != NULL;
    if (ta == EXPR_T_B && tb == EXPR_T_B)
        return bytes_contain(pa, pb);
    const bool set_match = (ta == EXPR_T_SS && tb == EXPR_T_S) ||
                           (ta == EXPR_T_NS && tb == EXPR_T_N) ||
                           (ta == EXPR_T_BS && tb == EXPR_T_B);
    if (!set_match && ta != EXPR_T_L)
        return false;
    cJSON_ArrayForEach(x, pa)
    {
        if (ta == EXPR_T_L ? expr__val_eq(x, b) : elem_eq(tb, x, pb))
            return true;
    }
    return false;
}

static bool eval_func(const expr_node_t *n, const cJSON *item)
{
    val_t a = operand(n->args[0], item), b = {0};
    if (n->n_args > 1)
        b = operand(n->args[1], item);
    bool r = false;
    switch ((expr_func_t)n->op) {
    case EXPR_F_ATTR_EXISTS:
        r = a.v != NULL;
        break;
    case EXPR_F_ATTR_NOT_EXISTS:
        r = a.v == NULL;
        break;
    case EXPR_F_ATTR_TYPE: {
        const cJSON *p;
        r = a.v && expr__type_of(b.v, &p) == EXPR_T_S && cJSON_GetStringValue(p) &&
            strcmp(expr__type_name(expr__type_of(a.v, NULL)), p->valuestring) == 0;
        break;
    }
    case EXPR_F_BEGINS_WITH:
        r = begins_with(a.v, b.v);
        break;
    case EXPR_F_CONTAINS:
        r = contains(a.v, b.v);
        break;
    default:
        break;
    }
    cJSON_Delete(a.owned);
    cJSON_Delete(b.owned);
    return r;
}

static bool eval(const expr_node_t *n, const cJSON *item)
{
    switch (n->kind) {
    case EXPR_N_AND:
        return eval(n->args[0], item) && eval(n->args[1], item);
    case EXPR_N_OR:
        return eval(n->args[0], item) || eval(n->args[1], item);
    case EXPR_N_NOT:
        return !eval(n->args[0], item);
    case EXPR_N_CMP:
        return eval_cmp(n, item);
    case EXPR_N_BETWEEN:
        return eval_between(n, item);
    case EXPR_N_IN:
        return eval_in(n, item);
    case EXPR_N_FUNC:
        return eval_func(n, item);
    default:
        return false;
    }
}

bool store_expr_eval(const store_expr_t *e, const cJSON *item)
{
    return e->root ? eval(e->root, item) : true;
}

/* ---- Projection ------------------------------------------------------------- */

typedef struct sel {
    const expr_path_t **paths; /* Paths that select through this level. */
    size_t n;
    size_t depth; /* Segment index compared at this level. */
} sel_t;

static cJSON *project_value(const cJSON *v, const sel_t *s);

/* The child selection of `s` for the member named `name` or index `index`;
 * *whole is set when a path ends here (the whole child is selected). */
static sel_t narrow(const sel_t *s, const char *name, size_t index, bool *whole)
{
    sel_t r = {.paths = eng_malloc((s->n + 1) * sizeof *r.paths), .depth = s->depth + 1};
    *whole = false;
    for (size_t i = 0; i < s->n; i++) {
        const expr_seg_t *seg = &s->paths[i]->segs[s->depth];
        const bool hit = name ? !seg->is_index && strcmp(seg->name, name) == 0
                              : seg->is_index && seg->index == index;
        if (!hit)
            continue;
        if (s->paths[i]->n == s->depth + 1)
            *whole = true;
        else
            r.paths[r.n++] = s->paths[i];
    }
    return r;
}

static cJSON *project_child(const cJSON *child, const sel_t *s, const char *name, size_t index)
{
    bool whole;
    sel_t sub = narrow(s, name, index, &whole);
    cJSON *r = whole ? cJSON_Duplicate(child, true) : sub.n ? project_value(child, &sub) : NULL;
    eng_free(sub.paths);
    return r;
}

static cJSON *project_members(const cJSON *obj, const sel_t *s)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        cJSON *c = project_child(m, s, m->string, 0);
        if (c)
            cJSON_AddItemToObject(out, m->string, c);
    }
    return out;
}

/* Project a nested value (M or L); NULL when nothing selected exists. */
static cJSON *project_value(const cJSON *v, const sel_t *s)
{
    const cJSON *p;
    const expr_type_t t = expr__type_of(v, &p);
    cJSON *inner = NULL;
    if (t == EXPR_T_M) {
        inner = project_members(p, s);
    } else if (t == EXPR_T_L) {
        inner = cJSON_CreateArray();
        size_t i = 0;
        for (const cJSON *x = p->child; x; x = x->next, i++) {
            cJSON *c = project_child(x, s, NULL, i);
            if (c)
                cJSON_AddItemToArray(inner, c); /* Selected elements collapse in order. */
        }
    }
    if (!inner || !inner->child) {
        cJSON_Delete(inner);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, t == EXPR_T_M ? "M" : "L", inner);
    return out;
}

void store_expr_project(const store_expr_t *e, const cJSON *item, cJSON **out)
{
    sel_t s = {.paths = eng_malloc((e->n_paths + 1) * sizeof *s.paths), .n = e->n_paths};
    for (size_t i = 0; i < e->n_paths; i++)
        s.paths[i] = &e->paths[i];
    *out = item ? project_members(item, &s) : cJSON_CreateObject();
    eng_free(s.paths);
}

/* ---- Key conditions --------------------------------------------------------- */

/* A comparison may name the key on either side (":v < c" is "c > :v"). */
static bool is_flipped(const expr_node_t *leaf)
{
    return leaf->kind == EXPR_N_CMP && leaf->n_args == 2 && leaf->args[0]->kind == EXPR_N_VALUE &&
           leaf->args[1]->kind == EXPR_N_PATH;
}

static const char *leaf_key(const expr_node_t *leaf)
{
    const expr_node_t *k = leaf->args[is_flipped(leaf) ? 1 : 0];
    return k->kind == EXPR_N_PATH ? k->path.segs[0].name : NULL;
}

/* Fill the sort-key part from a leaf; false if the leaf is not a usable one. */
static bool sk_from_leaf(const expr_node_t *leaf, store_key_cond_t *out)
{
    static const store_expr_op_t mirror[] = {
        [STORE_EXPR_OP_EQ] = STORE_EXPR_OP_EQ, [STORE_EXPR_OP_NE] = STORE_EXPR_OP_NE,
        [STORE_EXPR_OP_LT] = STORE_EXPR_OP_GT, [STORE_EXPR_OP_LE] = STORE_EXPR_OP_GE,
        [STORE_EXPR_OP_GT] = STORE_EXPR_OP_LT, [STORE_EXPR_OP_GE] = STORE_EXPR_OP_LE,
    };
    if (is_flipped(leaf)) {
        out->sk_op = mirror[leaf->op];
        out->sk_values[0] = leaf->args[0]->value;
        return true;
    }
    for (size_t i = 1; i < leaf->n_args; i++)
        if (leaf->args[i]->kind != EXPR_N_VALUE)
            return false;
    if (leaf->kind == EXPR_N_CMP)
        out->sk_op = (store_expr_op_t)leaf->op;
    else if (leaf->kind == EXPR_N_BETWEEN)
        out->sk_op = STORE_EXPR_OP_BETWEEN;
    else if (leaf->kind == EXPR_N_FUNC && leaf->op == EXPR_F_BEGINS_WITH)
        out->sk_op = STORE_EXPR_OP_BEGINS_WITH;
    else
        return false;
    out->sk_values[0] = leaf->args[1]->value;
    out->sk_values[1] = leaf->n_args > 2 ? leaf->args[2]->value : NULL;
    return true;
}

static void flatten(const expr_node_t *n, const expr_node_t **leaves, size_t *count)
{
    if (n->kind == EXPR_N_AND) {
        flatten(n->args[0], leaves, count);
        flatten(n->args[1], leaves, count);
    } else if (*count < 2 * STORE_KEY_ATTRS_MAX) { /* expr_check.c allows no more. */
        leaves[(*count)++] = n;
    }
}

/* Position of `name` among the HASH (is_range false) or RANGE attributes, or -1. */
static int attr_pos(const store_schema_t *s, bool is_range, const char *name)
{
    int n = is_range ? store_schema_n_range(s) : store_schema_n_hash(s);
    for (int i = 0; name && i < n; i++)
        if (strcmp(store_schema_attr(s, is_range, i, NULL), name) == 0)
            return i;
    return -1;
}

/* Sort the leaves into HASH and RANGE slots by attribute; *n_other counts the rest. */
static void key_slots(const store_schema_t *s, const expr_node_t **leaves, size_t n,
                      const expr_node_t **hash, const expr_node_t **range, size_t *n_other)
{
    for (size_t i = 0; i < n; i++) {
        const char *k = leaf_key(leaves[i]);
        int h = attr_pos(s, false, k), r = h < 0 ? attr_pos(s, true, k) : -1;
        if (h >= 0)
            hash[h] = leaves[i];
        else if (r >= 0)
            range[r] = leaves[i];
        else
            (*n_other)++;
    }
}

/* RANGE attributes named must form a gap-free prefix whose members, but the
 * last, are equalities: DynamoDB names the first offending pair. */
static int range_prefix(const store_schema_t *s, store_key_cond_t *out, const bool *named,
                        eng_buf_t *why)
{
    const int nr = store_schema_n_range(s);
    for (int j = 1; j < nr; j++) {
        for (int i = 0; named[j] && i < j; i++) {
            if (named[i] && out->ranges[i].op == STORE_EXPR_OP_EQ)
                continue;
            eng_buf_printf(why,
                           "RANGE key attributes %s must have equality conditions specified in "
                           "the query because a condition is present on key attribute %s",
                           store_schema_attr(s, true, i, NULL),
                           store_schema_attr(s, true, j, NULL));
            return ENG_EINVAL;
        }
    }
    for (int i = 0; i < nr && named[i]; i++)
        out->n_ranges = i + 1;
    if (out->n_ranges) {
        out->sk_op = out->ranges[out->n_ranges - 1].op;
        out->sk_values[0] = out->ranges[out->n_ranges - 1].values[0];
        out->sk_values[1] = out->ranges[out->n_ranges - 1].values[1];
    }
    return 0;
}

/* The error for a condition naming a non-key attribute: the first RANGE
 * attribute left out, as if the condition were meant for it. */
static int other_why(const store_schema_t *s, const bool *named, eng_buf_t *why)
{
    for (int i = 0; i < store_schema_n_range(s); i++) {
        if (!named[i]) {
            eng_buf_printf(why, "Query condition missed key schema element: %s",
                           store_schema_attr(s, true, i, NULL));
            return ENG_EINVAL;
        }
    }
    eng_buf_append_str(why, "Query key condition not supported");
    return ENG_EINVAL;
}

int store_expr_key_cond(const store_expr_t *e, const store_schema_t *s, store_key_cond_t *out,
                        eng_buf_t *why)
{
    *out = (store_key_cond_t){0};
    const expr_node_t *leaves[2 * STORE_KEY_ATTRS_MAX];
    const expr_node_t *hash[STORE_KEY_ATTRS_MAX] = {0}, *range[STORE_KEY_ATTRS_MAX] = {0};
    size_t n = 0, n_other = 0;
    if (e->root)
        flatten(e->root, leaves, &n);
    const int nh = store_schema_n_hash(s), nr = store_schema_n_range(s);
    if (nh == 1 && nr <= 1 && n > 2) {
        eng_buf_append_str(why, "Invalid KeyConditionExpression: Conditions can be of length 1 "
                                "or 2 only");
        return ENG_EINVAL;
    }
    key_slots(s, leaves, n, hash, range, &n_other);
    for (int i = 0; i < nh; i++) {
        if (!hash[i]) {
            eng_buf_printf(why, "Query condition missed key schema element: %s",
                           store_schema_attr(s, false, i, NULL));
            return ENG_EINVAL;
        }
    }
    bool named[STORE_KEY_ATTRS_MAX] = {0};
    for (int i = 0; i < nr; i++)
        named[i] = range[i] != NULL;
    if (n_other && nr)
        return other_why(s, named, why);
    for (int i = 0; i < nh && !n_other; i++) {
        store_key_cond_t tmp = {0};
        if (!sk_from_leaf(hash[i], &tmp) || tmp.sk_op != STORE_EXPR_OP_EQ)
            break;
        out->hash_values[i] = tmp.sk_values[0];
    }
    bool is_ok = !n_other && out->hash_values[nh - 1];
    for (int i = 0; is_ok && i < nr; i++) {
        store_key_cond_t tmp = {0};
        if (range[i] && !(is_ok = sk_from_leaf(range[i], &tmp)))
            break;
        out->ranges[i].op = tmp.sk_op;
        out->ranges[i].values[0] = tmp.sk_values[0];
        out->ranges[i].values[1] = tmp.sk_values[1];
    }
    if (!is_ok) {
        *out = (store_key_cond_t){0};
        eng_buf_append_str(why, "Query key condition not supported");
        return ENG_EINVAL;
    }
    out->pk_value = out->hash_values[0];
    return range_prefix(s, out, named, why);
}
