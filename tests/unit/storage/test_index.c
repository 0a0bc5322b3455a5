/* SPDX-License-Identifier: MIT
 * test_index.c: secondary index maintenance through the writer. A table with
 * a KEYS_ONLY GSI (g: S, n: N) gets puts, overwrites, deletes, sparse items,
 * a type mismatch alone and inside an atomic batch (nothing may change), an
 * index added later (backfill) and removed, a restart, and a table drop. */
#include "storage/store_int.h"

#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

T_MAIN_GLOBALS

#define DEFS                                                                                       \
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"                             \
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"                \
    "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"},{\"AttributeName\":\"n\","                  \
    "\"AttributeType\":\"N\"}]"
#define GSI                                                                                        \
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gi\",\"KeySchema\":[{\"AttributeName\":\"g\","   \
    "\"KeyType\":\"HASH\"},{\"AttributeName\":\"n\",\"KeyType\":\"RANGE\"}],"                      \
    "\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}}]"

static const char META_GSI[] = "{\"TableName\":\"t\"," DEFS "," GSI "}";
static const char META_NONE[] = "{\"TableName\":\"t\"," DEFS "}";

typedef struct titem {
    char text[256];
    char keys[64];
} titem_t;

/* Write `text` (canonical, names sorted) under pk. */
static store_write_t put_w(uint32_t tid, const char *pk, const char *text, titem_t *it)
{
    snprintf(it->text, sizeof(it->text), "%s", text);
    snprintf(it->keys, sizeof(it->keys), "{\"pk\":{\"S\":\"%s\"}}", pk);
    store_write_t w = {.kind = STORE_W_PUT,
                       .table_id = tid,
                       .keys_json = eng_slice_cstr(it->keys),
                       .item = eng_slice_cstr(it->text),
                       .item_size = (uint32_t)strlen(it->text)};
    store_keyval_t kv = {.type = STORE_KT_S, .val = eng_slice_cstr(pk)};
    store_key_encode(&kv, NULL, &w.key);
    return w;
}

static int put(store_t *s, uint32_t tid, const char *pk, const char *text)
{
    titem_t it;
    store_write_t w = put_w(tid, pk, text, &it);
    return t_write1(s, &w);
}

static int del(store_t *s, uint32_t tid, const char *pk)
{
    titem_t it;
    store_write_t w = put_w(tid, pk, "{}", &it);
    w.kind = STORE_W_DELETE;
    return t_write1(s, &w);
}

static int meta_write(store_t *s, store_wkind_t kind, const char *meta, uint32_t *tid)
{
    store_write_t w = {.kind = kind, .table = eng_slice_cstr("t"), .item = eng_slice_cstr(meta)};
    int err = t_write1(s, &w);
    *tid = w.table_id;
    return err;
}

/* Walk index `name`: entry count, and the texts joined with '|' into out. */
static int walk(store_t *s, uint32_t tid, const char *name, char *out, size_t cap)
{
    store_reader_t *r;
    store_index_t ix;
    store_cursor_t *c;
    eng_slice_t text;
    int n = 0;
    out[0] = 0;
    if (store_reader_create(s, &r) < 0 || store_read_begin(r) < 0)
        return -1;
    if (store_index_get(r, tid, eng_slice_cstr(name), &ix) < 0) {
        n = -2;
        goto out;
    }
    store_range_t rg = {.hash_hi = UINT32_MAX};
    if (store_index_cursor_open(r, ix.id, &rg, &c) < 0) {
        n = -1;
        goto out;
    }
    while (store_cursor_next(c, &text, NULL) == 0) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%.*s", n ? "|" : "", (int)text.len, text.ptr);
        n++;
    }
    store_cursor_close(c);
    if ((uint64_t)n != ix.item_count)
        n = -3; /* The counters must agree with the entries. */
out:
    store_read_end(r);
    store_reader_destroy(r);
    return n;
}

#define ITEM(g, n, pk)                                                                             \
    "{\"g\":{\"S\":\"" g "\"},\"n\":{\"N\":\"" n "\"},\"pk\":{\"S\":\"" pk                         \
    "\"},\"v\":{\"S\":\"x\"}}"
#define KEYS(g, n, pk) "{\"g\":{\"S\":\"" g "\"},\"n\":{\"N\":\"" n "\"},\"pk\":{\"S\":\"" pk "\"}}"

static void test_put_update_delete_sparse(void)
{
    t_store_t ts;
    uint32_t tid;
    char buf[2048];
    T_ASSERT_OK(t_store_open(&ts));
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_CREATE, META_GSI, &tid));
    T_ASSERT_EQ(0, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    T_ASSERT_OK(put(ts.store, tid, "a", ITEM("x", "10", "a")));
    T_ASSERT_OK(put(ts.store, tid, "b", ITEM("x", "1.5", "b")));
    T_ASSERT_OK(put(ts.store, tid, "c", ITEM("x", "1", "c")));
    /* Numeric order within the partition; KEYS_ONLY drops v. */
    T_ASSERT_EQ(3, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    T_ASSERT_STREQ(KEYS("x", "1", "c") "|" KEYS("x", "1.5", "b") "|" KEYS("x", "10", "a"), buf);
    /* Overwrite moves the entry; a sparse item has none; delete removes it. */
    T_ASSERT_OK(put(ts.store, tid, "a", ITEM("x", "0", "a")));
    T_ASSERT_OK(put(ts.store, tid, "b", "{\"pk\":{\"S\":\"b\"}}"));
    T_ASSERT_OK(del(ts.store, tid, "c"));
    T_ASSERT_EQ(1, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    T_ASSERT_STREQ(KEYS("x", "0", "a"), buf);
    T_ASSERT_EQ(-2, walk(ts.store, tid, "nope", buf, sizeof(buf)));
    t_store_close(&ts);
}

static void test_type_mismatch_and_atomic_rollback(void)
{
    t_store_t ts;
    uint32_t tid;
    char buf[2048];
    T_ASSERT_OK(t_store_open(&ts));
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_CREATE, META_GSI, &tid));
    const char *bad = "{\"g\":{\"N\":\"1\"},\"n\":{\"N\":\"1\"},\"pk\":{\"S\":\"z\"}}";
    T_ASSERT_EQ(ENG_EINVAL, put(ts.store, tid, "z", bad));
    titem_t a, b;
    store_write_t ws[2] = {put_w(tid, "a", ITEM("x", "1", "a"), &a), put_w(tid, "z", bad, &b)};
    store_batch_t batch = {.writes = ws, .n_writes = 2, .is_atomic = true};
    T_ASSERT_EQ(ENG_EINVAL, t_submit_wait(ts.store, &batch));
    T_ASSERT_EQ(0, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    store_reader_t *r;
    store_table_t t;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    T_ASSERT_OK(store_table_get(r, eng_slice_cstr("t"), &t));
    T_ASSERT_EQ(0, t.item_count);
    T_ASSERT_EQ(0, t.last_seq);
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

static void test_backfill_remove_restart_drop(void)
{
    t_store_t ts;
    uint32_t tid, tid2;
    char buf[2048];
    T_ASSERT_OK(t_store_open(&ts));
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_CREATE, META_NONE, &tid));
    T_ASSERT_OK(put(ts.store, tid, "a", ITEM("y", "2", "a")));
    T_ASSERT_OK(put(ts.store, tid, "b", "{\"g\":{\"N\":\"5\"},\"pk\":{\"S\":\"b\"}}"));
    T_ASSERT_EQ(-2, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_UPDATE, META_GSI, &tid2));
    T_ASSERT_EQ(1, walk(ts.store, tid, "gi", buf, sizeof(buf))); /* b: wrong type, left out. */
    T_ASSERT_OK(t_store_reopen(&ts));
    T_ASSERT_EQ(1, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    T_ASSERT_STREQ(KEYS("y", "2", "a"), buf);
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_UPDATE, META_NONE, &tid2));
    T_ASSERT_EQ(-2, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    /* Writes after removal must not touch the index any more. */
    T_ASSERT_OK(put(ts.store, tid, "c", "{\"g\":{\"N\":\"5\"},\"pk\":{\"S\":\"c\"}}"));
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_UPDATE, META_GSI, &tid2));
    T_ASSERT_EQ(1, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    store_write_t w = {.kind = STORE_W_TABLE_DELETE, .table = eng_slice_cstr("t")};
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(-2, walk(ts.store, tid, "gi", buf, sizeof(buf)));
    t_store_close(&ts);
}

static void test_no_index_table_has_no_defs(void)
{
    t_store_t ts;
    uint32_t tid;
    T_ASSERT_OK(t_store_open(&ts));
    T_ASSERT_OK(meta_write(ts.store, STORE_W_TABLE_CREATE, META_NONE, &tid));
    MDB_txn *txn;
    store__ctr_t c;
    T_ASSERT_EQ(0, mdb_txn_begin(ts.store->env, NULL, MDB_RDONLY, &txn));
    T_ASSERT_OK(store__ctr_get(ts.store, txn, tid, &c));
    T_ASSERT(!c.has_index);
    mdb_txn_abort(txn);
    t_store_close(&ts);
}

int main(void)
{
    T_RUN(test_put_update_delete_sparse);
    T_RUN(test_type_mismatch_and_atomic_rollback);
    T_RUN(test_backfill_remove_restart_drop);
    T_RUN(test_no_index_table_has_no_defs);
    return t_done();
}
