/* SPDX-License-Identifier: MIT
 * test_expr.c: the expression engine, table-driven: parse + evaluate cases
 * for every operator, function and precedence rule; DynamoDB's validation
 * messages; update actions; projections; exact decimal arithmetic; the
 * reserved-word list; key conditions; legacy parameter conversions.
 * JSON in the tables is written with ' for " to stay readable. */
#include "engine/err.h"
#include "engine/json.h"
#include "storage/expr_int.h"
#include "storage/store.h"
#include "tests/lib/test.h"

#include <stdio.h>

T_MAIN_GLOBALS

static const char *const item_json =
    "{'id':{'S':'k1'},'n':{'N':'5'},'s':{'S':'hello'},'b':{'B':'AQID'},"
    "'ss':{'SS':['a','b']},'ns':{'NS':['1','2']},'l':{'L':[{'S':'x'},{'N':'1'}]},"
    "'m':{'M':{'a':{'N':'1'},'b':{'M':{'c':{'S':'deep'}}}}},'t':{'BOOL':true},"
    "'z':{'NULL':true},'u':{'S':'\xc3\xa9\xf0\x9d\x84\x9e'},'name':{'S':'Ama'}}";

static const char *const values_json =
    "{':five':{'N':'5'},':five2':{'N':'5.0'},':six':{'N':'6'},':one':{'N':'1'},"
    "':two':{'N':'2'},':three':{'N':'3'},':hel':{'S':'hel'},':hello':{'S':'hello'},"
    "':x':{'S':'x'},':a':{'S':'a'},':tS':{'S':'S'},':tN':{'S':'N'},':tM':{'S':'M'},"
    "':b01':{'B':'AQ=='},':deep':{'S':'deep'},':ama':{'S':'Ama'},"
    "':lst':{'L':[{'S':'y'}]},':empty':{'L':[]},':ssv':{'SS':['c','a']},"
    "':ssab':{'SS':['a','b']},':big':{'N':'9.9999999999999999999999999999999999999E+125'},"
    "':t':{'BOOL':true}}";

static const char *const names_json = "{'#n':'name','#s':'s'}";

/* Parse JSON written with ' for ". Caller deletes. */
static cJSON *j(const char *text)
{
    char *s = eng_strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *root = NULL;
    if (eng_json_parse(s, strlen(s), &root) < 0)
        root = NULL;
    eng_free(s);
    return root;
}

typedef struct env {
    cJSON *names, *values;
    store_expr_ctx_t *ctx;
    eng_buf_t why;
} env_t;

static void env_open(env_t *e)
{
    *e = (env_t){.names = j(names_json), .values = j(values_json)};
    eng_buf_t why = {0};
    if (store_expr_ctx_create(e->names, e->values, &e->ctx, &why) < 0)
        printf("# ctx: %s\n", why.ptr);
    eng_buf_free(&why);
}

static void env_close(env_t *e)
{
    store_expr_ctx_destroy(e->ctx);
    cJSON_Delete(e->names);
    cJSON_Delete(e->values);
    eng_buf_free(&e->why);
}

static int parse(env_t *e, store_expr_kind_t kind, const char *text, store_expr_t **out)
{
    eng_buf_reset(&e->why);
    return store_expr_parse(e->ctx, kind, text, strlen(text), out, &e->why);
}

/* ---- Evaluation ------------------------------------------------------------ */

static const struct {
    const char *text;
    bool want;
} eval_cases[] = {
    {"n = :five", true},
    {"n = :five2", true},
    {"n <> :six", true},
    {"n < :six", true},
    {"n > :six", false},
    {"n <= :five", true},
    {"n >= :six", false},
    {"s = :five", false},
    {"s <> :five", true},
    {"nothere = :five", false},
    {"nothere <> :five", true},
    {"nothere < :five", false},
    {"s > :hel", true},
    {"n BETWEEN :one AND :six", true},
    {"n BETWEEN :six AND :six", false},
    {"n IN (:one, :five)", true},
    {"n IN (:one, :six)", false},
    {"begins_with(s, :hel)", true},
    {"begins_with(s, :x)", false},
    {"begins_with(b, :b01)", true},
    {"contains(s, :hel)", true},
    {"contains(ss, :a)", true},
    {"contains(ns, :one)", true},
    {"contains(l, :x)", true},
    {"contains(l, :a)", false},
    {"size(s) = :five", true},
    {"size(ss) = :two", true},
    {"size(m) = :two", true},
    {"size(l) = :two", true},
    {"size(b) = :three", true},
    {"size(u) = :three", true},
    {"size(n) = :one", false},
    {"attribute_exists(m.b.c)", true},
    {"attribute_exists(nothere)", false},
    {"attribute_not_exists(m.b.x)", true},
    {"m.b.c = :deep", true},
    {"m . b . c = :deep", true},
    {"l[0] = :x", true},
    {"l[5] = :x", false},
    {"l[0] <> :x", false},
    {"attribute_type(n, :tN)", true},
    {"attribute_type(m, :tM)", true},
    {"attribute_type(n, :tS)", false},
    {"t = :t", true},
    {"#n = :ama", true},
    {"#s = :hello", true},
    {"n = :five OR n = :six AND s = :five", true},
    {"(n = :five OR n = :six) AND s = :five", false},
    {"NOT n = :five AND s = :five", false},
    {"NOT (n = :five AND s = :five)", true},
    {"NOT NOT n = :five", true},
    {"n = :five and s = :hello", true},
    {"(n) = (:five)", true},
    {"size(s) > :one AND (attribute_exists(s) OR n = :six)", true},
};

static void test_eval_table(void)
{
    env_t e;
    env_open(&e);
    cJSON *item = j(item_json);
    T_ASSERT(item != NULL);
    for (size_t i = 0; i < ENG_ARRAY_LEN(eval_cases); i++) {
        store_expr_t *x = NULL;
        if (parse(&e, STORE_EXPR_FILTER, eval_cases[i].text, &x) < 0) {
            printf("# %s: %s\n", eval_cases[i].text, e.why.ptr);
            t_cur_failed_ = true;
            continue;
        }
        if (store_expr_eval(x, item) != eval_cases[i].want) {
            printf("# %s: want %d\n", eval_cases[i].text, eval_cases[i].want);
            t_cur_failed_ = true;
        }
        store_expr_destroy(x);
    }
    cJSON_Delete(item);
    env_close(&e);
}

/* ---- Validation messages ---------------------------------------------------- */

static const struct {
    store_expr_kind_t kind;
    const char *text;
    const char *want;
} error_cases[] = {
    {STORE_EXPR_CONDITION, "a = = :five",
     "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :five\""},
    {STORE_EXPR_UPDATE, "ADD hits : incr",
     "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\""},
    {STORE_EXPR_UPDATE, "INVALID SYNTAX HERE",
     "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""},
    {STORE_EXPR_UPDATE,
     "SET a =", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"=\""},
    {STORE_EXPR_FILTER, "a",
     "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"a\""},
    {STORE_EXPR_FILTER, "a = :one AND",
     "Invalid FilterExpression: Syntax error; token: \"<EOF>\", "
     "near: \"AND\""},
    {STORE_EXPR_FILTER, "a $ :one",
     "Invalid FilterExpression: Syntax error; token: \"$\", "
     "near: \"a $ :one\""},
    {STORE_EXPR_CONDITION, "", "Invalid ConditionExpression: The expression can not be empty;"},
    {STORE_EXPR_UPDATE, "  ", "Invalid UpdateExpression: The expression can not be empty;"},
    {STORE_EXPR_CONDITION, "#x = :five",
     "Invalid ConditionExpression: An expression attribute name used in the document path is not "
     "defined; attribute name: #x"},
    {STORE_EXPR_CONDITION, "n = :nope",
     "Invalid ConditionExpression: An expression attribute value used in expression is not "
     "defined; attribute value: :nope"},
    {STORE_EXPR_CONDITION, "Name = :five",
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name"},
    {STORE_EXPR_FILTER, "a.zone = :five",
     "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: zone"},
    {STORE_EXPR_UPDATE, "SET a = :five, a.b = :one",
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
     "rewrite one of these paths; path one: [a], path two: [a, b]"},
    {STORE_EXPR_UPDATE, "SET a.b = :five REMOVE a[0]",
     "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
     "rewrite one of these paths; path one: [a, b], path two: [a, [0]]"},
    {STORE_EXPR_UPDATE, "SET a = :hello + :one",
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or "
     "function: +, operand type: S"},
    {STORE_EXPR_UPDATE, "SET a = list_append(:one, b)",
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or "
     "function: list_append, operand type: N"},
    {STORE_EXPR_UPDATE, "SET a = :one SET b = :one",
     "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
     "expression;"},
    {STORE_EXPR_UPDATE, "ADD a :hello",
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, "
     "operand type: STRING"},
    {STORE_EXPR_UPDATE, "DELETE a :one",
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
     "DELETE, operand type: NUMBER"},
    {STORE_EXPR_UPDATE, "SET a = size(b)",
     "Invalid UpdateExpression: Invalid function name; "
     "function: size"},
    {STORE_EXPR_UPDATE, "SET a = list_append(list_append(:lst, :lst), :lst)",
     "Invalid UpdateExpression: The function is not allowed to be used this way in an "
     "expression; function: list_append"},
    {STORE_EXPR_UPDATE, "SET a = if_not_exists(:one, b)",
     "Invalid UpdateExpression: Operator or function requires a document path; operator or "
     "function: if_not_exists"},
    {STORE_EXPR_CONDITION, "foo(a)",
     "Invalid ConditionExpression: Invalid function name; "
     "function: foo"},
    {STORE_EXPR_CONDITION, "size(a)",
     "Invalid ConditionExpression: The function is not allowed to be used this way in an "
     "expression; function: size"},
    {STORE_EXPR_CONDITION, "begins_with(a, :one) = :t",
     "Invalid ConditionExpression: The function is not allowed to be used this way in an "
     "expression; function: begins_with"},
    {STORE_EXPR_CONDITION, "begins_with(a, :five)",
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
     "function: begins_with, operand type: N"},
    {STORE_EXPR_CONDITION, "attribute_type(a, :hello)",
     "Invalid ConditionExpression: Invalid attribute type name found; type: hello, valid types: "
     "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
    {STORE_EXPR_CONDITION, "a BETWEEN :six AND :one",
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than "
     "or equal to lower bound; lower bound operand: AttributeValue: {N:6}, upper bound operand: "
     "AttributeValue: {N:1}"},
    {STORE_EXPR_CONDITION, "a BETWEEN :one AND :hello",
     "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and "
     "upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: "
     "AttributeValue: {S:hello}"},
    {STORE_EXPR_CONDITION, "a = a",
     "Invalid ConditionExpression: The first operand must be distinct from the remaining "
     "operands for this operator or function; operator: =, first operand: [a]"},
    {STORE_EXPR_CONDITION, "((a = :one))",
     "Invalid ConditionExpression: The expression has redundant parentheses;"},
    {STORE_EXPR_CONDITION, "attribute_exists(:one)",
     "Invalid ConditionExpression: Operator or function requires a document path; operator or "
     "function: attribute_exists"},
    {STORE_EXPR_CONDITION, "contains(a)",
     "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
     "operator or function: contains, number of operands: 1"},
    {STORE_EXPR_PROJECTION, "a, a.b",
     "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
     "rewrite one of these paths; path one: [a], path two: [a, b]"},
    {STORE_EXPR_PROJECTION, "a, :one",
     "Invalid ProjectionExpression: Syntax error; token: \":one\", near: \", :one\""},
    {STORE_EXPR_PROJECTION, "a[x]",
     "Invalid ProjectionExpression: Syntax error; token: \"x\", near: \"[x]\""},
    {STORE_EXPR_KEY_CONDITION, "id = :one OR n = :one",
     "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"},
    {STORE_EXPR_KEY_CONDITION, "id = :one AND n <> :one",
     "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"},
    {STORE_EXPR_KEY_CONDITION,
     "a = :one AND b = :one AND c = :one AND d = :one AND e = :one AND f = :one AND g = :one "
     "AND h = :one AND i = :one",
     "Invalid KeyConditionExpression: Conditions can be of length 1 or 2 only"},
    {STORE_EXPR_KEY_CONDITION, "id = :one AND id = :two",
     "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition "
     "per key"},
    {STORE_EXPR_KEY_CONDITION, "id = :one AND attribute_exists(n)",
     "Invalid KeyConditionExpression: Invalid function name; function: attribute_exists"},
};

static void test_error_messages(void)
{
    env_t e;
    env_open(&e);
    for (size_t i = 0; i < ENG_ARRAY_LEN(error_cases); i++) {
        store_expr_t *x = NULL;
        const int err = parse(&e, error_cases[i].kind, error_cases[i].text, &x);
        if (err != ENG_EINVAL || x != NULL ||
            strcmp(e.why.ptr ? e.why.ptr : "", error_cases[i].want) != 0) {
            printf("# [%s]\n#  want %s\n#   got %s\n", error_cases[i].text, error_cases[i].want,
                   e.why.ptr ? e.why.ptr : "(ok)");
            t_cur_failed_ = true;
        }
        store_expr_destroy(x);
    }
    env_close(&e);
}

/* `head`, `n` copies of `piece` and `tail` parsed as `kind`: refused, with
 * message `want` unless it is NULL. */
static void refused_repeat(env_t *e, store_expr_kind_t kind, const char *head, const char *piece,
                           int n, const char *tail, const char *want)
{
    eng_buf_t text = {0};
    eng_buf_append_str(&text, head);
    for (int i = 0; i < n; i++)
        eng_buf_append_str(&text, piece);
    eng_buf_append_str(&text, tail);
    store_expr_t *x = NULL;
    T_ASSERT_EQ(ENG_EINVAL, parse(e, kind, text.ptr, &x));
    if (want)
        T_ASSERT_STREQ(want, e->why.ptr);
    eng_buf_free(&text);
}

static void test_limits(void)
{
    env_t e;
    env_open(&e);
    refused_repeat(&e, STORE_EXPR_FILTER, "a IN (:one", ",:one", 100, ")",
                   "Invalid FilterExpression: The IN operator is provided with too many "
                   "operands; number of operands: 101");
    refused_repeat(&e, STORE_EXPR_CONDITION, "", "a = :one AND ", 1000, "",
                   "Invalid ConditionExpression: Expression size has exceeded the maximum "
                   "allowed size; expression size: 13000");
    /* 5012 bytes, over the limit before any other check. */
    refused_repeat(&e, STORE_EXPR_UPDATE, "SET a = :one", ", a = :one", 500, "",
                   "Invalid UpdateExpression: Expression size has exceeded the maximum allowed "
                   "size;");
    refused_repeat(&e, STORE_EXPR_CONDITION, "", "(", 1000, "", NULL);
    env_close(&e);
}

static void test_reserved_words(void)
{
    T_ASSERT(expr__is_reserved("ABORT", 5));
    T_ASSERT(expr__is_reserved("zone", 4));
    T_ASSERT(expr__is_reserved("Size", 4));
    T_ASSERT(expr__is_reserved("FLATTERN", 8));
    T_ASSERT(!expr__is_reserved("hello", 5));
    T_ASSERT(!expr__is_reserved("ZONES", 5));
    T_ASSERT(!expr__is_reserved("", 0));
}

static void test_unused_names_and_values(void)
{
    cJSON *names = j("{'#a':'a','#b':'b'}"), *values = j("{':x':{'S':'x'},':y':{'S':'y'}}");
    store_expr_ctx_t *ctx = NULL;
    eng_buf_t why = {0};
    T_ASSERT_OK(store_expr_ctx_create(names, values, &ctx, &why));
    store_expr_t *x = NULL;
    T_ASSERT_OK(store_expr_parse(ctx, STORE_EXPR_CONDITION, "#a = :x", 7, &x, &why));
    T_ASSERT_EQ(ENG_EINVAL, store_expr_ctx_check_unused(ctx, &why));
    T_ASSERT_STREQ("Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}",
                   why.ptr);
    store_expr_destroy(x);
    T_ASSERT_OK(store_expr_parse(ctx, STORE_EXPR_PROJECTION, "#b", 2, &x, &why));
    eng_buf_reset(&why);
    T_ASSERT_EQ(ENG_EINVAL, store_expr_ctx_check_unused(ctx, &why));
    T_ASSERT_STREQ("Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}",
                   why.ptr);
    store_expr_destroy(x);
    store_expr_ctx_destroy(ctx);
    eng_buf_reset(&why);
    cJSON *bad = j("{'a':'a'}");
    T_ASSERT_EQ(ENG_EINVAL, store_expr_ctx_create(bad, NULL, &ctx, &why));
    T_ASSERT_STREQ("ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"",
                   why.ptr);
    cJSON_Delete(bad);
    eng_buf_reset(&why);
    T_ASSERT_OK(store_expr_ctx_create(NULL, values, &ctx, &why));
    T_ASSERT_EQ(ENG_EINVAL, store_expr_ctx_check_unused(ctx, &why));
    T_ASSERT_STREQ("ExpressionAttributeValues can only be specified when using expressions",
                   why.ptr);
    store_expr_ctx_destroy(ctx);
    eng_buf_free(&why);
    cJSON_Delete(names);
    cJSON_Delete(values);
}

/* ---- Update ----------------------------------------------------------------- */

static const struct {
    const char *text;
    const char *in;
    const char *want; /* The item after, or the error message. */
    bool is_error;
} update_cases[] = {
    {"SET a = :one", "{}", "{'a':{'N':'1'}}", false},
    {"SET n = n + :one", "{'n':{'N':'5'}}", "{'n':{'N':'6'}}", false},
    {"SET n = n - :six", "{'n':{'N':'5'}}", "{'n':{'N':'-1'}}", false},
    {"SET n = nothere + :one", "{}",
     "The provided expression refers to an attribute that does not exist in the item", true},
    {"SET s = s + :one", "{'s':{'S':'x'}}",
     "An operand in the update expression has an incorrect data type", true},
    {"SET l = list_append(l, :lst)", "{'l':{'L':[{'S':'x'}]}}", "{'l':{'L':[{'S':'x'},{'S':'y'}]}}",
     false},
    {"SET l = list_append(if_not_exists(l, :empty), :lst)", "{}", "{'l':{'L':[{'S':'y'}]}}", false},
    {"SET l = list_append(s, :lst)", "{'s':{'S':'x'}}",
     "An operand in the update expression has an incorrect data type", true},
    {"SET c = if_not_exists(c, :one)", "{'c':{'N':'9'}}", "{'c':{'N':'9'}}", false},
    {"SET a = b, b = a", "{'a':{'N':'1'},'b':{'N':'2'}}", "{'a':{'N':'2'},'b':{'N':'1'}}", false},
    {"REMOVE a, l[0]", "{'a':{'N':'1'},'l':{'L':[{'S':'x'},{'S':'y'}]}}", "{'l':{'L':[{'S':'y'}]}}",
     false},
    {"REMOVE l[0], l[1]", "{'l':{'L':[{'S':'x'},{'S':'y'},{'S':'z'}]}}", "{'l':{'L':[{'S':'z'}]}}",
     false},
    {"REMOVE nothere, m.nothere", "{'m':{'M':{}}}", "{'m':{'M':{}}}", false},
    {"SET l[5] = :x", "{'l':{'L':[{'S':'a'}]}}", "{'l':{'L':[{'S':'a'},{'S':'x'}]}}", false},
    {"SET l[0] = :x", "{'l':{'L':[{'S':'a'}]}}", "{'l':{'L':[{'S':'x'}]}}", false},
    {"SET m.x.y = :one", "{'m':{'M':{}}}",
     "The document path provided in the update expression is invalid for update", true},
    {"SET m.x = :one", "{'m':{'M':{}}}", "{'m':{'M':{'x':{'N':'1'}}}}", false},
    {"ADD n :one", "{'n':{'N':'5'}}", "{'n':{'N':'6'}}", false},
    {"ADD newn :one", "{}", "{'newn':{'N':'1'}}", false},
    {"ADD ss :ssv", "{'ss':{'SS':['a','b']}}", "{'ss':{'SS':['a','b','c']}}", false},
    {"DELETE ss :ssab", "{'ss':{'SS':['a','b']}}", "{}", false},
    {"DELETE ss :ssab", "{'ss':{'SS':['a','b','c']}}", "{'ss':{'SS':['c']}}", false},
    {"DELETE nothere :ssab", "{}", "{}", false},
    {"ADD s :one", "{'s':{'S':'x'}}",
     "An operand in the update expression has an incorrect data type", true},
    {"ADD n :big", "{'n':{'N':'9.9999999999999999999999999999999999999E+125'}}",
     "Number overflow. Attempting to store a number with magnitude larger than supported range",
     true},
    {"SET a = :one REMOVE b ADD c :one DELETE ss :ssab", "{'b':{'N':'1'},'ss':{'SS':['a','b']}}",
     "{'a':{'N':'1'},'c':{'N':'1'}}", false},
    /* Past the end, elements are appended in index order, not text order. */
    {"SET l[9] = :x, l[3] = :one", "{'l':{'L':[]}}", "{'l':{'L':[{'N':'1'},{'S':'x'}]}}", false},
    /* REMOVE through something that is not a container of the right kind. */
    {"REMOVE s.x", "{'s':{'S':'x'}}",
     "The document path provided in the update expression is invalid for update", true},
    {"REMOVE nothere[0]", "{}",
     "The document path provided in the update expression is invalid for update", true},
    {"REMOVE l[7], m.nothere", "{'l':{'L':[]},'m':{'M':{}}}", "{'l':{'L':[]},'m':{'M':{}}}", false},
};

static void check_update(env_t *e, size_t i)
{
    store_expr_t *x = NULL;
    cJSON *item = j(update_cases[i].in), *want = NULL, *before = cJSON_Duplicate(item, true);
    if (parse(e, STORE_EXPR_UPDATE, update_cases[i].text, &x) < 0)
        T_FAIL_("%s: %s", update_cases[i].text, e->why.ptr);
    eng_buf_reset(&e->why);
    const int err = store_expr_update(x, item, &e->why);
    if (update_cases[i].is_error) {
        if (err != ENG_EINVAL || strcmp(e->why.ptr, update_cases[i].want) != 0 ||
            !cJSON_Compare(item, before, true))
            printf("# %s: got %d %s\n", update_cases[i].text, err, e->why.ptr);
        t_cur_failed_ |= err != ENG_EINVAL || strcmp(e->why.ptr, update_cases[i].want) != 0;
    } else {
        want = j(update_cases[i].want);
        if (err != 0 || !cJSON_Compare(item, want, true)) {
            char *got = cJSON_PrintUnformatted(item);
            printf("# %s: err %d %s, got %s\n", update_cases[i].text, err,
                   e->why.ptr ? e->why.ptr : "", got);
            cJSON_free(got);
            t_cur_failed_ = true;
        }
    }
    cJSON_Delete(want);
    cJSON_Delete(item);
    cJSON_Delete(before);
    store_expr_destroy(x);
}

static void test_update_table(void)
{
    env_t e;
    env_open(&e);
    for (size_t i = 0; i < ENG_ARRAY_LEN(update_cases); i++)
        check_update(&e, i);
    env_close(&e);
}

/* ---- Projection ------------------------------------------------------------- */

static const struct {
    const char *text;
    const char *want;
} projection_cases[] = {
    {"n, s", "{'n':{'N':'5'},'s':{'S':'hello'}}"},
    {"m.b.c", "{'m':{'M':{'b':{'M':{'c':{'S':'deep'}}}}}}"},
    {"m.a, m.b.c", "{'m':{'M':{'a':{'N':'1'},'b':{'M':{'c':{'S':'deep'}}}}}}"},
    {"l[1], l[0]", "{'l':{'L':[{'S':'x'},{'N':'1'}]}}"},
    {"l[1]", "{'l':{'L':[{'N':'1'}]}}"},
    {"nothere, m.nothere, l[9]", "{}"},
    {"#n", "{'name':{'S':'Ama'}}"},
};

/* An item that does not exist yet: nested REMOVEs through missing parents
 * are ignored, and an expression of REMOVEs only creates nothing. */
static void test_update_new_item(void)
{
    env_t e;
    env_open(&e);
    store_expr_t *x = NULL, *y = NULL;
    cJSON *item = j("{}");
    T_ASSERT_OK(parse(&e, STORE_EXPR_UPDATE, "REMOVE a.b, c[0]", &x));
    T_ASSERT_EQ(ENG_ENOTFOUND, store_expr_update_new(x, item, &e.why));
    T_ASSERT_OK(parse(&e, STORE_EXPR_UPDATE, "REMOVE a.b SET c = :one", &y));
    T_ASSERT_OK(store_expr_update_new(y, item, &e.why));
    cJSON *want = j("{'c':{'N':'1'}}");
    T_ASSERT(cJSON_Compare(item, want, true));
    cJSON_Delete(want);
    cJSON_Delete(item);
    store_expr_destroy(x);
    store_expr_destroy(y);
    env_close(&e);
}

static void test_projection_table(void)
{
    env_t e;
    env_open(&e);
    cJSON *item = j(item_json);
    for (size_t i = 0; i < ENG_ARRAY_LEN(projection_cases); i++) {
        store_expr_t *x = NULL;
        if (parse(&e, STORE_EXPR_PROJECTION, projection_cases[i].text, &x) < 0) {
            printf("# %s: %s\n", projection_cases[i].text, e.why.ptr);
            t_cur_failed_ = true;
            continue;
        }
        cJSON *got = NULL, *want = j(projection_cases[i].want);
        store_expr_project(x, item, &got);
        if (!cJSON_Compare(got, want, true)) {
            char *s = cJSON_PrintUnformatted(got);
            printf("# %s: got %s\n", projection_cases[i].text, s);
            cJSON_free(s);
            t_cur_failed_ = true;
        }
        cJSON_Delete(got);
        cJSON_Delete(want);
        store_expr_destroy(x);
    }
    cJSON_Delete(item);
    env_close(&e);
}

/* ---- Decimal arithmetic ----------------------------------------------------- */

#define Z50 "00000000000000000000000000000000000000000000000000"

static const struct {
    const char *a, *b;
    bool is_sub;
    const char *want; /* Result text, or the error message. */
} num_cases[] = {
    {"1", "2", false, "3"},
    {"0.1", "0.2", false, "0.3"},
    {"1", "1", true, "0"},
    {"-5", "3", false, "-2"},
    {"0.5", "1", true, "-0.5"},
    {"1e2", "1", false, "101"},
    {"123.450", "0", false, "123.45"},
    {"-0", "0", false, "0"},
    {"1E-130", "0", false,
     "0.0000000000000000000000000000000000000000000000000000000000000000"
     "000000000000000000000000000000000000000000000000000000000000000001"},
    {"99999999999999999999999999999999999999", "1", false,
     "100000000000000000000000000000000000000"},
    {"12345678901234567890123456789012345678", "0.1", false,
     "Number overflow. Attempting to store a number with magnitude larger than supported range"},
    {"1e50", "1", true,
     "Number overflow. Attempting to store a number with magnitude larger than supported range"},
    {"9.9999999999999999999999999999999999999E+125", "1E+125", false,
     "Number overflow. Attempting to store a number with magnitude larger than supported range"},
    {"1E-130", "0.5E-130", true,
     "Number underflow. Attempting to store a number with magnitude smaller than supported "
     "range"},
    /* Stored numbers come back written out in full: 126 digits for the
     * largest magnitude, far past the significant-digit buffer. */
    {"99999999999999999999999999999999999999"
     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     "1E+125", false,
     "Number overflow. Attempting to store a number with magnitude larger than supported range"},
    {"5" Z50 Z50, "1E+100", false, "6" Z50 Z50},
    {"abc", "1", false, "The parameter cannot be converted to a numeric value"},
};

static void test_decimal_table(void)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(num_cases); i++) {
        eng_buf_t out = {0};
        const char *why = NULL;
        const int err =
            expr__num_add(num_cases[i].a, num_cases[i].b, num_cases[i].is_sub, &out, &why);
        const char *got = err == 0 ? out.ptr : why;
        if (strcmp(got, num_cases[i].want) != 0) {
            printf("# %s %c %s: got %s\n", num_cases[i].a, num_cases[i].is_sub ? '-' : '+',
                   num_cases[i].b, got);
            t_cur_failed_ = true;
        }
        eng_buf_free(&out);
    }
    T_ASSERT(expr__num_cmp("10", "9.5") > 0);
    T_ASSERT(expr__num_cmp("-10", "9.5") < 0);
    T_ASSERT(expr__num_cmp("-10", "-9.5") < 0);
    T_ASSERT(expr__num_cmp("1.50", "1.5") == 0);
    T_ASSERT(expr__num_cmp("1e3", "1000") == 0);
    T_ASSERT(expr__num_cmp("0", "-0") == 0);
    T_ASSERT(expr__num_cmp("1" Z50 Z50, "1E+100") == 0);
    T_ASSERT(expr__num_cmp("1" Z50 Z50, "9E+99") > 0);
}

/* ---- Key conditions ----------------------------------------------------------- */

/* A schema of one HASH and at most one RANGE attribute (all S: the tests
 * below do not look at types). */
static store_schema_t kschema(const char *hash, const char *range)
{
    store_schema_t s = {.has_sk = range != NULL, .pk_type = STORE_KT_S, .sk_type = STORE_KT_S};
    snprintf(s.pk, sizeof(s.pk), "%s", hash);
    snprintf(s.sk, sizeof(s.sk), "%s", range ? range : "");
    return s;
}

static int key_cond(const store_expr_t *x, const char *hash, const char *range,
                    store_key_cond_t *kc, eng_buf_t *why)
{
    store_schema_t s = kschema(hash, range);
    return store_expr_key_cond(x, &s, kc, why);
}

/* One HASH (id) and three RANGE attributes (s, n, name) of a GSI. */
static int multi_cond(env_t *e, const char *text, store_key_cond_t *kc)
{
    store_schema_t s = kschema("id", "s");
    s.n_more_range = 2;
    snprintf(s.more_range[0], sizeof(s.more_range[0]), "n");
    snprintf(s.more_range[1], sizeof(s.more_range[1]), "name");
    store_expr_t *x = NULL;
    eng_buf_reset(&e->why);
    int err = parse(e, STORE_EXPR_KEY_CONDITION, text, &x);
    if (err == 0)
        err = store_expr_key_cond(x, &s, kc, &e->why);
    store_expr_destroy(x);
    return err;
}

static void test_multi_attribute_key_conditions(void)
{
    env_t e;
    env_open(&e);
    store_key_cond_t kc;
    T_ASSERT_OK(multi_cond(&e, "n < :one AND id = :one AND s = :hel", &kc));
    T_ASSERT_EQ(2, kc.n_ranges);
    T_ASSERT_EQ(STORE_EXPR_OP_LT, kc.sk_op);
    T_ASSERT_EQ(STORE_EXPR_OP_EQ, kc.ranges[0].op);
    T_ASSERT(kc.hash_values[0] == kc.pk_value && kc.pk_value != NULL);
    T_ASSERT_OK(multi_cond(&e, "id = :one", &kc));
    T_ASSERT_EQ(0, kc.n_ranges);
    T_ASSERT_EQ(STORE_EXPR_OP_NONE, kc.sk_op);
    T_ASSERT_EQ(ENG_EINVAL, multi_cond(&e, "id = :one AND n = :one", &kc));
    T_ASSERT_STREQ("RANGE key attributes s must have equality conditions specified in the query "
                   "because a condition is present on key attribute n",
                   e.why.ptr);
    T_ASSERT_EQ(ENG_EINVAL, multi_cond(&e, "id = :one AND s > :hel AND n = :one", &kc));
    T_ASSERT_STREQ("RANGE key attributes s must have equality conditions specified in the query "
                   "because a condition is present on key attribute n",
                   e.why.ptr);
    T_ASSERT_EQ(ENG_EINVAL, multi_cond(&e, "s = :hel AND n = :one", &kc));
    T_ASSERT_STREQ("Query condition missed key schema element: id", e.why.ptr);
    env_close(&e);
}

static void test_key_conditions(void)
{
    env_t e;
    env_open(&e);
    store_expr_t *x = NULL;
    store_key_cond_t kc;
    T_ASSERT_OK(parse(&e, STORE_EXPR_KEY_CONDITION, "id = :one AND begins_with(s, :hel)", &x));
    T_ASSERT_OK(key_cond(x, "id", "s", &kc, &e.why));
    T_ASSERT_EQ(STORE_EXPR_OP_BEGINS_WITH, kc.sk_op);
    T_ASSERT_STREQ("1", cJSON_GetStringValue(cJSON_GetObjectItem(kc.pk_value, "N")));
    T_ASSERT_STREQ("hel", cJSON_GetStringValue(cJSON_GetObjectItem(kc.sk_values[0], "S")));
    store_expr_destroy(x);

    T_ASSERT_OK(parse(&e, STORE_EXPR_KEY_CONDITION, "n BETWEEN :one AND :six AND #n = :ama", &x));
    T_ASSERT_OK(key_cond(x, "name", "n", &kc, &e.why));
    T_ASSERT_EQ(STORE_EXPR_OP_BETWEEN, kc.sk_op);
    T_ASSERT(kc.sk_values[1] != NULL);
    eng_buf_reset(&e.why);
    T_ASSERT_EQ(ENG_EINVAL, key_cond(x, "id", "n", &kc, &e.why));
    T_ASSERT_STREQ("Query condition missed key schema element: id", e.why.ptr);
    store_expr_destroy(x);

    T_ASSERT_OK(parse(&e, STORE_EXPR_KEY_CONDITION, "id < :one", &x));
    eng_buf_reset(&e.why);
    T_ASSERT_EQ(ENG_EINVAL, key_cond(x, "id", NULL, &kc, &e.why));
    T_ASSERT_STREQ("Query key condition not supported", e.why.ptr);
    store_expr_destroy(x);

    T_ASSERT_OK(parse(&e, STORE_EXPR_KEY_CONDITION, "id = :one AND x = :two", &x));
    eng_buf_reset(&e.why);
    T_ASSERT_EQ(ENG_EINVAL, key_cond(x, "id", "s", &kc, &e.why));
    T_ASSERT_STREQ("Query condition missed key schema element: s", e.why.ptr);
    store_expr_destroy(x);
    env_close(&e);
}

/* ---- Legacy parameters -------------------------------------------------------- */

static void test_legacy_conditions(void)
{
    cJSON *item = j(item_json);
    cJSON *f = j("{'n':{'ComparisonOperator':'GT','AttributeValueList':[{'N':'4'}]},"
                 "'ss':{'ComparisonOperator':'NOT_CONTAINS','AttributeValueList':[{'S':'q'}]}}");
    store_expr_t *x = NULL;
    eng_buf_t why = {0};
    T_ASSERT_OK(store_expr_from_legacy_conditions(STORE_EXPR_FILTER, f, NULL, &x, &why));
    cJSON_Delete(f); /* The expression keeps its own copies. */
    T_ASSERT(store_expr_eval(x, item));
    store_expr_destroy(x);

    cJSON *exp = j("{'n':{'Value':{'N':'5'}},'nothere':{'Exists':false}}");
    T_ASSERT_OK(store_expr_from_legacy_conditions(STORE_EXPR_CONDITION, exp, "AND", &x, &why));
    T_ASSERT(store_expr_eval(x, item));
    store_expr_destroy(x);
    cJSON_Delete(exp);

    cJSON *bad = j("{'n':{'ComparisonOperator':'EQ','AttributeValueList':[]}}");
    T_ASSERT_EQ(ENG_EINVAL,
                store_expr_from_legacy_conditions(STORE_EXPR_FILTER, bad, NULL, &x, &why));
    T_ASSERT_STREQ("One or more parameter values were invalid: Invalid number of argument(s) for "
                   "the EQ ComparisonOperator",
                   why.ptr);
    cJSON_Delete(bad);
    eng_buf_free(&why);
    cJSON_Delete(item);
}

/* Expected's malformed forms, each with DynamoDB's message. */
static const struct {
    const char *expected, *want;
} expected_cases[] = {
    {"{'a':{'Value':{'S':'x'},'ComparisonOperator':'EQ','AttributeValueList':[{'S':'x'}]}}",
     "One or more parameter values were invalid: Value and AttributeValueList cannot be used "
     "together for Attribute: a"},
    {"{'a':{'ComparisonOperator':'EQ'}}",
     "One or more parameter values were invalid: Value or AttributeValueList must be used with "
     "ComparisonOperator: EQ for Attribute: a"},
    {"{'a':{'Exists':false,'Value':{'S':'x'}}}",
     "One or more parameter values were invalid: Value cannot be used when Exists is false for "
     "Attribute: a"},
    {"{'a':{'ComparisonOperator':'BETWEEN','AttributeValueList':[{'S':'x'}]}}",
     "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN "
     "ComparisonOperator"},
};

static void test_legacy_expected_errors(void)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(expected_cases); i++) {
        cJSON *exp = j(expected_cases[i].expected);
        store_expr_t *x = NULL;
        eng_buf_t why = {0};
        T_ASSERT_EQ(ENG_EINVAL,
                    store_expr_from_legacy_conditions(STORE_EXPR_CONDITION, exp, NULL, &x, &why));
        T_ASSERT_STREQ(expected_cases[i].want, why.ptr);
        T_ASSERT(x == NULL);
        eng_buf_free(&why);
        cJSON_Delete(exp);
    }
    /* NULL and NOT_NULL take no operand, so Expected needs neither Value nor a list. */
    cJSON *f = j("{'a':{'ComparisonOperator':'NULL'}}");
    store_expr_t *x = NULL;
    eng_buf_t why = {0};
    T_ASSERT_OK(store_expr_from_legacy_conditions(STORE_EXPR_CONDITION, f, NULL, &x, &why));
    store_expr_destroy(x);
    cJSON_Delete(f);
    eng_buf_free(&why);
}

static void test_legacy_projection_and_updates(void)
{
    cJSON *item = j(item_json), *names = j("['s','n']"), *out = NULL;
    store_expr_t *x = NULL;
    eng_buf_t why = {0};
    T_ASSERT_OK(store_expr_from_legacy_attributes(names, &x, &why));
    store_expr_project(x, item, &out);
    T_ASSERT_EQ(2, cJSON_GetArraySize(out));
    cJSON_Delete(out);
    store_expr_destroy(x);

    cJSON *upd = j("{'n':{'Action':'ADD','Value':{'N':'1'}},'s':{'Action':'DELETE'},"
                   "'q':{'Value':{'S':'new'}}}");
    T_ASSERT_OK(store_expr_from_legacy_updates(upd, &x, &why));
    T_ASSERT_OK(store_expr_update(x, item, &why));
    T_ASSERT_STREQ("6",
                   cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "n"), "N")));
    T_ASSERT(cJSON_GetObjectItem(item, "s") == NULL);
    T_ASSERT(cJSON_GetObjectItem(item, "q") != NULL);
    store_expr_destroy(x);

    const char *const legacy[] = {"AttributesToGet", NULL}, *const modern[] = {
                                                                "ProjectionExpression", NULL};
    T_ASSERT_EQ(ENG_EINVAL, store_expr_check_mixed(legacy, modern, &why));
    T_ASSERT_STREQ("Can not use both expression and non-expression parameters in the same "
                   "request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                   "{ProjectionExpression}",
                   why.ptr);
    cJSON_Delete(upd);
    cJSON_Delete(names);
    cJSON_Delete(item);
    eng_buf_free(&why);
}

/* AttributeUpdates: refused up front (bad action, wrong value type, empty
 * AttributesToGet) or when applied to the stored value. */
static const struct {
    const char *updates, *item; /* item: NULL when the request is refused up front. */
    const char *want;           /* The message, or the resulting item. */
} legacy_update_cases[] = {
    {"{'a':{'Action':'REPLACE','Value':{'N':'1'}}}", NULL,
     "1 validation error detected: Value 'REPLACE' at 'attributeUpdates.a.member.action' failed "
     "to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"},
    {"{'a':{'Action':'DELETE','Value':{'S':'x'}}}", NULL,
     "One or more parameter values were invalid: Action DELETE is not supported for the type S"},
    {"{'a':{'Action':'DELETE','Value':{'L':[]}}}", NULL,
     "One or more parameter values were invalid: Action DELETE is not supported for the type L"},
    {"{'a':{'Action':'ADD','Value':{'BOOL':true}}}", NULL,
     "One or more parameter values were invalid: Action ADD is not supported for the type BOOL"},
    {"{'a':{'Action':'DELETE','Value':{'NS':[]}}}", NULL,
     "One or more parameter values were invalid: An number set  may not be empty"},
    {"{'a':{'Action':'ADD'}}", NULL,
     "One or more parameter values were invalid: Only DELETE action is allowed when no attribute "
     "value is specified"},
    {"{'a':{'Action':'ADD','Value':{'SS':['x']}}}", "{'a':{'NS':['1']}}",
     "Type mismatch for attribute to update"},
    {"{'a':{'Action':'ADD','Value':{'N':'1'}}}", "{'a':{'L':[]}}",
     "Type mismatch for attribute to update"},
    {"{'a':{'Action':'DELETE','Value':{'NS':['1']}}}", "{'a':{'N':'1'}}",
     "Type mismatch for attribute to update"},
    {"{'a':{'Action':'ADD','Value':{'L':[{'N':'3'}]}}}", "{'a':{'L':[{'S':'x'}]}}",
     "{'a':{'L':[{'S':'x'},{'N':'3'}]}}"},
    {"{'a':{'Action':'ADD','Value':{'NS':['2']}}}", "{'a':{'NS':['1']}}", "{'a':{'NS':['1','2']}}"},
};

static void test_legacy_update_errors(void)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(legacy_update_cases); i++) {
        cJSON *upd = j(legacy_update_cases[i].updates);
        cJSON *item = legacy_update_cases[i].item ? j(legacy_update_cases[i].item) : NULL;
        store_expr_t *x = NULL;
        eng_buf_t why = {0};
        int err = store_expr_from_legacy_updates(upd, &x, &why);
        T_ASSERT_EQ(item ? 0 : ENG_EINVAL, err);
        if (err == 0)
            err = store_expr_update(x, item, &why);
        if (err < 0) {
            T_ASSERT_STREQ(legacy_update_cases[i].want, why.ptr);
        } else {
            cJSON *want_item = j(legacy_update_cases[i].want);
            char *got = cJSON_PrintUnformatted(item), *want = cJSON_PrintUnformatted(want_item);
            T_ASSERT_STREQ(want, got);
            cJSON_free(got);
            cJSON_free(want);
            cJSON_Delete(want_item);
        }
        store_expr_destroy(x);
        cJSON_Delete(item);
        cJSON_Delete(upd);
        eng_buf_free(&why);
    }
}

static void test_legacy_limits(void)
{
    eng_buf_t why = {0};
    store_expr_t *x = NULL;
    cJSON *empty = j("[]");
    T_ASSERT_EQ(ENG_EINVAL, store_expr_from_legacy_attributes(empty, &x, &why));
    T_ASSERT_STREQ("1 validation error detected: Value '[]' at 'attributesToGet' failed to "
                   "satisfy constraint: Member must have length greater than or equal to 1",
                   why.ptr);
    cJSON_Delete(empty);

    char *name = eng_malloc(65537);
    memset(name, 'n', 65536);
    name[65536] = '\0';
    cJSON *names = cJSON_CreateArray(), *upd = cJSON_CreateObject();
    cJSON_AddItemToArray(names, cJSON_CreateString(name));
    cJSON_AddItemToObject(cJSON_AddObjectToObject(upd, name), "Value", j("{'N':'1'}"));
    const char *msg = "1 validation error detected: Attribute name is too large, must be less "
                      "than 65536 bytes";
    eng_buf_reset(&why);
    T_ASSERT_EQ(ENG_EINVAL, store_expr_from_legacy_attributes(names, &x, &why));
    T_ASSERT_STREQ(msg, why.ptr);
    eng_buf_reset(&why);
    T_ASSERT_EQ(ENG_EINVAL, store_expr_from_legacy_updates(upd, &x, &why));
    T_ASSERT_STREQ(msg, why.ptr);
    /* One byte shorter is the longest name allowed. */
    name[65535] = '\0';
    cJSON_SetValuestring(names->child, name);
    T_ASSERT_OK(store_expr_from_legacy_attributes(names, &x, &why));
    store_expr_destroy(x);
    cJSON_Delete(names);
    cJSON_Delete(upd);
    eng_free(name);
    eng_buf_free(&why);
}

int main(void)
{
    T_RUN(test_eval_table);
    T_RUN(test_error_messages);
    T_RUN(test_limits);
    T_RUN(test_reserved_words);
    T_RUN(test_unused_names_and_values);
    T_RUN(test_update_table);
    T_RUN(test_update_new_item);
    T_RUN(test_projection_table);
    T_RUN(test_decimal_table);
    T_RUN(test_key_conditions);
    T_RUN(test_multi_attribute_key_conditions);
    T_RUN(test_legacy_conditions);
    T_RUN(test_legacy_expected_errors);
    T_RUN(test_legacy_projection_and_updates);
    T_RUN(test_legacy_update_errors);
    T_RUN(test_legacy_limits);
    return t_done();
}
