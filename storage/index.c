/* SPDX-License-Identifier: MIT
 * index.c: secondary index entries, kept in the "index" database in the same
 * write transaction as the items they mirror. An entry is keyed
 * [u32 index id][index partition][escaped index sort key][00 00][table key]
 * and holds the projected item in the items' value layout, so item cursors
 * walk it unchanged. A table's index definitions live in the same database
 * under its bare [u32 table id]; its counters carry a flag so writes to a
 * table without indexes never look them up. Index ids come from the table id
 * counter and are never reused. Backfill of a new index runs inside the
 * UpdateTable transaction (not chunked). */
#include "storage/store_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <assert.h>
#include <string.h>

#define SEP_BYTES 2   /* The 00 00 that ends an escaped sort key. */
#define HASH_BYTES 16 /* SipHash-128 that completes an entry key cut to fit. */

/* One index definition, parsed from the defs record for one write. */
typedef struct idx {
    uint32_t id;
    const char *name;
    store_schema_t ks;    /* The index's key attributes and their types. */
    const char *proj;     /* "ALL", "KEYS_ONLY" or "INCLUDE". */
    const cJSON *include; /* INCLUDE: NonKeyAttributes (borrowed from the defs JSON). */
} idx_t;

/* ---- entry keys --------------------------------------------------------- */

void store_index_key(const store_key_t *ipk, const store_key_t *ikey, const store_key_t *tkey,
                     store_key_t *out)
{
    static const uint64_t cut_key[2] = {0x6564647969647821ull, 0x6b65796375747321ull};
    uint8_t tmp[2 * STORE_KEY_MAX + SEP_BYTES + STORE_KEY_MAX];
    size_t n = 0, at = ipk->len;
    if (ikey->len < ipk->len || memcmp(ikey->buf, ipk->buf, ipk->len) != 0)
        at = 0; /* Not a prefix (cannot happen for uncut keys): keep the order we can. */
    memcpy(tmp, ikey->buf, at);
    n = at;
    /* Escape the sort part so a shorter sort key sorts before its extensions
     * whatever table key follows: 00 -> 00 FF, then 00 00 ends it. */
    for (size_t i = at; i < ikey->len; i++) {
        tmp[n++] = ikey->buf[i];
        if (ikey->buf[i] == 0)
            tmp[n++] = 0xFF;
    }
    tmp[n++] = 0;
    tmp[n++] = 0;
    memcpy(tmp + n, tkey->buf, tkey->len);
    n += tkey->len;
    out->full_len = 0;
    if (n <= STORE_KEY_MAX) {
        memcpy(out->buf, tmp, n);
        out->len = n;
        return;
    }
    memcpy(out->buf, tmp, STORE_KEY_MAX - HASH_BYTES);
    store__siphash128(cut_key, tmp, n, out->buf + STORE_KEY_MAX - HASH_BYTES);
    out->len = STORE_KEY_MAX;
}

/* ---- definitions -------------------------------------------------------- */

static MDB_val defs_key(uint32_t tid, uint8_t kb[STORE__TID_BYTES])
{
    store__be32(kb, tid);
    return (MDB_val){.mv_size = STORE__TID_BYTES, .mv_data = kb};
}

/* Read the defs record of `tid` as JSON (*out NULL when there is none). */
static int defs_load(store_t *s, MDB_txn *txn, uint32_t tid, cJSON **out)
{
    uint8_t kb[STORE__TID_BYTES];
    MDB_val k = defs_key(tid, kb), v;
    *out = NULL;
    int rc = mdb_get(txn, s->dbi_index, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return store__err(s, rc, "mdb_get(index defs)");
    return eng_json_parse(v.mv_data, v.mv_size, out) < 0 ? ENG_ECORRUPT : 0;
}

/* Fill `ix` from one element of the defs record. */
static int idx_parse(const cJSON *d, const cJSON *defs, idx_t *ix)
{
    const cJSON *id = eng_json_get(d, "id");
    const cJSON *proj = eng_json_get(d, "Projection");
    *ix = (idx_t){.id = cJSON_IsNumber(id) ? (uint32_t)id->valuedouble : 0,
                  .name = eng_json_get_str(d, "IndexName"),
                  .proj = eng_json_get_str(proj, "ProjectionType"),
                  .include = eng_json_get(proj, "NonKeyAttributes")};
    if (!ix->proj)
        ix->proj = "ALL";
    if (ix->id == 0 || !ix->name)
        return ENG_ECORRUPT;
    return store_schema_from_json(eng_json_get(d, "KeySchema"), defs, &ix->ks);
}

/* ---- entries ------------------------------------------------------------ */

static bool has_name(const cJSON *arr, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* Is attribute `name` projected into the index (keys always are)? */
static bool is_projected(const idx_t *ix, const store_schema_t *ts, const char *name)
{
    if (strcmp(ix->proj, "ALL") == 0)
        return true;
    if (store_schema_has_attr(ts, name) || store_schema_has_attr(&ix->ks, name))
        return true;
    return strcmp(ix->proj, "INCLUDE") == 0 && has_name(ix->include, name);
}

/* The projected item text and its DynamoDB size into `out` / *size. */
static void project(const idx_t *ix, const store_schema_t *ts, const cJSON *item, eng_slice_t text,
                    uint32_t text_size, eng_buf_t *out, size_t *size)
{
    eng_buf_reset(out);
    if (strcmp(ix->proj, "ALL") == 0) {
        eng_buf_append(out, text.ptr, text.len);
        *size = text_size;
        return;
    }
    cJSON *p = cJSON_CreateObject();
    const cJSON *a;
    cJSON_ArrayForEach(a, item)
    {
        if (is_projected(ix, ts, a->string))
            cJSON_AddItemReferenceToObject(p, a->string, (cJSON *)a);
    }
    const char *why = NULL;
    eng_buf_t wb = {0};
    if (store_item_canon(p, out, size, &why, &wb) < 0)
        *size = 0; /* Cannot happen: the parts come from a canonical item. */
    eng_buf_free(&wb);
    cJSON_Delete(p);
}

/* Does `item` have every key attribute of `ks`? (An item lacking any is
 * left out of the index: sparse.) */
static bool has_all_keys(const store_schema_t *ks, const cJSON *item)
{
    for (int r = 0; r < 2; r++) {
        int n = r ? store_schema_n_range(ks) : store_schema_n_hash(ks);
        for (int i = 0; i < n; i++)
            if (!eng_json_get(item, store_schema_attr(ks, r, i, NULL)))
                return false;
    }
    return true;
}

/* Keys of an item for index `ix`. Returns 1 when the item has every index
 * key attribute (with the right types), 0 when it lacks one (sparse), or
 * ENG_EINVAL on a type mismatch. */
static int item_keys(const idx_t *ix, const store_schema_t *ts, const cJSON *item,
                     store_key_t *entry)
{
    if (!has_all_keys(&ix->ks, item))
        return 0;
    store_schema_t ps = ix->ks;
    ps.has_sk = false; /* The HASH part alone: the index partition. */
    store_key_t ipk, ikey, tkey;
    eng_buf_t why = {0};
    int err = store_schema_key(&ps, item, false, &ipk, NULL, &why, NULL);
    if (err == 0)
        err = store_schema_key(&ix->ks, item, false, &ikey, NULL, &why, NULL);
    if (err == 0)
        err = store_schema_key(ts, item, false, &tkey, NULL, &why, NULL);
    eng_buf_free(&why);
    if (err < 0)
        return ENG_EINVAL;
    store_index_key(&ipk, &ikey, &tkey, entry);
    return 1;
}

/* An index key attribute present in `item` must have the declared type,
 * even when the item lacks the index's other key attribute. */
static bool attr_type_ok(const cJSON *item, const char *name, store_ktype_t type)
{
    const cJSON *av = eng_json_get(item, name);
    const cJSON *m = av ? av->child : NULL;
    char want[2] = {(char)type, 0};
    return !av || (m && !m->next && m->string && strcmp(m->string, want) == 0);
}

static bool types_ok(const idx_t *ix, const cJSON *item)
{
    for (int r = 0; r < 2; r++) {
        int n = r ? store_schema_n_range(&ix->ks) : store_schema_n_hash(&ix->ks);
        for (int i = 0; i < n; i++) {
            store_ktype_t t;
            const char *name = store_schema_attr(&ix->ks, r, i, &t);
            if (!attr_type_ok(item, name, t))
                return false;
        }
    }
    return true;
}

/* Add `delta` entries of `bytes` to the counters of index `id`. */
static int idx_count(store__wctx_t *w, uint32_t id, int delta, int64_t bytes)
{
    store__ctr_t c = {0};
    int err = store__ctr_get(w->store, w->txn, id, &c);
    if (err < 0 && err != ENG_ENOTFOUND)
        return err;
    c.item_count += (uint64_t)(int64_t)delta;
    c.size_bytes += (uint64_t)bytes;
    return store__ctr_put(w, id, &c);
}

static MDB_val entry_key(uint32_t id, const store_key_t *k, uint8_t *buf)
{
    return store__item_key(id, k, buf);
}

/* Delete the entry of an old item; its counters drop by the stored size. */
static int entry_del(store__wctx_t *w, uint32_t id, const store_key_t *k)
{
    uint8_t kb[STORE__TID_BYTES + STORE_KEY_MAX];
    MDB_val key = entry_key(id, k, kb), v;
    int rc = mdb_get(w->txn, w->store->dbi_index, &key, &v);
    if (rc == MDB_NOTFOUND)
        return 0; /* A new index whose backfill had not reached this item. */
    if (rc != 0 || v.mv_size < STORE__ITEM_HDR)
        return rc ? store__werr(w, rc, "mdb_get(index)") : ENG_ECORRUPT;
    int64_t size = store__get_be32((const uint8_t *)v.mv_data + 1);
    rc = mdb_del(w->txn, w->store->dbi_index, &key, NULL);
    if (rc != 0)
        return store__werr(w, rc, "mdb_del(index)");
    return idx_count(w, id, -1, -size);
}

static int entry_put(store__wctx_t *w, uint32_t id, const store_key_t *k, eng_slice_t text,
                     size_t size)
{
    uint8_t kb[STORE__TID_BYTES + STORE_KEY_MAX];
    MDB_val key = entry_key(id, k, kb), v = {.mv_size = STORE__ITEM_HDR + text.len};
    int rc = mdb_put(w->txn, w->store->dbi_index, &key, &v, MDB_RESERVE);
    if (rc != 0)
        return store__werr(w, rc, "mdb_put(index)");
    uint8_t *p = v.mv_data;
    p[0] = 0;
    store__be32(p + 1, (uint32_t)size);
    memcpy(p + STORE__ITEM_HDR, text.ptr, text.len);
    return idx_count(w, id, 1, (int64_t)size);
}

/* ---- one item write ----------------------------------------------------- */

typedef struct iwrite {
    const store_schema_t *ts; /* The table's key schema. */
    cJSON *old, *new_item;    /* Parsed items; NULL when absent. */
    eng_slice_t text;         /* New item text. */
    uint32_t text_size;
} iwrite_t;

/* Replace the entry of one index: validate first so a type mismatch in any
 * index fails the write before anything changed (see apply_all). */
static int idx_write(store__wctx_t *w, const idx_t *ix, const iwrite_t *iw, eng_buf_t *scratch)
{
    store_key_t ok, nk;
    int has_old = iw->old ? item_keys(ix, iw->ts, iw->old, &ok) : 0;
    int has_new = iw->new_item ? item_keys(ix, iw->ts, iw->new_item, &nk) : 0;
    int err = has_old < 0 ? 0 : (has_old ? entry_del(w, ix->id, &ok) : 0);
    if (err == 0 && has_new > 0) {
        size_t size = 0;
        project(ix, iw->ts, iw->new_item, iw->text, iw->text_size, scratch, &size);
        err = entry_put(w, ix->id, &nk, eng_slice(scratch->ptr, scratch->len), size);
    }
    return err;
}

static int apply_all(store__wctx_t *w, const cJSON *defs, const iwrite_t *iw)
{
    const cJSON *ad = eng_json_get(defs, "AttributeDefinitions");
    const cJSON *d;
    idx_t ix;
    store_key_t k;
    cJSON_ArrayForEach(d, eng_json_get(defs, "Indexes"))
    {
        if (idx_parse(d, ad, &ix) < 0)
            return ENG_ECORRUPT;
        if (iw->new_item &&
            (!types_ok(&ix, iw->new_item) || item_keys(&ix, iw->ts, iw->new_item, &k) < 0))
            return ENG_EINVAL;
    }
    eng_buf_t scratch = {0};
    int err = 0;
    cJSON_ArrayForEach(d, eng_json_get(defs, "Indexes"))
    {
        if (err == 0 && idx_parse(d, ad, &ix) == 0)
            err = idx_write(w, &ix, iw, &scratch);
    }
    eng_buf_free(&scratch);
    return err;
}

int store__index_apply(store__wctx_t *w, const store_write_t *wr, eng_slice_t old_text)
{
    cJSON *defs = NULL;
    store_schema_t ts;
    iwrite_t iw = {.ts = &ts};
    int err = defs_load(w->store, w->txn, wr->table_id, &defs);
    if (err < 0 || !defs)
        goto out;
    err = store_schema_from_json(eng_json_get(defs, "KeySchema"),
                                 eng_json_get(defs, "AttributeDefinitions"), &ts);
    if (err == 0 && old_text.ptr && eng_json_parse(old_text.ptr, old_text.len, &iw.old) < 0)
        err = ENG_ECORRUPT;
    if (err == 0 && wr->kind == STORE_W_PUT) {
        iw.text = wr->item;
        iw.text_size = wr->item_size;
        if (eng_json_parse(wr->item.ptr, wr->item.len, &iw.new_item) < 0)
            err = ENG_EINVAL;
    }
    if (err == 0)
        err = apply_all(w, defs, &iw);
out:
    eng_json_delete(iw.old);
    eng_json_delete(iw.new_item);
    eng_json_delete(defs);
    return err;
}

/* ---- definitions from a table meta (CreateTable / UpdateTable) ---------- */

/* The id of index `name` in the old defs, or 0. */
static uint32_t old_id(const cJSON *old, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, eng_json_get(old, "Indexes"))
    {
        const char *n = eng_json_get_str(d, "IndexName");
        const cJSON *id = eng_json_get(d, "id");
        if (n && strcmp(n, name) == 0 && cJSON_IsNumber(id))
            return (uint32_t)id->valuedouble;
    }
    return 0;
}

/* Add to `out` the indexes of meta member `member`, keeping known ids. */
static int collect(store__wctx_t *w, const cJSON *meta, const char *member, const cJSON *old,
                   cJSON *out)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, eng_json_get(meta, member))
    {
        const char *name = eng_json_get_str(m, "IndexName");
        if (!name)
            return ENG_EINVAL;
        uint32_t id = old_id(old, name);
        int err = id ? 0 : store__next_id(w, &id);
        if (err < 0)
            return err;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "id", id);
        cJSON_AddStringToObject(d, "IndexName", name);
        cJSON_AddItemToObject(d, "KeySchema", cJSON_Duplicate(eng_json_get(m, "KeySchema"), 1));
        cJSON_AddItemToObject(d, "Projection", cJSON_Duplicate(eng_json_get(m, "Projection"), 1));
        cJSON_AddItemToArray(out, d);
    }
    return 0;
}

/* Drop every entry and the counters of index `id`. */
static int idx_drop(store__wctx_t *w, uint32_t id)
{
    uint8_t kb[STORE__TID_BYTES];
    MDB_val k = defs_key(id, kb);
    int err = store__drop_prefix(w, w->store->dbi_index, id);
    int rc = err == 0 ? mdb_del(w->txn, w->store->dbi_counters, &k, NULL) : 0;
    return err < 0 ? err : (rc == MDB_NOTFOUND ? 0 : store__werr(w, rc, "mdb_del(index ctr)"));
}

/* Entries for every item already in the table (a new index). */
static int backfill(store__wctx_t *w, uint32_t tid, const cJSON *defs, const cJSON *d)
{
    idx_t ix;
    store_schema_t ts;
    int err = store_schema_from_json(eng_json_get(defs, "KeySchema"),
                                     eng_json_get(defs, "AttributeDefinitions"), &ts);
    if (err == 0)
        err = idx_parse(d, eng_json_get(defs, "AttributeDefinitions"), &ix);
    MDB_cursor *cur = NULL;
    int rc = err == 0 ? mdb_cursor_open(w->txn, w->store->dbi_items, &cur) : 0;
    uint8_t kb[STORE__TID_BYTES];
    store__be32(kb, tid);
    MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
    eng_buf_t scratch = {0};
    for (int op = MDB_SET_RANGE; err == 0 && rc == 0; op = MDB_NEXT) {
        rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op);
        if (rc != 0 || k.mv_size < sizeof(kb) || memcmp(k.mv_data, kb, sizeof(kb)) != 0)
            break;
        store__item_view_t iv;
        cJSON *item = NULL;
        err = store__item_parse(&v, &iv);
        if (err == 0 && eng_json_parse(iv.text.ptr, iv.text.len, &item) < 0)
            err = ENG_ECORRUPT;
        iwrite_t iw = {.ts = &ts, .new_item = item, .text = iv.text, .text_size = iv.size};
        store_key_t nk;
        /* Items of the wrong type are left out, as DynamoDB's backfill does. */
        if (err == 0 && item_keys(&ix, &ts, item, &nk) > 0)
            err = idx_write(w, &ix, &iw, &scratch);
        eng_json_delete(item);
    }
    eng_buf_free(&scratch);
    if (cur)
        mdb_cursor_close(cur);
    return err < 0 ? err : (rc == 0 || rc == MDB_NOTFOUND ? 0 : store__werr(w, rc, "backfill"));
}

static int defs_put(store__wctx_t *w, uint32_t tid, const cJSON *defs)
{
    uint8_t kb[STORE__TID_BYTES];
    MDB_val k = defs_key(tid, kb);
    eng_buf_t text = {0};
    eng_json_print(defs, &text);
    MDB_val v = {.mv_size = text.len, .mv_data = text.ptr};
    int rc = mdb_put(w->txn, w->store->dbi_index, &k, &v, 0);
    eng_buf_free(&text);
    return store__werr(w, rc, "mdb_put(index defs)");
}

/* Drop old indexes missing from `defs` and backfill new ones. */
static int reconcile(store__wctx_t *w, uint32_t tid, const cJSON *old, const cJSON *defs)
{
    const cJSON *d;
    int err = 0;
    cJSON_ArrayForEach(d, eng_json_get(old, "Indexes"))
    {
        const char *name = eng_json_get_str(d, "IndexName");
        const cJSON *id = eng_json_get(d, "id");
        if (err == 0 && name && cJSON_IsNumber(id) && old_id(defs, name) == 0)
            err = idx_drop(w, (uint32_t)id->valuedouble);
    }
    cJSON_ArrayForEach(d, eng_json_get(defs, "Indexes"))
    {
        const char *name = eng_json_get_str(d, "IndexName");
        if (err == 0 && name && old_id(old, name) == 0)
            err = backfill(w, tid, defs, d);
    }
    return err;
}

static int set_flag(store__wctx_t *w, uint32_t tid, bool has_index)
{
    store__ctr_t c;
    int err = store__ctr_get(w->store, w->txn, tid, &c);
    if (err < 0 || c.has_index == has_index)
        return err;
    c.has_index = has_index;
    return store__ctr_put(w, tid, &c);
}

static int defs_del(store__wctx_t *w, uint32_t tid)
{
    uint8_t kb[STORE__TID_BYTES];
    MDB_val k = defs_key(tid, kb);
    int rc = mdb_del(w->txn, w->store->dbi_index, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : store__werr(w, rc, "mdb_del(index defs)");
}

int store__index_sync(store__wctx_t *w, uint32_t tid, eng_slice_t meta_text)
{
    cJSON *meta = NULL, *old = NULL, *defs = cJSON_CreateObject();
    int err = eng_json_parse(meta_text.ptr, meta_text.len, &meta) < 0 ? ENG_EINVAL : 0;
    if (err == 0)
        err = defs_load(w->store, w->txn, tid, &old);
    cJSON *list = cJSON_AddArrayToObject(defs, "Indexes");
    if (err == 0)
        err = collect(w, meta, "GlobalSecondaryIndexes", old, list);
    if (err == 0)
        err = collect(w, meta, "LocalSecondaryIndexes", old, list);
    if (err < 0 || (!old && cJSON_GetArraySize(list) == 0))
        goto out; /* The common case: a table without indexes pays nothing. */
    cJSON_AddItemToObject(defs, "KeySchema", cJSON_Duplicate(eng_json_get(meta, "KeySchema"), 1));
    cJSON_AddItemToObject(defs, "AttributeDefinitions",
                          cJSON_Duplicate(eng_json_get(meta, "AttributeDefinitions"), 1));
    bool has_any = cJSON_GetArraySize(list) > 0;
    err = has_any ? defs_put(w, tid, defs) : defs_del(w, tid);
    if (err == 0)
        err = reconcile(w, tid, old, defs);
    if (err == 0)
        err = set_flag(w, tid, has_any);
out:
    eng_json_delete(meta);
    eng_json_delete(old);
    eng_json_delete(defs);
    return err;
}

int store__index_drop_table(store__wctx_t *w, uint32_t tid)
{
    cJSON *old = NULL;
    int err = defs_load(w->store, w->txn, tid, &old);
    const cJSON *d;
    cJSON_ArrayForEach(d, eng_json_get(old, "Indexes"))
    {
        const cJSON *id = eng_json_get(d, "id");
        if (err == 0 && cJSON_IsNumber(id))
            err = idx_drop(w, (uint32_t)id->valuedouble);
    }
    if (err == 0 && old)
        err = defs_del(w, tid);
    eng_json_delete(old);
    return err;
}

/* ---- reads -------------------------------------------------------------- */

int store_index_get(store_reader_t *r, uint32_t table_id, eng_slice_t name, store_index_t *out)
{
    assert(r->is_active);
    cJSON *defs = NULL;
    int err = defs_load(r->store, r->txn, table_id, &defs);
    uint32_t id = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, eng_json_get(defs, "Indexes"))
    {
        const char *n = eng_json_get_str(d, "IndexName");
        const cJSON *jid = eng_json_get(d, "id");
        if (n && eng_slice_eq(eng_slice_cstr(n), name) && cJSON_IsNumber(jid))
            id = (uint32_t)jid->valuedouble;
    }
    eng_json_delete(defs);
    if (err < 0)
        return err;
    if (id == 0)
        return ENG_ENOTFOUND;
    store__ctr_t c = {0};
    err = store__ctr_get(r->store, r->txn, id, &c);
    *out = (store_index_t){.id = id, .item_count = c.item_count, .size_bytes = c.size_bytes};
    return err == ENG_ENOTFOUND ? 0 : err;
}
