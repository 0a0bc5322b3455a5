/* SPDX-License-Identifier: MIT
 * dispatch_stamp.c: exact commit times for IteratorAge. After every commit
 * that appended change-log records, the writer thread (in the dispatcher's
 * commit callback) reads each watched table's last sequence number and
 * queues (last_seq, commit time) per watched table; a record's commit time
 * is then the time of the first queued group at or above its seq (binary
 * search, so every mapping of the table shares one queue). The queue is
 * bounded: a mapping that lags by more commits than it holds falls back to
 * the record's own (whole-second) creation time. */
#include "streams/dispatch_int.h"

#include "engine/err.h"

#include <stdio.h>

#define STAMPS_MAX 65536u /* Commits a mapping may lag by and keep exact ages. */

static void stamp_push(esm_stamps_t *q, uint64_t seq, uint64_t ms)
{
    if (q->len && q->s[(q->head + q->len - 1) % q->cap].seq >= seq)
        return; /* Nothing new for this table in this commit. */
    if (q->len == q->cap && q->cap == STAMPS_MAX) {
        q->dropped_upto = q->s[q->head].seq; /* Oldest goes: its records lose exactness. */
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
    if (q->len == q->cap) {
        const size_t cap = q->cap ? q->cap * 2 : 64;
        esm_stamp_t *s = eng_malloc(cap * sizeof(*s));
        for (size_t i = 0; i < q->len; i++)
            s[i] = q->s[(q->head + i) % q->cap];
        eng_free(q->s);
        q->s = s, q->cap = cap, q->head = 0;
    }
    q->s[(q->head + q->len++) % q->cap] = (esm_stamp_t){.seq = seq, .commit_ms = ms};
}

void strm__stamps_free(strm_dispatch_t *d)
{
    for (size_t i = 0; i < d->n_tables; i++)
        eng_free(d->tables[i].s);
    eng_free(d->tables);
    d->tables = NULL;
    d->n_tables = 0;
}

void strm__stamp_commit(strm_dispatch_t *d, uint64_t now_ms)
{
    if (!d->n_tables || store_read_begin(d->stamp_reader) < 0)
        return;
    for (size_t i = 0; i < d->n_tables; i++) {
        esm_stamps_t *q = &d->tables[i];
        store_table_t t;
        if (store_table_get(d->stamp_reader, eng_slice_cstr(q->table), &t) == 0 &&
            t.id == q->table_id)
            stamp_push(q, t.last_seq, now_ms);
    }
    store_read_end(d->stamp_reader);
}

void strm__stamp_watch(strm_dispatch_t *d, const char *name, uint32_t table_id)
{
    pthread_mutex_lock(&d->inbox_mu);
    esm_stamps_t *q = NULL;
    for (size_t i = 0; i < d->n_tables && !q; i++)
        q = strcmp(d->tables[i].table, name) == 0 ? &d->tables[i] : NULL;
    if (!q) {
        d->tables = eng_realloc(d->tables, (d->n_tables + 1) * sizeof(*d->tables));
        q = &d->tables[d->n_tables++];
        *q = (esm_stamps_t){0};
        snprintf(q->table, sizeof q->table, "%s", name);
    }
    if (q->table_id != table_id) { /* New, or the table was recreated. */
        eng_free(q->s);
        *q = (esm_stamps_t){.table_id = table_id};
        snprintf(q->table, sizeof q->table, "%s", name);
    }
    pthread_mutex_unlock(&d->inbox_mu);
}

/* Index (from head) of the first stamp with seq >= `seq`, or q->len. */
static size_t stamp_find(const esm_stamps_t *q, uint64_t seq)
{
    size_t lo = 0, hi = q->len;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (q->s[(q->head + mid) % q->cap].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint64_t find_time(strm_dispatch_t *d, uint32_t table_id, uint64_t seq)
{
    for (size_t i = 0; i < d->n_tables; i++) {
        const esm_stamps_t *q = &d->tables[i];
        if (q->table_id != table_id)
            continue;
        const size_t at = stamp_find(q, seq);
        /* Exact when the group before it is known, or nothing was dropped. */
        if (at < q->len && (at > 0 || seq > q->dropped_upto))
            return q->s[(q->head + at) % q->cap].commit_ms;
    }
    return 0;
}

uint64_t strm__stamp_time(strm_dispatch_t *d, uint32_t table_id, uint64_t seq, int64_t created_s,
                          uint64_t now_ms)
{
    pthread_mutex_lock(&d->inbox_mu);
    const uint64_t ms = find_time(d, table_id, seq);
    pthread_mutex_unlock(&d->inbox_mu);
    if (ms)
        return ms;
    /* No stamp: committed before the table was watched, lost to the bound, or
     * its commit callback has not run yet (then it committed just now). */
    const uint64_t created = created_s > 0 ? (uint64_t)created_s * 1000u : now_ms;
    return created + 2000u >= now_ms ? now_ms : created;
}
