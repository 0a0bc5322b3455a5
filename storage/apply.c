/* SPDX-License-Identifier: MIT
 * apply.c: one item write (PUT or DELETE) inside the writer's txn: the item,
 * its change-log record and the table's counters change together or not at
 * all. A write checks everything before it changes anything, so a failed
 * write leaves no trace; a PUT of identical text or a DELETE of an absent
 * item changes nothing and appends nothing. Also the stored value layout. */
#include "storage/store_int.h"

#include "engine/err.h"
#include "engine/log.h"

MDB_val store__item_key(uint32_t tid, const store_key_t *key, uint8_t *buf)
{
    store__be32(buf, tid);
    memcpy(buf + STORE__TID_BYTES, key->buf, key->len);
    return (MDB_val){.mv_size = STORE__TID_BYTES + key->len, .mv_data = buf};
}

int store__item_parse(const MDB_val *v, store__item_view_t *out)
{
    const uint8_t *p = v->mv_data;
    size_t at = STORE__ITEM_HDR;
    if (v->mv_size < STORE__ITEM_HDR)
        return ENG_ECORRUPT;
    out->size = store__get_be32(p + 1);
    out->full = (eng_slice_t){0};
    if (p[0] & STORE__ITEM_HASHED) {
        if (v->mv_size < at + 2)
            return ENG_ECORRUPT;
        size_t n = (size_t)p[at] << 8 | p[at + 1];
        at += 2;
        if (v->mv_size < at + n)
            return ENG_ECORRUPT;
        out->full = eng_slice((const char *)p + at, n);
        at += n;
    }
    out->text = eng_slice((const char *)p + at, v->mv_size - at);
    return 0;
}

bool store__item_is_key(const store__item_view_t *iv, const store_key_t *key)
{
    return iv->full.len == key->full_len &&
           (key->full_len == 0 || memcmp(iv->full.ptr, key->full, key->full_len) == 0);
}

/* Write the new value in place with MDB_RESERVE: no per-write buffer. */
static int put_value(store__wctx_t *w, MDB_val *k, const store_write_t *wr)
{
    size_t full = wr->key.full_len, hdr = STORE__ITEM_HDR + (full ? 2 + full : 0);
    MDB_val v = {.mv_size = hdr + wr->item.len};
    int rc = mdb_put(w->txn, w->store->dbi_items, k, &v, MDB_RESERVE);
    if (rc != 0)
        return store__werr(w, rc, "mdb_put(item)");
    uint8_t *p = v.mv_data;
    p[0] = full ? STORE__ITEM_HASHED : 0;
    store__be32(p + 1, wr->item_size);
    if (full) {
        p[STORE__ITEM_HDR] = (uint8_t)(full >> 8);
        p[STORE__ITEM_HDR + 1] = (uint8_t)full;
        memcpy(p + STORE__ITEM_HDR + 2, wr->key.full, full);
    }
    memcpy(p + hdr, wr->item.ptr, wr->item.len);
    return 0;
}

/* The change itself, once it is known to be one: record first (it copies the
 * old image, which the item write may overwrite), then item, log, counters. */
static int change(store__wctx_t *w, store_write_t *wr, MDB_val *k, const store__item_view_t *old,
                  store__ctr_t *ctr)
{
    bool is_put = wr->kind == STORE_W_PUT;
    uint64_t seq = ctr->last_seq + 1;
    store__log_format(w, wr, seq, wr->had_old ? old->text : (eng_slice_t){0}, old->size,
                      is_put ? wr->item : (eng_slice_t){0}, is_put ? wr->item_size : 0);
    int err = 0;
    if (is_put) {
        err = put_value(w, k, wr);
    } else {
        int rc = mdb_del(w->txn, w->store->dbi_items, k, NULL);
        err = store__werr(w, rc, "mdb_del(item)");
    }
    if (err == 0)
        err = store__log_put(w, wr->table_id, seq);
    if (err < 0)
        return err;
    ctr->item_count += (uint64_t)is_put - (uint64_t)wr->had_old;
    ctr->size_bytes += (uint64_t)(is_put ? wr->item_size : 0) - (uint64_t)old->size;
    ctr->last_seq = seq;
    err = store__ctr_put(w, wr->table_id, ctr);
    if (err == 0) {
        wr->seq = seq;
        w->has_records = true;
    }
    return err;
}

static bool is_noop(const store_write_t *wr, const store__item_view_t *old)
{
    if (wr->kind == STORE_W_DELETE)
        return !wr->had_old;
    return wr->had_old && eng_slice_eq(old->text, wr->item);
}

/* Look up the current item; a stored item under the same cut key but a
 * different full key is refused rather than confused with this one. */
static int get_old(store__wctx_t *w, store_write_t *wr, MDB_val *k, store__item_view_t *old)
{
    MDB_val v;
    *old = (store__item_view_t){0};
    int rc = mdb_get(w->txn, w->store->dbi_items, k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return store__werr(w, rc, "mdb_get(item)");
    int err = store__item_parse(&v, old);
    if (err == 0 && !store__item_is_key(old, &wr->key)) {
        ENG_ERROR("storage", "table %u: two keys share a cut key; write refused", wr->table_id);
        err = ENG_EIO;
    }
    wr->had_old = err == 0;
    return err;
}

int store__apply(store__wctx_t *w, store_write_t *wr)
{
    store__ctr_t ctr;
    int err = store__ctr_get(w->store, w->txn, wr->table_id, &ctr);
    if (err < 0) {
        w->is_fatal = err != ENG_ENOTFOUND;
        return err;
    }
    uint8_t kbuf[STORE__TID_BYTES + STORE_KEY_MAX];
    MDB_val k = store__item_key(wr->table_id, &wr->key, kbuf);
    store__item_view_t old;
    err = get_old(w, wr, &k, &old);
    if (err == 0 && wr->check)
        err = wr->check(wr, wr->had_old ? old.text : (eng_slice_t){0}, wr->check_arg);
    if (err == 0 && wr->kind != STORE_W_PUT && wr->kind != STORE_W_DELETE)
        err = ENG_EINVAL; /* A check may turn a PUT into a DELETE, never into DDL. */
    if (err < 0)
        return err;
    if (wr->want_old && wr->had_old) {
        eng_buf_reset(&wr->old);
        eng_buf_append(&wr->old, old.text.ptr, old.text.len);
    }
    if (is_noop(wr, &old))
        return 0;
    /* Index entries first: validation may still refuse the write, and old.text
     * (in the items database) stays valid while only the index one changes. */
    if (ctr.has_index &&
        (err = store__index_apply(w, wr, wr->had_old ? old.text : (eng_slice_t){0})) < 0)
        return err;
    return change(w, wr, &k, &old, &ctr);
}
