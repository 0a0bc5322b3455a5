/* SPDX-License-Identifier: MIT
 * expr_parse.c: the recursive-descent parser for every expression kind. It
 * builds the AST and reports syntax errors only, naming the token as
 * DynamoDB does; names, values, reserved words, types and overlaps are
 * checked afterwards over the finished tree (expr_check.c), in DynamoDB's
 * order. Precedence, lowest first: OR, AND, NOT, then comparisons,
 * BETWEEN, IN and functions; parentheses override it. */
#include "engine/err.h"
#include "storage/expr_int.h"

#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#define MAX_NESTING 200 /* Parser recursion bound (the 4 KB limit allows more). */

typedef struct parser {
    store_expr_kind_t kind;
    const char *text;
    expr_tok_t *toks;
    size_t n, i;
    eng_buf_t *why;
    int depth;
    bool failed;
} parser_t;

static const expr_tok_t *cur(const parser_t *p)
{
    return &p->toks[p->i];
}

static bool at(const parser_t *p, expr_tok_type_t type)
{
    return cur(p)->type == type;
}

static bool tok_is_word(const parser_t *p, const expr_tok_t *t, const char *word)
{
    return t->type == EXPR_TK_IDENT && strlen(word) == t->len &&
           strncasecmp(p->text + t->pos, word, t->len) == 0;
}

static bool at_kw(const parser_t *p, const char *word)
{
    return tok_is_word(p, cur(p), word);
}

/* Words the grammar of this kind owns: they cannot start a path. */
static bool is_keyword(const parser_t *p, const expr_tok_t *t)
{
    static const char *const cond_kw[] = {"AND", "OR", "NOT", "BETWEEN", "IN"};
    static const char *const upd_kw[] = {"SET", "REMOVE", "ADD", "DELETE"};
    const bool is_upd = p->kind == STORE_EXPR_UPDATE;
    const char *const *kw = is_upd ? upd_kw : cond_kw;
    const size_t n = is_upd ? ENG_ARRAY_LEN(upd_kw) : ENG_ARRAY_LEN(cond_kw);
    for (size_t i = 0; i < n && p->kind != STORE_EXPR_PROJECTION; i++)
        if (tok_is_word(p, t, kw[i]))
            return true;
    return false;
}

static void *syntax_error(parser_t *p)
{
    if (!p->failed) {
        p->failed = true;
        eng_buf_append_str(p->why, expr__prefix(p->kind));
        expr__syntax_msg(p->text, p->toks, p->n, p->i, p->why);
    }
    return NULL;
}

static bool expect(parser_t *p, expr_tok_type_t type)
{
    if (!at(p, type)) {
        syntax_error(p);
        return false;
    }
    p->i++;
    return true;
}

static char *tok_dup(const parser_t *p, const expr_tok_t *t)
{
    return eng_strndup(p->text + t->pos, t->len);
}

expr_node_t *expr__node_new(expr_nkind_t kind, int op, size_t n_args)
{
    expr_node_t *n = eng_calloc(1, sizeof *n);
    n->kind = kind;
    n->op = op;
    n->n_args = n_args;
    n->args = n_args ? eng_calloc(n_args, sizeof *n->args) : NULL;
    return n;
}

void expr__path_free(expr_path_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        eng_free(p->segs[i].raw);
    eng_free(p->segs);
    *p = (expr_path_t){0};
}

void expr__node_free(expr_node_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_args; i++)
        expr__node_free(n->args[i]);
    eng_free(n->args);
    expr__path_free(&n->path);
    eng_free(n->raw);
    eng_free(n);
}

static void path_push(expr_path_t *path, expr_seg_t seg)
{
    path->segs = eng_realloc(path->segs, (path->n + 1) * sizeof *path->segs);
    path->segs[path->n++] = seg;
}

/* One name segment: an identifier that is not a keyword, or a #name. */
static bool parse_name_seg(parser_t *p, expr_path_t *path)
{
    const expr_tok_t *t = cur(p);
    if (!(t->type == EXPR_TK_NAME || (t->type == EXPR_TK_IDENT && !is_keyword(p, t)))) {
        syntax_error(p);
        return false;
    }
    char *raw = tok_dup(p, t);
    path_push(path, (expr_seg_t){.raw = raw, .name = raw});
    p->i++;
    return true;
}

static bool parse_index_seg(parser_t *p, expr_path_t *path)
{
    p->i++; /* '[' */
    if (!at(p, EXPR_TK_NUM))
        return syntax_error(p);
    errno = 0;
    const unsigned long long v = strtoull(p->text + cur(p)->pos, NULL, 10);
    if (errno == ERANGE || v > (unsigned long long)INT32_MAX)
        return syntax_error(p);
    p->i++;
    if (!expect(p, EXPR_TK_RBRACK))
        return false;
    path_push(path, (expr_seg_t){.index = (size_t)v, .is_index = true});
    return true;
}

/* path := seg ( '.' seg | '[' num ']' )* */
static bool parse_path(parser_t *p, expr_path_t *path)
{
    if (!parse_name_seg(p, path))
        return false;
    for (;;) {
        if (at(p, EXPR_TK_DOT)) {
            p->i++;
            if (!parse_name_seg(p, path))
                return false;
        } else if (at(p, EXPR_TK_LBRACK)) {
            if (!parse_index_seg(p, path))
                return false;
        } else {
            return true;
        }
    }
}

static expr_node_t *parse_operand(parser_t *p);
static expr_node_t *parse_set_value(parser_t *p);

static const struct {
    const char *name;
    expr_func_t func;
} funcs[] = {
    {"attribute_exists", EXPR_F_ATTR_EXISTS},
    {"attribute_not_exists", EXPR_F_ATTR_NOT_EXISTS},
    {"attribute_type", EXPR_F_ATTR_TYPE},
    {"begins_with", EXPR_F_BEGINS_WITH},
    {"contains", EXPR_F_CONTAINS},
    {"size", EXPR_F_SIZE},
    {"if_not_exists", EXPR_F_IF_NOT_EXISTS},
    {"list_append", EXPR_F_LIST_APPEND},
};

static expr_func_t func_lookup(const char *name)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(funcs); i++)
        if (strcmp(funcs[i].name, name) == 0)
            return funcs[i].func;
    return EXPR_F_UNKNOWN;
}

/* name '(' operand (',' operand)* ')' */
static expr_node_t *parse_call(parser_t *p)
{
    char *name = tok_dup(p, cur(p));
    expr_node_t *n = expr__node_new(EXPR_N_FUNC, (int)func_lookup(name), 0);
    n->raw = name;
    p->i += 2; /* name '(' */
    do {
        expr_node_t *arg = parse_operand(p);
        if (!arg) {
            expr__node_free(n);
            return NULL;
        }
        n->args = eng_realloc(n->args, (n->n_args + 1) * sizeof *n->args);
        n->args[n->n_args++] = arg;
    } while (at(p, EXPR_TK_COMMA) && (p->i++, true));
    if (!expect(p, EXPR_TK_RPAREN)) {
        expr__node_free(n);
        return NULL;
    }
    return n;
}

static expr_node_t *parse_paren_operand(parser_t *p)
{
    p->i++; /* '(' */
    expr_node_t *n = p->kind == STORE_EXPR_UPDATE ? parse_set_value(p) : parse_operand(p);
    if (n && !expect(p, EXPR_TK_RPAREN)) {
        expr__node_free(n);
        return NULL;
    }
    if (n)
        n->parens++;
    return n;
}

/* operand := call | :value | path | '(' operand ')' */
static expr_node_t *parse_operand(parser_t *p)
{
    if (++p->depth > MAX_NESTING)
        return syntax_error(p);
    expr_node_t *n = NULL;
    const expr_tok_t *t = cur(p);
    if (t->type == EXPR_TK_IDENT && t[1].type == EXPR_TK_LPAREN && !is_keyword(p, t)) {
        n = parse_call(p);
    } else if (t->type == EXPR_TK_VALUE) {
        n = expr__node_new(EXPR_N_VALUE, 0, 0);
        n->raw = tok_dup(p, t);
        p->i++;
    } else if (t->type == EXPR_TK_LPAREN) {
        n = parse_paren_operand(p);
    } else {
        n = expr__node_new(EXPR_N_PATH, 0, 0);
        if (!parse_path(p, &n->path)) {
            expr__node_free(n);
            n = NULL;
        }
    }
    p->depth--;
    return n;
}

static const struct {
    expr_tok_type_t tok;
    store_expr_op_t op;
} comparators[] = {
    {EXPR_TK_EQ, STORE_EXPR_OP_EQ}, {EXPR_TK_NE, STORE_EXPR_OP_NE}, {EXPR_TK_LT, STORE_EXPR_OP_LT},
    {EXPR_TK_LE, STORE_EXPR_OP_LE}, {EXPR_TK_GT, STORE_EXPR_OP_GT}, {EXPR_TK_GE, STORE_EXPR_OP_GE},
};

static store_expr_op_t comparator_at(const parser_t *p)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(comparators); i++)
        if (at(p, comparators[i].tok))
            return comparators[i].op;
    return STORE_EXPR_OP_NONE;
}

/* Build a node of `kind` whose first argument is `left`, then parse the
 * remaining `more` operands; `sep` (if not NULL) is the keyword between the
 * second and third. */
static expr_node_t *parse_tail(parser_t *p, expr_nkind_t kind, int op, expr_node_t *left,
                               size_t more, const char *sep)
{
    expr_node_t *n = expr__node_new(kind, op, 1 + more);
    n->args[0] = left;
    for (size_t i = 1; i <= more; i++) {
        if (i == 2 && sep) {
            if (!at_kw(p, sep))
                goto fail;
            p->i++;
        }
        if (!(n->args[i] = parse_operand(p)))
            goto fail;
    }
    return n;
fail:
    syntax_error(p);
    expr__node_free(n);
    return NULL;
}

/* IN '(' operand (',' operand)* ')' */
static expr_node_t *parse_in(parser_t *p, expr_node_t *left)
{
    expr_node_t *n = expr__node_new(EXPR_N_IN, 0, 1);
    n->args[0] = left;
    p->i++; /* IN */
    if (!expect(p, EXPR_TK_LPAREN))
        goto fail;
    do {
        expr_node_t *arg = parse_operand(p);
        if (!arg)
            goto fail;
        n->args = eng_realloc(n->args, (n->n_args + 1) * sizeof *n->args);
        n->args[n->n_args++] = arg;
    } while (at(p, EXPR_TK_COMMA) && (p->i++, true));
    if (expect(p, EXPR_TK_RPAREN))
        return n;
fail:
    expr__node_free(n);
    return NULL;
}

/* What may follow an operand in a condition; a bare operand is returned as is. */
static expr_node_t *parse_comparison_rest(parser_t *p, expr_node_t *left)
{
    const store_expr_op_t op = comparator_at(p);
    if (op != STORE_EXPR_OP_NONE) {
        p->i++;
        return parse_tail(p, EXPR_N_CMP, (int)op, left, 1, NULL);
    }
    if (at_kw(p, "BETWEEN")) {
        p->i++;
        return parse_tail(p, EXPR_N_BETWEEN, 0, left, 2, "AND");
    }
    if (at_kw(p, "IN"))
        return parse_in(p, left);
    if (left->kind != EXPR_N_FUNC && !at(p, EXPR_TK_RPAREN)) {
        expr__node_free(left);
        return syntax_error(p);
    }
    return left;
}

static expr_node_t *parse_or(parser_t *p);

static bool is_operand(const expr_node_t *n)
{
    return n->kind == EXPR_N_PATH || n->kind == EXPR_N_VALUE || n->kind == EXPR_N_FUNC;
}

/* primary := '(' or ')' [comparison rest] | operand comparison-rest */
static expr_node_t *parse_primary(parser_t *p)
{
    const expr_tok_t *t = cur(p);
    if (t->type != EXPR_TK_LPAREN) {
        expr_node_t *left = parse_operand(p);
        return left ? parse_comparison_rest(p, left) : NULL;
    }
    p->i++;
    expr_node_t *inner = parse_or(p);
    if (inner && !expect(p, EXPR_TK_RPAREN)) {
        expr__node_free(inner);
        return NULL;
    }
    if (!inner)
        return NULL;
    inner->parens++;
    if (is_operand(inner) &&
        (comparator_at(p) != STORE_EXPR_OP_NONE || at_kw(p, "BETWEEN") || at_kw(p, "IN")))
        return parse_comparison_rest(p, inner);
    if (inner->kind == EXPR_N_PATH || inner->kind == EXPR_N_VALUE) {
        expr__node_free(inner);
        return syntax_error(p);
    }
    return inner;
}

/* A path or value cannot stand where a condition is required. */
static expr_node_t *need_condition(parser_t *p, expr_node_t *n)
{
    if (n && (n->kind == EXPR_N_PATH || n->kind == EXPR_N_VALUE)) {
        expr__node_free(n);
        return syntax_error(p);
    }
    return n;
}

static expr_node_t *parse_not(parser_t *p)
{
    if (++p->depth > MAX_NESTING)
        return syntax_error(p);
    expr_node_t *n;
    if (at_kw(p, "NOT")) {
        p->i++;
        expr_node_t *child = need_condition(p, parse_not(p));
        n = child ? expr__node_new(EXPR_N_NOT, 0, 1) : NULL;
        if (n)
            n->args[0] = child;
    } else {
        n = parse_primary(p);
    }
    p->depth--;
    return n;
}

/* Left-associative chain of `word` joining `sub` results. */
static expr_node_t *parse_chain(parser_t *p, const char *word, expr_nkind_t kind,
                                expr_node_t *(*sub)(parser_t *))
{
    expr_node_t *left = sub(p);
    while (left && at_kw(p, word)) {
        if (!(left = need_condition(p, left)))
            return NULL;
        p->i++;
        expr_node_t *right = need_condition(p, sub(p));
        if (!right) {
            expr__node_free(left);
            return NULL;
        }
        expr_node_t *n = expr__node_new(kind, 0, 2);
        n->args[0] = left;
        n->args[1] = right;
        left = n;
    }
    return left;
}

static expr_node_t *parse_and(parser_t *p)
{
    return parse_chain(p, "AND", EXPR_N_AND, parse_not);
}

static expr_node_t *parse_or(parser_t *p)
{
    return parse_chain(p, "OR", EXPR_N_OR, parse_and);
}

/* ---- Update ------------------------------------------------------------- */

/* set-value := operand [ ('+' | '-') operand ] */
static expr_node_t *parse_set_value(parser_t *p)
{
    expr_node_t *left = parse_operand(p);
    if (!left || !(at(p, EXPR_TK_PLUS) || at(p, EXPR_TK_MINUS)))
        return left;
    const expr_nkind_t kind = at(p, EXPR_TK_PLUS) ? EXPR_N_PLUS : EXPR_N_MINUS;
    p->i++;
    return parse_tail(p, kind, 0, left, 1, NULL);
}

static const struct {
    const char *word;
    expr_act_t act;
} sections[] = {
    {"SET", EXPR_ACT_SET},
    {"REMOVE", EXPR_ACT_REMOVE},
    {"ADD", EXPR_ACT_ADD},
    {"DELETE", EXPR_ACT_DELETE},
};

static bool parse_action(parser_t *p, expr_act_t act, store_expr_t *e)
{
    e->actions = eng_realloc(e->actions, (e->n_actions + 1) * sizeof *e->actions);
    expr_action_t *a = &e->actions[e->n_actions++];
    *a = (expr_action_t){.act = act};
    if (!parse_path(p, &a->path))
        return false;
    if (act == EXPR_ACT_SET)
        return expect(p, EXPR_TK_EQ) && (a->val = parse_set_value(p)) != NULL;
    if (act == EXPR_ACT_REMOVE)
        return true;
    if (!at(p, EXPR_TK_VALUE))
        return syntax_error(p);
    a->val = expr__node_new(EXPR_N_VALUE, 0, 0);
    a->val->raw = tok_dup(p, cur(p));
    p->i++;
    return true;
}

static bool parse_update(parser_t *p, store_expr_t *e)
{
    unsigned seen = 0;
    do {
        size_t s = 0;
        while (s < ENG_ARRAY_LEN(sections) && !at_kw(p, sections[s].word))
            s++;
        if (s == ENG_ARRAY_LEN(sections))
            return syntax_error(p);
        if (seen & (1u << s) && !e->dup_section)
            e->dup_section = sections[s].word;
        seen |= 1u << s;
        p->i++;
        do {
            if (!parse_action(p, sections[s].act, e))
                return false;
        } while (at(p, EXPR_TK_COMMA) && (p->i++, true));
    } while (!at(p, EXPR_TK_EOF));
    return true;
}

static bool parse_projection(parser_t *p, store_expr_t *e)
{
    do {
        e->paths = eng_realloc(e->paths, (e->n_paths + 1) * sizeof *e->paths);
        e->paths[e->n_paths] = (expr_path_t){0};
        if (!parse_path(p, &e->paths[e->n_paths++]))
            return false;
    } while (at(p, EXPR_TK_COMMA) && (p->i++, true));
    return expect(p, EXPR_TK_EOF);
}

static bool parse_condition(parser_t *p, store_expr_t *e)
{
    e->root = parse_or(p);
    if (e->root && !at(p, EXPR_TK_EOF))
        return syntax_error(p);
    return (e->root = need_condition(p, e->root)) != NULL;
}

const char *expr__prefix(store_expr_kind_t kind)
{
    static const char *const prefixes[] = {
        [STORE_EXPR_CONDITION] = "Invalid ConditionExpression: ",
        [STORE_EXPR_FILTER] = "Invalid FilterExpression: ",
        [STORE_EXPR_KEY_CONDITION] = "Invalid KeyConditionExpression: ",
        [STORE_EXPR_PROJECTION] = "Invalid ProjectionExpression: ",
        [STORE_EXPR_UPDATE] = "Invalid UpdateExpression: ",
    };
    return prefixes[kind];
}

static bool is_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
            return false;
    return true;
}

static int parse_text(parser_t *p, store_expr_t *e)
{
    if (is_blank(p->text, p->toks[p->n - 1].pos)) {
        eng_buf_printf(p->why, "%sThe expression can not be empty;", expr__prefix(p->kind));
        return ENG_EINVAL;
    }
    bool ok;
    if (p->kind == STORE_EXPR_UPDATE)
        ok = parse_update(p, e);
    else if (p->kind == STORE_EXPR_PROJECTION)
        ok = parse_projection(p, e);
    else
        ok = parse_condition(p, e);
    return ok ? 0 : ENG_EINVAL;
}

void store_expr_destroy(store_expr_t *e)
{
    if (!e)
        return;
    expr__node_free(e->root);
    for (size_t i = 0; i < e->n_paths; i++)
        expr__path_free(&e->paths[i]);
    eng_free(e->paths);
    for (size_t i = 0; i < e->n_actions; i++) {
        expr__path_free(&e->actions[i].path);
        expr__node_free(e->actions[i].val);
    }
    eng_free(e->actions);
    cJSON_Delete(e->owned);
    eng_free(e);
}

store_expr_kind_t store_expr_kind(const store_expr_t *e)
{
    return e->kind;
}

int store_expr_parse(store_expr_ctx_t *ctx, store_expr_kind_t kind, const char *text, size_t len,
                     store_expr_t **out, eng_buf_t *why)
{
    *out = NULL;
    if (len > EXPR_MAX_BYTES) {
        eng_buf_printf(why, "%sExpression size has exceeded the maximum allowed size;",
                       expr__prefix(kind));
        /* DynamoDB reports the size for conditions and filters only, never
         * for an UpdateExpression, a projection or a key condition. */
        if (kind == STORE_EXPR_CONDITION || kind == STORE_EXPR_FILTER)
            eng_buf_printf(why, " expression size: %zu", len);
        return ENG_EINVAL;
    }
    parser_t p = {.kind = kind, .text = text, .why = why};
    expr__lex(text, len, &p.toks, &p.n);
    store_expr_t *e = eng_calloc(1, sizeof *e);
    e->kind = kind;
    int err = parse_text(&p, e);
    if (err == 0 && ctx)
        expr__ctx_note_expr(ctx);
    if (err == 0)
        err = expr__check(ctx, e, why);
    eng_free(p.toks);
    if (err < 0)
        store_expr_destroy(e);
    else
        *out = e;
    return err;
}
