/* SPDX-License-Identifier: MIT
 * cursor.c: ordered walks over a table's items for Scan and Query. Every
 * range (table, key prefix, partition-hash range, exclusive start key) is a
 * contiguous interval of LMDB keys, so a walk is one positioning plus
 * next/prev steps bounded by [lo, hi). Cursors and their MDB_cursor are
 * reused through the reader, so a steady Scan allocates nothing. */
#include "storage/store_int.h"

#include "engine/err.h"

#include <assert.h>

#define BOUND_MAX (STORE__TID_BYTES + STORE_KEY_MAX)

typedef struct bound {
    uint8_t b[BOUND_MAX];
    size_t len;
} bound_t;

struct store_cursor {
    store_reader_t *r; /* The reader this cursor belongs to. */
    MDB_cursor *cur;   /* Owned; survives reuse through r->spare. */
    uint64_t gen;      /* Reader generation cur was bound at. */
    bool is_reverse;
    uint32_t size;   /* DynamoDB size of the item last returned. */
    bool is_started; /* Positioned at least once. */
    bool is_done;    /* Walked off the range. */
    bool is_lo_excl; /* The lower bound itself is excluded (forward `after`). */
    bool has_hi;     /* hi is set (else: end of the database). */
    bound_t lo;      /* Inclusive lower bound (unless is_lo_excl). */
    bound_t hi;      /* Exclusive upper bound. */
};

static int bound_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static bound_t make_bound(uint32_t tid, const void *tail, size_t len)
{
    bound_t b = {.len = STORE__TID_BYTES + len};
    store__be32(b.b, tid);
    if (len)
        memcpy(b.b + STORE__TID_BYTES, tail, len);
    return b;
}

/* The smallest byte string greater than every string starting with b. */
static bool bound_succ(bound_t *b)
{
    while (b->len > 0 && b->b[b->len - 1] == 0xFF)
        b->len--;
    if (b->len == 0)
        return false;
    b->b[b->len - 1]++;
    return true;
}

static void raise_lo(store_cursor_t *c, const bound_t *b, bool is_excl)
{
    int cmp = bound_cmp(b->b, b->len, c->lo.b, c->lo.len);
    if (cmp > 0 || (cmp == 0 && is_excl)) {
        c->lo = *b;
        c->is_lo_excl = is_excl;
    }
}

static void lower_hi(store_cursor_t *c, const bound_t *b)
{
    if (!c->has_hi || bound_cmp(b->b, b->len, c->hi.b, c->hi.len) < 0) {
        c->hi = *b;
        c->has_hi = true;
    }
}

static void set_bounds(store_cursor_t *c, uint32_t tid, const store_range_t *rg)
{
    uint8_t h[4];
    c->lo = make_bound(tid, NULL, 0);
    c->is_lo_excl = false;
    c->has_hi = false;
    bound_t b = c->lo;
    if (bound_succ(&b))
        lower_hi(c, &b);
    if (rg->prefix) {
        b = make_bound(tid, rg->prefix->buf, rg->prefix->len);
        raise_lo(c, &b, false);
        if (bound_succ(&b))
            lower_hi(c, &b);
    }
    store__be32(h, rg->hash_lo);
    b = make_bound(tid, h, 4);
    raise_lo(c, &b, false);
    if (rg->hash_hi < UINT32_MAX) {
        store__be32(h, rg->hash_hi + 1);
        b = make_bound(tid, h, 4);
        lower_hi(c, &b);
    }
    if (rg->after) {
        b = make_bound(tid, rg->after->buf, rg->after->len);
        if (rg->is_reverse)
            lower_hi(c, &b);
        else
            raise_lo(c, &b, true);
    }
}

static int open_on(store_reader_t *r, MDB_dbi dbi, uint32_t table_id, const store_range_t *range,
                   store_cursor_t **out)
{
    assert(r->is_active);
    store_cursor_t *c = r->spare ? r->spare : eng_calloc(1, sizeof(*c));
    r->spare = NULL;
    c->r = r;
    /* A spare cursor may be bound to the other database: rebind it. */
    if (c->cur && mdb_cursor_dbi(c->cur) != dbi) {
        mdb_cursor_close(c->cur);
        c->cur = NULL;
    }
    int err = store__cursor_bind(r, dbi, &c->cur, &c->gen);
    if (err < 0) {
        store__cursor_free(c);
        return err;
    }
    c->is_reverse = range->is_reverse;
    c->is_started = c->is_done = false;
    c->size = 0;
    set_bounds(c, table_id, range);
    *out = c;
    return 0;
}

int store_cursor_open(store_reader_t *r, uint32_t table_id, const store_range_t *range,
                      store_cursor_t **out)
{
    return open_on(r, r->store->dbi_items, table_id, range, out);
}

int store_index_cursor_open(store_reader_t *r, uint32_t index_id, const store_range_t *range,
                            store_cursor_t **out)
{
    return open_on(r, r->store->dbi_index, index_id, range, out);
}

static int first(store_cursor_t *c, MDB_val *k, MDB_val *v)
{
    if (!c->is_reverse) {
        *k = (MDB_val){.mv_size = c->lo.len, .mv_data = c->lo.b};
        int rc = mdb_cursor_get(c->cur, k, v, MDB_SET_RANGE);
        if (rc == 0 && c->is_lo_excl && bound_cmp(k->mv_data, k->mv_size, c->lo.b, c->lo.len) == 0)
            rc = mdb_cursor_get(c->cur, k, v, MDB_NEXT);
        return rc;
    }
    if (!c->has_hi)
        return mdb_cursor_get(c->cur, k, v, MDB_LAST);
    *k = (MDB_val){.mv_size = c->hi.len, .mv_data = c->hi.b};
    int rc = mdb_cursor_get(c->cur, k, v, MDB_SET_RANGE);
    if (rc == 0)
        return mdb_cursor_get(c->cur, k, v, MDB_PREV);
    return rc == MDB_NOTFOUND ? mdb_cursor_get(c->cur, k, v, MDB_LAST) : rc;
}

static bool in_range(const store_cursor_t *c, const MDB_val *k)
{
    if (!c->is_reverse)
        return !c->has_hi || bound_cmp(k->mv_data, k->mv_size, c->hi.b, c->hi.len) < 0;
    int cmp = bound_cmp(k->mv_data, k->mv_size, c->lo.b, c->lo.len);
    return cmp > 0 || (cmp == 0 && !c->is_lo_excl);
}

int store_cursor_next(store_cursor_t *c, eng_slice_t *item, store_key_t *key)
{
    if (c->is_done)
        return ENG_ENOTFOUND;
    MDB_val k, v;
    int rc = c->is_started ? mdb_cursor_get(c->cur, &k, &v, c->is_reverse ? MDB_PREV : MDB_NEXT)
                           : first(c, &k, &v);
    c->is_started = true;
    if (rc == 0 && !in_range(c, &k))
        rc = MDB_NOTFOUND;
    if (rc != 0) {
        c->is_done = true;
        return store__err(c->r->store, rc, "mdb_cursor_get(items)");
    }
    store__item_view_t iv;
    int err = store__item_parse(&v, &iv);
    if (err < 0)
        return err;
    *item = iv.text;
    c->size = iv.size;
    if (key) {
        key->len = k.mv_size - STORE__TID_BYTES;
        memcpy(key->buf, (const uint8_t *)k.mv_data + STORE__TID_BYTES, key->len);
        key->full_len = iv.full.len;
        if (iv.full.len)
            memcpy(key->full, iv.full.ptr, iv.full.len);
    }
    return 0;
}

void store__cursor_free(store_cursor_t *c)
{
    if (c->cur)
        mdb_cursor_close(c->cur);
    eng_free(c);
}

void store_cursor_close(store_cursor_t *c)
{
    if (!c)
        return;
    if (!c->r->spare)
        c->r->spare = c;
    else
        store__cursor_free(c);
}

uint32_t store_cursor_size(const store_cursor_t *c)
{
    return c->size;
}
