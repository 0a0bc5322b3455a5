/* SPDX-License-Identifier: MIT
 * filter.c: FilterCriteria of an event source mapping, in EventBridge's
 * pattern syntax, matched against one stream record. A pattern is a JSON
 * object whose leaves are arrays of matchers (exact values, prefix, suffix,
 * equals-ignore-case, anything-but, numeric, exists); a record passes when
 * every leaf of at least one pattern matches. Patterns are validated once at
 * compile time so matching never fails. No wildcard or $or support. */
#include "streams/strm.h"

#include "engine/err.h"
#include "engine/json.h"

#include <math.h>
#include <stdlib.h>
#include <strings.h>

struct strm_filter {
    cJSON **patterns; /* Owned roots, each a JSON object. */
    size_t n;
};

static bool match_object(const cJSON *pat, const cJSON *ev);

/* Numbers in DynamoDB records are strings ({"N":"5"}): accept both forms. */
static bool as_number(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return true;
    }
    if (!cJSON_IsString(v) || !*v->valuestring)
        return false;
    char *end;
    *out = strtod(v->valuestring, &end);
    return *end == '\0' && isfinite(*out);
}

static bool equal_scalar(const cJSON *m, const cJSON *v)
{
    if (cJSON_IsString(m))
        return cJSON_IsString(v) && strcmp(m->valuestring, v->valuestring) == 0;
    if (cJSON_IsNumber(m)) {
        double d;
        return as_number(v, &d) && d == m->valuedouble;
    }
    if (cJSON_IsBool(m))
        return cJSON_IsBool(v) && cJSON_IsTrue(m) == cJSON_IsTrue(v);
    return cJSON_IsNull(m) && cJSON_IsNull(v);
}

static bool str_affix(const cJSON *arg, const cJSON *v, bool is_suffix)
{
    if (!cJSON_IsString(arg) || !cJSON_IsString(v))
        return false;
    size_t a = strlen(arg->valuestring), n = strlen(v->valuestring);
    return a <= n && memcmp(v->valuestring + (is_suffix ? n - a : 0), arg->valuestring, a) == 0;
}

static bool numeric_cmp(const char *op, double x, double y)
{
    if (strcmp(op, "=") == 0)
        return x == y;
    if (strcmp(op, "<") == 0)
        return x < y;
    if (strcmp(op, "<=") == 0)
        return x <= y;
    if (strcmp(op, ">") == 0)
        return x > y;
    return strcmp(op, ">=") == 0 && x >= y;
}

/* {"numeric": [">", 0, "<=", 5]}: every (op, number) pair must hold. */
static bool match_numeric(const cJSON *arr, const cJSON *v)
{
    double x;
    if (!as_number(v, &x))
        return false;
    for (const cJSON *op = arr ? arr->child : NULL; op && op->next; op = op->next->next) {
        if (!numeric_cmp(op->valuestring, x, op->next->valuedouble))
            return false;
    }
    return true;
}

static bool match_one(const cJSON *m, const cJSON *v);

static bool match_anything_but(const cJSON *arg, const cJSON *v)
{
    if (cJSON_IsObject(arg))
        return v && !match_one(arg, v);
    if (cJSON_IsArray(arg)) {
        const cJSON *a;
        cJSON_ArrayForEach(a, arg)
        {
            if (equal_scalar(a, v))
                return false;
        }
        return v != NULL;
    }
    return v && !equal_scalar(arg, v);
}

/* One matcher against one present scalar value `v`. */
static bool match_one(const cJSON *m, const cJSON *v)
{
    if (!cJSON_IsObject(m))
        return equal_scalar(m, v);
    const cJSON *op = m->child;
    if (strcmp(op->string, "prefix") == 0)
        return str_affix(op, v, false);
    if (strcmp(op->string, "suffix") == 0)
        return str_affix(op, v, true);
    if (strcmp(op->string, "equals-ignore-case") == 0)
        return cJSON_IsString(v) && strcasecmp(op->valuestring, v->valuestring) == 0;
    if (strcmp(op->string, "anything-but") == 0)
        return match_anything_but(op, v);
    if (strcmp(op->string, "numeric") == 0)
        return match_numeric(op, v);
    return false;
}

/* A leaf: matchers against the event's value at this path (NULL: absent).
 * An array value matches when any of its elements does. */
static bool match_leaf(const cJSON *matchers, const cJSON *v)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, matchers)
    {
        const cJSON *ex = cJSON_IsObject(m) ? eng_json_get(m, "exists") : NULL;
        if (ex) {
            if (cJSON_IsTrue(ex) == (v != NULL))
                return true;
            continue;
        }
        if (!v)
            continue;
        if (!cJSON_IsArray(v) && match_one(m, v))
            return true;
        const cJSON *e;
        cJSON_ArrayForEach(e, (cJSON_IsArray(v) ? v : NULL))
        {
            if (match_one(m, e))
                return true;
        }
    }
    return false;
}

static bool match_object(const cJSON *pat, const cJSON *ev)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, pat)
    {
        const cJSON *v = cJSON_IsObject(ev) ? eng_json_get(ev, p->string) : NULL;
        if (cJSON_IsObject(p) ? !match_object(p, v) : !match_leaf(p, v))
            return false;
    }
    return true;
}

/* ---- validation ---------------------------------------------------------- */

static int check_numeric(const cJSON *arr)
{
    static const char *const ops[] = {"=", "<", "<=", ">", ">="};
    if (!cJSON_IsArray(arr) || !arr->child)
        return ENG_EINVAL;
    for (const cJSON *op = arr->child; op; op = op->next->next) {
        bool is_known = false;
        for (size_t i = 0; cJSON_IsString(op) && i < ENG_ARRAY_LEN(ops); i++)
            is_known = is_known || strcmp(op->valuestring, ops[i]) == 0;
        if (!is_known || !cJSON_IsNumber(op->next))
            return ENG_EINVAL;
    }
    return 0;
}

static int check_matcher(const cJSON *m)
{
    if (!cJSON_IsObject(m))
        return cJSON_IsArray(m) ? ENG_EINVAL : 0;
    const cJSON *op = m->child;
    if (!op || op->next)
        return ENG_EINVAL;
    if (strcmp(op->string, "prefix") == 0 || strcmp(op->string, "suffix") == 0 ||
        strcmp(op->string, "equals-ignore-case") == 0)
        return cJSON_IsString(op) ? 0 : ENG_EINVAL;
    if (strcmp(op->string, "exists") == 0)
        return cJSON_IsBool(op) ? 0 : ENG_EINVAL;
    if (strcmp(op->string, "numeric") == 0)
        return check_numeric(op);
    if (strcmp(op->string, "anything-but") == 0)
        return cJSON_IsObject(op) ? check_matcher(op) : 0;
    return ENG_EINVAL;
}

static int check_pattern(const cJSON *pat)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, pat)
    {
        if (cJSON_IsObject(p)) {
            if (check_pattern(p) < 0)
                return ENG_EINVAL;
            continue;
        }
        if (!cJSON_IsArray(p) || !p->child)
            return ENG_EINVAL;
        const cJSON *m;
        cJSON_ArrayForEach(m, p)
        {
            if (check_matcher(m) < 0)
                return ENG_EINVAL;
        }
    }
    return 0;
}

int strm_filter_create(const cJSON *criteria, strm_filter_t **out, eng_buf_t *why)
{
    strm_filter_t *f = eng_calloc(1, sizeof(*f));
    const cJSON *filters = eng_json_get(criteria, "Filters");
    int n = cJSON_IsArray(filters) ? cJSON_GetArraySize(filters) : 0;
    f->patterns = eng_calloc((size_t)n + 1, sizeof(*f->patterns));
    int err = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, (n ? filters : NULL))
    {
        const char *text = eng_json_get_str(it, "Pattern");
        cJSON *pat = NULL;
        if (!text || eng_json_parse(text, strlen(text), &pat) < 0 || !cJSON_IsObject(pat) ||
            check_pattern(pat) < 0) {
            eng_json_delete(pat);
            eng_buf_printf(why, "Invalid filter pattern definition.");
            err = ENG_EINVAL;
            break;
        }
        f->patterns[f->n++] = pat;
    }
    if (err < 0) {
        strm_filter_destroy(f);
        return err;
    }
    *out = f;
    return 0;
}

void strm_filter_destroy(strm_filter_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        eng_json_delete(f->patterns[i]);
    eng_free(f->patterns);
    eng_free(f);
}

bool strm_filter_match(const strm_filter_t *f, const cJSON *record)
{
    if (!f || f->n == 0)
        return true;
    for (size_t i = 0; i < f->n; i++) {
        if (match_object(f->patterns[i], record))
            return true;
    }
    return false;
}
