/* SPDX-License-Identifier: MIT
 * writer.c: the one writer thread and its group commit. Everything queued
 * while a commit runs becomes the next group: one LMDB txn, one commit (one
 * fsync in full durability), then every batch's done callback, then the
 * commit callback. Atomic batches run in a nested txn so they roll back
 * alone; MDB_MAP_FULL aborts the group, grows the map and replays it.
 * What a single write does to the tables lives in apply.c and table.c. */
#include "storage/store_int.h"

#include "engine/err.h"

#include <errno.h>

typedef int (*apply_fn)(store__wctx_t *w, store_write_t *wr);

static const apply_fn apply_fns[] = {
    [STORE_W_PUT] = store__apply,
    [STORE_W_DELETE] = store__apply,
    [STORE_W_TABLE_CREATE] = store__table_apply,
    [STORE_W_TABLE_UPDATE] = store__table_apply,
    [STORE_W_TABLE_DELETE] = store__table_apply,
    [STORE_W_KV_PUT] = store__kv_apply,
    [STORE_W_KV_DELETE] = store__kv_apply,
    [STORE_W_LOG_TRIM] = store__trim_apply,
};

static void fail_batch(store_batch_t *b, int err)
{
    b->err = err;
    for (size_t i = 0; i < b->n_writes; i++) {
        b->writes[i].err = err;
        b->writes[i].seq = 0;
    }
}

void store_submit(store_t *store, store_batch_t *batch)
{
    batch->next_ = NULL;
    batch->err = 0;
    pthread_mutex_lock(&store->mu);
    if (store->is_closing) {
        pthread_mutex_unlock(&store->mu);
        fail_batch(batch, ENG_ECLOSED);
        batch->done(batch);
        return;
    }
    if (store->tail)
        store->tail->next_ = batch;
    else
        store->head = batch;
    store->tail = batch;
    pthread_cond_signal(&store->cv);
    pthread_mutex_unlock(&store->mu);
}

/* A store_submit_wait caller's wait, on its stack, reached through b->arg. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool is_done;
} waiter_t;

static void on_waited(store_batch_t *b) /* Writer thread. */
{
    waiter_t *w = b->arg;
    pthread_mutex_lock(&w->mu);
    w->is_done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int store_submit_wait(store_t *store, store_batch_t *batch)
{
    waiter_t w = {.is_done = false};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    batch->done = on_waited;
    batch->arg = &w;
    store_submit(store, batch);
    pthread_mutex_lock(&w.mu);
    while (!w.is_done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return batch->err;
}

void store_flush(store_t *store)
{
    /* An empty batch queued behind everything else. */
    (void)store_submit_wait(store, &(store_batch_t){0});
}

static int apply_one(store__wctx_t *w, store_write_t *wr)
{
    if ((size_t)wr->kind >= ENG_ARRAY_LEN(apply_fns) || !apply_fns[wr->kind])
        return ENG_EINVAL;
    return apply_fns[wr->kind](w, wr);
}

/* An atomic batch: a nested txn that is dropped alone if any write fails.
 * A failed condition does not stop the walk: DynamoDB reports every
 * action's own outcome (CancellationReasons), and the actions touch
 * distinct items, so a later check never sees an earlier action's effect
 * that matters. Any other error stops at once. */
static void apply_atomic(store__wctx_t *w, store_batch_t *b)
{
    MDB_txn *parent = w->txn, *child = NULL;
    int rc = mdb_txn_begin(w->store->env, parent, 0, &child);
    if (rc != 0) {
        b->err = store__werr(w, rc, "mdb_txn_begin(nested)");
        return;
    }
    bool had_records = w->has_records;
    int err = 0;
    w->txn = child;
    for (size_t i = 0; i < b->n_writes && (err == 0 || err == ENG_ECONDITION) && !w->is_fatal;
         i++) {
        int e = b->writes[i].err = apply_one(w, &b->writes[i]);
        if (e < 0 && (err == 0 || e != ENG_ECONDITION))
            err = e;
    }
    w->txn = parent;
    if (err == 0 && !w->is_fatal) {
        rc = mdb_txn_commit(child);
        if (rc != 0)
            store__werr(w, rc, "mdb_txn_commit(nested)");
        return;
    }
    mdb_txn_abort(child);
    w->has_records = had_records;
    b->err = err;
    for (size_t i = 0; i < b->n_writes; i++)
        b->writes[i].seq = 0;
}

static void apply_batch(store__wctx_t *w, store_batch_t *b)
{
    if (b->is_atomic) {
        apply_atomic(w, b);
        return;
    }
    /* Writes check before they change anything, so a failed write leaves
     * nothing behind and needs no nested txn of its own. */
    for (size_t i = 0; i < b->n_writes && !w->is_fatal; i++)
        b->writes[i].err = apply_one(w, &b->writes[i]);
}

static void reset_results(store__wctx_t *w, store_batch_t *group)
{
    w->is_map_full = w->is_fatal = w->has_records = false;
    w->now_s = (int64_t)time(NULL);
    for (store_batch_t *b = group; b; b = b->next_) {
        b->err = 0;
        for (size_t i = 0; i < b->n_writes; i++) {
            store_write_t *wr = &b->writes[i];
            wr->err = 0;
            wr->had_old = false;
            wr->seq = 0;
            eng_buf_reset(&wr->old);
        }
    }
}

/* One attempt at the group. Returns 0 or a group-wide ENG_* code. */
static int run_once(store__wctx_t *w, store_batch_t *group)
{
    store_t *s = w->store;
    reset_results(w, group);
    int rc = mdb_txn_begin(s->env, NULL, 0, &w->txn);
    if (rc != 0)
        return store__werr(w, rc, "mdb_txn_begin");
    for (store_batch_t *b = group; b && !w->is_fatal; b = b->next_)
        apply_batch(w, b);
    if (w->is_fatal) {
        mdb_txn_abort(w->txn);
        w->txn = NULL;
        return w->is_map_full ? ENG_ENOSPC : ENG_EIO;
    }
    rc = mdb_txn_commit(w->txn); /* Frees the txn, also on failure. */
    w->txn = NULL;
    if (rc != 0)
        return store__werr(w, rc, "mdb_txn_commit");
    atomic_fetch_add(&s->n_commits, 1);
    return 0;
}

static void mark_dirty(store_t *s)
{
    if (s->durability != STORE_DURABILITY_RELAXED || s->is_dirty)
        return;
    s->is_dirty = true;
    clock_gettime(CLOCK_MONOTONIC, &s->sync_due);
    s->sync_due.tv_sec += 1;
}

static void run_group(store__wctx_t *w, store_batch_t *group)
{
    store_t *s = w->store;
    int err = run_once(w, group);
    while (err < 0 && w->is_map_full) {
        err = store__map_grow(s);
        if (err < 0)
            break;
        err = run_once(w, group);
    }
    if (err == 0)
        mark_dirty(s);
    bool has_records = err == 0 && w->has_records;
    /* Durable before visible: done runs only after the commit returned. */
    for (store_batch_t *b = group, *next; b; b = next) {
        next = b->next_;
        if (err < 0)
            fail_batch(b, err);
        b->done(b);
    }
    if (has_records && s->commit_cb)
        s->commit_cb(s->commit_arg);
}

/* Pop batches up to STORE__GROUP_MAX_WRITES writes (at least one batch). Called locked. */
static store_batch_t *take_group(store_t *s)
{
    store_batch_t *group = s->head, *last = s->head;
    size_t n = last->n_writes;
    while (last->next_ && n + last->next_->n_writes <= STORE__GROUP_MAX_WRITES) {
        last = last->next_;
        n += last->n_writes;
    }
    s->head = last->next_;
    if (!s->head)
        s->tail = NULL;
    last->next_ = NULL;
    return group;
}

static bool is_sync_due(const store_t *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > s->sync_due.tv_sec ||
           (now.tv_sec == s->sync_due.tv_sec && now.tv_nsec >= s->sync_due.tv_nsec);
}

/* Relaxed durability: sync once the deadline passed. Called unlocked. */
static void maybe_sync(store_t *s)
{
    if (!s->is_dirty || !is_sync_due(s))
        return;
    s->is_dirty = false;
    int rc = mdb_env_sync(s->env, 1);
    if (rc != 0)
        store__err(s, rc, "mdb_env_sync");
}

/* Sleep until work arrives (or the relaxed sync is due). Called locked. */
static void wait_for_work(store_t *s)
{
    if (!s->is_dirty) {
        pthread_cond_wait(&s->cv, &s->mu);
        return;
    }
    int rc = pthread_cond_timedwait(&s->cv, &s->mu, &s->sync_due);
    if (rc == ETIMEDOUT) {
        pthread_mutex_unlock(&s->mu);
        maybe_sync(s);
        pthread_mutex_lock(&s->mu);
    }
}

void *store__writer_main(void *arg)
{
    store_t *s = arg;
    store__wctx_t w = {.store = s};
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (!s->head) {
            if (s->is_closing)
                break;
            wait_for_work(s);
            continue;
        }
        store_batch_t *group = take_group(s);
        pthread_mutex_unlock(&s->mu);
        run_group(&w, group);
        maybe_sync(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    eng_buf_free(&w.rec);
    return NULL;
}
