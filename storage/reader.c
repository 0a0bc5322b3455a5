/* SPDX-License-Identifier: MIT
 * reader.c: readers. Each wraps one LMDB read txn that is reset between uses
 * and renewed per request (never begun fresh), and caches its cursors, so a
 * GetItem is a renew plus one mdb_get. An active reader holds the map lock
 * shared; only a map resize takes it exclusively, so readers never wait for
 * ordinary writes. Item cursors live in cursor.c. */
#include "storage/store_int.h"

#include "engine/err.h"

#include <assert.h>

int store_reader_create(store_t *store, store_reader_t **out)
{
    store_reader_t *r = eng_calloc(1, sizeof(*r));
    r->store = store;
    pthread_rwlock_rdlock(&store->map_lock);
    int rc = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &r->txn);
    if (rc == 0)
        mdb_txn_reset(r->txn);
    pthread_rwlock_unlock(&store->map_lock);
    if (rc != 0) {
        eng_free(r);
        return store__err(store, rc, "mdb_txn_begin(read)");
    }
    *out = r;
    return 0;
}

void store_reader_destroy(store_reader_t *r)
{
    if (!r)
        return;
    assert(!r->is_active);
    if (r->spare)
        store__cursor_free(r->spare);
    if (r->log_cur)
        mdb_cursor_close(r->log_cur);
    if (r->kv_cur)
        mdb_cursor_close(r->kv_cur);
    mdb_txn_abort(r->txn);
    eng_free(r);
}

int store_read_begin(store_reader_t *r)
{
    assert(!r->is_active);
    pthread_rwlock_rdlock(&r->store->map_lock);
    int rc = mdb_txn_renew(r->txn);
    if (rc != 0) {
        pthread_rwlock_unlock(&r->store->map_lock);
        return store__err(r->store, rc, "mdb_txn_renew");
    }
    r->is_active = true;
    r->gen++;
    return 0;
}

void store_read_end(store_reader_t *r)
{
    if (!r->is_active)
        return;
    mdb_txn_reset(r->txn);
    r->is_active = false;
    pthread_rwlock_unlock(&r->store->map_lock);
}

int store__cursor_bind(store_reader_t *r, MDB_dbi dbi, MDB_cursor **cur, uint64_t *gen)
{
    int rc = 0;
    if (!*cur)
        rc = mdb_cursor_open(r->txn, dbi, cur);
    else if (*gen != r->gen)
        rc = mdb_cursor_renew(r->txn, *cur);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_cursor_open(read)");
    *gen = r->gen;
    return 0;
}

int store_item_get(store_reader_t *r, uint32_t table_id, const store_key_t *key, eng_slice_t *item)
{
    assert(r->is_active);
    uint8_t kb[STORE__TID_BYTES + STORE_KEY_MAX];
    MDB_val k = store__item_key(table_id, key, kb), v;
    int rc = mdb_get(r->txn, r->store->dbi_items, &k, &v);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_get(item)");
    store__item_view_t iv;
    int err = store__item_parse(&v, &iv);
    if (err < 0)
        return err;
    if (!store__item_is_key(&iv, key))
        return ENG_ENOTFOUND; /* Another key that was cut to the same bytes. */
    *item = iv.text;
    return 0;
}
