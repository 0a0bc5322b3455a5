/* SPDX-License-Identifier: MIT
 * test_writer.c: the writer thread. Concurrent submitters all land; group
 * commit really groups (a held-up commit collects what is queued meanwhile
 * into exactly one more commit); atomic batches roll back alone; check
 * callbacks veto and rewrite; close drains and later submits get ENG_ECLOSED. */
#include "storage/store_int.h"

#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

#include <pthread.h>

T_MAIN_GLOBALS

#define N_THREADS 4
#define N_PER_THREAD 500

typedef struct submitter {
    store_t *store;
    int idx;
    sem_t *all_done;
    atomic_int *n_failed;
    uint32_t tid;
} submitter_t;

typedef struct job {
    store_batch_t batch;
    store_write_t write;
    t_item_t item;
    submitter_t *sub;
} job_t;

static void on_job_done(store_batch_t *b)
{
    job_t *j = container_of(b, job_t, batch);
    if (b->err < 0 || j->write.err < 0 || j->write.seq == 0)
        atomic_fetch_add(j->sub->n_failed, 1);
    sem_post(j->sub->all_done);
}

static void *submit_main(void *arg)
{
    submitter_t *sub = arg;
    job_t *jobs = eng_calloc(N_PER_THREAD, sizeof(*jobs));
    for (int i = 0; i < N_PER_THREAD; i++) {
        char pk[32];
        snprintf(pk, sizeof(pk), "t%d-%d", sub->idx, i);
        t_item(&jobs[i].item, pk, "x");
        jobs[i].write = t_put(sub->tid, &jobs[i].item);
        jobs[i].sub = sub;
        jobs[i].batch =
            (store_batch_t){.writes = &jobs[i].write, .n_writes = 1, .done = on_job_done};
        store_submit(sub->store, &jobs[i].batch);
    }
    return jobs;
}

static uint64_t item_count(store_t *s, const char *table)
{
    store_reader_t *r = NULL;
    store_table_t t = {0};
    if (store_reader_create(s, &r) < 0 || store_read_begin(r) < 0)
        return UINT64_MAX;
    int err = store_table_get(r, eng_slice_cstr(table), &t);
    store_read_end(r);
    store_reader_destroy(r);
    return err < 0 ? UINT64_MAX : t.item_count;
}

static void test_threads_submit_concurrently(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    T_ASSERT(tid != 0);
    sem_t all_done;
    sem_init(&all_done, 0, 0);
    atomic_int n_failed = 0;
    submitter_t subs[N_THREADS];
    pthread_t th[N_THREADS];
    uint64_t commits_before = store__commit_count(ts.store);
    for (int i = 0; i < N_THREADS; i++) {
        subs[i] = (submitter_t){
            .store = ts.store, .idx = i, .all_done = &all_done, .n_failed = &n_failed, .tid = tid};
        pthread_create(&th[i], NULL, submit_main, &subs[i]);
    }
    for (int i = 0; i < N_THREADS * N_PER_THREAD; i++)
        sem_wait(&all_done);
    for (int i = 0; i < N_THREADS; i++) {
        void *jobs;
        pthread_join(th[i], &jobs);
        eng_free(jobs);
    }
    uint64_t commits = store__commit_count(ts.store) - commits_before;
    printf("# %d batches in %llu commits\n", N_THREADS * N_PER_THREAD, (unsigned long long)commits);
    T_ASSERT_EQ(0, atomic_load(&n_failed));
    T_ASSERT(commits >= 1 && commits <= N_THREADS * N_PER_THREAD);
    T_ASSERT_EQ(N_THREADS * N_PER_THREAD, item_count(ts.store, "t"));
    sem_destroy(&all_done);
    t_store_close(&ts);
}

typedef struct gate {
    sem_t entered; /* Posted when the writer is inside the check. */
    sem_t open;    /* Posted by the test to let it go on. */
} gate_t;

/* Holds the writer inside a group until the test has queued the next one. */
static int on_check_block(store_write_t *w, eng_slice_t old, void *arg)
{
    gate_t *g = arg;
    (void)w, (void)old;
    sem_post(&g->entered);
    sem_wait(&g->open);
    return 0;
}

static void on_done_count(store_batch_t *b)
{
    sem_post(b->arg);
}

static void test_group_commit_groups(void)
{
    enum { N = 100 };
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    gate_t gate;
    sem_t done;
    sem_init(&gate.entered, 0, 0);
    sem_init(&gate.open, 0, 0);
    sem_init(&done, 0, 0);
    static job_t jobs[N + 1];
    uint64_t before = store__commit_count(ts.store);
    for (int i = 0; i <= N; i++) {
        char pk[16];
        snprintf(pk, sizeof(pk), "k%d", i);
        t_item(&jobs[i].item, pk, "v");
        jobs[i].write = t_put(tid, &jobs[i].item);
        if (i == 0) {
            jobs[i].write.check = on_check_block;
            jobs[i].write.check_arg = &gate;
        }
        jobs[i].batch = (store_batch_t){
            .writes = &jobs[i].write, .n_writes = 1, .done = on_done_count, .arg = &done};
        store_submit(ts.store, &jobs[i].batch);
        if (i == 0)
            sem_wait(&gate.entered); /* Batch 0's group is sealed and held. */
    }
    sem_post(&gate.open); /* Everything after batch 0 is queued now: one more group. */
    for (int i = 0; i <= N; i++)
        sem_wait(&done);
    T_ASSERT_EQ(2, store__commit_count(ts.store) - before);
    for (int i = 0; i <= N; i++)
        T_ASSERT_OK(jobs[i].write.err);
    T_ASSERT_EQ(N + 1, item_count(ts.store, "t"));
    sem_destroy(&gate.entered);
    sem_destroy(&gate.open);
    sem_destroy(&done);
    t_store_close(&ts);
}

static void test_atomic_batch_rolls_back_alone(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    t_item_t a, b, c;
    t_item(&a, "a", "1");
    t_item(&b, "b", "1");
    t_item(&c, "c", "1");
    store_write_t ws[3] = {t_put(tid, &a), t_put(tid, &b), t_put(tid + 99, &c)};
    store_batch_t batch = {.writes = ws, .n_writes = 3, .is_atomic = true};
    T_ASSERT_EQ(ENG_ENOTFOUND, t_submit_wait(ts.store, &batch));
    T_ASSERT_EQ(ENG_ENOTFOUND, ws[2].err);
    T_ASSERT_EQ(0, ws[0].seq);
    T_ASSERT_EQ(0, item_count(ts.store, "t"));

    /* The same writes, not atomic: the good ones land. */
    store_write_t ws2[3] = {t_put(tid, &a), t_put(tid, &b), t_put(tid + 99, &c)};
    store_batch_t batch2 = {.writes = ws2, .n_writes = 3};
    T_ASSERT_OK(t_submit_wait(ts.store, &batch2));
    T_ASSERT_OK(ws2[0].err);
    T_ASSERT_OK(ws2[1].err);
    T_ASSERT_EQ(ENG_ENOTFOUND, ws2[2].err);
    T_ASSERT_EQ(1, ws2[0].seq); /* The rolled-back batch consumed no sequence numbers. */
    T_ASSERT_EQ(2, ws2[1].seq);
    T_ASSERT_EQ(2, item_count(ts.store, "t"));
    t_store_close(&ts);
}

static int on_check_veto(store_write_t *w, eng_slice_t old, void *arg)
{
    (void)w, (void)old, (void)arg;
    return ENG_ECONDITION;
}

static int on_check_rewrite(store_write_t *w, eng_slice_t old, void *arg)
{
    if (!old.ptr)
        return ENG_ECONDITION; /* attribute_exists(pk) */
    w->item = eng_slice_cstr(arg);
    w->item_size = (uint32_t)w->item.len;
    return 0;
}

static int on_check_to_delete(store_write_t *w, eng_slice_t old, void *arg)
{
    (void)old, (void)arg;
    w->kind = STORE_W_DELETE;
    return 0;
}

static void test_check_veto_and_rewrite(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    t_item_t a;
    t_item(&a, "a", "1");
    store_write_t w = t_put(tid, &a);
    w.check = on_check_rewrite;
    w.check_arg = "{\"pk\":{\"S\":\"a\"},\"v\":{\"S\":\"2\"}}";
    T_ASSERT_EQ(ENG_ECONDITION, t_write1(ts.store, &w)); /* Absent: vetoed. */
    T_ASSERT_EQ(0, item_count(ts.store, "t"));
    w = t_put(tid, &a);
    T_ASSERT_OK(t_write1(ts.store, &w));
    w = t_put(tid, &a);
    w.check = on_check_veto;
    T_ASSERT_EQ(ENG_ECONDITION, t_write1(ts.store, &w));
    T_ASSERT_EQ(0, w.seq);
    w = t_put(tid, &a);
    w.check = on_check_rewrite;
    w.check_arg = "{\"pk\":{\"S\":\"a\"},\"v\":{\"S\":\"2\"}}";
    w.want_old = true;
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT(w.had_old);
    T_ASSERT_MEMEQ(a.text, w.old.ptr, w.old.len);
    eng_buf_free(&w.old);

    store_reader_t *r;
    eng_slice_t got;
    T_ASSERT_OK(store_reader_create(ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    T_ASSERT_OK(store_item_get(r, tid, &a.key, &got));
    T_ASSERT_MEMEQ("{\"pk\":{\"S\":\"a\"},\"v\":{\"S\":\"2\"}}", got.ptr, got.len);
    store_read_end(r);

    w = t_put(tid, &a);
    w.check = on_check_to_delete;
    T_ASSERT_OK(t_write1(ts.store, &w));
    T_ASSERT(w.seq > 0);
    T_ASSERT_OK(store_read_begin(r));
    T_ASSERT_EQ(ENG_ENOTFOUND, store_item_get(r, tid, &a.key, &got));
    store_read_end(r);
    store_reader_destroy(r);
    t_store_close(&ts);
}

typedef struct close_race {
    store_t *store;
    gate_t gate;
    sem_t done;
    store_batch_t late;
    int late_err;
} close_race_t;

static void on_late_done(store_batch_t *b)
{
    close_race_t *cr = b->arg;
    cr->late_err = b->err;
    sem_post(&cr->done);
}

/* Runs during store_close: the store is closing, so this submit must fail. */
static void on_first_done(store_batch_t *b)
{
    close_race_t *cr = b->arg;
    cr->late = (store_batch_t){.done = on_late_done, .arg = cr};
    store_submit(cr->store, &cr->late);
    sem_post(&cr->done);
}

static void *close_main(void *arg)
{
    store_close(arg);
    return NULL;
}

static void test_closed_after_close_began(void)
{
    t_store_t ts;
    T_ASSERT_OK(t_store_open(&ts));
    uint32_t tid = t_table_create(ts.store, "t");
    close_race_t cr = {.store = ts.store};
    sem_init(&cr.gate.entered, 0, 0);
    sem_init(&cr.gate.open, 0, 0);
    sem_init(&cr.done, 0, 0);
    t_item_t a;
    t_item(&a, "a", "1");
    store_write_t w = t_put(tid, &a);
    w.check = on_check_block;
    w.check_arg = &cr.gate;
    store_batch_t first = {.writes = &w, .n_writes = 1, .done = on_first_done, .arg = &cr};
    store_submit(ts.store, &first);
    pthread_t th;
    pthread_create(&th, NULL, close_main, ts.store);
    for (bool is_closing = false; !is_closing; usleep(1000)) {
        pthread_mutex_lock(&ts.store->mu);
        is_closing = ts.store->is_closing;
        pthread_mutex_unlock(&ts.store->mu);
    }
    sem_post(&cr.gate.open);
    sem_wait(&cr.done);
    sem_wait(&cr.done);
    pthread_join(th, NULL);
    T_ASSERT_OK(first.err); /* Queued before close: drained and committed. */
    T_ASSERT_OK(w.err);
    T_ASSERT_EQ(ENG_ECLOSED, cr.late_err);
    ts.store = NULL;
    t_store_close(&ts);
    sem_destroy(&cr.gate.entered);
    sem_destroy(&cr.gate.open);
    sem_destroy(&cr.done);
}

int main(void)
{
    T_RUN(test_threads_submit_concurrently);
    T_RUN(test_group_commit_groups);
    T_RUN(test_atomic_batch_rolls_back_alone);
    T_RUN(test_check_veto_and_rewrite);
    T_RUN(test_closed_after_close_began);
    return t_done();
}
