/* SPDX-License-Identifier: MIT
 * ddb_batch.c: BatchWriteItem and BatchGetItem. A batch write is validated
 * whole (limits, tables, keys, duplicates) before anything is queued, then
 * goes to the writer as one non-atomic batch: each put or delete stands on
 * its own, and any the store could not apply come back in UnprocessedItems.
 * A batch get reads every key from one snapshot and moves what does not fit
 * in 16 MB to UnprocessedKeys. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <stdio.h>
#include <string.h>

#define BATCH_WRITE_MAX 25
#define BATCH_GET_MAX 100
#define BATCH_GET_BYTES (16u * 1024 * 1024)

static void on_write_done(ddb_wreq_t *w);

static int reply_bad(ddb_call_t *c, const char *why)
{
    ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
    return ENG_EINVAL;
}

static bool key_eq(const store_write_t *a, const store_write_t *b)
{
    return a->table_id == b->table_id && a->key.len == b->key.len &&
           memcmp(a->key.buf, b->key.buf, a->key.len) == 0;
}

/* Members checked before RequestItems is read, reported together. */
static const ddb_rule_t WRITE_RULES[] = {DDB_RULE_RCC, DDB_RULE_ICM};
static const ddb_rule_t GET_RULES[] = {
    {.kind = DDB_RULE_TABLE_MAP, .member = "RequestItems", .field = "requestItems"},
    DDB_RULE_RCC,
};

/* Count requests per table and overall; replies on a limit breach. */
static int write_limits(ddb_call_t *c, const cJSON *items)
{
    if (!cJSON_IsObject(items))
        return reply_bad(c, "1 validation error detected: Value null at 'requestItems' failed to "
                            "satisfy constraint: Member must not be null");
    if (!items->child)
        return reply_bad(c, "The requestItems parameter is required for BatchWriteItem");
    int total = 0;
    for (const cJSON *t = items->child; t; t = t->next) {
        int n = cJSON_IsArray(t) ? cJSON_GetArraySize(t) : 0;
        if (n < 1 || n > BATCH_WRITE_MAX) {
            ddb__reply_validation(
                c->th, c->req,
                "1 validation error detected: Value at 'RequestItems.%s.member' "
                "failed to satisfy constraint: Member must have length %s",
                t->string, n < 1 ? "greater than or equal to 1" : "less than or equal to 25");
            return ENG_EINVAL;
        }
        total += n;
    }
    if (total > BATCH_WRITE_MAX)
        return reply_bad(c, "Too many items requested for the BatchWriteItem call");
    return 0;
}

/* Add one PutRequest or DeleteRequest of table `t` (its index definitions
 * in `ix_meta`, NULL for none) to `w`. */
static int write_one(ddb_call_t *c, ddb_wreq_t *w, const store_table_t *t, const ddb_schema_t *s,
                     const cJSON *ix_meta, const cJSON *r, const char **why)
{
    const cJSON *put = eng_json_get(r, "PutRequest");
    const cJSON *del = eng_json_get(r, "DeleteRequest");
    if ((put != NULL) == (del != NULL)) {
        *why = "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
               "of the supported datatypes";
        if (!put)
            *why = "1 validation error detected: Value null at 'requestItems' failed to satisfy "
                   "constraint: Member must not be null";
        return ENG_EINVAL;
    }
    store_write_t *sw = ddb__wreq_add(w);
    sw->table_id = t->id;
    sw->want_old = w->rcc > 0; /* Capacity is sized on the old item too. */
    int err = 0;
    size_t off = w->data.len;
    if (put) {
        const cJSON *item = eng_json_get(put, "Item");
        size_t size = 0;
        if ((err = ddb__item_canon(c->th, item, &w->data, &size, why)) < 0)
            return err;
        eng_buf_reset(&c->th->why); /* An index key fault refuses the whole batch. */
        bool is_type;
        if (ddb__index_check_item(ix_meta, item, &c->th->why, &is_type) < 0)
            return *why = c->th->why.ptr, ENG_EINVAL;
        ddb__wreq_mark(w, off, true);
        sw->kind = STORE_W_PUT;
        sw->item_size = (uint32_t)size;
        off = w->data.len;
        store_key_fault_t fault;
        err = ddb__key_build(c->th, s, item, false, &sw->key, &w->data, why, &fault);
        if (err < 0 && fault == STORE_KEY_TYPE) /* A batch words it as a read does. */
            *why = DDB_NO_MATCH;
    } else {
        sw->kind = STORE_W_DELETE;
        err =
            ddb__key_build(c->th, s, eng_json_get(del, "Key"), true, &sw->key, &w->data, why, NULL);
    }
    if (err < 0)
        return err;
    ddb__wreq_mark(w, off, false);
    for (size_t i = 0; i + 1 < w->n_writes; i++) {
        if (key_eq(&w->writes[i], sw)) {
            *why = "Provided list of item keys contains duplicates";
            return ENG_EINVAL;
        }
    }
    return 0;
}

/* Queue every request of one table. */
static int write_table(ddb_call_t *c, ddb_wreq_t *w, const cJSON *tj)
{
    const char *why = NULL;
    if (ddb__check_table_name(c->th, tj->string, "requestItems", &why) < 0)
        return reply_bad(c, why);
    store_table_t t;
    const ddb_schema_t *s = NULL;
    int err = ddb__table(c, tj->string, &t, &s);
    if (err < 0)
        return err;
    bool is_icm = false;
    ddb__icm_wanted(c, s, &is_icm); /* The value itself was checked up front. */
    size_t name_off = w->data.len, name_len = strlen(tj->string);
    eng_buf_append(&w->data, tj->string, name_len);
    cJSON *ix_meta = ddb__index_meta(&t); /* Parsed once for all the table's puts. */
    const cJSON *r;
    cJSON_ArrayForEach(r, tj)
    {
        if ((err = write_one(c, w, &t, s, ix_meta, r, &why)) < 0)
            break;
        ddb_woff_t *o = &w->offs[w->n_writes - 1];
        o->name_off = name_off;
        o->name_len = name_len;
        if (is_icm)
            ddb__icm_mark(w, s);
    }
    eng_json_delete(ix_meta);
    return err < 0 ? reply_bad(c, why) : 0;
}

void ddb__op_batch_write(ddb_call_t *c)
{
    const cJSON *items = eng_json_get(c->body, "RequestItems");
    ddb_members_t got;
    if (ddb__rules_check(c, WRITE_RULES, ENG_ARRAY_LEN(WRITE_RULES), 0, &got) < 0 ||
        write_limits(c, items) < 0)
        return;
    const int rcc = got.rcc;
    bool is_icm = false;
    if (ddb__icm_wanted(c, NULL, &is_icm) < 0)
        return;
    ddb_wreq_t *w = ddb__wreq_get(c, on_write_done);
    w->rcc = rcc;
    for (const cJSON *t = items->child; t; t = t->next) {
        if (write_table(c, w, t) < 0) {
            ddb__wreq_put(w);
            return;
        }
    }
    ddb__wreq_submit(w, false);
}

/* Write i as a WriteRequest for UnprocessedItems, re-created from our texts. */
static void unprocessed_one(ddb_wreq_t *w, size_t i, eng_buf_t *out)
{
    const store_write_t *sw = &w->writes[i];
    ddb__sep(out);
    if (sw->kind == STORE_W_PUT) {
        eng_buf_append_str(out, "{\"PutRequest\":{\"Item\":");
        eng_buf_append(out, sw->item.ptr, sw->item.len);
    } else {
        eng_buf_append_str(out, "{\"DeleteRequest\":{\"Key\":");
        eng_buf_append(out, sw->keys_json.ptr, sw->keys_json.len);
    }
    eng_buf_append_str(out, "}}");
}

/* Is write i the first of its table (of its failed writes, when is_failed)? */
static bool is_first_of_table(const ddb_wreq_t *w, size_t i, bool is_failed)
{
    for (size_t j = 0; j < i; j++)
        if ((!is_failed || w->writes[j].err != 0) && w->offs[j].name_off == w->offs[i].name_off)
            return false;
    return true;
}

/* ConsumedCapacity: one entry per table, in request order, for the writes
 * that applied; each sized like its single-item twin (the larger of the old
 * and new item) and charged to the indexes it changed. */
static void append_capacity(ddb_wreq_t *w, eng_buf_t *out)
{
    eng_buf_append_str(out, ",\"ConsumedCapacity\":[");
    for (size_t i = 0; i < w->n_writes; i++) {
        const ddb_woff_t *o = &w->offs[i];
        if (!is_first_of_table(w, i, false))
            continue;
        char name[DDB_NAME_MAX + 1];
        snprintf(name, sizeof(name), "%.*s", (int)o->name_len, w->data.ptr + o->name_off);
        ddb_wcap_t cap;
        ddb__wcap_open(w->th, name, &cap); /* On failure: table units alone. */
        for (size_t j = i; j < w->n_writes; j++) {
            const store_write_t *sw = &w->writes[j];
            if (sw->err != 0 || w->offs[j].name_off != o->name_off)
                continue;
            eng_slice_t old = sw->had_old ? eng_slice(sw->old.ptr, sw->old.len) : (eng_slice_t){0};
            eng_slice_t nw = sw->kind == STORE_W_PUT ? sw->item : (eng_slice_t){0};
            size_t old_size = old.len ? ddb__item_size(w->th, old) : 0;
            size_t bytes = sw->item_size > old_size && nw.len ? sw->item_size : old_size;
            ddb__wcap_add(&cap, old, nw, ddb__wcap_units(bytes));
        }
        ddb__sep(out);
        ddb__wcap_obj(&cap, w->rcc, eng_slice(w->data.ptr + o->name_off, o->name_len), out);
        ddb__wcap_close(&cap);
    }
    eng_buf_append_char(out, ']');
}

static void on_write_done(ddb_wreq_t *w)
{
    if (w->batch.err < 0) {
        ddb__reply_store_err(w->th, w->req, w->batch.err);
        return;
    }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"UnprocessedItems\":{");
    /* Writes that failed on their own are handed back for a retry, grouped
     * by table; a table deleted meanwhile is the only usual cause. */
    for (size_t i = 0; i < w->n_writes; i++) {
        if (w->writes[i].err == 0 || !is_first_of_table(w, i, true))
            continue;
        const ddb_woff_t *o = &w->offs[i];
        ddb__sep(out);
        eng_json_append_string(out, w->data.ptr + o->name_off, o->name_len);
        eng_buf_append_str(out, ":[");
        for (size_t j = i; j < w->n_writes; j++)
            if (w->writes[j].err != 0 && w->offs[j].name_off == o->name_off)
                unprocessed_one(w, j, out);
        eng_buf_append_char(out, ']');
    }
    eng_buf_append_char(out, '}');
    if (w->rcc > 0)
        append_capacity(w, out);
    ddb__icm_append(w, out);
    eng_buf_append_char(out, '}');
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}

/* ---- BatchGetItem ------------------------------------------------------- */

typedef struct get_table {
    const cJSON *spec; /* {"Keys":[..],"ProjectionExpression":..}; borrowed. */
    store_table_t t;
    const ddb_schema_t *s;
    ddb_exprs_t x;            /* Projection; owned. */
    size_t first_key, n_keys; /* Slice of the shared key array. */
} get_table_t;

static int get_limits(ddb_call_t *c, const cJSON *items)
{
    if (!cJSON_IsObject(items))
        return reply_bad(c, "1 validation error detected: Value null at 'requestItems' failed to "
                            "satisfy constraint: Member must not be null");
    if (!items->child)
        return reply_bad(c, "1 validation error detected: Value at 'RequestItems' failed to "
                            "satisfy constraint: Member must have length greater than or equal "
                            "to 1");
    int total = 0, n_legacy = 0, n_modern = 0;
    for (const cJSON *t = items->child; t; t = t->next) {
        int n = cJSON_GetArraySize(eng_json_get(t, "Keys"));
        if (n < 1 || n > BATCH_GET_MAX) {
            ddb__reply_validation(
                c->th, c->req,
                "1 validation error detected: Value at "
                "'RequestItems.%s.member.Keys' failed to satisfy constraint: Member "
                "must have length %s",
                t->string, n < 1 ? "greater than or equal to 1" : "less than or equal to 100");
            return ENG_EINVAL;
        }
        total += n;
        n_legacy += eng_json_get(t, "AttributesToGet") != NULL;
        n_modern += eng_json_get(t, "ProjectionExpression") != NULL;
    }
    /* The styles may not mix across tables either: the request is one. */
    if (n_legacy && n_modern)
        return reply_bad(c, "Can not use both expression and non-expression parameters in the "
                            "same request: Non-expression parameters: {AttributesToGet} "
                            "Expression parameters: {ProjectionExpression}");
    if (total > BATCH_GET_MAX)
        return reply_bad(c, "Too many items requested for the BatchGetItem call");
    return 0;
}

/* Resolve one table and build its keys into keys[first..]. */
static int get_prepare(ddb_call_t *c, get_table_t *g, store_key_t *keys, size_t first)
{
    const char *why = NULL;
    if (ddb__check_table_name(c->th, g->spec->string, "requestItems", &why) < 0)
        return reply_bad(c, why);
    int err = ddb__table(c, g->spec->string, &g->t, &g->s);
    if (err < 0)
        return err;
    if ((err = ddb__exprs_parse(c->th, g->spec, DDB_X_PROJ, &g->x, &why)) < 0)
        return reply_bad(c, why);
    g->first_key = first;
    const cJSON *k;
    cJSON_ArrayForEach(k, eng_json_get(g->spec, "Keys"))
    {
        store_key_t *key = &keys[first + g->n_keys];
        if ((err = ddb__key_build(c->th, g->s, k, true, key, NULL, &why, NULL)) < 0)
            return reply_bad(c, why);
        for (size_t i = first; i < first + g->n_keys; i++)
            if (keys[i].len == key->len && memcmp(keys[i].buf, key->buf, key->len) == 0)
                return reply_bad(c, "Provided list of item keys contains duplicates");
        g->n_keys++;
    }
    return 0;
}

/* Keys of `g` from index `from` on, as an UnprocessedKeys entry. */
static void get_unprocessed(const get_table_t *g, size_t from, eng_buf_t *out)
{
    ddb__sep(out);
    eng_json_append_string(out, g->spec->string, strlen(g->spec->string));
    eng_buf_append_str(out, ":{\"Keys\":[");
    for (size_t i = from; i < g->n_keys; i++) {
        ddb__sep(out);
        eng_json_print(cJSON_GetArrayItem(eng_json_get(g->spec, "Keys"), (int)i), out);
    }
    eng_buf_append_char(out, ']');
    static const char *const copy[] = {"ProjectionExpression", "ExpressionAttributeNames",
                                       "ConsistentRead"};
    for (size_t i = 0; i < ENG_ARRAY_LEN(copy); i++) {
        const cJSON *v = eng_json_get(g->spec, copy[i]);
        if (v) {
            eng_buf_printf(out, ",\"%s\":", copy[i]);
            eng_json_print(v, out);
        }
    }
    eng_buf_append_char(out, '}');
}

/* Read every key; returns the index of the first key left unread in each table. */
static void get_run(ddb_call_t *c, get_table_t *gs, size_t n, const store_key_t *keys, size_t *stop)
{
    eng_buf_t *out = &c->th->out;
    size_t bytes = 0;
    eng_buf_append_str(out, "{\"Responses\":{");
    for (size_t g = 0; g < n; g++) {
        ddb__sep(out);
        eng_json_append_string(out, gs[g].spec->string, strlen(gs[g].spec->string));
        eng_buf_append_str(out, ":[");
        stop[g] = gs[g].n_keys;
        for (size_t i = 0; i < gs[g].n_keys; i++) {
            eng_slice_t text;
            if (bytes >= BATCH_GET_BYTES) {
                stop[g] = i;
                break;
            }
            if (store_item_get(c->th->reader, gs[g].t.id, &keys[gs[g].first_key + i], &text) < 0)
                continue;
            bytes += text.len;
            ddb__sep(out);
            ddb__project(text, gs[g].x.proj, out);
        }
        eng_buf_append_char(out, ']');
    }
    eng_buf_append_str(out, "},\"UnprocessedKeys\":{");
    for (size_t g = 0; g < n; g++)
        if (stop[g] < gs[g].n_keys)
            get_unprocessed(&gs[g], stop[g], out);
    eng_buf_append_char(out, '}');
}

void ddb__op_batch_get(ddb_call_t *c)
{
    const cJSON *items = eng_json_get(c->body, "RequestItems");
    ddb_members_t got;
    if (ddb__rules_check(c, GET_RULES, ENG_ARRAY_LEN(GET_RULES), 0, &got) < 0 ||
        get_limits(c, items) < 0)
        return;
    const int rcc = got.rcc;
    size_t n = (size_t)cJSON_GetArraySize(items);
    get_table_t *gs = eng_calloc(n, sizeof(*gs));
    store_key_t *keys = eng_malloc(BATCH_GET_MAX * sizeof(*keys));
    size_t *stop = eng_calloc(n, sizeof(*stop));
    size_t first = 0, g = 0;
    for (const cJSON *t = items->child; t; t = t->next, g++) {
        gs[g].spec = t;
        if (get_prepare(c, &gs[g], keys, first) < 0)
            goto out;
        first += gs[g].n_keys;
    }
    eng_buf_reset(&c->th->out);
    get_run(c, gs, n, keys, stop);
    if (rcc > 0) {
        eng_buf_append_str(&c->th->out, ",\"ConsumedCapacity\":[");
        for (g = 0; g < n; g++) {
            ddb__sep(&c->th->out);
            ddb__capacity_obj(&c->th->out, rcc, gs[g].spec->string, (double)stop[g] * 0.5);
        }
        eng_buf_append_char(&c->th->out, ']');
    }
    eng_buf_append_char(&c->th->out, '}');
    ddb__reply(c->th, c->req, eng_slice(c->th->out.ptr, c->th->out.len));
out:
    for (g = 0; g < n; g++)
        ddb__exprs_free(&gs[g].x);
    eng_free(gs);
    eng_free(keys);
    eng_free(stop);
}
