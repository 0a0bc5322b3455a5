/* SPDX-License-Identifier: MIT
 * test_kv.c: engine records (the "sys" database), bounded change-log
 * trimming, and the TABLE_UPDATE hook that reports the log position. */
#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

#include <stdatomic.h>

T_MAIN_GLOBALS

static store_write_t kv_put(const char *key, const char *val)
{
    return (store_write_t){
        .kind = STORE_W_KV_PUT, .table = eng_slice_cstr(key), .item = eng_slice_cstr(val)};
}

static void test_kv_put_get_list_delete(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    const char *keys[] = {"esm/b", "esm/a", "ckpt/a", "esm/c"};
    for (size_t i = 0; i < 4; i++) {
        store_write_t w = kv_put(keys[i], keys[i]);
        T_ASSERT_OK(t_write1(ts.store, &w));
    }
    store_write_t w = kv_put("esm/a", "v2");
    w.want_old = true;
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT(w.had_old);
    T_ASSERT_MEMEQ("esm/a", w.old.ptr, w.old.len);
    eng_buf_free(&w.old);

    store_reader_t *r;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    eng_slice_t k, v;
    T_ASSERT_OK(store_kv_get(r, ENG_SLICE_LIT("esm/a"), &v));
    T_ASSERT_MEMEQ("v2", v.ptr, v.len);
    T_ASSERT_EQ(ENG_ENOTFOUND, store_kv_get(r, ENG_SLICE_LIT("esm/z"), &v));
    /* Listing by prefix walks esm/a, esm/b, esm/c and stops before other prefixes. */
    const char *want[] = {"esm/a", "esm/b", "esm/c"};
    eng_slice_t after = {0};
    char last[16] = "";
    for (size_t i = 0; i < 3; i++) {
        T_ASSERT_OK(store_kv_next(r, ENG_SLICE_LIT("esm/"), after, &k, &v));
        T_ASSERT_MEMEQ(want[i], k.ptr, k.len);
        memcpy(last, k.ptr, k.len);
        last[k.len] = '\0';
        after = eng_slice_cstr(last);
    }
    T_ASSERT_EQ(ENG_ENOTFOUND, store_kv_next(r, ENG_SLICE_LIT("esm/"), after, &k, &v));
    store_read_end(r);

    store_write_t d = {.kind = STORE_W_KV_DELETE, .table = ENG_SLICE_LIT("esm/b")};
    T_ASSERT_OK(t_write1(ts.store, &d));
    T_ASSERT_EQ(ENG_ENOTFOUND, t_write1(ts.store, &d));
    T_ASSERT_OK(store_read_begin(r));
    T_ASSERT_EQ(ENG_ENOTFOUND, store_kv_get(r, ENG_SLICE_LIT("esm/b"), &v));
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

/* A checkpoint record and item writes in one atomic batch: a failing item
 * write rolls the checkpoint back too. */
static void test_kv_is_atomic_with_item_writes(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    T_ASSERT(tid != 0);
    t_item_t it;
    t_item(&it, "a", "1");
    store_write_t ws[2] = {kv_put("ckpt/m1", "7"), t_put(tid + 99, &it)}; /* No such table. */
    store_batch_t b = {.writes = ws, .n_writes = 2, .is_atomic = true};
    T_ASSERT_EQ(ENG_ENOTFOUND, t_submit_wait(ts.store, &b));
    store_reader_t *r;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    eng_slice_t v;
    T_ASSERT_EQ(ENG_ENOTFOUND, store_kv_get(r, ENG_SLICE_LIT("ckpt/m1"), &v));
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

static void test_trim_is_bounded_and_ordered(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    enum { N = STORE_TRIM_MAX + 200 };
    static store_write_t ws[N];
    static t_item_t its[N];
    for (int i = 0; i < N; i++) {
        char pk[16];
        snprintf(pk, sizeof pk, "k%d", i);
        t_item(&its[i], pk, "v");
        ws[i] = t_put(tid, &its[i]);
    }
    store_batch_t b = {.writes = ws, .n_writes = N};
    T_ASSERT_OK(t_submit_wait(ts.store, &b));
    store_write_t trim = {.kind = STORE_W_LOG_TRIM, .table_id = tid, .trim_upto = N - 10};
    T_ASSERT_OK(t_write1(ts.store, &trim));
    T_ASSERT_EQ(STORE_TRIM_MAX, trim.seq); /* Bounded: the first call stops at the cap. */
    T_ASSERT_OK(t_write1(ts.store, &trim));
    T_ASSERT_EQ(N - 10, trim.seq); /* The second reaches the limit and not past it. */
    T_ASSERT_OK(t_write1(ts.store, &trim));
    T_ASSERT_EQ(0, trim.seq);
    store_reader_t *r;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    uint64_t seq;
    eng_slice_t rec;
    T_ASSERT_OK(store_log_next(r, tid, 0, &seq, &rec));
    T_ASSERT_EQ(N - 9, seq);
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

static int add_start(store_write_t *w, eng_slice_t old, void *arg)
{
    eng_buf_t *meta = arg;
    eng_buf_reset(meta);
    eng_buf_printf(meta, "{\"old\":%.*s,\"start\":%llu}", (int)old.len, old.ptr,
                   (unsigned long long)w->seq + 1);
    w->item = eng_slice(meta->ptr, meta->len);
    return 0;
}

static void test_table_update_reports_log_position_to_check(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    t_item_t a, b;
    t_item(&a, "a", "1");
    t_item(&b, "b", "1");
    store_write_t ws[2] = {t_put(tid, &a), t_put(tid, &b)};
    store_batch_t bt = {.writes = ws, .n_writes = 2};
    T_ASSERT_OK(t_submit_wait(ts.store, &bt));
    eng_buf_t meta = {0};
    store_write_t up = {.kind = STORE_W_TABLE_UPDATE,
                        .table = ENG_SLICE_LIT("t"),
                        .item = ENG_SLICE_LIT("{}"),
                        .check = add_start,
                        .check_arg = &meta};
    T_ASSERT_OK(t_write1(ts.store, &up));
    T_ASSERT_EQ(2, up.seq);
    store_reader_t *r;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    store_table_t t;
    T_ASSERT_OK(store_table_get(r, ENG_SLICE_LIT("t"), &t));
    T_ASSERT_MEMEQ("{\"old\":{\"TableName\":\"t\"},\"start\":3}", t.meta.ptr, t.meta.len);
    store_read_end(r);
    store_reader_destroy(r);
    eng_buf_free(&meta);
    t_store_close(&ts);
}

static void on_counted(store_batch_t *b)
{
    atomic_int *n = b->arg;
    atomic_fetch_add(n, 1);
}

/* store_flush returns only after every batch submitted before it is done. */
static void test_flush_waits_for_queued_batches(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    enum { N = 200 };
    static t_item_t its[N];
    static store_write_t ws[N];
    static store_batch_t bs[N];
    atomic_int done = 0;
    for (int i = 0; i < N; i++) {
        char pk[16];
        snprintf(pk, sizeof pk, "f%d", i);
        t_item(&its[i], pk, "v");
        ws[i] = t_put(tid, &its[i]);
        bs[i] = (store_batch_t){.writes = &ws[i], .n_writes = 1, .done = on_counted, .arg = &done};
        store_submit(ts.store, &bs[i]);
    }
    store_flush(ts.store);
    T_ASSERT_EQ(N, atomic_load(&done));
    t_store_close(&ts);
}

int main(void)
{
    T_RUN(test_kv_put_get_list_delete);
    T_RUN(test_kv_is_atomic_with_item_writes);
    T_RUN(test_trim_is_bounded_and_ordered);
    T_RUN(test_table_update_reports_log_position_to_check);
    T_RUN(test_flush_waits_for_queued_batches);
    return t_done();
}
