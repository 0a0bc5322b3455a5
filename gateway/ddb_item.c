/* SPDX-License-Identifier: MIT
 * ddb_item.c: PutItem, GetItem, DeleteItem and UpdateItem. Reads run inline on the loop
 * thread against the thread's reader and splice the stored item text into
 * the reply. Writes are validated and canonicalized here, then handed to the
 * writer with their condition and update expressions as a storage hook; the
 * client hears back only after the commit. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { RV_NONE = 0, RV_ALL_OLD, RV_UPDATED_OLD, RV_ALL_NEW, RV_UPDATED_NEW };
#define RV_CF_ALL_OLD 0x100 /* ReturnValuesOnConditionCheckFailure ALL_OLD, or'ed into mode. */
#define RV_ICM 0x200        /* ReturnItemCollectionMetrics SIZE on a table with an LSI. */

static void on_put_done(ddb_wreq_t *w);
static void on_delete_done(ddb_wreq_t *w);
static void on_update_done(ddb_wreq_t *w);

/* ---- shared request checks -------------------------------------------- */

typedef struct item_req {
    const char *table; /* Borrowed from the body. */
    int rcc;
    int rv; /* RV_* | RV_CF_ALL_OLD. */
} item_req_t;

static const char *const RV_NAMES[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"};

/* The members each operation checks up front, in the order DynamoDB reports
 * their errors (it differs per operation). */
#define RULE_TABLE                                                                                 \
    {                                                                                              \
        .kind = DDB_RULE_TABLE, .member = "TableName", .field = "tableName"                        \
    }
#define RULE_NEEDS(m, f)                                                                           \
    {                                                                                              \
        .kind = DDB_RULE_REQUIRED, .member = m, .field = f                                         \
    }
#define RULE_ENUM(m, f, v)                                                                         \
    {                                                                                              \
        .kind = DDB_RULE_ENUM, .member = m, .field = f, .values = v                                \
    }
#define RULE_RV                                                                                    \
    RULE_ENUM("ReturnValues", "returnValues", "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW")
#define RULE_OP RULE_ENUM("ConditionalOperator", "conditionalOperator", "OR, AND")
#define RULE_CF                                                                                    \
    RULE_ENUM("ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure",        \
              "ALL_OLD, NONE")

static const ddb_rule_t PUT_RULES[] = {
    RULE_RV, RULE_OP, RULE_NEEDS("Item", "item"), RULE_CF, DDB_RULE_RCC, DDB_RULE_ICM, RULE_TABLE};
static const ddb_rule_t DELETE_RULES[] = {
    RULE_RV, RULE_OP, RULE_CF, DDB_RULE_RCC, DDB_RULE_ICM, RULE_NEEDS("Key", "key"), RULE_TABLE};
static const ddb_rule_t UPDATE_RULES[] = {
    DDB_RULE_RCC, RULE_TABLE, RULE_RV, RULE_OP, RULE_CF, DDB_RULE_ICM, RULE_NEEDS("Key", "key")};
static const ddb_rule_t GET_RULES[] = {DDB_RULE_RCC, RULE_NEEDS("Key", "key"), RULE_TABLE};

typedef struct rules {
    const ddb_rule_t *rules;
    size_t n;
    unsigned flags;
} rules_t;

#define RULES(a, f) (&(const rules_t){.rules = a, .n = ENG_ARRAY_LEN(a), .flags = f})

/* ReturnValues (Put and Delete take only NONE and ALL_OLD) and
 * ReturnValuesOnConditionCheckFailure, whose enums the rules checked.
 * Replies on failure. */
static int return_values(ddb_call_t *c, bool is_update, int *rv)
{
    const char *v = eng_json_get_str(c->body, "ReturnValues");
    *rv = RV_NONE;
    for (size_t i = 0; v && i < ENG_ARRAY_LEN(RV_NAMES); i++)
        if (strcmp(v, RV_NAMES[i]) == 0)
            *rv = (int)i;
    if (!is_update && *rv > RV_ALL_OLD) {
        /* DynamoDB reports this inside its request-validation envelope. */
        ddb__reply_validation(
            c->th, c->req, "1 validation error detected: ReturnValues can only be ALL_OLD or NONE");
        return ENG_EINVAL;
    }
    const char *cf = eng_json_get_str(c->body, "ReturnValuesOnConditionCheckFailure");
    if (cf && strcmp(cf, "ALL_OLD") == 0)
        *rv |= RV_CF_ALL_OLD;
    return 0;
}

/* The operation's member rules, then TableName and ReturnConsumedCapacity
 * into `r`. Replies on failure. */
static int common_checks(ddb_call_t *c, const rules_t *rules, item_req_t *r)
{
    ddb_members_t got;
    if (ddb__rules_check(c, rules->rules, rules->n, rules->flags, &got) < 0)
        return ENG_EINVAL;
    r->table = got.table;
    r->rcc = got.rcc;
    return 0;
}

/* Single-item writes read a value nested past 32 levels two ways: request
 * validation refuses it inside the envelope, naming no key; from 63 levels
 * (the request document itself about 128 deep) DynamoDB's document parser
 * refuses it first, bare, naming the key or, for an item, nothing. */
enum { NEST_PARSER_LEVELS = 63 };

/* A too deep ExpressionAttributeValue, refused as DynamoDB does. Returns 0 or
 * ENG_EINVAL (replied). */
static int deep_values_check(ddb_call_t *c)
{
    const cJSON *vals = eng_json_get(c->body, "ExpressionAttributeValues");
    for (const cJSON *v = cJSON_IsObject(vals) ? vals->child : NULL; v; v = v->next) {
        const int d = ddb__value_depth(v);
        if (d >= NEST_PARSER_LEVELS) {
            ddb__reply_validation(c->th, c->req,
                                  "ExpressionAttributeValues contains invalid value: %s for key %s",
                                  DDB_NEST_MSG, v->string);
            return ENG_EINVAL;
        }
        if (d >= 32) {
            ddb__reply_write_exprs_err(c->th, c->req, DDB_NEST_MSG);
            return ENG_EINVAL;
        }
    }
    return 0;
}

/* Reply PutItem's refusal (err) of its item: a nesting refusal (ENG_ETOOBIG)
 * inside the envelope unless the item is deep enough for the document parser
 * to refuse it. */
static void reply_item_err(ddb_call_t *c, const cJSON *item, int err, const char *why)
{
    int deepest = 0;
    for (const cJSON *a = err == ENG_ETOOBIG ? item->child : NULL; a; a = a->next) {
        const int d = ddb__value_depth(a);
        deepest = d > deepest ? d : deepest;
    }
    if (deepest >= 32 && deepest < NEST_PARSER_LEVELS)
        ddb__reply_write_exprs_err(c->th, c->req, why);
    else
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
}

/* Everything a single-item write shares: checks, table, expressions. On 0
 * *w is a request with one write whose key is built; replies on failure. */
static int single_begin(ddb_call_t *c, const rules_t *rules, unsigned which, item_req_t *r,
                        ddb_exprs_t *x, const ddb_schema_t **s, ddb_wdone_fn done, ddb_wreq_t **out)
{
    const char *why = NULL;
    store_table_t t;
    if (common_checks(c, rules, r) < 0 || return_values(c, (which & DDB_X_UPDATE) != 0, &r->rv) < 0)
        return ENG_EINVAL;
    if (ddb__exprs_parse(c->th, c->body, which, x, &why) < 0) {
        /* The parser refuses every too deep value, so only a refused request
         * needs the depth walk; its nesting wording outranks other faults. */
        if (deep_values_check(c) == 0)
            ddb__reply_write_exprs_err(c->th, c->req, why);
        return ENG_EINVAL;
    }
    int err = ddb__table(c, r->table, &t, s);
    if (err < 0) {
        ddb__exprs_free(x);
        return err;
    }
    bool is_icm = false;
    if (ddb__icm_wanted(c, *s, &is_icm) < 0) {
        ddb__exprs_free(x);
        return ENG_EINVAL;
    }
    ddb_wreq_t *w = ddb__wreq_get(c, done);
    store_write_t *sw = ddb__wreq_add(w);
    sw->table_id = t.id;
    w->mode = r->rv | (is_icm ? RV_ICM : 0);
    w->rcc = r->rcc;
    snprintf(w->table, sizeof(w->table), "%s", r->table);
    *out = w;
    return 0;
}

/* Hand the exprs to the write (they borrow the body: keep it) and submit. */
static void single_submit(ddb_call_t *c, ddb_wreq_t *w, const ddb_schema_t *s, ddb_exprs_t *x,
                          bool is_update)
{
    const char *why = NULL;
    if (w->mode & RV_ICM) /* The key is marked by now. */
        ddb__icm_mark(w, s);
    unsigned flags = (is_update || (w->mode & RV_CF_ALL_OLD)) ? STORE_UPDATE_KEEP_OLD : 0;
    store_expr_t *upd = x->update, *cond = x->cond;
    x->update = x->cond = NULL;
    ddb__exprs_free(x);
    if ((upd || cond) && ddb__wreq_update(w, s, upd, cond, flags, &why) < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        ddb__wreq_put(w);
        return;
    }
    ddb__wreq_keep_body(w, c);
    ddb__wreq_submit(w, false);
}

/* ---- PutItem ------------------------------------------------------------ */

void ddb__op_put_item(ddb_call_t *c)
{
    item_req_t r = {0};
    ddb_exprs_t x;
    const ddb_schema_t *s = NULL;
    ddb_wreq_t *w = NULL;
    if (single_begin(c, RULES(PUT_RULES, 0), DDB_X_COND, &r, &x, &s, on_put_done, &w) < 0)
        return;
    const cJSON *item = eng_json_get(c->body, "Item");
    const char *why = NULL;
    store_write_t *sw = &w->writes[0];
    size_t off = w->data.len;
    int err = ddb__item_canon(c->th, item, &w->data, &w->new_size, &why);
    if (err == 0) {
        ddb__wreq_mark(w, off, true);
        off = w->data.len;
        err = ddb__key_build(c->th, s, item, false, &sw->key, &w->data, &why, NULL);
    }
    if (err < 0) {
        ddb__exprs_free(&x);
        ddb__wreq_put(w);
        reply_item_err(c, item, err, why);
        return;
    }
    ddb__wreq_mark(w, off, false);
    sw->kind = STORE_W_PUT;
    sw->item_size = (uint32_t)w->new_size;
    sw->want_old = (r.rv & 0xff) == RV_ALL_OLD || r.rcc > 0;
    single_submit(c, w, s, &x, false);
}

/* Storage refuses an item whose index key attribute has the wrong type;
 * find which, for DynamoDB's message in w->aux. Returns 0 or ENG_ENOTFOUND. */
static int index_mismatch(ddb_wreq_t *w)
{
    const store_update_t *u = w->offs[0].upd;
    eng_slice_t item = u ? store_update_new(u) : w->writes[0].item;
    if (!item.len)
        return ENG_ENOTFOUND;
    eng_buf_reset(&w->aux);
    bool is_type;
    return ddb__index_mismatch(w->th, w->table, item, w->on_done == on_update_done, &w->aux,
                               &is_type);
}

/* Errors of a single-item write: condition (with the old item when asked),
 * runtime validation from the update, storage. */
static void reply_single_err(ddb_wreq_t *w, int err)
{
    const store_update_t *u = w->offs[0].upd;
    if (err == ENG_ECONDITION && (w->mode & RV_CF_ALL_OLD) && u && store_update_old(u).len) {
        eng_buf_reset(&w->aux);
        eng_buf_append_str(&w->aux, "\"Item\":");
        eng_slice_t old = store_update_old(u);
        eng_buf_append(&w->aux, old.ptr, old.len);
        ddb__reply_err_extra(w->th, w->req, DDB_E_CONDITION, "The conditional request failed",
                             eng_slice(w->aux.ptr, w->aux.len));
    } else if (err == ENG_EINVAL && u && store_update_why(u)) {
        ddb__reply_err(w->th, w->req, DDB_E_VALIDATION, store_update_why(u));
    } else if (err == ENG_EINVAL && index_mismatch(w) == 0) {
        ddb__reply_err(w->th, w->req, DDB_E_VALIDATION, w->aux.ptr);
    } else {
        ddb__reply_store_err(w->th, w->req, err);
    }
}

/* The Attributes member per ReturnValues. */
static void append_attributes(ddb_wreq_t *w, eng_buf_t *out)
{
    store_write_t *sw = &w->writes[0];
    const store_update_t *u = w->offs[0].upd;
    int rv = w->mode & 0xff;
    eng_slice_t old = sw->had_old ? eng_slice(sw->old.ptr, sw->old.len) : (eng_slice_t){0};
    if (u && !old.len)
        old = store_update_old(u);
    if (rv == RV_ALL_OLD && old.len) {
        eng_buf_append_str(out, "\"Attributes\":");
        eng_buf_append(out, old.ptr, old.len);
    } else if (rv == RV_ALL_NEW && u && store_update_new(u).len) {
        eng_buf_append_str(out, "\"Attributes\":");
        eng_buf_append(out, store_update_new(u).ptr, store_update_new(u).len);
    } else if ((rv == RV_UPDATED_OLD || rv == RV_UPDATED_NEW) && u) {
        size_t mark = out->len;
        eng_buf_append_str(out, "\"Attributes\":");
        size_t at = out->len;
        store_update_changed(u, rv == RV_UPDATED_NEW, out);
        if (out->len - at <= 2) /* "{}": nothing to return. */
            out->len = mark, out->ptr[mark] = '\0';
    }
}

/* ConsumedCapacity of a committed single-item write: the table's units for
 * the larger of the old and new item, plus what its indexes were charged. */
static void append_capacity(ddb_wreq_t *w, size_t new_size, eng_buf_t *out)
{
    const store_write_t *sw = &w->writes[0];
    const store_update_t *u = w->offs[0].upd;
    /* An update keeps its old item in `u`, not in the write. */
    eng_slice_t old = sw->want_old && sw->had_old ? eng_slice(sw->old.ptr, sw->old.len)
                                                  : (u ? store_update_old(u) : (eng_slice_t){0});
    /* After the commit the write holds the final item (an update's too). */
    eng_slice_t nw = sw->kind == STORE_W_PUT ? sw->item : (eng_slice_t){0};
    size_t old_size = old.len ? ddb__item_size(w->th, old) : 0;
    size_t bytes = old_size > new_size ? old_size : new_size;
    ddb_wcap_t cap;
    ddb__wcap_open(w->th, w->table, &cap); /* On failure: table units alone. */
    ddb__wcap_add(&cap, old, nw, ddb__wcap_units(bytes));
    ddb__sep(out);
    eng_buf_append_str(out, "\"ConsumedCapacity\":");
    ddb__wcap_obj(&cap, w->rcc, eng_slice_cstr(w->table), out);
    ddb__wcap_close(&cap);
}

/* Reply for a single-item write: Attributes and ConsumedCapacity. */
static void reply_single(ddb_wreq_t *w, size_t new_size)
{
    store_write_t *sw = &w->writes[0];
    int err = w->batch.err ? w->batch.err : sw->err;
    if (err < 0) {
        reply_single_err(w, err);
        return;
    }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    eng_buf_append_char(out, '{');
    append_attributes(w, out);
    if (w->rcc > 0)
        append_capacity(w, new_size, out);
    if (w->mode & RV_ICM) {
        const ddb_woff_t *o = &w->offs[0];
        ddb__sep(out);
        eng_buf_append_str(out, "\"ItemCollectionMetrics\":");
        eng_buf_append(out, w->data.ptr + o->icm_off, o->icm_len);
    }
    eng_buf_append_char(out, '}');
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}

static void on_put_done(ddb_wreq_t *w)
{
    reply_single(w, w->new_size);
}

/* ---- DeleteItem --------------------------------------------------------- */

/* The request's Key into the write (and its keys JSON into w->data), or
 * answer the ValidationException and release `w` and `x`. Returns 0 or
 * ENG_EINVAL. */
static int single_key(ddb_call_t *c, ddb_wreq_t *w, const ddb_schema_t *s, ddb_exprs_t *x)
{
    const char *why = NULL;
    const size_t off = w->data.len;
    const int err = ddb__key_build(c->th, s, eng_json_get(c->body, "Key"), true, &w->writes[0].key,
                                   &w->data, &why, NULL);
    if (err < 0) {
        ddb__exprs_free(x);
        ddb__wreq_put(w);
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return err;
    }
    ddb__wreq_mark(w, off, false);
    return 0;
}

void ddb__op_delete_item(ddb_call_t *c)
{
    item_req_t r = {0};
    ddb_exprs_t x;
    const ddb_schema_t *s = NULL;
    ddb_wreq_t *w = NULL;
    if (single_begin(c, RULES(DELETE_RULES, 0), DDB_X_COND, &r, &x, &s, on_delete_done, &w) < 0)
        return;
    if (single_key(c, w, s, &x) < 0)
        return;
    store_write_t *sw = &w->writes[0];
    sw->kind = STORE_W_DELETE;
    sw->want_old = (r.rv & 0xff) == RV_ALL_OLD || r.rcc > 0;
    single_submit(c, w, s, &x, false);
}

static void on_delete_done(ddb_wreq_t *w)
{
    reply_single(w, 0);
}

/* ---- UpdateItem --------------------------------------------------------- */

void ddb__op_update_item(ddb_call_t *c)
{
    item_req_t r = {0};
    ddb_exprs_t x;
    const ddb_schema_t *s = NULL;
    ddb_wreq_t *w = NULL;
    if (single_begin(c, RULES(UPDATE_RULES, DDB_RULES_FIRST_ONLY), DDB_X_COND | DDB_X_UPDATE, &r,
                     &x, &s, on_update_done, &w) < 0)
        return;
    if (single_key(c, w, s, &x) < 0)
        return;
    store_write_t *sw = &w->writes[0];
    if (!x.update) /* No update at all: the item still gets created with its key. */
        store_expr_from_legacy_updates(NULL, &x.update, &c->th->why);
    sw->kind = STORE_W_PUT;
    single_submit(c, w, s, &x, true);
}

static void on_update_done(ddb_wreq_t *w)
{
    const store_update_t *u = w->offs[0].upd;
    size_t new_size = u && store_update_new(u).len ? ddb__item_size(w->th, store_update_new(u)) : 0;
    reply_single(w, new_size);
}

/* ---- GetItem ------------------------------------------------------------ */

static double read_units(size_t bytes, bool is_consistent)
{
    double u = ceil((double)bytes / 4096.0);
    if (u < 1)
        u = 1;
    return is_consistent ? u : u / 2;
}

void ddb__op_get_item(ddb_call_t *c)
{
    ddb_thread_t *th = c->th;
    item_req_t r = {0};
    if (common_checks(c, RULES(GET_RULES, 0), &r) < 0)
        return;
    ddb_exprs_t x;
    const char *why = NULL;
    if (ddb__exprs_parse(th, c->body, DDB_X_PROJ, &x, &why) < 0) {
        ddb__reply_err(th, c->req, DDB_E_VALIDATION, why);
        return;
    }
    store_table_t t;
    const ddb_schema_t *s = NULL;
    store_key_t key;
    eng_slice_t text = {0};
    int err = ddb__table(c, r.table, &t, &s);
    if (err < 0)
        goto out;
    if ((err = ddb__key_build(th, s, eng_json_get(c->body, "Key"), true, &key, NULL, &why, NULL)) <
        0) {
        ddb__reply_err(th, c->req, DDB_E_VALIDATION, why);
        goto out;
    }
    bool has_item = store_item_get(th->reader, t.id, &key, &text) == 0;
    eng_buf_t *out = &th->out;
    eng_buf_reset(out);
    eng_buf_append_char(out, '{');
    if (has_item) {
        eng_buf_append_str(out, "\"Item\":");
        ddb__project(text, x.proj, out);
    }
    if (r.rcc > 0) {
        size_t bytes = has_item ? ddb__item_size(th, text) : 0;
        ddb__append_capacity(
            out, r.rcc, r.table,
            read_units(bytes, cJSON_IsTrue(eng_json_get(c->body, "ConsistentRead"))));
    }
    eng_buf_append_char(out, '}');
    ddb__reply(th, c->req, eng_slice(out->ptr, out->len));
out:
    ddb__exprs_free(&x);
}
