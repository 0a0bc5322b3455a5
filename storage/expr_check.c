/* SPDX-License-Identifier: MIT
 * expr_check.c: DynamoDB's semantic validations over a parsed expression.
 * Each validation is one pass over the tree; the passes run in the order
 * DynamoDB reports its errors (a table per expression kind), so the first
 * failing pass gives the message a client would see from AWS. Passes also
 * resolve #names and :values, marking them used in the context. */
#include "engine/err.h"
#include "storage/expr_int.h"

#include <stdarg.h>
#include <string.h>

typedef struct check {
    store_expr_ctx_t *ctx;
    store_expr_t *e;
    eng_buf_t *why;
} check_t;

/* A visitor: called for every node (with its parent, NULL at the root) and
 * every document path, in source order. A negative return stops the walk. */
typedef struct visitor {
    int (*node)(check_t *c, expr_node_t *n, const expr_node_t *parent);
    int (*path)(check_t *c, expr_path_t *p);
} visitor_t;

__attribute__((format(printf, 2, 3))) static int fail(check_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    eng_buf_append_str(c->why, expr__prefix(c->e->kind));
    eng_buf_vprintf(c->why, fmt, ap);
    va_end(ap);
    return ENG_EINVAL;
}

static int walk_node(check_t *c, const visitor_t *v, expr_node_t *n, const expr_node_t *parent)
{
    int err = v->node ? v->node(c, n, parent) : 0;
    if (err == 0 && n->kind == EXPR_N_PATH && v->path)
        err = v->path(c, &n->path);
    for (size_t i = 0; err == 0 && i < n->n_args; i++)
        err = walk_node(c, v, n->args[i], n);
    return err;
}

static int walk(check_t *c, const visitor_t *v)
{
    store_expr_t *e = c->e;
    int err = e->root ? walk_node(c, v, e->root, NULL) : 0;
    for (size_t i = 0; err == 0 && i < e->n_actions; i++) {
        err = v->path ? v->path(c, &e->actions[i].path) : 0;
        if (err == 0 && e->actions[i].val)
            err = walk_node(c, v, e->actions[i].val, NULL);
    }
    for (size_t i = 0; err == 0 && i < e->n_paths; i++)
        err = v->path ? v->path(c, &e->paths[i]) : 0;
    return err;
}

static const char *func_name(const expr_node_t *n)
{
    return n->raw ? n->raw : "";
}

static const char *const op_names[] = {
    [STORE_EXPR_OP_EQ] = "=",  [STORE_EXPR_OP_NE] = "<>", [STORE_EXPR_OP_LT] = "<",
    [STORE_EXPR_OP_LE] = "<=", [STORE_EXPR_OP_GT] = ">",  [STORE_EXPR_OP_GE] = ">=",
};

/* ---- Passes --------------------------------------------------------------- */

static int v_parens(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    return n->parens >= 2 ? fail(c, "The expression has redundant parentheses;") : 0;
}

static bool is_update_func(expr_func_t f)
{
    return f == EXPR_F_IF_NOT_EXISTS || f == EXPR_F_LIST_APPEND;
}

static int v_unknown_func(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    if (n->kind != EXPR_N_FUNC)
        return 0;
    const expr_func_t f = (expr_func_t)n->op;
    const store_expr_kind_t k = c->e->kind;
    const bool is_upd = k == STORE_EXPR_UPDATE;
    /* A known update function in a condition is named as misplaced. */
    if (f != EXPR_F_UNKNOWN && is_update_func(f) && !is_upd &&
        (k == STORE_EXPR_CONDITION || k == STORE_EXPR_FILTER))
        return fail(c, "The function is not allowed in a condition expression; function: %s",
                    func_name(n));
    if (f == EXPR_F_UNKNOWN || is_update_func(f) != is_upd)
        return fail(c, "Invalid function name; function: %s", func_name(n));
    return 0;
}

static int v_misused(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    if (n->kind != EXPR_N_FUNC)
        return 0;
    const bool in_bool = !parent || parent->kind == EXPR_N_AND || parent->kind == EXPR_N_OR ||
                         parent->kind == EXPR_N_NOT;
    const bool is_size = n->op == EXPR_F_SIZE;
    if (in_bool == is_size)
        return fail(c,
                    "The function is not allowed to be used this way in an expression; "
                    "function: %s",
                    func_name(n));
    return 0;
}

/* Update values: DynamoDB takes if_not_exists inside list_append (and inside
 * itself) but refuses list_append nested in list_append, though it parses. */
static int v_nested_append(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    if (n->kind != EXPR_N_FUNC || n->op != EXPR_F_LIST_APPEND || !parent ||
        parent->kind != EXPR_N_FUNC || parent->op != EXPR_F_LIST_APPEND)
        return 0;
    return fail(c,
                "The function is not allowed to be used this way in an expression; "
                "function: %s",
                func_name(n));
}

static int p_reserved(check_t *c, expr_path_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const char *raw = p->segs[i].raw;
        if (raw && raw[0] != '#' && expr__is_reserved(raw, strlen(raw)))
            return fail(c, "Attribute name is a reserved keyword; reserved keyword: %s", raw);
    }
    return 0;
}

static int p_names(check_t *c, expr_path_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        expr_seg_t *s = &p->segs[i];
        if (!s->raw || s->raw[0] != '#')
            continue;
        if (!(s->name = expr__ctx_name(c->ctx, s->raw)))
            return fail(c,
                        "An expression attribute name used in the document path is not "
                        "defined; attribute name: %s",
                        s->raw);
        /* The request-level limit, so no expression prefix. */
        if (strlen(s->name) > EXPR_MAX_NAME_BYTES) {
            eng_buf_append_str(c->why, EXPR_MSG_NAME_TOO_LONG);
            return ENG_EINVAL;
        }
    }
    return 0;
}

static int v_values(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    if (n->kind != EXPR_N_VALUE || n->value)
        return 0;
    if (!(n->value = expr__ctx_value(c->ctx, n->raw)))
        return fail(c,
                    "An expression attribute value used in expression is not defined; "
                    "attribute value: %s",
                    n->raw);
    return 0;
}

static const size_t func_arity[] = {
    [EXPR_F_ATTR_EXISTS] = 1,   [EXPR_F_ATTR_NOT_EXISTS] = 1, [EXPR_F_ATTR_TYPE] = 2,
    [EXPR_F_BEGINS_WITH] = 2,   [EXPR_F_CONTAINS] = 2,        [EXPR_F_SIZE] = 1,
    [EXPR_F_IF_NOT_EXISTS] = 2, [EXPR_F_LIST_APPEND] = 2,
};

static int v_arity(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    if (n->kind == EXPR_N_IN && n->n_args - 1 > EXPR_MAX_IN)
        return fail(c,
                    "The IN operator is provided with too many operands; number of "
                    "operands: %zu",
                    n->n_args - 1);
    if (n->kind != EXPR_N_FUNC)
        return 0;
    const expr_func_t f = (expr_func_t)n->op;
    if (n->n_args != func_arity[f])
        return fail(c,
                    "Incorrect number of operands for operator or function; operator or "
                    "function: %s, number of operands: %zu",
                    func_name(n), n->n_args);
    /* attribute_type also takes a :value first (DynamoDB accepts it). */
    const bool needs_path =
        f == EXPR_F_ATTR_EXISTS || f == EXPR_F_ATTR_NOT_EXISTS || f == EXPR_F_IF_NOT_EXISTS;
    if (needs_path && n->args[0]->kind != EXPR_N_PATH)
        return fail(c, "Operator or function requires a document path; operator or function: %s",
                    func_name(n));
    return 0;
}

static bool path_eq(const expr_path_t *a, const expr_path_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const expr_seg_t *x = &a->segs[i], *y = &b->segs[i];
        if (x->is_index != y->is_index ||
            (x->is_index ? x->index != y->index : strcmp(x->name, y->name) != 0))
            return false;
    }
    return true;
}

static int v_distinct(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    const bool is_two =
        n->kind == EXPR_N_CMP ||
        (n->kind == EXPR_N_FUNC && (n->op == EXPR_F_BEGINS_WITH || n->op == EXPR_F_CONTAINS));
    if (!is_two || n->n_args != 2 || n->args[0]->kind != EXPR_N_PATH ||
        n->args[1]->kind != EXPR_N_PATH || !path_eq(&n->args[0]->path, &n->args[1]->path))
        return 0;
    eng_buf_t p = {0};
    expr__path_str(&n->args[0]->path, &p);
    const int err = fail(c,
                         "The first operand must be distinct from the remaining operands for "
                         "this operator or function; operator: %s, first operand: %s",
                         n->kind == EXPR_N_CMP ? op_names[n->op] : func_name(n), p.ptr);
    eng_buf_free(&p);
    return err;
}

/* The type of a constant operand, or EXPR_T_NONE for anything computed. */
static expr_type_t const_type(const expr_node_t *n)
{
    return n->kind == EXPR_N_VALUE ? expr__type_of(n->value, NULL) : EXPR_T_NONE;
}

static int operand_type_error(check_t *c, const char *what, const char *type)
{
    return fail(c,
                "Incorrect operand type for operator or function; operator or function: %s, "
                "operand type: %s",
                what, type);
}

/* Every constant argument of n must have one of the types in `ok` (a mask). */
static int args_of_types(check_t *c, const expr_node_t *n, const char *what, unsigned ok)
{
    for (size_t i = 0; i < n->n_args; i++) {
        const expr_type_t t = const_type(n->args[i]);
        if (t != EXPR_T_NONE && !(ok & (1u << t)))
            return operand_type_error(c, what, expr__type_name(t));
    }
    return 0;
}

static void value_str(const cJSON *v, eng_buf_t *out)
{
    const cJSON *payload = NULL;
    const expr_type_t t = expr__type_of(v, &payload);
    const char *s = cJSON_GetStringValue(payload);
    eng_buf_printf(out, "AttributeValue: {%s:%s}", expr__type_name(t), s ? s : "");
}

static int check_between(check_t *c, const expr_node_t *n)
{
    const expr_node_t *lo = n->args[1], *hi = n->args[2];
    if (lo->kind != EXPR_N_VALUE || hi->kind != EXPR_N_VALUE)
        return 0;
    int cmp = 0;
    const bool same = const_type(lo) == const_type(hi);
    if (same && (!expr__val_cmp(lo->value, hi->value, &cmp) || cmp <= 0))
        return 0;
    eng_buf_t a = {0}, b = {0};
    value_str(lo->value, &a);
    value_str(hi->value, &b);
    const int err = fail(c,
                         "The BETWEEN operator requires %s; lower bound operand: %s, upper "
                         "bound operand: %s",
                         same ? "upper bound to be greater than or equal "
                                "to lower bound"
                              : "same data type for lower and upper bounds",
                         a.ptr, b.ptr);
    eng_buf_free(&a);
    eng_buf_free(&b);
    return err;
}

static const char *const valid_types[] = {"S",  "SS",   "N",    "NS", "B",
                                          "BS", "BOOL", "NULL", "L",  "M"};

static int check_attr_type(check_t *c, const expr_node_t *n)
{
    const expr_type_t t = const_type(n->args[1]);
    /* The type to test for must be a :value; DynamoDB then lists the type
     * names its parser knows, internal ones included. */
    if (n->args[1]->kind != EXPR_N_VALUE)
        return operand_type_error(c, "attribute_type",
                                  "{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,"
                                  "DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}");
    if (t != EXPR_T_S)
        return operand_type_error(c, "attribute_type", expr__type_name(t));
    const char *name = cJSON_GetStringValue(n->args[1]->value->child);
    for (size_t i = 0; i < ENG_ARRAY_LEN(valid_types); i++)
        if (name && strcmp(name, valid_types[i]) == 0)
            return 0;
    return fail(c,
                "Invalid attribute type name found; type: %s, valid types: "
                "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                name ? name : "");
}

#define TM(t) (1u << (t))

static int v_types(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    const unsigned all = ~0u & ~TM(EXPR_T_NONE);
    /* Only S, N and B are ordered; a constant of another type is refused
     * (an item attribute of another type just compares false). */
    const unsigned ordered = TM(EXPR_T_S) | TM(EXPR_T_N) | TM(EXPR_T_B);
    int err;
    switch (n->kind) {
    case EXPR_N_CMP:
        if (n->op == STORE_EXPR_OP_EQ || n->op == STORE_EXPR_OP_NE)
            return 0;
        return args_of_types(c, n, op_names[n->op], ordered);
    case EXPR_N_BETWEEN:
        err = args_of_types(c, n, "BETWEEN", ordered);
        return err < 0 ? err : check_between(c, n);
    case EXPR_N_PLUS:
        return args_of_types(c, n, "+", TM(EXPR_T_N));
    case EXPR_N_MINUS:
        return args_of_types(c, n, "-", TM(EXPR_T_N));
    case EXPR_N_FUNC:
        break;
    default:
        return 0;
    }
    switch ((expr_func_t)n->op) {
    case EXPR_F_BEGINS_WITH:
        return args_of_types(c, n, "begins_with", TM(EXPR_T_S) | TM(EXPR_T_B));
    case EXPR_F_SIZE:
        return args_of_types(c, n, "size",
                             all & ~(TM(EXPR_T_N) | TM(EXPR_T_BOOL) | TM(EXPR_T_NULL)));
    case EXPR_F_LIST_APPEND:
        return args_of_types(c, n, "list_append", TM(EXPR_T_L));
    case EXPR_F_ATTR_TYPE:
        return check_attr_type(c, n);
    default:
        return 0;
    }
}

static const char *const long_type_names[] = {
    [EXPR_T_S] = "STRING",     [EXPR_T_N] = "NUMBER", [EXPR_T_B] = "BINARY", [EXPR_T_NULL] = "NULL",
    [EXPR_T_BOOL] = "BOOLEAN", [EXPR_T_L] = "LIST",   [EXPR_T_M] = "MAP",
};

/* ADD takes a number or a set, DELETE a set. */
static int check_add_delete(check_t *c)
{
    for (size_t i = 0; i < c->e->n_actions; i++) {
        const expr_action_t *a = &c->e->actions[i];
        if (a->act != EXPR_ACT_ADD && a->act != EXPR_ACT_DELETE)
            continue;
        const expr_type_t t = const_type(a->val);
        const bool is_set = t == EXPR_T_SS || t == EXPR_T_NS || t == EXPR_T_BS;
        if (t == EXPR_T_NONE || is_set || (a->act == EXPR_ACT_ADD && t == EXPR_T_N))
            continue;
        return fail(c,
                    "Incorrect operand type for operator or function; operator: %s, operand "
                    "type: %s",
                    a->act == EXPR_ACT_ADD ? "ADD" : "DELETE", long_type_names[t]);
    }
    return 0;
}

/* How two paths relate: 0 disjoint, 1 one is a prefix of the other, 2 conflict. */
static int paths_relate(const expr_path_t *a, const expr_path_t *b)
{
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        const expr_seg_t *x = &a->segs[i], *y = &b->segs[i];
        if (x->is_index != y->is_index)
            return 2;
        if (x->is_index ? x->index != y->index : strcmp(x->name, y->name) != 0)
            return 0;
    }
    return 1;
}

static const expr_path_t *nth_path(const store_expr_t *e, size_t i)
{
    return e->paths ? &e->paths[i] : &e->actions[i].path;
}

static int check_overlap(check_t *c)
{
    const size_t n = c->e->paths ? c->e->n_paths : c->e->n_actions;
    for (int want = 1; want <= 2; want++) {
        for (size_t j = 1; j < n; j++) {
            for (size_t i = 0; i < j; i++) {
                const expr_path_t *a = nth_path(c->e, i), *b = nth_path(c->e, j);
                if (paths_relate(a, b) != want)
                    continue;
                eng_buf_t pa = {0}, pb = {0};
                expr__path_str(a, &pa);
                expr__path_str(b, &pb);
                const int err = fail(c,
                                     "Two document paths %s with each other; must remove or "
                                     "rewrite one of these paths; path one: %s, path two: %s",
                                     want == 1 ? "overlap" : "conflict", pa.ptr, pb.ptr);
                eng_buf_free(&pa);
                eng_buf_free(&pb);
                return err;
            }
        }
    }
    return 0;
}

static int check_sections(check_t *c)
{
    if (!c->e->dup_section)
        return 0;
    return fail(c, "The \"%s\" section can only be used once in an update expression;",
                c->e->dup_section);
}

static int check_key_shape(check_t *c);

/* ---- Pass tables ---------------------------------------------------------- */

typedef struct pass {
    visitor_t v;              /* A tree walk, or */
    int (*whole)(check_t *c); /* a check of the whole expression. */
} pass_t;

static const pass_t condition_passes[] = {
    {.v = {.node = v_parens}},
    {.v = {.node = v_unknown_func}},
    {.v = {.node = v_misused}},
    {.v = {.path = p_reserved}},
    {.v = {.node = v_values, .path = p_names}},
    {.v = {.node = v_arity}},
    {.v = {.node = v_distinct}},
    {.v = {.node = v_types}},
    {.whole = check_key_shape},
};

static const pass_t update_passes[] = {
    {.v = {.path = p_reserved}},      {.v = {.node = v_unknown_func}}, {.whole = check_sections},
    {.v = {.node = v_nested_append}}, {.v = {.path = p_names}},        {.v = {.node = v_values}},
    {.whole = check_overlap},         {.whole = check_add_delete},     {.v = {.node = v_arity}},
    {.v = {.node = v_types}},
};

static const pass_t projection_passes[] = {
    {.v = {.path = p_reserved}},
    {.v = {.path = p_names}},
    {.whole = check_overlap},
};

int expr__check(store_expr_ctx_t *ctx, store_expr_t *e, eng_buf_t *why)
{
    check_t c = {.ctx = ctx, .e = e, .why = why};
    const pass_t *passes = condition_passes;
    size_t n = ENG_ARRAY_LEN(condition_passes);
    if (e->kind == STORE_EXPR_UPDATE) {
        passes = update_passes;
        n = ENG_ARRAY_LEN(update_passes);
    } else if (e->kind == STORE_EXPR_PROJECTION) {
        passes = projection_passes;
        n = ENG_ARRAY_LEN(projection_passes);
    }
    int err = 0;
    for (size_t i = 0; err == 0 && i < n; i++)
        err = passes[i].whole ? passes[i].whole(&c) : walk(&c, &passes[i].v);
    return err;
}

/* ---- Key conditions --------------------------------------------------------- */

/* Operators a key condition cannot use, by node. */
static int v_key_ops(check_t *c, expr_node_t *n, const expr_node_t *parent)
{
    (void)parent;
    const char *bad = n->kind == EXPR_N_OR                                   ? "OR"
                      : n->kind == EXPR_N_NOT                                ? "NOT"
                      : n->kind == EXPR_N_IN                                 ? "IN"
                      : (n->kind == EXPR_N_CMP && n->op == STORE_EXPR_OP_NE) ? "<>"
                                                                             : NULL;
    if (bad)
        return fail(c, "Invalid operator used in KeyConditionExpression: %s", bad);
    if (n->kind == EXPR_N_FUNC && n->op != EXPR_F_BEGINS_WITH && n->op != EXPR_F_SIZE)
        return fail(c, "Invalid function name; function: %s", func_name(n));
    if (n->kind == EXPR_N_FUNC && n->op == EXPR_F_SIZE)
        return fail(c, "Invalid operator used in KeyConditionExpression: size");
    return 0;
}

static int key_leaf_ok(check_t *c, const expr_node_t *leaf, const char **seen, size_t n_seen)
{
    const expr_node_t *key = leaf->args[0];
    if (key->kind != EXPR_N_PATH)
        return 0; /* Left for store_expr_key_cond to refuse with the schema. */
    if (key->path.n > 1)
        return fail(c, "KeyConditionExpressions cannot have conditions on nested attributes");
    for (size_t i = 0; i < n_seen; i++)
        if (strcmp(seen[i], key->path.segs[0].name) == 0)
            return fail(c, "KeyConditionExpressions must only contain one condition per key");
    return 0;
}

/* Flatten a tree of ANDs into its leaves; false past `max` leaves. */
static bool key_leaves(const expr_node_t *n, const expr_node_t **leaves, size_t *count, size_t max)
{
    if (n->kind == EXPR_N_AND)
        return key_leaves(n->args[0], leaves, count, max) &&
               key_leaves(n->args[1], leaves, count, max);
    if (*count >= max)
        return false;
    leaves[(*count)++] = n;
    return true;
}

static int check_key_shape(check_t *c)
{
    if (c->e->kind != STORE_EXPR_KEY_CONDITION)
        return 0;
    const visitor_t v = {.node = v_key_ops};
    int err = walk(c, &v);
    if (err < 0)
        return err;
    /* A GSI's multi-attribute key takes up to 4 HASH and 4 RANGE conditions;
     * store_expr_key_cond holds a single-attribute schema to 1 or 2. */
    const expr_node_t *leaves[2 * STORE_KEY_ATTRS_MAX];
    size_t n = 0;
    if (!key_leaves(c->e->root, leaves, &n, ENG_ARRAY_LEN(leaves)))
        return fail(c, "Conditions can be of length 1 or 2 only");
    const char *seen[2 * STORE_KEY_ATTRS_MAX];
    for (size_t i = 0; err == 0 && i < n; i++) {
        err = key_leaf_ok(c, leaves[i], seen, i);
        seen[i] =
            leaves[i]->args[0]->kind == EXPR_N_PATH ? leaves[i]->args[0]->path.segs[0].name : "";
    }
    return err;
}
