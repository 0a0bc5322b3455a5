/* SPDX-License-Identifier: MIT
 * table.c: the catalog (name -> [u32 id][meta JSON]) and the per-table
 * counters (item_count, size_bytes, last_seq; plus the next table id). Table
 * ids are never reused, so a dropped table's leftovers can never surface in
 * a new table of the same name. Dropping deletes items, log and counters in
 * one txn (bounded work per txn is not attempted yet). */
#include "storage/store_int.h"

#include "engine/err.h"

#include <assert.h>

static const char NEXT_ID_KEY[] = "next_table_id";

static void ctr_encode(const store__ctr_t *c, uint8_t *p)
{
    store__be64(p, c->item_count);
    store__be64(p + 8, c->size_bytes);
    store__be64(p + 16, c->last_seq);
    p[STORE__CTR_BYTES] = c->has_index; /* Written only when set: see store__ctr_put. */
}

int store__ctr_get(store_t *s, MDB_txn *txn, uint32_t tid, store__ctr_t *out)
{
    uint8_t kb[STORE__TID_BYTES];
    store__be32(kb, tid);
    MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
    int rc = mdb_get(txn, s->dbi_counters, &k, &v);
    if (rc != 0)
        return store__err(s, rc, "mdb_get(counters)");
    if (v.mv_size != STORE__CTR_BYTES && v.mv_size != STORE__CTR_BYTES + 1)
        return ENG_ECORRUPT;
    const uint8_t *p = v.mv_data;
    *out = (store__ctr_t){.item_count = store__get_be64(p),
                          .size_bytes = store__get_be64(p + 8),
                          .last_seq = store__get_be64(p + 16),
                          .has_index = v.mv_size > STORE__CTR_BYTES && p[STORE__CTR_BYTES]};
    return 0;
}

int store__ctr_put(store__wctx_t *w, uint32_t tid, const store__ctr_t *c)
{
    uint8_t kb[STORE__TID_BYTES], vb[STORE__CTR_BYTES + 1];
    store__be32(kb, tid);
    ctr_encode(c, vb);
    MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb},
            v = {.mv_size = STORE__CTR_BYTES + c->has_index, .mv_data = vb};
    return store__werr(w, mdb_put(w->txn, w->store->dbi_counters, &k, &v, 0), "mdb_put(counters)");
}

int store__drop_prefix(store__wctx_t *w, MDB_dbi dbi, uint32_t tid)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(w->txn, dbi, &cur);
    uint8_t kb[STORE__TID_BYTES];
    store__be32(kb, tid);
    while (rc == 0) {
        MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc != 0 || k.mv_size < sizeof(kb) || memcmp(k.mv_data, kb, sizeof(kb)) != 0)
            break;
        rc = mdb_cursor_del(cur, 0);
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store__werr(w, rc, "drop table");
}

int store__next_id(store__wctx_t *w, uint32_t *id)
{
    MDB_val k = {.mv_size = sizeof(NEXT_ID_KEY) - 1, .mv_data = (void *)NEXT_ID_KEY}, v;
    int rc = mdb_get(w->txn, w->store->dbi_counters, &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return store__werr(w, rc, "mdb_get(next id)");
    *id = rc == 0 && v.mv_size == 4 ? store__get_be32(v.mv_data) : 1;
    uint8_t vb[4];
    store__be32(vb, *id + 1);
    v = (MDB_val){.mv_size = 4, .mv_data = vb};
    return store__werr(w, mdb_put(w->txn, w->store->dbi_counters, &k, &v, 0), "mdb_put(next id)");
}

static int put_catalog(store__wctx_t *w, MDB_val *k, uint32_t id, eng_slice_t meta)
{
    MDB_val v = {.mv_size = STORE__TID_BYTES + meta.len};
    int rc = mdb_put(w->txn, w->store->dbi_catalog, k, &v, MDB_RESERVE);
    if (rc != 0)
        return store__werr(w, rc, "mdb_put(catalog)");
    store__be32(v.mv_data, id);
    memcpy((uint8_t *)v.mv_data + STORE__TID_BYTES, meta.ptr, meta.len);
    return 0;
}

static int table_create(store__wctx_t *w, store_write_t *wr, MDB_val *k)
{
    uint32_t id = 0;
    int err = store__next_id(w, &id);
    if (err == 0)
        err = put_catalog(w, k, id, wr->item);
    if (err == 0)
        err = store__ctr_put(w, id, &(store__ctr_t){0});
    if (err == 0)
        err = store__index_sync(w, id, wr->item);
    if (err == 0)
        wr->table_id = id; /* The caller learns the new id here. */
    return err;
}

static int table_drop(store__wctx_t *w, uint32_t id, MDB_val *k)
{
    store_t *s = w->store;
    uint8_t kb[STORE__TID_BYTES];
    store__be32(kb, id);
    MDB_val ck = {.mv_size = sizeof(kb), .mv_data = kb};
    int err = store__werr(w, mdb_del(w->txn, s->dbi_catalog, k, NULL), "mdb_del(catalog)");
    if (err == 0)
        err = store__werr(w, mdb_del(w->txn, s->dbi_counters, &ck, NULL), "mdb_del(counters)");
    if (err == 0)
        err = store__index_drop_table(w, id);
    if (err == 0)
        err = store__drop_prefix(w, s->dbi_items, id);
    if (err == 0)
        err = store__drop_prefix(w, s->dbi_log, id);
    return err;
}

/* Tell the caller where the change log stands (a stream enabled now starts
 * after it) and let its check hook rewrite the meta from the old one. */
static int table_update(store__wctx_t *w, store_write_t *wr, MDB_val *k, const MDB_val *v,
                        uint32_t id)
{
    store__ctr_t c;
    int err = store__ctr_get(w->store, w->txn, id, &c);
    if (err < 0)
        return err == ENG_ENOTFOUND ? ENG_ECORRUPT : err;
    wr->seq = c.last_seq;
    if (wr->check) {
        eng_slice_t old =
            eng_slice((const char *)v->mv_data + STORE__TID_BYTES, v->mv_size - STORE__TID_BYTES);
        err = wr->check(wr, old, wr->check_arg);
        if (err < 0)
            return err;
    }
    err = put_catalog(w, k, id, wr->item);
    return err == 0 ? store__index_sync(w, id, wr->item) : err;
}

int store__table_apply(store__wctx_t *w, store_write_t *wr)
{
    MDB_val k = {.mv_size = wr->table.len, .mv_data = (void *)wr->table.ptr}, v;
    if (k.mv_size == 0 || k.mv_size > STORE_KEY_MAX)
        return ENG_EINVAL;
    int rc = mdb_get(w->txn, w->store->dbi_catalog, &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return store__werr(w, rc, "mdb_get(catalog)");
    wr->had_old = rc == 0;
    if (wr->kind == STORE_W_TABLE_CREATE)
        return wr->had_old ? ENG_EEXIST : table_create(w, wr, &k);
    if (!wr->had_old)
        return ENG_ENOTFOUND;
    if (v.mv_size < STORE__TID_BYTES)
        return ENG_ECORRUPT;
    uint32_t id = store__get_be32(v.mv_data);
    wr->table_id = id;
    if (wr->want_old) {
        eng_buf_reset(&wr->old);
        eng_buf_append(&wr->old, (const char *)v.mv_data + STORE__TID_BYTES,
                       v.mv_size - STORE__TID_BYTES);
    }
    if (wr->kind == STORE_W_TABLE_UPDATE)
        return table_update(w, wr, &k, &v, id);
    /* The hook sees the meta as committed, so a setting that forbids the
     * drop (deletion protection) cannot be raced past. */
    if (wr->check) {
        eng_slice_t old =
            eng_slice((const char *)v.mv_data + STORE__TID_BYTES, v.mv_size - STORE__TID_BYTES);
        int err = wr->check(wr, old, wr->check_arg);
        if (err < 0)
            return err;
    }
    return table_drop(w, id, &k);
}

/* Fill a store_table_t from a catalog entry and its counters. */
static int table_fill(store_reader_t *r, const MDB_val *k, const MDB_val *v, store_table_t *out)
{
    if (v->mv_size < STORE__TID_BYTES)
        return ENG_ECORRUPT;
    store__ctr_t c;
    uint32_t id = store__get_be32(v->mv_data);
    int err = store__ctr_get(r->store, r->txn, id, &c);
    if (err < 0)
        return err == ENG_ENOTFOUND ? ENG_ECORRUPT : err;
    *out = (store_table_t){
        .id = id,
        .name = eng_slice(k->mv_data, k->mv_size),
        .meta =
            eng_slice((const char *)v->mv_data + STORE__TID_BYTES, v->mv_size - STORE__TID_BYTES),
        .item_count = c.item_count,
        .size_bytes = c.size_bytes,
        .last_seq = c.last_seq,
    };
    return 0;
}

int store_table_get(store_reader_t *r, eng_slice_t name, store_table_t *out)
{
    assert(r->is_active);
    if (name.len == 0 || name.len > STORE_KEY_MAX)
        return ENG_ENOTFOUND;
    MDB_val k = {.mv_size = name.len, .mv_data = (void *)name.ptr}, v;
    int rc = mdb_get(r->txn, r->store->dbi_catalog, &k, &v);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_get(catalog)");
    return table_fill(r, &k, &v, out);
}

int store_table_next(store_reader_t *r, eng_slice_t after, store_table_t *out)
{
    assert(r->is_active);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(r->txn, r->store->dbi_catalog, &cur);
    MDB_val k = {.mv_size = after.len, .mv_data = (void *)after.ptr}, v;
    if (rc == 0)
        rc = mdb_cursor_get(cur, &k, &v, after.len ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0 && after.len && eng_slice_eq(eng_slice(k.mv_data, k.mv_size), after))
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    if (cur)
        mdb_cursor_close(cur);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_cursor_get(catalog)");
    return table_fill(r, &k, &v, out);
}
