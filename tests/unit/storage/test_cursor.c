/* SPDX-License-Identifier: MIT
 * test_cursor.c: ordered walks. A table of 10 partitions x 20 numeric sort
 * keys is walked whole (forward and reverse), by partition prefix (Query,
 * numeric order), from an exclusive start key both ways, page by page, and
 * as Scan segments that must be disjoint and together cover the table. */
#include "storage/store_int.h"

#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

T_MAIN_GLOBALS

#define N_PK 10
#define N_SK 20

static uint32_t tid;
static store_reader_t *rd; /* Shared by the tests, begun once. */

static void make_key(int p, int s, store_key_t *k)
{
    char pk[8], sk[8];
    snprintf(pk, sizeof(pk), "p%d", p);
    snprintf(sk, sizeof(sk), "%d", s);
    store_keyval_t kp = {.type = STORE_KT_S, .val = eng_slice_cstr(pk)};
    store_keyval_t ks = {.type = STORE_KT_N, .val = eng_slice_cstr(sk)};
    store_key_encode(&kp, s < 0 ? NULL : &ks, k);
}

static int fill(store_t *s)
{
    static store_write_t ws[N_PK * N_SK];
    static char texts[N_PK * N_SK][64];
    for (int p = 0; p < N_PK; p++) {
        for (int k = 0; k < N_SK; k++) {
            int i = p * N_SK + k;
            snprintf(texts[i], sizeof(texts[i]), "{\"pk\":{\"S\":\"p%d\"},\"sk\":{\"N\":\"%d\"}}",
                     p, k);
            ws[i] = (store_write_t){.kind = STORE_W_PUT,
                                    .table_id = tid,
                                    .keys_json = eng_slice_cstr(texts[i]),
                                    .item = eng_slice_cstr(texts[i]),
                                    .item_size = (uint32_t)strlen(texts[i])};
            make_key(p, k, &ws[i].key);
        }
    }
    store_batch_t b = {.writes = ws, .n_writes = N_PK * N_SK};
    return t_submit_wait(s, &b);
}

/* Walk `rg`, returning the number of items; sks[] gets each item's sort key
 * (parsed from the text) and keys[] (if not NULL) their keys. */
static int walk(store_reader_t *r, const store_range_t *rg, int *sks, store_key_t *keys, int max)
{
    store_cursor_t *c;
    eng_slice_t item;
    static store_key_t k;
    int n = 0;
    if (store_cursor_open(r, tid, rg, &c) < 0)
        return -1;
    while (n < max && store_cursor_next(c, &item, &k) == 0) {
        const char *at = memmem(item.ptr, item.len, "\"N\":\"", 5);
        sks[n] = at ? atoi(at + 5) : -1;
        if (keys)
            keys[n] = k;
        n++;
    }
    store_cursor_close(c);
    return n;
}

static int key_cmp(const store_key_t *a, const store_key_t *b)
{
    int c = memcmp(a->buf, b->buf, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static store_key_t keys[N_PK * N_SK + 1], rkeys[N_PK * N_SK + 1];
static int sks[N_PK * N_SK + 1];

static void test_full_walk_both_ways(void)
{
    store_reader_t *r = rd;
    store_range_t all = {.hash_hi = UINT32_MAX};
    T_ASSERT_EQ(N_PK * N_SK, walk(r, &all, sks, keys, N_PK * N_SK + 1));
    for (int i = 1; i < N_PK * N_SK; i++)
        T_ASSERT(key_cmp(&keys[i - 1], &keys[i]) < 0);
    all.is_reverse = true;
    T_ASSERT_EQ(N_PK * N_SK, walk(r, &all, sks, rkeys, N_PK * N_SK + 1));
    for (int i = 0; i < N_PK * N_SK; i++)
        T_ASSERT_EQ(0, key_cmp(&keys[i], &rkeys[N_PK * N_SK - 1 - i]));
}

static void test_prefix_numeric_order(void)
{
    store_reader_t *r = rd;
    store_key_t prefix;
    make_key(3, -1, &prefix);
    store_range_t q = {.prefix = &prefix, .hash_hi = UINT32_MAX};
    T_ASSERT_EQ(N_SK, walk(r, &q, sks, NULL, N_PK * N_SK));
    for (int i = 0; i < N_SK; i++)
        T_ASSERT_EQ(i, sks[i]); /* 0, 1, 2, ..., 10, 11: numeric, not textual. */
    q.is_reverse = true;
    T_ASSERT_EQ(N_SK, walk(r, &q, sks, NULL, N_PK * N_SK));
    for (int i = 0; i < N_SK; i++)
        T_ASSERT_EQ(N_SK - 1 - i, sks[i]);
}

static void test_after_both_ways(void)
{
    store_reader_t *r = rd;
    store_key_t prefix, after;
    make_key(7, -1, &prefix);
    make_key(7, 5, &after);
    store_range_t q = {.prefix = &prefix, .after = &after, .hash_hi = UINT32_MAX};
    T_ASSERT_EQ(N_SK - 6, walk(r, &q, sks, NULL, N_PK * N_SK));
    T_ASSERT_EQ(6, sks[0]);
    q.is_reverse = true;
    T_ASSERT_EQ(5, walk(r, &q, sks, NULL, N_PK * N_SK));
    T_ASSERT_EQ(4, sks[0]);
    T_ASSERT_EQ(0, sks[4]);
}

static void test_pages_cover_all(void)
{
    store_reader_t *r = rd;
    static store_key_t last, page[7];
    int total = 0, n;
    store_range_t rg = {.hash_hi = UINT32_MAX};
    while ((n = walk(r, &rg, sks, page, 7)) > 0) {
        for (int i = 0; i < n; i++)
            T_ASSERT_EQ(0, key_cmp(&page[i], &keys[total + i]));
        total += n;
        last = page[n - 1];
        rg.after = &last;
    }
    T_ASSERT_EQ(N_PK * N_SK, total);
}

static void test_segments_disjoint_and_covering(void)
{
    store_reader_t *r = rd;
    for (uint32_t n_seg = 1; n_seg <= 7; n_seg += 3) {
        int total = 0;
        for (uint32_t i = 0; i < n_seg; i++) {
            uint64_t lo = ((uint64_t)i << 32) / n_seg, hi = (((uint64_t)i + 1) << 32) / n_seg - 1;
            store_range_t seg = {.hash_lo = (uint32_t)lo, .hash_hi = (uint32_t)hi};
            int n = walk(r, &seg, sks, rkeys, N_PK * N_SK);
            T_ASSERT(n >= 0);
            for (int j = 0; j < n; j++) {
                uint32_t h = store_key_hash(&rkeys[j]);
                T_ASSERT(h >= lo && h <= hi);
            }
            total += n;
        }
        T_ASSERT_EQ(N_PK * N_SK, total); /* Each item in exactly one segment. */
    }
}

int main(void)
{
    t_store_t ts;
    if (t_store_open(&ts) < 0)
        return 1;
    /* Neighbour tables with the same keys: walks must stay inside their own. */
    uint32_t below = t_table_create(ts.store, "below");
    uint32_t mine = t_table_create(ts.store, "t");
    uint32_t above = t_table_create(ts.store, "above");
    tid = below;
    int err = fill(ts.store);
    tid = above;
    if (err == 0)
        err = fill(ts.store);
    tid = mine;
    if (err == 0)
        err = fill(ts.store);
    if (err == 0)
        err = store_reader_create(ts.store, &rd);
    if (err == 0)
        err = store_read_begin(rd);
    if (err < 0)
        return 1;
    T_RUN(test_full_walk_both_ways);
    T_RUN(test_prefix_numeric_order);
    T_RUN(test_after_both_ways);
    T_RUN(test_pages_cover_all);
    T_RUN(test_segments_disjoint_and_covering);
    store_read_end(rd);
    store_reader_destroy(rd);
    t_store_close(&ts);
    return t_done();
}
