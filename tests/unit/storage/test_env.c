/* SPDX-License-Identifier: MIT
 * test_env.c: the environment. The map grows on demand from 256 KiB while a
 * reader keeps reading on another thread (no write fails, no crash); a
 * second open of the same directory gets ENG_EBUSY; durability names parse;
 * every durability mode keeps acknowledged writes across a clean close. */
#include "storage/store_int.h"

#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

#include <pthread.h>

T_MAIN_GLOBALS

#define N_BATCHES 200
#define BATCH 25

typedef struct reader_arg {
    store_t *store;
    uint32_t tid;
    atomic_bool stop;
    atomic_int n_reads;
    atomic_int n_errors;
} reader_arg_t;

static void read_once(store_reader_t *r, reader_arg_t *ra)
{
    store_table_t t;
    store_cursor_t *c;
    eng_slice_t item;
    store_range_t all = {.hash_hi = UINT32_MAX};
    if (store_table_get(r, ENG_SLICE_LIT("t"), &t) < 0 ||
        store_cursor_open(r, ra->tid, &all, &c) < 0) {
        atomic_fetch_add(&ra->n_errors, 1);
        return;
    }
    for (int i = 0; i < 10 && store_cursor_next(c, &item, NULL) == 0; i++)
        if (item.len == 0 || item.ptr[0] != '{')
            atomic_fetch_add(&ra->n_errors, 1);
    store_cursor_close(c);
}

static void *reader_main(void *arg)
{
    reader_arg_t *ra = arg;
    store_reader_t *r;
    if (store_reader_create(ra->store, &r) < 0) {
        atomic_fetch_add(&ra->n_errors, 1);
        return NULL;
    }
    while (!atomic_load(&ra->stop)) {
        if (store_read_begin(r) < 0) {
            atomic_fetch_add(&ra->n_errors, 1);
            break;
        }
        read_once(r, ra);
        store_read_end(r);
        atomic_fetch_add(&ra->n_reads, 1);
    }
    store_reader_destroy(r);
    return NULL;
}

typedef struct big {
    t_item_t it;
    char text[1200];
} big_t;

static void test_map_grows_with_reader_active(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open_cfg(&ts, (store_config_t){.durability = STORE_DURABILITY_NONE,
                                                       .initial_map_bytes = 256 << 10}));
    size_t map0 = ts.store->map_bytes;
    uint32_t tid = t_table_create(ts.store, "t");
    T_ASSERT(tid != 0);
    reader_arg_t ra = {.store = ts.store, .tid = tid};
    pthread_t th;
    pthread_create(&th, NULL, reader_main, &ra);
    big_t *items = eng_calloc(BATCH, sizeof(*items));
    store_write_t ws[BATCH];
    int n_failed = 0;
    for (int b = 0; b < N_BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            char pk[32];
            snprintf(pk, sizeof(pk), "k%d-%d", b, i);
            t_item(&items[i].it, pk, NULL);
            int n = snprintf(items[i].text, sizeof(items[i].text),
                             "{\"pk\":{\"S\":\"%s\"},\"v\":{\"S\":\"", pk);
            memset(items[i].text + n, 'x', 1000);
            memcpy(items[i].text + n + 1000, "\"}}", 4);
            ws[i] = t_put(tid, &items[i].it);
            ws[i].item = eng_slice_cstr(items[i].text);
            ws[i].item_size = (uint32_t)ws[i].item.len;
        }
        store_batch_t batch = {.writes = ws, .n_writes = BATCH};
        n_failed += t_submit_wait(ts.store, &batch) != 0;
        for (int i = 0; i < BATCH; i++)
            n_failed += ws[i].err != 0;
    }
    atomic_store(&ra.stop, true);
    pthread_join(th, NULL);
    eng_free(items);
    printf("# map %zu -> %zu bytes, %d reads during the load\n", map0, ts.store->map_bytes,
           atomic_load(&ra.n_reads));
    T_ASSERT_EQ(0, n_failed);
    T_ASSERT_EQ(0, atomic_load(&ra.n_errors));
    T_ASSERT(atomic_load(&ra.n_reads) > 0);
    T_ASSERT(ts.store->map_bytes > map0);

    store_reader_t *r;
    store_table_t t;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    T_ASSERT_OK(store_table_get(r, ENG_SLICE_LIT("t"), &t));
    T_ASSERT_EQ(N_BATCHES * BATCH, t.item_count);
    T_ASSERT_EQ(N_BATCHES * BATCH, t.last_seq);
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

static void test_second_open_is_busy(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    store_t *other = NULL;
    store_config_t cfg = {.dir = ts.dir};
    T_ASSERT_EQ(ENG_EBUSY, store_open(&cfg, &other));
    T_ASSERT(other == NULL);
    t_store_close(&ts);
}

static void test_durability_parse(void)
{
    store_durability_t d;
    T_ASSERT_OK(store_durability_parse("full", &d));
    T_ASSERT_EQ(STORE_DURABILITY_FULL, d);
    T_ASSERT_OK(store_durability_parse("relaxed", &d));
    T_ASSERT_EQ(STORE_DURABILITY_RELAXED, d);
    T_ASSERT_OK(store_durability_parse("none", &d));
    T_ASSERT_EQ(STORE_DURABILITY_NONE, d);
    T_ASSERT_EQ(ENG_EINVAL, store_durability_parse("sometimes", &d));
}

static void test_every_mode_keeps_writes(void)
{
    for (int mode = STORE_DURABILITY_FULL; mode <= STORE_DURABILITY_NONE; mode++) {
        t_store_t ts;
        T_ASSERT_OK(t_store_open_cfg(&ts, (store_config_t){.durability = mode}));
        uint32_t tid = t_table_create(ts.store, "t");
        t_item_t a;
        t_item(&a, "a", "1");
        store_write_t w = t_put(tid, &a);
        T_ASSERT_OK(t_write1(ts.store, &w));
        T_ASSERT_OK(t_store_reopen(&ts));
        store_reader_t *r;
        eng_slice_t got;
        T_ASSERT_OK(store_reader_create(ts.store, &r));
        T_ASSERT_OK(store_read_begin(r));
        T_ASSERT_OK(store_item_get(r, tid, &a.key, &got));
        T_ASSERT_MEMEQ(a.text, got.ptr, got.len);
        store_read_end(r);
        store_reader_destroy(r);
        t_store_close(&ts);
    }
}

static void test_unwritable_dir(void)
{
    store_t *s = NULL;
    store_config_t cfg = {.dir = "/proc/eddy-cannot-exist"};
    int err = store_open(&cfg, &s);
    T_ASSERT(err == ENG_EACCES || err == ENG_EIO);
    T_ASSERT(s == NULL);
}

int main(void)
{
    T_RUN(test_map_grows_with_reader_active);
    T_RUN(test_second_open_is_busy);
    T_RUN(test_durability_parse);
    T_RUN(test_every_mode_keeps_writes);
    T_RUN(test_unwritable_dir);
    return t_done();
}
