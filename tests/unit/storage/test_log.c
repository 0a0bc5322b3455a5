/* SPDX-License-Identifier: MIT
 * test_log.c: the change log. Exactly one record per change and none for
 * no-ops; INSERT/MODIFY/REMOVE carry the right images; sequence numbers
 * increase from 1 and survive close/reopen; counters follow; dropping a
 * table drops its log. Records are checked by parsing them with cJSON. */
#include "storage/store_int.h"

#include "engine/json.h"
#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

T_MAIN_GLOBALS

typedef struct rec {
    uint64_t seq;
    cJSON *json; /* Owned. */
} rec_t;

/* Read every record of table `tid` after `after`; returns how many (max n). */
static size_t read_log(store_t *s, uint32_t tid, uint64_t after, rec_t *out, size_t n)
{
    store_reader_t *r;
    size_t got = 0;
    if (store_reader_create(s, &r) < 0)
        return 0;
    store_read_begin(r);
    eng_slice_t text;
    uint64_t seq;
    while (got < n && store_log_next(r, tid, after, &seq, &text) == 0) {
        out[got].seq = seq;
        if (eng_json_parse(text.ptr, text.len, &out[got].json) < 0)
            out[got].json = NULL;
        after = seq;
        got++;
    }
    store_read_end(r);
    store_reader_destroy(r);
    return got;
}

static void free_recs(rec_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        eng_json_delete(r[i].json);
}

static const char *image_v(const cJSON *rec, const char *image)
{
    const cJSON *img = eng_json_get(eng_json_get(rec, "dynamodb"), image);
    return img ? eng_json_get_str(eng_json_get(img, "v"), "S") : NULL;
}

static void test_one_record_per_change(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    t_item_t a1, a2, b;
    t_item(&a1, "a", "1");
    t_item(&a2, "a", "2");
    t_item(&b, "b", "1");
    store_write_t w;
    w = t_put(tid, &a1);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(1, w.seq);
    w = t_put(tid, &a1);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(0, w.seq);
    w = t_put(tid, &a2);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(2, w.seq);
    w = t_del(tid, &b);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(0, w.seq);
    w = t_del(tid, &a2);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(3, w.seq);

    rec_t recs[8];
    size_t n = read_log(ts.store, tid, 0, recs, 8);
    T_ASSERT_EQ(3, n);
    static const char *const names[] = {"INSERT", "MODIFY", "REMOVE"};
    for (size_t i = 0; i < n; i++) {
        T_ASSERT(recs[i].json != NULL);
        T_ASSERT_EQ(i + 1, recs[i].seq);
        T_ASSERT_STREQ(names[i], eng_json_get_str(recs[i].json, "eventName"));
        T_ASSERT_STREQ("aws:dynamodb", eng_json_get_str(recs[i].json, "eventSource"));
        T_ASSERT_STREQ("us-east-1", eng_json_get_str(recs[i].json, "awsRegion"));
        T_ASSERT_EQ(32, strlen(eng_json_get_str(recs[i].json, "eventID")));
        const cJSON *d = eng_json_get(recs[i].json, "dynamodb");
        char want_seq[32];
        snprintf(want_seq, sizeof(want_seq), "%021zu", i + 1);
        T_ASSERT_STREQ(want_seq, eng_json_get_str(d, "SequenceNumber"));
        T_ASSERT_STREQ("NEW_AND_OLD_IMAGES", eng_json_get_str(d, "StreamViewType"));
        T_ASSERT_STREQ("a", eng_json_get_str(eng_json_get(eng_json_get(d, "Keys"), "pk"), "S"));
        T_ASSERT(cJSON_IsNumber(eng_json_get(d, "ApproximateCreationDateTime")));
        T_ASSERT(cJSON_IsNumber(eng_json_get(d, "SizeBytes")));
    }
    T_ASSERT_STREQ("1", image_v(recs[0].json, "NewImage"));
    T_ASSERT(!eng_json_get(eng_json_get(recs[0].json, "dynamodb"), "OldImage"));
    T_ASSERT_STREQ("2", image_v(recs[1].json, "NewImage"));
    T_ASSERT_STREQ("1", image_v(recs[1].json, "OldImage"));
    T_ASSERT(!eng_json_get(eng_json_get(recs[2].json, "dynamodb"), "NewImage"));
    T_ASSERT_STREQ("2", image_v(recs[2].json, "OldImage"));
    T_ASSERT(strcmp(eng_json_get_str(recs[0].json, "eventID"),
                    eng_json_get_str(recs[1].json, "eventID")) != 0);
    free_recs(recs, n);
    t_store_close(&ts);
}

static void test_survives_reopen(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    t_item_t it[3];
    store_write_t w;
    for (int i = 0; i < 3; i++) {
        char pk[8];
        snprintf(pk, sizeof(pk), "k%d", i);
        t_item(&it[i], pk, "v");
        w = t_put(tid, &it[i]);
        T_ASSERT_OK(t_write1(ts.store, &w));
    }
    T_ASSERT_OK(t_store_reopen(&ts));
    w = t_del(tid, &it[1]);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(4, w.seq); /* Never reused across restarts. */
    rec_t recs[8];
    size_t n = read_log(ts.store, tid, 2, recs, 8);
    T_ASSERT_EQ(2, n);
    T_ASSERT_EQ(3, recs[0].seq);
    T_ASSERT_EQ(4, recs[1].seq);
    T_ASSERT_STREQ("REMOVE", eng_json_get_str(recs[1].json, "eventName"));
    free_recs(recs, n);

    store_reader_t *r;
    store_table_t t;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    T_ASSERT_OK(store_table_get(r, ENG_SLICE_LIT("t"), &t));
    T_ASSERT_EQ(2, t.item_count);
    T_ASSERT_EQ(2 * strlen(it[0].text), t.size_bytes);
    T_ASSERT_EQ(4, t.last_seq);
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

static void test_table_drop_removes_log(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    t_item_t a;
    t_item(&a, "a", "1");
    store_write_t w = t_put(tid, &a);
    T_ASSERT_OK(t_write1(ts.store, &w));
    store_write_t drop = {
        .kind = STORE_W_TABLE_DELETE, .table = ENG_SLICE_LIT("t"), .want_old = true};
    T_ASSERT_OK(t_write1(ts.store, &drop));
    T_ASSERT(drop.had_old);
    eng_buf_free(&drop.old);
    rec_t recs[2];
    T_ASSERT_EQ(0, read_log(ts.store, tid, 0, recs, 2));
    uint32_t tid2 = t_table_create(ts.store, "t");
    T_ASSERT(tid2 != tid); /* Ids are never reused. */
    w = t_put(tid, &a);
    T_ASSERT_EQ(ENG_ENOTFOUND, t_write1(ts.store, &w));
    w = t_put(tid2, &a);
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT_EQ(1, w.seq);
    t_store_close(&ts);
}

static void on_commit(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

static void test_commit_cb_only_with_records(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    atomic_int n = 0;
    store_set_commit_cb(ts.store, on_commit, &n);
    uint32_t tid = t_table_create(ts.store, "t"); /* DDL appends no record. */
    t_item_t a, b;
    t_item(&a, "a", "1");
    t_item(&b, "b", "1");
    store_write_t w = t_put(tid, &a);
    T_ASSERT_OK(t_write1(ts.store, &w));
    w = t_put(tid, &a);
    T_ASSERT_OK(t_write1(ts.store, &w)); /* No-op: no record, no callback. */
    w = t_put(tid, &b);
    T_ASSERT_OK(t_write1(ts.store, &w));
    /* The callback runs after done: closing joins the writer, so all have run. */
    store_close(ts.store);
    ts.store = NULL;
    T_ASSERT_EQ(2, atomic_load(&n));
    t_store_close(&ts);
}

int main(void)
{
    T_RUN(test_one_record_per_change);
    T_RUN(test_survives_reopen);
    T_RUN(test_table_drop_removes_log);
    T_RUN(test_commit_cb_only_with_records);
    return t_done();
}
