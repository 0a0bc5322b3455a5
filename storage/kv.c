/* SPDX-License-Identifier: MIT
 * kv.c: engine records and change-log trimming. Engine records (event source
 * mappings, their checkpoints) live in the "sys" database and are written by
 * the same writer as items, so a trigger's checkpoint and the writes its
 * function staged commit in one transaction. Trimming deletes a bounded run
 * of the oldest log records per write, so retention never stalls writers. */
#include "storage/store_int.h"

#include "engine/err.h"

#include <assert.h>

#define LOG_KEY_BYTES (STORE__TID_BYTES + 8)

int store__kv_apply(store__wctx_t *w, store_write_t *wr)
{
    MDB_val k = {.mv_size = wr->table.len, .mv_data = (void *)wr->table.ptr}, v;
    if (k.mv_size == 0 || k.mv_size > STORE_KEY_MAX)
        return ENG_EINVAL;
    store_t *s = w->store;
    int rc = mdb_get(w->txn, s->dbi_sys, &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return store__werr(w, rc, "mdb_get(sys)");
    wr->had_old = rc == 0;
    if (wr->had_old && wr->want_old) {
        eng_buf_reset(&wr->old);
        eng_buf_append(&wr->old, v.mv_data, v.mv_size);
    }
    if (wr->check) {
        int err = wr->check(wr, wr->had_old ? eng_slice(v.mv_data, v.mv_size) : (eng_slice_t){0},
                            wr->check_arg);
        if (err < 0)
            return err;
    }
    if (wr->kind == STORE_W_KV_DELETE) {
        if (!wr->had_old)
            return ENG_ENOTFOUND;
        return store__werr(w, mdb_del(w->txn, s->dbi_sys, &k, NULL), "mdb_del(sys)");
    }
    v = (MDB_val){.mv_size = wr->item.len, .mv_data = (void *)wr->item.ptr};
    return store__werr(w, mdb_put(w->txn, s->dbi_sys, &k, &v, 0), "mdb_put(sys)");
}

int store__trim_apply(store__wctx_t *w, store_write_t *wr)
{
    store_t *s = w->store;
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(w->txn, s->dbi_log, &cur);
    if (rc != 0)
        return store__werr(w, rc, "mdb_cursor_open(trim)");
    uint8_t kb[LOG_KEY_BYTES];
    store__be32(kb, wr->table_id);
    store__be64(kb + STORE__TID_BYTES, 0);
    MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
    wr->seq = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (unsigned n = 0; rc == 0 && n < STORE_TRIM_MAX; n++) {
        if (k.mv_size != LOG_KEY_BYTES || store__get_be32(k.mv_data) != wr->table_id)
            break;
        uint64_t seq = store__get_be64((const uint8_t *)k.mv_data + STORE__TID_BYTES);
        if (seq > wr->trim_upto)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0)
            break;
        wr->seq = seq;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : store__werr(w, rc, "trim log");
}

int store_kv_get(store_reader_t *r, eng_slice_t key, eng_slice_t *val)
{
    assert(r->is_active);
    if (key.len == 0 || key.len > STORE_KEY_MAX)
        return ENG_ENOTFOUND;
    MDB_val k = {.mv_size = key.len, .mv_data = (void *)key.ptr}, v;
    int rc = mdb_get(r->txn, r->store->dbi_sys, &k, &v);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_get(sys)");
    *val = eng_slice(v.mv_data, v.mv_size);
    return 0;
}

static bool has_prefix(const MDB_val *k, eng_slice_t prefix)
{
    return k->mv_size >= prefix.len && memcmp(k->mv_data, prefix.ptr, prefix.len) == 0;
}

int store_kv_next(store_reader_t *r, eng_slice_t prefix, eng_slice_t after, eng_slice_t *key,
                  eng_slice_t *val)
{
    assert(r->is_active);
    int err = store__cursor_bind(r, r->store->dbi_sys, &r->kv_cur, &r->kv_gen);
    if (err < 0)
        return err;
    eng_slice_t from = after.len ? after : prefix;
    MDB_val k = {.mv_size = from.len, .mv_data = (void *)from.ptr}, v;
    int rc = mdb_cursor_get(r->kv_cur, &k, &v, from.len ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0 && after.len && eng_slice_eq(eng_slice(k.mv_data, k.mv_size), after))
        rc = mdb_cursor_get(r->kv_cur, &k, &v, MDB_NEXT);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_cursor_get(sys)");
    if (!has_prefix(&k, prefix))
        return ENG_ENOTFOUND;
    *key = eng_slice(k.mv_data, k.mv_size);
    *val = eng_slice(v.mv_data, v.mv_size);
    return 0;
}
