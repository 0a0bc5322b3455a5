/* SPDX-License-Identifier: MIT
 * expr_legacy.c: the pre-expression parameters (KeyConditions, QueryFilter,
 * ScanFilter, Expected, ConditionalOperator, AttributesToGet,
 * AttributeUpdates) translated into the same AST the parser builds, so one
 * evaluator serves both. Values are copied into the expression (its owned
 * JSON), so the result does not borrow the request. */
#include "engine/err.h"
#include "storage/expr_int.h"

#include <string.h>
#include <strings.h>

static int invalid(eng_buf_t *why, const char *fmt, const char *arg)
{
    eng_buf_append_str(why, "One or more parameter values were invalid: ");
    eng_buf_printf(why, fmt, arg);
    return ENG_EINVAL;
}

static expr_node_t *path_node(const char *name)
{
    expr_node_t *n = expr__node_new(EXPR_N_PATH, 0, 0);
    n->path.segs = eng_calloc(1, sizeof *n->path.segs);
    n->path.segs[0].raw = eng_strdup(name);
    n->path.segs[0].name = n->path.segs[0].raw;
    n->path.n = 1;
    return n;
}

static expr_node_t *value_node(store_expr_t *e, const cJSON *v)
{
    if (!e->owned)
        e->owned = cJSON_CreateArray();
    cJSON *copy = cJSON_Duplicate(v, true);
    cJSON_AddItemToArray(e->owned, copy);
    expr_node_t *n = expr__node_new(EXPR_N_VALUE, 0, 0);
    n->value = copy;
    return n;
}

typedef struct legacy_op {
    const char *name;
    expr_nkind_t kind;
    int op;          /* store_expr_op_t or expr_func_t. */
    int n_values;    /* -1: one or more. */
    bool is_negated; /* NOT_CONTAINS. */
} legacy_op_t;

static const legacy_op_t legacy_ops[] = {
    {"EQ", EXPR_N_CMP, STORE_EXPR_OP_EQ, 1, false},
    {"NE", EXPR_N_CMP, STORE_EXPR_OP_NE, 1, false},
    {"LT", EXPR_N_CMP, STORE_EXPR_OP_LT, 1, false},
    {"LE", EXPR_N_CMP, STORE_EXPR_OP_LE, 1, false},
    {"GT", EXPR_N_CMP, STORE_EXPR_OP_GT, 1, false},
    {"GE", EXPR_N_CMP, STORE_EXPR_OP_GE, 1, false},
    {"BETWEEN", EXPR_N_BETWEEN, 0, 2, false},
    {"IN", EXPR_N_IN, 0, -1, false},
    {"BEGINS_WITH", EXPR_N_FUNC, EXPR_F_BEGINS_WITH, 1, false},
    {"CONTAINS", EXPR_N_FUNC, EXPR_F_CONTAINS, 1, false},
    {"NOT_CONTAINS", EXPR_N_FUNC, EXPR_F_CONTAINS, 1, true},
    {"NOT_NULL", EXPR_N_FUNC, EXPR_F_ATTR_EXISTS, 0, false},
    {"NULL", EXPR_N_FUNC, EXPR_F_ATTR_NOT_EXISTS, 0, false},
};

/* The first value in `list` whose type `op` cannot take (the ordering
 * operators want a scalar S, N or B; BEGINS_WITH an S or B), or
 * EXPR_T_NONE when all fit. DynamoDB refuses these before reading an item. */
static expr_type_t value_type_refused(const legacy_op_t *op, const cJSON *list)
{
    const bool is_order =
        op->kind == EXPR_N_BETWEEN ||
        (op->kind == EXPR_N_CMP && op->op != STORE_EXPR_OP_EQ && op->op != STORE_EXPR_OP_NE);
    const bool is_prefix = op->kind == EXPR_N_FUNC && op->op == EXPR_F_BEGINS_WITH;
    const bool is_scalar =
        op->kind == EXPR_N_IN || (op->kind == EXPR_N_FUNC && op->op == EXPR_F_CONTAINS);
    for (const cJSON *v = list ? list->child : NULL; v && (is_order || is_prefix || is_scalar);
         v = v->next) {
        const expr_type_t t = expr__type_of(v, NULL);
        const bool is_ok = t == EXPR_T_S || t == EXPR_T_B || (!is_prefix && t == EXPR_T_N);
        if (!is_ok && t != EXPR_T_NONE)
            return t;
    }
    return EXPR_T_NONE;
}

/* IN and BETWEEN take values of one type, and BETWEEN's bounds in order. */
static int check_values(const legacy_op_t *op, const cJSON *list, eng_buf_t *why)
{
    if (op->kind != EXPR_N_IN && op->kind != EXPR_N_BETWEEN)
        return 0;
    const cJSON *first = list ? list->child : NULL;
    for (const cJSON *v = first; v; v = v->next) {
        if (expr__type_of(v, NULL) != expr__type_of(first, NULL))
            return invalid(why, "AttributeValues inside AttributeValueList must be of same type%s",
                           "");
    }
    int cmp = 0;
    if (op->kind == EXPR_N_BETWEEN && expr__val_cmp(first, first->next, &cmp) && cmp > 0) {
        eng_buf_append_str(why, "The BETWEEN condition was provided a range where the lower bound "
                                "is greater than the upper bound");
        return ENG_EINVAL;
    }
    return 0;
}

/* NOT_CONTAINS holds only for an attribute that exists and lacks the value. */
static expr_node_t *negate_present(const char *name, expr_node_t *node)
{
    expr_node_t *neg = expr__node_new(EXPR_N_NOT, 0, 1);
    neg->args[0] = node;
    expr_node_t *both = expr__node_new(EXPR_N_AND, 0, 2);
    both->args[0] = expr__node_new(EXPR_N_FUNC, EXPR_F_ATTR_EXISTS, 1);
    both->args[0]->args[0] = path_node(name);
    both->args[1] = neg;
    return both;
}

/* One {"ComparisonOperator":..,"AttributeValueList":[..]} on attribute `name`. */
static int build_cond(store_expr_t *e, const char *name, const cJSON *c, expr_node_t **out,
                      eng_buf_t *why)
{
    const char *opname =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "ComparisonOperator"));
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "AttributeValueList");
    const legacy_op_t *op = NULL;
    for (size_t i = 0; opname && i < ENG_ARRAY_LEN(legacy_ops); i++)
        if (strcmp(legacy_ops[i].name, opname) == 0)
            op = &legacy_ops[i];
    if (!op && opname && e->kind != STORE_EXPR_FILTER) { /* Filter's member name is ambiguous. */
        eng_buf_printf(why,
                       "1 validation error detected: Value '%s' at '%s.%s.member."
                       "comparisonOperator' failed to satisfy constraint: Member must satisfy "
                       "enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, "
                       "NE, LE, BEGINS_WITH, GE, CONTAINS]",
                       opname, e->kind == STORE_EXPR_KEY_CONDITION ? "keyConditions" : "expected",
                       name);
        return ENG_EINVAL;
    }
    if (!op)
        return invalid(why, "Unsupported ComparisonOperator: %s", opname ? opname : "null");
    /* A key condition selects a range of the sort order. */
    const bool is_ranged = op->kind == EXPR_N_BETWEEN ||
                           (op->kind == EXPR_N_FUNC && op->op == EXPR_F_BEGINS_WITH) ||
                           (op->kind == EXPR_N_CMP && op->op != STORE_EXPR_OP_NE);
    if (e->kind == STORE_EXPR_KEY_CONDITION && !is_ranged) {
        eng_buf_append_str(why, "Attempted conditional constraint is not an indexable operation");
        return ENG_EINVAL;
    }
    if (e->kind == STORE_EXPR_CONDITION && !list && op->n_values != 0) {
        /* Expected names both of its ways to give the operand. */
        eng_buf_printf(why,
                       "One or more parameter values were invalid: Value or AttributeValueList "
                       "must be used with ComparisonOperator: %s for Attribute: %s",
                       op->name, name);
        return ENG_EINVAL;
    }
    const int n = cJSON_GetArraySize(list);
    if (op->n_values >= 0 ? n != op->n_values : n < 1)
        return invalid(why, "Invalid number of argument(s) for the %s ComparisonOperator",
                       op->name);
    const expr_type_t bad = value_type_refused(op, list);
    if (bad != EXPR_T_NONE) {
        eng_buf_printf(why,
                       "One or more parameter values were invalid: ComparisonOperator %s is not "
                       "valid for %s AttributeValue type",
                       op->name, expr__type_name(bad));
        return ENG_EINVAL;
    }
    if (check_values(op, list, why) < 0)
        return ENG_EINVAL;
    expr_node_t *node = expr__node_new(op->kind, op->op, 1 + (size_t)n);
    node->args[0] = path_node(name);
    size_t i = 1;
    for (const cJSON *v = list ? list->child : NULL; v; v = v->next)
        node->args[i++] = value_node(e, v);
    *out = op->is_negated ? negate_present(name, node) : node;
    return 0;
}

/* Expected's {"Value":..,"Exists":..} form. */
static int build_expected(store_expr_t *e, const char *name, const cJSON *c, expr_node_t **out,
                          eng_buf_t *why)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(c, "Value");
    const cJSON *exists = cJSON_GetObjectItemCaseSensitive(c, "Exists");
    if (value && cJSON_GetObjectItemCaseSensitive(c, "AttributeValueList"))
        return invalid(
            why, "Value and AttributeValueList cannot be used together for Attribute: %s", name);
    if ((value || exists) && cJSON_GetObjectItemCaseSensitive(c, "ComparisonOperator"))
        return invalid(why,
                       "Value or Exists cannot be used together with ComparisonOperator for "
                       "Attribute: %s",
                       name);
    if (cJSON_IsFalse(exists)) {
        if (value)
            return invalid(why, "Value cannot be used when Exists is false for Attribute: %s",
                           name);
        *out = expr__node_new(EXPR_N_FUNC, EXPR_F_ATTR_NOT_EXISTS, 1);
        (*out)->args[0] = path_node(name);
        return 0;
    }
    if (!value) {
        eng_buf_printf(why,
                       "One or more parameter values were invalid: Value must be provided "
                       "when Exists is %s for Attribute: %s",
                       exists ? "true" : "null", name);
        return ENG_EINVAL;
    }
    *out = expr__node_new(EXPR_N_CMP, STORE_EXPR_OP_EQ, 2);
    (*out)->args[0] = path_node(name);
    (*out)->args[1] = value_node(e, value);
    return 0;
}

int store_expr_from_legacy_conditions(store_expr_kind_t kind, const cJSON *conds,
                                      const char *conditional_operator, store_expr_t **out,
                                      eng_buf_t *why)
{
    *out = NULL;
    const int n_conds = cJSON_GetArraySize(conds);
    if (kind == STORE_EXPR_KEY_CONDITION && (n_conds < 1 || n_conds > 2)) {
        /* An empty map is as good as none; more than two can't all be keys. */
        eng_buf_append_str(why, n_conds < 1 ? "Either the KeyConditions or KeyConditionExpression "
                                              "parameter must be specified in the request."
                                            : "Conditions can be of length 1 or 2 only");
        return ENG_EINVAL;
    }
    if (kind != STORE_EXPR_KEY_CONDITION && conditional_operator && n_conds < 2) {
        eng_buf_append_str(why, n_conds < 1 ? "ConditionalOperator cannot be used without Filter "
                                              "or Expected"
                                            : "ConditionalOperator can only be used when Filter "
                                              "or Expected has two or more elements");
        return ENG_EINVAL;
    }
    const bool is_or = conditional_operator && strcasecmp(conditional_operator, "OR") == 0;
    store_expr_t *e = eng_calloc(1, sizeof *e);
    e->kind = kind;
    int err = 0;
    for (const cJSON *c = conds ? conds->child : NULL; err == 0 && c; c = c->next) {
        expr_node_t *n = NULL;
        const bool is_cmp = cJSON_GetObjectItemCaseSensitive(c, "ComparisonOperator") != NULL &&
                            !cJSON_GetObjectItemCaseSensitive(c, "Value") &&
                            !cJSON_GetObjectItemCaseSensitive(c, "Exists");
        err = kind == STORE_EXPR_CONDITION && !is_cmp ? build_expected(e, c->string, c, &n, why)
                                                      : build_cond(e, c->string, c, &n, why);
        if (err == 0 && e->root) {
            expr_node_t *j = expr__node_new(is_or ? EXPR_N_OR : EXPR_N_AND, 0, 2);
            j->args[0] = e->root;
            j->args[1] = n;
            n = j;
        }
        if (err == 0)
            e->root = n;
    }
    if (err < 0)
        store_expr_destroy(e);
    else
        *out = e;
    return err;
}

int store_expr_from_legacy_attributes(const cJSON *names, store_expr_t **out, eng_buf_t *why)
{
    *out = NULL;
    /* The request model gives the list a minimum length of one. */
    if (cJSON_IsArray(names) && !names->child) {
        eng_buf_append_str(why, "1 validation error detected: Value '[]' at 'attributesToGet' "
                                "failed to satisfy constraint: Member must have length greater "
                                "than or equal to 1");
        return ENG_EINVAL;
    }
    store_expr_t *e = eng_calloc(1, sizeof *e);
    e->kind = STORE_EXPR_PROJECTION;
    e->paths = eng_calloc((size_t)cJSON_GetArraySize(names) + 1, sizeof *e->paths);
    for (const cJSON *n = names ? names->child : NULL; n; n = n->next) {
        const char *s = cJSON_GetStringValue(n) ? n->valuestring : "";
        if (strlen(s) > EXPR_MAX_NAME_BYTES) {
            store_expr_destroy(e);
            eng_buf_append_str(why, EXPR_MSG_NAME_TOO_LONG);
            return ENG_EINVAL;
        }
        for (size_t i = 0; i < e->n_paths; i++) {
            if (strcmp(e->paths[i].segs[0].name, s) == 0) {
                store_expr_destroy(e);
                return invalid(why, "Duplicate value in attribute name: %s", s);
            }
        }
        expr_node_t *p = path_node(s);
        e->paths[e->n_paths++] = p->path;
        p->path = (expr_path_t){0};
        expr__node_free(p);
    }
    *out = e;
    return 0;
}

/* The value types each AttributeUpdates action accepts (PUT takes any). */
static bool action_takes(expr_act_t act, expr_type_t t)
{
    const bool is_set = t == EXPR_T_SS || t == EXPR_T_NS || t == EXPR_T_BS;
    if (act == EXPR_ACT_ADD)
        return is_set || t == EXPR_T_N || t == EXPR_T_L;
    return act != EXPR_ACT_DELETE || is_set;
}

/* Action defaults to PUT; anything but the three names is refused by
 * DynamoDB's request validation, before the values are looked at. */
static int parse_action(const cJSON *u, expr_act_t *act, eng_buf_t *why)
{
    static const struct {
        const char *name;
        expr_act_t act;
    } actions[] = {{"PUT", EXPR_ACT_SET}, {"ADD", EXPR_ACT_ADD}, {"DELETE", EXPR_ACT_DELETE}};
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(u, "Action");
    const char *name = cJSON_GetStringValue(a);
    if (!a || cJSON_IsNull(a))
        name = "PUT";
    for (size_t i = 0; name && i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(name, actions[i].name) == 0) {
            *act = actions[i].act;
            return 0;
        }
    }
    eng_buf_printf(why,
                   "1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' "
                   "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, "
                   "DELETE]",
                   name ? name : "", u->string);
    return ENG_EINVAL;
}

/* A Value obeys the item rules (no empty set, well-formed numbers...), checked
 * here because DELETE with a value that matches nothing never stores it. */
static int check_update_value(const cJSON *value, eng_buf_t *why)
{
    cJSON *wrap = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(wrap, "v", (cJSON *)value); /* Borrowed, not copied. */
    eng_buf_t canon = {0}, msg_buf = {0};
    const char *msg = NULL;
    size_t size = 0;
    const int err = store_item_canon(wrap, &canon, &size, &msg, &msg_buf);
    if (err < 0)
        eng_buf_append_str(why, msg ? msg : "Invalid attribute value");
    eng_buf_free(&canon);
    eng_buf_free(&msg_buf);
    cJSON_Delete(wrap);
    return err;
}

static int build_update(store_expr_t *e, const cJSON *u, expr_action_t *a, eng_buf_t *why)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(u, "Value");
    expr_act_t act = EXPR_ACT_SET;
    int err = parse_action(u, &act, why);
    if (err < 0)
        return err;
    if (strlen(u->string) > EXPR_MAX_NAME_BYTES) {
        eng_buf_append_str(why, EXPR_MSG_NAME_TOO_LONG);
        return ENG_EINVAL;
    }
    expr_node_t *p = path_node(u->string);
    a->path = p->path;
    p->path = (expr_path_t){0};
    expr__node_free(p);
    if (!value && act != EXPR_ACT_DELETE)
        return invalid(why,
                       "Only DELETE action is allowed when no attribute value is "
                       "specified%s",
                       "");
    if (value && (err = check_update_value(value, why)) < 0)
        return err;
    const expr_type_t t = expr__type_of(value, NULL);
    if (value && !action_takes(act, t)) {
        eng_buf_printf(why,
                       "One or more parameter values were invalid: Action %s is not "
                       "supported for the type %s",
                       act == EXPR_ACT_ADD ? "ADD" : "DELETE", expr__type_name(t));
        return ENG_EINVAL;
    }
    a->act = act == EXPR_ACT_DELETE && !value ? EXPR_ACT_REMOVE : act;
    a->val = value ? value_node(e, value) : NULL;
    return 0;
}

int store_expr_from_legacy_updates(const cJSON *updates, store_expr_t **out, eng_buf_t *why)
{
    *out = NULL;
    store_expr_t *e = eng_calloc(1, sizeof *e);
    e->kind = STORE_EXPR_UPDATE;
    e->is_legacy = true;
    e->actions = eng_calloc((size_t)cJSON_GetArraySize(updates) + 1, sizeof *e->actions);
    int err = 0;
    for (const cJSON *u = updates ? updates->child : NULL; err == 0 && u; u = u->next)
        err = build_update(e, u, &e->actions[e->n_actions++], why);
    if (err < 0)
        store_expr_destroy(e);
    else
        *out = e;
    return err;
}

static void append_set(eng_buf_t *why, const char *const *names)
{
    eng_buf_append_char(why, '{');
    for (size_t i = 0; names[i]; i++)
        eng_buf_printf(why, "%s%s", i ? ", " : "", names[i]);
    eng_buf_append_char(why, '}');
}

int store_expr_check_mixed(const char *const *legacy, const char *const *modern, eng_buf_t *why)
{
    if (!legacy || !legacy[0] || !modern || !modern[0])
        return 0;
    eng_buf_append_str(why, "Can not use both expression and non-expression parameters in the "
                            "same request: Non-expression parameters: ");
    append_set(why, legacy);
    eng_buf_append_str(why, " Expression parameters: ");
    append_set(why, modern);
    return ENG_EINVAL;
}

/* Does any path in the tree start at attribute `name`? */
static bool node_names(const expr_node_t *n, const char *name)
{
    if (!n)
        return false;
    if (n->kind == EXPR_N_PATH)
        return n->path.n > 0 && n->path.segs[0].name && strcmp(n->path.segs[0].name, name) == 0;
    for (size_t i = 0; i < n->n_args; i++)
        if (node_names(n->args[i], name))
            return true;
    return false;
}

bool store_expr_names_attr(const store_expr_t *expr, const char *name)
{
    return expr && name && node_names(expr->root, name);
}
