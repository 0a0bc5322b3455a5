/* SPDX-License-Identifier: MIT
 * expr_int.h: the expression AST shared by storage/expr*.c. A parsed
 * expression is a tree of expr_node_t (conditions, operands) or a list of
 * paths (projection) or actions (update). Names in paths are resolved at
 * parse time; values point into the request JSON or into expr->owned.
 * Private to storage/. */
#ifndef STORE_EXPR_INT_H
#define STORE_EXPR_INT_H

#include "engine/mem.h"
#include "storage/store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define EXPR_MAX_BYTES 4096       /* Longest expression DynamoDB accepts. */
#define EXPR_MAX_IN 100           /* Most operands after IN. */
#define EXPR_MAX_DEPTH 32         /* Deepest document path and nesting. */
#define EXPR_NUM_DIGITS 38        /* Significant digits of a DynamoDB number. */
#define EXPR_MAX_NAME_BYTES 65535 /* Longest attribute name, wherever a request names one. */
/* DynamoDB's message for a longer name (its wording says "less than 65536"). */
#define EXPR_MSG_NAME_TOO_LONG                                                                     \
    "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"

/* DynamoDB attribute value types, in the order of expr__type_names. */
typedef enum expr_type {
    EXPR_T_NONE = 0, /* Missing or malformed. */
    EXPR_T_S,
    EXPR_T_N,
    EXPR_T_B,
    EXPR_T_SS,
    EXPR_T_NS,
    EXPR_T_BS,
    EXPR_T_BOOL,
    EXPR_T_NULL,
    EXPR_T_L,
    EXPR_T_M,
} expr_type_t;

typedef enum expr_func {
    EXPR_F_ATTR_EXISTS,
    EXPR_F_ATTR_NOT_EXISTS,
    EXPR_F_ATTR_TYPE,
    EXPR_F_BEGINS_WITH,
    EXPR_F_CONTAINS,
    EXPR_F_SIZE,
    EXPR_F_IF_NOT_EXISTS,
    EXPR_F_LIST_APPEND,
    EXPR_F_UNKNOWN,
} expr_func_t;

typedef enum expr_nkind {
    EXPR_N_PATH,    /* path */
    EXPR_N_VALUE,   /* value */
    EXPR_N_FUNC,    /* op = expr_func_t, args */
    EXPR_N_CMP,     /* op = store_expr_op_t, args[2] */
    EXPR_N_BETWEEN, /* args[3] */
    EXPR_N_IN,      /* args[0] IN (args[1..]) */
    EXPR_N_AND,     /* args[2] */
    EXPR_N_OR,      /* args[2] */
    EXPR_N_NOT,     /* args[1] */
    EXPR_N_PLUS,    /* args[2], update SET values only */
    EXPR_N_MINUS,   /* args[2] */
} expr_nkind_t;

typedef struct expr_seg {
    char *raw;        /* Owned: the token as written ("a", "#n"); NULL for an index. */
    const char *name; /* The attribute name: raw, or borrowed from the names JSON. */
    size_t index;     /* List index when is_index. */
    bool is_index;
} expr_seg_t;

typedef struct expr_path {
    expr_seg_t *segs; /* Owned array of n. */
    size_t n;
} expr_path_t;

typedef struct expr_node expr_node_t;
struct expr_node {
    expr_nkind_t kind;
    int op;             /* EXPR_N_CMP: store_expr_op_t; EXPR_N_FUNC: expr_func_t. */
    expr_node_t **args; /* Owned array of n_args owned children. */
    size_t n_args;
    expr_path_t path;   /* EXPR_N_PATH. */
    char *raw;          /* Owned token text: ":v" for values, the function name. */
    const cJSON *value; /* EXPR_N_VALUE once resolved; borrowed. */
    unsigned parens;    /* How many parentheses directly wrap this node. */
};

typedef enum expr_act {
    EXPR_ACT_SET,
    EXPR_ACT_REMOVE,
    EXPR_ACT_ADD,
    EXPR_ACT_DELETE,
} expr_act_t;

typedef struct expr_action {
    expr_act_t act;
    expr_path_t path;
    expr_node_t *val; /* Owned; NULL for REMOVE. */
} expr_action_t;

struct store_expr {
    store_expr_kind_t kind;
    expr_node_t *root;  /* CONDITION, FILTER, KEY_CONDITION. */
    expr_path_t *paths; /* PROJECTION: owned array of n_paths. */
    size_t n_paths;
    expr_action_t *actions; /* UPDATE: owned array of n_actions. */
    size_t n_actions;
    cJSON *owned;            /* Values copied by the legacy builders; may be NULL. */
    const char *dup_section; /* Parse time: an update section written twice ("SET"), or NULL. */
    bool is_legacy;          /* Built from AttributeUpdates: ADD appends lists; its own messages. */
};

struct store_expr_ctx {
    const cJSON *names;  /* Borrowed ExpressionAttributeNames; may be NULL. */
    const cJSON *values; /* Borrowed ExpressionAttributeValues; may be NULL. */
    bool *name_used;     /* Owned; one per member of names, in order. */
    bool *value_used;    /* Owned; one per member of values, in order. */
    size_t n_exprs;      /* Expressions parsed with this context. */
};

/* ---- expr_num.c: exact decimal arithmetic on DynamoDB numbers ---------- */

/* Add (or, with is_sub, subtract) two numbers given as text and append the
 * normalized result to `out`. Returns 0 or ENG_EINVAL with *why set to
 * DynamoDB's static message (bad text, more than 38 digits, overflow,
 * underflow). */
int expr__num_add(const char *a, const char *b, bool is_sub, eng_buf_t *out, const char **why);

/* Compare two numbers given as text numerically: <0, 0, >0. Text that is
 * not a number sorts bytewise after every number. */
int expr__num_cmp(const char *a, const char *b);

/* ---- expr_val.c: attribute values -------------------------------------- */

/* The type of attribute value `v` ({"S":"x"}); *payload (if not NULL) gets
 * the inner JSON ("x"). EXPR_T_NONE for NULL or malformed values. */
expr_type_t expr__type_of(const cJSON *v, const cJSON **payload);

/* "S", "N", ... for a type; "" for EXPR_T_NONE. */
const char *expr__type_name(expr_type_t t);

/* DynamoDB equality: same type and same value (sets unordered, numbers
 * numerically, L and M deeply). */
bool expr__val_eq(const cJSON *a, const cJSON *b);

/* Order two scalar values of the same type (S, N, B); *cmp gets <0, 0, >0.
 * Returns false when the values are not comparable. */
bool expr__val_cmp(const cJSON *a, const cJSON *b, int *cmp);

/* Decode base64 `s`; the caller frees *out (eng_free). Returns 0 or ENG_EINVAL. */
int expr__b64_decode(const char *s, unsigned char **out, size_t *len);

/* Follow `path` from the item (a DynamoDB-JSON object). Returns the value
 * (borrowed from item) or NULL when any step is missing or of the wrong type. */
const cJSON *expr__path_get(const cJSON *item, const expr_path_t *path);

/* Append "[a, b, [2]]" (DynamoDB's rendering of a path) to out. */
void expr__path_str(const expr_path_t *path, eng_buf_t *out);

/* ---- expr_parse.c / expr_lex.c ----------------------------------------- */

/* Is `word` (len bytes, any case) in DynamoDB's reserved-word list? */
bool expr__is_reserved(const char *word, size_t len);

/* The message prefix of a kind: "Invalid UpdateExpression: ". */
const char *expr__prefix(store_expr_kind_t kind);

/* Free a node tree, a path's contents, or a whole expression's parts. */
void expr__node_free(expr_node_t *n);
void expr__path_free(expr_path_t *p);
expr_node_t *expr__node_new(expr_nkind_t kind, int op, size_t n_args);

/* ---- expr_ctx.c / expr_check.c ---------------------------------------- */

/* Resolve "#n" / ":v" through the context, marking it used. NULL when the
 * context does not define it. Borrowed from the request JSON. */
const char *expr__ctx_name(store_expr_ctx_t *ctx, const char *key);
const cJSON *expr__ctx_value(store_expr_ctx_t *ctx, const char *key);

/* Count one more expression parsed with ctx (for "can only be specified
 * when using expressions"). */
void expr__ctx_note_expr(store_expr_ctx_t *ctx);

/* Run DynamoDB's validations over a freshly parsed expression, in its
 * order, resolving names and values. Returns 0 or ENG_EINVAL with the full
 * message appended to why. */
int expr__check(store_expr_ctx_t *ctx, store_expr_t *e, eng_buf_t *why);

/* ---- expr_lex.c: tokens ------------------------------------------------- */

typedef enum expr_tok_type {
    EXPR_TK_EOF = 0,
    EXPR_TK_IDENT, /* [A-Za-z][A-Za-z0-9_]* (keywords too; the parser decides). */
    EXPR_TK_NAME,  /* #[A-Za-z0-9_]+ */
    EXPR_TK_VALUE, /* :[A-Za-z0-9_]+ */
    EXPR_TK_NUM,   /* [0-9]+ (list indexes) */
    EXPR_TK_LPAREN,
    EXPR_TK_RPAREN,
    EXPR_TK_LBRACK,
    EXPR_TK_RBRACK,
    EXPR_TK_COMMA,
    EXPR_TK_DOT,
    EXPR_TK_EQ,
    EXPR_TK_NE,
    EXPR_TK_LT,
    EXPR_TK_LE,
    EXPR_TK_GT,
    EXPR_TK_GE,
    EXPR_TK_PLUS,
    EXPR_TK_MINUS,
    EXPR_TK_BAD, /* Any other character: a syntax error once reached. */
} expr_tok_type_t;

typedef struct expr_tok {
    expr_tok_type_t type;
    size_t pos; /* Byte offset in the text. */
    size_t len; /* Bytes; 0 for EOF. */
} expr_tok_t;

/* Split text into tokens, always ending with one EOF token. The caller
 * frees *toks (eng_free). Never fails. */
void expr__lex(const char *text, size_t len, expr_tok_t **toks, size_t *n);

/* Append DynamoDB's syntax-error detail for token i to out:
 * "Syntax error; token: \"x\", near: \"a x b\"". */
void expr__syntax_msg(const char *text, const expr_tok_t *toks, size_t n, size_t i, eng_buf_t *out);

#endif
