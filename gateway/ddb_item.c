/* SPDX-License-Identifier: MIT
 * ddb_item.c: PutItem, GetItem and DeleteItem. Reads run inline on the loop
 * thread against the thread's reader and splice the stored item text into
 * the reply. Writes are validated and canonicalized here, then handed to the
 * writer; the client hears back only after the commit. Condition and update
 * expressions are not handled here yet. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { RV_NONE = 0, RV_ALL_OLD = 1 };

static void on_put_done(ddb_wreq_t *w);
static void on_delete_done(ddb_wreq_t *w);

/* ---- shared request checks -------------------------------------------- */

typedef struct item_req {
    const char *table;   /* Borrowed from the body. */
    int rcc;
    int rv;
} item_req_t;

/* ReturnValues: only NONE and ALL_OLD are valid for Put and Delete. */
static int return_values(ddb_call_t *c, int *rv)
{
    static const char *const all[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"};
    const char *v = eng_json_get_str(c->body, "ReturnValues");
    *rv = RV_NONE;
    if (!v || strcmp(v, "NONE") == 0)
        return 0;
    if (strcmp(v, "ALL_OLD") == 0) {
        *rv = RV_ALL_OLD;
        return 0;
    }
    for (size_t i = 0; i < ENG_ARRAY_LEN(all); i++) {
        if (strcmp(v, all[i]) == 0) {
            ddb__reply_validation(c->th, c->req, "ReturnValues can only be ALL_OLD or NONE");
            return ENG_EINVAL;
        }
    }
    ddb__reply_validation(c->th, c->req,
                          "1 validation error detected: Value '%s' at 'returnValues' failed to "
                          "satisfy constraint: Member must satisfy enum value set: [ALL_NEW, "
                          "UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", v);
    return ENG_EINVAL;
}

/* TableName, `member` present, ReturnConsumedCapacity. Replies on failure. */
static int common_checks(ddb_call_t *c, const char *member, const char *field, item_req_t *r)
{
    const char *why = NULL;
    r->table = ddb__name_of(c->body);
    if (ddb__check_table_name(c->th, r->table, "tableName", &why) < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return ENG_EINVAL;
    }
    if (!cJSON_IsObject(eng_json_get(c->body, member))) {
        ddb__reply_validation(c->th, c->req, "1 validation error detected: Value null at '%s' "
                              "failed to satisfy constraint: Member must not be null", field);
        return ENG_EINVAL;
    }
    r->rcc = ddb__rcc(c->body);
    if (r->rcc < 0) {
        ddb__reply_validation(c->th, c->req,
                              "1 validation error detected: Value '%s' at 'returnConsumedCapacity' "
                              "failed to satisfy constraint: Member must satisfy enum value set: "
                              "[INDEXES, TOTAL, NONE]",
                              eng_json_get_str(c->body, "ReturnConsumedCapacity"));
        return ENG_EINVAL;
    }
    return 0;
}

static double write_units(size_t bytes)
{
    double u = ceil((double)bytes / 1024.0);
    return u < 1 ? 1 : u;
}

/* ---- PutItem ------------------------------------------------------------ */

void ddb__op_put_item(ddb_call_t *c)
{
    item_req_t r = {0};
    if (common_checks(c, "Item", "item", &r) < 0 || return_values(c, &r.rv) < 0)
        return;
    store_table_t t;
    const ddb_schema_t *s = NULL;
    int err = ddb__table(c, r.table, &t, &s);
    if (err < 0)
        {
            ddb__reply_store_err(c->th, c->req, err);
            return;
        }

    ddb_wreq_t *w = ddb__wreq_get(c, on_put_done);
    const cJSON *item = eng_json_get(c->body, "Item");
    const char *why = NULL;
    store_write_t *sw = ddb__wreq_add(w);
    size_t off = w->data.len;
    err = ddb__item_canon(c->th, item, &w->data, &w->new_size, &why);
    if (err == 0) {
        ddb__wreq_mark(w, off, true);
        off = w->data.len;
        err = ddb__key_build(c->th, s, item, false, &sw->key, &w->data, &why);
    }
    if (err < 0) {
        ddb__wreq_put(w);
        {
            ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
            return;
        }
    }
    ddb__wreq_mark(w, off, false);
    sw->kind = STORE_W_PUT;
    sw->table_id = t.id;
    sw->item_size = (uint32_t)w->new_size;
    sw->want_old = r.rv == RV_ALL_OLD || r.rcc > 0;
    w->mode = r.rv;
    w->rcc = r.rcc;
    snprintf(w->table, sizeof(w->table), "%s", r.table);
    ddb__wreq_submit(w, false);
}

/* Reply for a single-item write: Attributes (ALL_OLD) and ConsumedCapacity. */
static void reply_single(ddb_wreq_t *w, size_t new_size)
{
    store_write_t *sw = &w->writes[0];
    int err = w->batch.err ? w->batch.err : sw->err;
    if (err < 0)
        {
            ddb__reply_store_err(w->th, w->req, err);
            return;
        }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    eng_buf_append_char(out, '{');
    if (w->mode == RV_ALL_OLD && sw->had_old) {
        eng_buf_append_str(out, "\"Attributes\":");
        eng_buf_append(out, sw->old.ptr, sw->old.len);
    }
    if (w->rcc > 0) {
        size_t old_size = sw->had_old ? ddb__item_size(w->th, eng_slice(sw->old.ptr, sw->old.len)) : 0;
        size_t bytes = old_size > new_size ? old_size : new_size;
        ddb__append_capacity(out, w->rcc, w->table, write_units(bytes));
    }
    eng_buf_append_char(out, '}');
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}

static void on_put_done(ddb_wreq_t *w)
{
    reply_single(w, w->new_size);
}

/* ---- DeleteItem --------------------------------------------------------- */

void ddb__op_delete_item(ddb_call_t *c)
{
    item_req_t r = {0};
    if (common_checks(c, "Key", "key", &r) < 0 || return_values(c, &r.rv) < 0)
        return;
    store_table_t t;
    const ddb_schema_t *s = NULL;
    int err = ddb__table(c, r.table, &t, &s);
    if (err < 0)
        {
            ddb__reply_store_err(c->th, c->req, err);
            return;
        }
    ddb_wreq_t *w = ddb__wreq_get(c, on_delete_done);
    store_write_t *sw = ddb__wreq_add(w);
    const char *why = NULL;
    size_t off = w->data.len;
    err = ddb__key_build(c->th, s, eng_json_get(c->body, "Key"), true, &sw->key, &w->data, &why);
    if (err < 0) {
        ddb__wreq_put(w);
        {
            ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
            return;
        }
    }
    ddb__wreq_mark(w, off, false);
    sw->kind = STORE_W_DELETE;
    sw->table_id = t.id;
    sw->want_old = r.rv == RV_ALL_OLD || r.rcc > 0;
    w->mode = r.rv;
    w->rcc = r.rcc;
    snprintf(w->table, sizeof(w->table), "%s", r.table);
    ddb__wreq_submit(w, false);
}

static void on_delete_done(ddb_wreq_t *w)
{
    reply_single(w, 0);
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
    if (common_checks(c, "Key", "key", &r) < 0)
        return;
    cJSON *names = NULL;
    const char *why = NULL;
    if (ddb__projection(th, c->body, &names, &why) < 0)
        {
            ddb__reply_err(th, c->req, DDB_E_VALIDATION, why);
            return;
        }
    store_table_t t;
    const ddb_schema_t *s = NULL;
    store_key_t key;
    eng_slice_t text = {0};
    int err = ddb__table(c, r.table, &t, &s);
    if (err < 0) {
        ddb__reply_store_err(th, c->req, err);
        goto out;
    }
    if ((err = ddb__key_build(th, s, eng_json_get(c->body, "Key"), true, &key, NULL, &why)) < 0) {
        ddb__reply_err(th, c->req, DDB_E_VALIDATION, why);
        goto out;
    }
    bool has_item = store_item_get(th->reader, t.id, &key, &text) == 0;
    eng_buf_t *out = &th->out;
    eng_buf_reset(out);
    eng_buf_append_char(out, '{');
    if (has_item) {
        eng_buf_append_str(out, "\"Item\":");
        ddb__project(text, names, out);
    }
    if (r.rcc > 0) {
        size_t bytes = has_item ? ddb__item_size(th, text) : 0;
        ddb__append_capacity(out, r.rcc, r.table,
                             read_units(bytes, cJSON_IsTrue(eng_json_get(c->body, "ConsistentRead"))));
    }
    eng_buf_append_char(out, '}');
    ddb__reply(th, c->req, eng_slice(out->ptr, out->len));
out:
    eng_json_delete(names);
}
