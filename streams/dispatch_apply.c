/* SPDX-License-Identifier: MIT
 * dispatch_apply.c: one mapping commit, built on the dispatcher thread and
 * applied by the writer as ONE atomic batch: a native handler's staged
 * writes (PUT, DELETE, UPDATE through storage's schema and update API), the
 * mapping's checkpoint (per-lane positions) and, when a batch is discarded,
 * its on-failure record. So a crash leaves either all of it or none. */
#include "streams/dispatch_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <inttypes.h>
#include <stdio.h>

#define ITEM_MAX_BYTES 409600 /* DynamoDB's 400 KB. */

static void on_commit_done(store_batch_t *batch);

static store_write_t *add_write(esm_commit_t *c)
{
    if (c->n_w == c->cap_w) {
        c->cap_w = c->cap_w ? c->cap_w * 2 : 8;
        c->w = eng_realloc(c->w, c->cap_w * sizeof(*c->w));
    }
    store_write_t *w = &c->w[c->n_w++];
    *w = (store_write_t){0};
    return w;
}

/* A buffer owned by the commit. Buffers are allocated one by one so the
 * slices writes take stay valid while more are added. */
static eng_buf_t *add_buf(esm_commit_t *c)
{
    if (c->n_bufs == c->cap_bufs) {
        c->cap_bufs = c->cap_bufs ? c->cap_bufs * 2 : 8;
        c->bufs = eng_realloc(c->bufs, c->cap_bufs * sizeof(*c->bufs));
    }
    eng_buf_t *b = eng_calloc(1, sizeof(*b));
    c->bufs[c->n_bufs++] = b;
    return b;
}

static cJSON *keep_json(esm_commit_t *c, cJSON *j)
{
    if (c->n_jsons == c->cap_jsons) {
        c->cap_jsons = c->cap_jsons ? c->cap_jsons * 2 : 8;
        c->jsons = eng_realloc(c->jsons, c->cap_jsons * sizeof(*c->jsons));
    }
    c->jsons[c->n_jsons++] = j;
    return j;
}

static void add_kv(esm_commit_t *c, eng_buf_t *key, eng_buf_t *val)
{
    store_write_t *w = add_write(c);
    w->kind = STORE_W_KV_PUT;
    w->table = eng_slice(key->ptr, key->len);
    w->item = eng_slice(val->ptr, val->len);
}

/* Parse a staged write's JSON text into a root the commit keeps. */
static int parse_owned(esm_commit_t *c, const char *text, cJSON **out, eng_buf_t *why)
{
    *out = NULL;
    if (!text)
        return 0;
    if (eng_json_parse(text, strlen(text), out) < 0) {
        eng_buf_printf(why, "staged write JSON does not parse");
        return ENG_EINVAL;
    }
    keep_json(c, *out);
    return 0;
}

/* The target table's id and schema, from the commit-time read snapshot. */
static int find_table(strm_dispatch_t *d, const char *name, uint32_t *id, store_schema_t *s,
                      eng_buf_t *why)
{
    store_table_t t;
    if (store_table_get(d->reader, eng_slice_cstr(name), &t) < 0) {
        eng_buf_printf(why, "Requested resource not found: Table: %s not found", name);
        return ENG_EINVAL;
    }
    *id = t.id;
    return store_schema_parse(t.meta, s) < 0 ? ENG_EINVAL : 0;
}

static int stage_put(esm_commit_t *c, store_write_t *w, const store_schema_t *s, const cJSON *item,
                     eng_buf_t *why)
{
    eng_buf_t *canon = add_buf(c), *keys = add_buf(c);
    size_t size = 0;
    const char *msg = NULL;
    if (store_item_canon(item, canon, &size, &msg, why) < 0) {
        if (msg && msg != why->ptr)
            eng_buf_append_str(why, msg);
        return ENG_EINVAL;
    }
    if (size > ITEM_MAX_BYTES) {
        eng_buf_printf(why, "Item size has exceeded the maximum allowed size");
        return ENG_EINVAL;
    }
    if (store_schema_key(s, item, false, &w->key, keys, why, NULL) < 0)
        return ENG_EINVAL;
    w->kind = STORE_W_PUT;
    w->item = eng_slice(canon->ptr, canon->len);
    w->item_size = (uint32_t)size;
    w->keys_json = eng_slice(keys->ptr, keys->len);
    return 0;
}

static int stage_keyed(esm_commit_t *c, store_write_t *w, const store_schema_t *s,
                       const eng_fn_write_t *fw, const cJSON *key, eng_buf_t *why)
{
    eng_buf_t *keys = add_buf(c);
    if (store_schema_key(s, key, true, &w->key, keys, why, NULL) < 0)
        return ENG_EINVAL;
    w->keys_json = eng_slice(keys->ptr, keys->len);
    w->kind = STORE_W_DELETE;
    if (fw->kind == ENG_FN_WRITE_DELETE)
        return 0;
    cJSON *names = NULL, *values = NULL;
    if (parse_owned(c, fw->names_json, &names, why) < 0 ||
        parse_owned(c, fw->values_json, &values, why) < 0)
        return ENG_EINVAL;
    store_update_t *u = NULL;
    if (store_update_parse(s, fw->update_expression, NULL, names, values, 0, &u, why) < 0)
        return ENG_EINVAL;
    c->ups = eng_realloc(c->ups, (c->n_ups + 1) * sizeof(*c->ups));
    c->ups[c->n_ups++] = u;
    store_update_attach(u, w);
    return 0;
}

static int stage_one(strm_dispatch_t *d, esm_commit_t *c, const eng_fn_write_t *fw, eng_buf_t *why)
{
    store_schema_t s;
    uint32_t id = 0;
    if (find_table(d, fw->table, &id, &s, why) < 0)
        return ENG_EINVAL;
    cJSON *obj = NULL;
    const char *text = fw->kind == ENG_FN_WRITE_PUT ? fw->item_json : fw->key_json;
    if (!text || parse_owned(c, text, &obj, why) < 0)
        return ENG_EINVAL;
    store_write_t *w = add_write(c);
    w->table_id = id;
    if (fw->kind == ENG_FN_WRITE_PUT)
        return stage_put(c, w, &s, obj, why);
    return stage_keyed(c, w, &s, fw, obj, why);
}

/* Position of lane `i` after the commit: before its first unfinished record. */
static uint64_t lane_position(const esm_mapping_t *m, unsigned i, const esm_lane_t *l,
                              size_t n_done)
{
    const esm_lane_t *x = &m->lanes[i];
    const size_t skip = x == l ? n_done : 0;
    uint64_t pos = x->len > skip ? x->q[x->head + skip].seq - 1 : m->read_seq;
    return pos > x->done ? pos : x->done;
}

void strm__ckpt_json(const esm_mapping_t *m, const esm_lane_t *l, size_t n_done, eng_buf_t *out)
{
    eng_buf_append_str(out, "{\"Lanes\":[");
    for (unsigned i = 0; i < m->n_lanes; i++)
        eng_buf_printf(out, "%s%" PRIu64, i ? "," : "", lane_position(m, i, l, n_done));
    eng_buf_append_str(out, "]}");
}

static void add_ckpt(esm_commit_t *c, esm_mapping_t *m, esm_lane_t *l, size_t n_done)
{
    eng_buf_t *key = add_buf(c), *val = add_buf(c);
    eng_buf_printf(key, ESM_CKPT_PREFIX "%s", m->cfg.uuid);
    strm__ckpt_json(m, l, n_done, val);
    c->low = UINT64_MAX;
    for (unsigned i = 0; i < m->n_lanes; i++) {
        const uint64_t p = lane_position(m, i, l, n_done);
        c->low = p < c->low ? p : c->low;
        if (&m->lanes[i] == l)
            c->lane_done = p;
    }
    add_kv(c, key, val);
}

int strm__commit_build(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l, size_t n_done,
                       bool with_writes, const eng_buf_t *failure, esm_commit_t **out,
                       eng_buf_t *why)
{
    esm_commit_t *c = eng_calloc(1, sizeof(*c));
    *c = (esm_commit_t){.m = m, .lane = l, .n_done = n_done, .is_discard = failure != NULL};
    int err = 0;
    for (size_t i = 0; with_writes && l && i < l->res.n_writes && err == 0; i++)
        err = stage_one(d, c, &l->res.writes[i], why);
    if (err < 0) {
        strm__commit_free(c);
        return err;
    }
    add_ckpt(c, m, l, n_done);
    if (failure) {
        eng_buf_t *key = add_buf(c), *val = add_buf(c);
        eng_buf_printf(key, ESM_FAIL_PREFIX "%s/%020" PRIu64, m->cfg.uuid, l->q[l->head].seq);
        eng_buf_append(val, failure->ptr, failure->len);
        add_kv(c, key, val);
    }
    *out = c;
    return 0;
}

void strm__commit_submit(strm_dispatch_t *d, esm_commit_t *c)
{
    c->batch = (store_batch_t){
        .writes = c->w, .n_writes = c->n_w, .is_atomic = true, .done = on_commit_done, .arg = d};
    store_submit(d->store, &c->batch);
}

static void on_commit_done(store_batch_t *batch) /* Writer thread. */
{
    esm_commit_t *c = container_of(batch, esm_commit_t, batch);
    strm_dispatch_t *d = batch->arg;
    if (batch->err == 0) {
        for (size_t i = 0; i < c->n_w; i++)
            batch->err = batch->err ? batch->err : c->w[i].err;
    }
    pthread_mutex_lock(&d->inbox_mu);
    c->next = d->finished;
    d->finished = c;
    d->is_woken = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->inbox_mu);
}

void strm__commit_free(esm_commit_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_w; i++)
        eng_buf_free(&c->w[i].old);
    for (size_t i = 0; i < c->n_ups; i++)
        store_update_destroy(c->ups[i]);
    for (size_t i = 0; i < c->n_bufs; i++) {
        eng_buf_free(c->bufs[i]);
        eng_free(c->bufs[i]);
    }
    for (size_t i = 0; i < c->n_jsons; i++)
        eng_json_delete(c->jsons[i]);
    eng_free(c->w);
    eng_free(c->ups);
    eng_free(c->bufs);
    eng_free(c->jsons);
    eng_free(c);
}
