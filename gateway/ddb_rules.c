/* SPDX-License-Identifier: MIT
 * ddb_rules.c: the member constraints DynamoDB checks before an item
 * operation runs (TableName, the required Key or Item, the Return* enums,
 * ConditionalOperator), reported as DynamoDB's validation framework reports
 * them: several errors in one "N validation errors detected: ..." message,
 * in the order the operation's rule table lists them. It checks only member
 * shapes; what the members mean (keys, expressions) is checked later. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <assert.h>
#include <string.h>

#define MAX_ERRS 16 /* Two per rule (a table name can fail twice), for up to 8 rules. */
#define HEAD "Value '%s' at '%s' failed to satisfy constraint: Member must "

typedef struct found {
    size_t off[MAX_ERRS];    /* Start of each error in the scratch buffer. */
    bool is_table[MAX_ERRS]; /* Error i is about the table name. */
    int n;                   /* Errors found. */
    bool has_missing;        /* A required member is absent. */
} found_t;

/* Start one error; the caller prints it into `b` next. */
static void add(eng_buf_t *b, found_t *f, bool is_table)
{
    assert(f->n < MAX_ERRS); /* ddb__rules_check bounds the rule count. */
    f->is_table[f->n] = is_table;
    f->off[f->n++] = b->len;
}

/* Data-plane table names: the pattern (checked on a non-empty name), at most
 * 255 characters, and at least 1; a non-empty name shorter than 3 is refused
 * with CreateTable's minimum, as DynamoDB's item operations do. */
static void check_table(const ddb_rule_t *r, const cJSON *v, eng_buf_t *b, found_t *f)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (!s) {
        add(b, f, true);
        eng_buf_printf(b,
                       "Value null at '%s' failed to satisfy constraint: Member must not be null",
                       r->field);
        return;
    }
    const size_t len = strlen(s);
    if (!ddb__is_name_pattern(s)) {
        add(b, f, true);
        eng_buf_printf(b, HEAD, s, r->field);
        eng_buf_append_str(b, "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }
    if (len < 3 || len > 255) {
        add(b, f, true);
        eng_buf_printf(b, HEAD, s, r->field);
        eng_buf_append_str(b, len > 255 ? "have length less than or equal to 255"
                              : len     ? "have length greater than or equal to 3"
                                        : "have length greater than or equal to 1");
    }
}

/* Is `s` one of the ", "-separated `values`? */
static bool is_in_set(const char *s, const char *values)
{
    const size_t len = strlen(s);
    for (const char *p = values; *p;) {
        const char *end = strchr(p, ',');
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, s, len) == 0)
            return true;
        p = end ? end + 2 : p + n;
    }
    return false;
}

/* A map keyed by table name (BatchGetItem's RequestItems): one error for
 * the whole map, echoing it as JSON, when any key is not a table name. */
static void check_table_map(const ddb_rule_t *r, const cJSON *v, eng_buf_t *b, found_t *f)
{
    const cJSON *t = cJSON_IsObject(v) ? v->child : NULL;
    for (; t; t = t->next) {
        const size_t len = strlen(t->string);
        if (len < 3 || len > 255 || !ddb__is_name_pattern(t->string))
            break;
    }
    if (!t)
        return;
    add(b, f, false);
    eng_buf_append_str(b, "Value '");
    eng_json_print(v, b);
    eng_buf_printf(b,
                   "' at '%s' failed to satisfy constraint: Map keys must satisfy constraint: "
                   "[Member must have length less than or equal to 255, Member must have length "
                   "greater than or equal to 3, Member must satisfy regular expression pattern: "
                   "[a-zA-Z0-9_.-]+]",
                   r->field);
}

static void check_required(const ddb_rule_t *r, const cJSON *v, eng_buf_t *b, found_t *f)
{
    if (cJSON_IsObject(v))
        return;
    f->has_missing = true;
    add(b, f, false);
    eng_buf_printf(b, "Value null at '%s' failed to satisfy constraint: Member must not be null",
                   r->field);
}

static void check_enum(const ddb_rule_t *r, const cJSON *v, eng_buf_t *b, found_t *f)
{
    if (!cJSON_IsString(v) || is_in_set(v->valuestring, r->values))
        return;
    add(b, f, false);
    eng_buf_printf(b, HEAD, v->valuestring, r->field);
    eng_buf_printf(b, "satisfy enum value set: [%s]", r->values);
}

static void check_length(const ddb_rule_t *r, const cJSON *v, eng_buf_t *b, found_t *f)
{
    const size_t len = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
    if (!cJSON_IsString(v) || (len >= r->min && len <= r->max))
        return;
    add(b, f, false);
    eng_buf_printf(b, HEAD, v->valuestring, r->field);
    if (len < r->min)
        eng_buf_printf(b, "have length greater than or equal to %zu", r->min);
    else
        eng_buf_printf(b, "have length less than or equal to %zu", r->max);
}

typedef void (*check_fn)(const ddb_rule_t *r, const cJSON *v, eng_buf_t *b, found_t *f);

static const check_fn CHECKS[] = {
    [DDB_RULE_TABLE] = check_table,   [DDB_RULE_REQUIRED] = check_required,
    [DDB_RULE_ENUM] = check_enum,     [DDB_RULE_TABLE_MAP] = check_table_map,
    [DDB_RULE_LENGTH] = check_length, [DDB_RULE_CAPACITY] = check_enum,
};

/* Note what rule `r` looked up (`v`, which passed it) for the caller. */
static void keep(const ddb_rule_t *r, const cJSON *v, ddb_members_t *got)
{
    if (r->kind == DDB_RULE_TABLE)
        got->table = cJSON_GetStringValue(v);
    else if (r->kind == DDB_RULE_CAPACITY)
        got->rcc = ddb__rcc_of(v);
}

/* Which errors DynamoDB reports: all of them when a required member is
 * missing; otherwise a bad table name alone, or (first_only) the first. */
static bool is_reported(const found_t *f, int i, unsigned flags)
{
    if (f->has_missing)
        return true;
    bool has_table = false;
    for (int k = 0; k < f->n; k++)
        has_table = has_table || f->is_table[k];
    if (has_table)
        return f->is_table[i];
    return !(flags & DDB_RULES_FIRST_ONLY) || i == 0;
}

int ddb__rules_check(ddb_call_t *c, const ddb_rule_t *rules, size_t n, unsigned flags,
                     ddb_members_t *got)
{
    eng_buf_t b = {0};
    found_t f = {0};
    assert(2 * n <= MAX_ERRS); /* Each rule adds at most two errors. */
    *got = (ddb_members_t){0};
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = eng_json_get(c->body, rules[i].member);
        CHECKS[rules[i].kind](&rules[i], v, &b, &f);
        keep(&rules[i], v, got);
    }
    if (f.n == 0)
        return 0;
    int n_out = 0;
    for (int i = 0; i < f.n; i++)
        n_out += is_reported(&f, i, flags);
    eng_buf_t *m = &c->th->why;
    eng_buf_reset(m);
    eng_buf_printf(m, "%d validation error%s detected: ", n_out, n_out > 1 ? "s" : "");
    for (int i = 0, k = 0; i < f.n; i++) {
        if (!is_reported(&f, i, flags))
            continue;
        const size_t end = i + 1 < f.n ? f.off[i + 1] : b.len;
        if (k++)
            eng_buf_append_str(m, "; ");
        eng_buf_append(m, b.ptr + f.off[i], end - f.off[i]);
    }
    eng_buf_free(&b);
    ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, m->ptr);
    return ENG_EINVAL;
}
