/* SPDX-License-Identifier: MIT
 * dispatch_stamp.c: exact commit times for IteratorAge. After every commit
 * that appended change-log records, the writer thread (in the dispatcher's
 * commit callback) reads each watched table's last sequence number and
 * queues (last_seq, commit time) on every mapping of that table; a record's
 * commit time is then the time of the first queued group at or above its
 * seq. The queue is bounded: a mapping that lags by more commits than it
 * holds falls back to the record's own (whole-second) creation time. */
#include "streams/dispatch_int.h"

#include "engine/err.h"

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
        *q = (esm_stamps_t){.s = s, .cap = cap, .len = q->len, .dropped_upto = q->dropped_upto};
    }
    q->s[(q->head + q->len++) % q->cap] = (esm_stamp_t){.seq = seq, .commit_ms = ms};
}

void strm__stamps_free(esm_stamps_t *q)
{
    eng_free(q->s);
    *q = (esm_stamps_t){0};
}

void strm__stamp_commit(strm_dispatch_t *d, uint64_t now_ms)
{
    if (store_read_begin(d->stamp_reader) < 0)
        return;
    for (esm_mapping_t *m = d->mappings; m; m = m->next) {
        if (!m->table_id || m->is_deleted)
            continue;
        store_table_t t;
        if (store_table_get(d->stamp_reader, eng_slice_cstr(m->cfg.table), &t) == 0 &&
            t.id == m->table_id)
            stamp_push(&m->stamps, t.last_seq, now_ms);
    }
    store_read_end(d->stamp_reader);
}

uint64_t strm__stamp_time(esm_stamps_t *q, uint64_t seq, int64_t created_s, uint64_t now_ms)
{
    while (q->len && q->s[q->head].seq < seq) {
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
    if (q->len && seq > q->dropped_upto)
        return q->s[q->head].commit_ms;
    /* No stamp: committed before the mapping watched, lost to the bound, or
     * its commit callback has not run yet (then it committed just now). */
    const uint64_t created = created_s > 0 ? (uint64_t)created_s * 1000u : now_ms;
    return created + 2000u >= now_ms ? now_ms : created;
}
