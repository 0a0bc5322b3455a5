/* SPDX-License-Identifier: MIT
 * retention.c: the background trimmer of the change log. One thread wakes
 * every interval, finds per table the highest seq older than the retention
 * (reading at most STORE_TRIM_MAX records per table per pass with a read
 * transaction, which never waits for the writer) and queues one LOG_TRIM
 * write for it, waiting for that commit before the next table, so the writer
 * never sees more than one bounded trim at a time. It trims every table: the
 * change log is always on, stream or not. */
#include "streams/strm.h"

#include "engine/err.h"
#include "engine/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#define DEFAULT_RETENTION_S (24u * 3600u)
#define DEFAULT_INTERVAL_MS 60000u
#define BACKLOG_INTERVAL_MS 20u /* Next pass soon when a table had a full chunk. */

struct strm_retention {
    store_t *store;         /* Borrowed. */
    store_reader_t *reader; /* Owned; the trimmer thread only. */
    uint64_t retention_s;
    unsigned interval_ms;
    pthread_t thread;
    pthread_mutex_t mu; /* Guards is_stopping. */
    pthread_cond_t cv;  /* Signalled on stop. */
    bool is_stopping;
    store_write_t write; /* The one LOG_TRIM in flight. */
    store_batch_t batch;
};

/* Submit one LOG_TRIM and wait for its commit. True when something was trimmed. */
static bool trim_once(strm_retention_t *ret, uint32_t table_id, uint64_t upto)
{
    ret->write = (store_write_t){.kind = STORE_W_LOG_TRIM, .table_id = table_id, .trim_upto = upto};
    ret->batch = (store_batch_t){.writes = &ret->write, .n_writes = 1};
    int err = store_submit_wait(ret->store, &ret->batch);
    err = err ? err : ret->write.err;
    if (err < 0 && err != ENG_ECLOSED)
        ENG_WARN("streams", "log trim of table %u failed: %s", table_id, eng_strerror(err));
    return err == 0 && ret->write.seq != 0;
}

/* The highest seq among the table's first STORE_TRIM_MAX records older than
 * `cutoff_s`, 0 if none. *is_full tells the chunk was full (more may be due). */
static uint64_t find_upto(store_reader_t *r, uint32_t table_id, int64_t cutoff_s, bool *is_full)
{
    uint64_t seq = 0, upto = 0;
    eng_slice_t rec;
    unsigned n = 0;
    while (n < STORE_TRIM_MAX && store_log_next(r, table_id, seq, &seq, &rec) == 0) {
        int64_t t;
        if (strm_record_time(rec, &t) < 0 || t >= cutoff_s)
            break;
        upto = seq;
        n++;
    }
    *is_full = n == STORE_TRIM_MAX;
    return upto;
}

typedef struct due {
    uint32_t table_id;
    uint64_t upto;
} due_t;

/* Collect what is due with one read snapshot, then trim table by table. */
static bool run_pass(strm_retention_t *ret)
{
    int64_t cutoff = (int64_t)time(NULL) - (int64_t)ret->retention_s;
    due_t *dues = NULL;
    size_t n = 0, cap = 0;
    bool has_backlog = false;
    if (store_read_begin(ret->reader) < 0)
        return false;
    store_table_t t;
    eng_slice_t after = eng_slice("", 0);
    while (store_table_next(ret->reader, after, &t) == 0) {
        bool is_full = false;
        uint64_t upto = find_upto(ret->reader, t.id, cutoff, &is_full);
        has_backlog = has_backlog || is_full;
        if (upto && n == cap) {
            cap = cap ? cap * 2 : 16;
            dues = eng_realloc(dues, cap * sizeof(*dues));
        }
        if (upto)
            dues[n++] = (due_t){.table_id = t.id, .upto = upto};
        after = t.name;
    }
    store_read_end(ret->reader);
    for (size_t i = 0; i < n; i++)
        trim_once(ret, dues[i].table_id, dues[i].upto);
    eng_free(dues);
    return has_backlog;
}

/* Wait `ms` or until stopping. Returns true when stopping. */
static bool wait_ms(strm_retention_t *ret, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ret->mu);
    while (!ret->is_stopping && pthread_cond_timedwait(&ret->cv, &ret->mu, &until) == 0)
        ;
    bool is_stopping = ret->is_stopping;
    pthread_mutex_unlock(&ret->mu);
    return is_stopping;
}

static void *trimmer_main(void *arg)
{
    strm_retention_t *ret = arg;
    unsigned next_ms = ret->interval_ms;
    while (!wait_ms(ret, next_ms))
        next_ms = run_pass(ret) ? BACKLOG_INTERVAL_MS : ret->interval_ms;
    return NULL;
}

int strm_retention_create(store_t *store, const strm_retention_config_t *cfg,
                          strm_retention_t **out)
{
    strm_retention_t *ret = eng_calloc(1, sizeof(*ret));
    ret->store = store;
    ret->retention_s = cfg && cfg->retention_s ? cfg->retention_s : DEFAULT_RETENTION_S;
    ret->interval_ms = cfg && cfg->interval_ms ? cfg->interval_ms : DEFAULT_INTERVAL_MS;
    pthread_mutex_init(&ret->mu, NULL);
    pthread_cond_init(&ret->cv, NULL);
    int err = store_reader_create(store, &ret->reader);
    if (err == 0 && pthread_create(&ret->thread, NULL, trimmer_main, ret) != 0)
        err = ENG_EIO;
    if (err < 0) {
        store_reader_destroy(ret->reader);
        pthread_cond_destroy(&ret->cv);
        pthread_mutex_destroy(&ret->mu);
        eng_free(ret);
        return ENG_EIO;
    }
    *out = ret;
    return 0;
}

void strm_retention_destroy(strm_retention_t *ret)
{
    if (!ret)
        return;
    pthread_mutex_lock(&ret->mu);
    ret->is_stopping = true;
    pthread_cond_broadcast(&ret->cv);
    pthread_mutex_unlock(&ret->mu);
    pthread_join(ret->thread, NULL);
    store_reader_destroy(ret->reader);
    pthread_cond_destroy(&ret->cv);
    pthread_mutex_destroy(&ret->mu);
    eng_free(ret);
}
