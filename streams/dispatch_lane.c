/* SPDX-License-Identifier: MIT
 * dispatch_lane.c: one pass over one mapping, on the dispatcher thread with
 * d->mu held: read new change-log records into lanes (hash of the partition
 * key, so each key keeps its order), start a batch on every idle lane, and
 * act on finished invocations (commit, partial success, retry, bisect or
 * discard) and finished commits. A mapping has at most one commit in
 * flight, so its persisted lane positions only ever move forward. */
#include "streams/dispatch_int.h"

#include "engine/err.h"
#include "engine/json.h"
#include "engine/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#define BUFFER_MIN 1000u  /* Records a mapping may buffer at least... */
#define BUFFER_MAX 50000u /* ...and at most. */
#define MISSING_FN_RETRY_MS 100u

static void on_invoked(int err, eng_fn_result_t *res, void *arg);

/* ---- reading ------------------------------------------------------------- */

/* The bytes of the "Keys" object of a stored record (storage writes it
 * right after ApproximateCreationDateTime; strings inside never hold an
 * unescaped brace that matters because we track quotes). */
static eng_slice_t record_keys(eng_slice_t rec)
{
    const char *k = memmem(rec.ptr, rec.len, "\"Keys\":", 7);
    if (!k)
        return eng_slice(rec.ptr, 0);
    const char *p = k + 7, *end = rec.ptr + rec.len;
    int depth = 0;
    bool in_str = false;
    for (const char *q = p; q < end; q++) {
        if (in_str) {
            q += *q == '\\';
            in_str = *q != '"';
        } else if (*q == '"') {
            in_str = true;
        } else if (*q == '{' && ++depth) {
            continue;
        } else if (*q == '}' && --depth == 0) {
            return eng_slice(p, (size_t)(q + 1 - p));
        }
    }
    return eng_slice(rec.ptr, 0);
}

static void lane_push(esm_lane_t *l, esm_rec_t r)
{
    if (l->head > 0 && l->head + l->len == l->cap) {
        memmove(l->q, l->q + l->head, l->len * sizeof(*l->q));
        l->head = 0;
    }
    if (l->head + l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->q = eng_realloc(l->q, l->cap * sizeof(*l->q));
    }
    l->q[l->head + l->len++] = r;
}

static uint64_t arrival_ms(esm_mapping_t *m, uint64_t seq, eng_slice_t rec)
{
    int64_t t = 0;
    if (strm_record_time(rec, &t) < 0)
        t = 0;
    return strm__stamp_time(m->d, m->table_id, seq, t, strm__now_ms());
}

/* Transform, filter and queue one record. Returns true when it was queued. */
static bool accept_record(esm_mapping_t *m, uint64_t seq, eng_slice_t rec)
{
    esm_lane_t *l = &m->lanes[strm_lane_of(record_keys(rec), m->n_lanes)];
    if (seq <= l->done)
        return false; /* Processed before a restart: never replayed. */
    const uint64_t commit_ms = arrival_ms(m, seq, rec);
    eng_buf_t b = {0};
    if (strm_record_append(rec, m->view, &b) < 0 || b.len < 2) {
        ENG_WARN("streams", "mapping %s: record %" PRIu64 " is malformed; skipped", m->cfg.uuid,
                 seq);
        eng_buf_free(&b);
        return false;
    }
    b.len--; /* Reopen the record to add the mapping's own member. */
    eng_buf_append_str(&b, ",\"eventSourceARN\":");
    eng_json_append_string(&b, m->cfg.source_arn, strlen(m->cfg.source_arn));
    eng_buf_append_char(&b, '}');
    cJSON *parsed = NULL;
    bool is_match = !m->filter || (eng_json_parse(b.ptr, b.len, &parsed) == 0 &&
                                   strm_filter_match(m->filter, parsed));
    eng_json_delete(parsed);
    if (!is_match) {
        m->st.skipped++;
        eng_buf_free(&b);
        return false;
    }
    size_t len;
    char *json = eng_buf_steal(&b, &len);
    lane_push(l, (esm_rec_t){.seq = seq, .arrival_ms = commit_ms, .json = json, .len = len});
    return true;
}

static size_t buffered(const esm_mapping_t *m)
{
    size_t n = 0;
    for (unsigned i = 0; i < m->n_lanes; i++)
        n += m->lanes[i].len;
    return n;
}

/* Read new records until the buffer is full or the log (or stream) ends. */
static void read_records(strm_dispatch_t *d, esm_mapping_t *m)
{
    size_t cap = (size_t)m->cfg.batch_size * m->n_lanes * 2;
    cap = cap < BUFFER_MIN ? BUFFER_MIN : cap > BUFFER_MAX ? BUFFER_MAX : cap;
    size_t n = buffered(m);
    uint64_t seq;
    eng_slice_t rec;
    while (n < cap && (!m->end_seq || m->read_seq < m->end_seq) &&
           store_log_next(d->reader, m->table_id, m->read_seq, &seq, &rec) == 0) {
        if (m->end_seq && seq > m->end_seq)
            break;
        m->read_seq = seq;
        n += accept_record(m, seq, rec);
    }
}

/* ---- starting a batch ---------------------------------------------------- */

static size_t batch_count(const esm_mapping_t *m, const esm_lane_t *l)
{
    size_t n = l->len < (size_t)m->cfg.batch_size ? l->len : (size_t)m->cfg.batch_size;
    if (l->bisect_max && l->q[l->head].seq <= l->bisect_until && n > l->bisect_max)
        n = l->bisect_max;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += l->q[l->head + i].len + 1;
        if (bytes > ESM_BATCH_BYTES_MAX && i > 0)
            return i;
    }
    return n;
}

static void build_event(const esm_lane_t *l, size_t n, eng_buf_t *ev)
{
    eng_buf_append_str(ev, "{\"Records\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            eng_buf_append_char(ev, ',');
        eng_buf_append(ev, l->q[l->head + i].json, l->q[l->head + i].len);
    }
    eng_buf_append_str(ev, "]}");
}

static void count_start(esm_mapping_t *m, const esm_lane_t *l, size_t n)
{
    const uint64_t now = strm__now_ms(), first = l->q[l->head].arrival_ms;
    m->st.invocations++;
    m->st.batches++;
    m->st.records += n;
    m->st.last_batch = n;
    m->st.max_batch = n > m->st.max_batch ? n : m->st.max_batch;
    m->st.age_ms = now > first ? now - first : 0;
    m->st.max_age_ms = m->st.age_ms > m->st.max_age_ms ? m->st.age_ms : m->st.max_age_ms;
}

/* Start a batch on an idle lane if it is due. Returns the monotonic time it
 * should be looked at again (UINT64_MAX: when something happens). */
static uint64_t lane_start(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l, uint64_t mono)
{
    if (l->state != LANE_IDLE || l->len == 0 || !m->cfg.is_enabled || d->is_stopping)
        return UINT64_MAX;
    if (mono < l->retry_at_ms)
        return l->retry_at_ms;
    const size_t n = batch_count(m, l);
    const uint64_t ready_ms = l->q[l->head].arrival_ms + (uint64_t)m->cfg.window_s * 1000u;
    const uint64_t now = strm__now_ms();
    if (n < (size_t)m->cfg.batch_size && now < ready_ms && !l->bisect_max)
        return mono + (ready_ms - now);
    eng_fn_t *fn = NULL;
    if (eng_fn_get(d->fns, m->cfg.function, &fn) < 0) {
        m->last_result = "PROBLEM: Function not found";
        l->retry_at_ms = mono + MISSING_FN_RETRY_MS;
        return l->retry_at_ms;
    }
    eng_buf_t ev = {0};
    build_event(l, n, &ev);
    int err = eng_fn_invoke_async(d->fns, fn, ev.ptr, ev.len, on_invoked, l);
    eng_fn_unref(fn);
    eng_buf_free(&ev);
    if (err < 0) {
        l->retry_at_ms = mono + strm_retry_backoff_ms(1);
        return l->retry_at_ms;
    }
    l->n_batch = n;
    l->state = LANE_INVOKING;
    count_start(m, l, n);
    return UINT64_MAX;
}

static void on_invoked(int err, eng_fn_result_t *res, void *arg) /* Worker thread. */
{
    esm_lane_t *l = arg;
    strm_dispatch_t *d = l->m->d;
    pthread_mutex_lock(&d->mu);
    l->inv_err = err;
    if (res) {
        l->res = *res;
        *res = (eng_fn_result_t){0}; /* Moved: the worker's free is a no-op now. */
    }
    l->state = LANE_RESULT;
    strm__wake(d);
    pthread_mutex_unlock(&d->mu);
}

/* ---- results ------------------------------------------------------------- */

static void iso_time(uint64_t ms, char *out, size_t size)
{
    time_t s = (time_t)(ms / 1000u);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03uZ", (unsigned)(ms % 1000u));
}

/* Lambda's on-failure destination record for the lane's batch. */
static void failure_json(const strm_dispatch_t *d, const esm_mapping_t *m, const esm_lane_t *l,
                         bool is_age, eng_buf_t *out)
{
    const esm_rec_t *first = &l->q[l->head], *last = &l->q[l->head + l->n_batch - 1];
    char t_now[32], t_first[32], t_last[32];
    iso_time(strm__now_ms(), t_now, sizeof t_now);
    iso_time(first->arrival_ms, t_first, sizeof t_first);
    iso_time(last->arrival_ms, t_last, sizeof t_last);
    eng_buf_printf(
        out,
        "{\"requestContext\":{\"requestId\":\"%s\",\"functionArn\":\"arn:aws:lambda:%s:"
        "000000000000:function:%s\",\"condition\":\"%s\",\"approximateInvokeCount\":%u},"
        "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\","
        "\"functionError\":\"Unhandled\"},\"version\":\"1.0\",\"timestamp\":\"%s\","
        "\"DDBStreamBatchInfo\":{\"shardId\":\"%s\",\"startSequenceNumber\":\"%021" PRIu64
        "\",\"endSequenceNumber\":\"%021" PRIu64 "\",\"approximateArrivalOfFirstRecord\":"
        "\"%s\",\"approximateArrivalOfLastRecord\":\"%s\",\"batchSize\":%zu,"
        "\"streamArn\":",
        l->last_request_id, d->region, m->cfg.function,
        is_age ? "RecordAgeExceeded" : "RetryAttemptsExhausted", l->attempts, t_now, m->shard_id,
        first->seq, last->seq, t_first, t_last, l->n_batch);
    eng_json_append_string(out, m->cfg.source_arn, strlen(m->cfg.source_arn));
    eng_buf_append_str(out, "}}");
}

static void submit(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l, esm_commit_t *c)
{
    m->is_committing = true;
    if (l)
        l->state = LANE_COMMITTING;
    strm__commit_submit(d, c);
}

static void lane_pop(esm_lane_t *l, size_t n);
static void lane_advance(esm_lane_t *l, size_t n_done, uint64_t done, bool is_partial);

/* A whole batch succeeded and its commit carries only the checkpoint: the
 * lane moves on now, so its next invocation overlaps this commit's fsync
 * instead of waiting for it. Commits stay one at a time per mapping, so
 * persisted positions still only move forward; a crash before this commit
 * lands replays the batch (at least once, as Lambda), while batches with
 * staged writes keep waiting, so their writes and checkpoint stay atomic. */
static void submit_early(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l, esm_commit_t *c)
{
    c->is_early = true;
    c->lane = NULL;
    m->is_committing = true;
    lane_advance(l, c->n_done, c->lane_done, false);
    strm__commit_submit(d, c);
}

/* A function error (or a commit that failed) on the lane's batch. */
static void batch_failed(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l)
{
    m->st.errors++;
    m->last_result = "PROBLEM: Function call failed";
    const uint64_t now = strm__now_ms(), first = l->q[l->head].arrival_ms;
    const uint64_t age = now > first ? now - first : 0;
    const strm_retry_policy_t p = {.max_attempts = m->cfg.max_retry,
                                   .max_age_s = m->cfg.max_age_s,
                                   .is_bisect = m->cfg.is_bisect};
    l->attempts++;
    const strm_retry_action_t act = strm_retry_decide(&p, l->attempts, l->n_batch, age);
    l->state = LANE_IDLE;
    if (act == STRM_RETRY_BISECT) {
        l->attempts--; /* A split does not spend a retry. */
        if (!l->bisect_max)
            l->bisect_until = l->q[l->head + l->n_batch - 1].seq;
        l->bisect_max = l->n_batch / 2;
        return;
    }
    if (act == STRM_RETRY_SAME) {
        l->retry_at_ms = strm__mono_ms() + strm_retry_backoff_ms(l->attempts);
        return;
    }
    eng_buf_t fail = {0}, why = {0};
    failure_json(d, m, l, m->cfg.max_age_s >= 0 && age > (uint64_t)m->cfg.max_age_s * 1000u, &fail);
    esm_commit_t *c = NULL;
    if (strm__commit_build(d, m, l, l->n_batch, false, &fail, &c, &why) == 0) {
        m->st.discarded += l->n_batch;
        submit(d, m, l, c);
    }
    eng_buf_free(&fail);
    eng_buf_free(&why);
}

/* How many leading records of the batch succeeded; 0 means a failure. */
static size_t batch_ok(const esm_mapping_t *m, const esm_lane_t *l)
{
    if (l->inv_err < 0 || l->res.is_error)
        return 0;
    if (!m->cfg.is_report_failures)
        return l->n_batch;
    uint64_t *seqs = eng_malloc(l->n_batch * sizeof(*seqs));
    for (size_t i = 0; i < l->n_batch; i++)
        seqs[i] = l->q[l->head + i].seq;
    int n = strm_batch_failures(l->res.payload, l->res.payload_len, seqs, l->n_batch);
    eng_free(seqs);
    return n < 0 ? 0 : (size_t)n;
}

static void lane_result(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l)
{
    snprintf(l->last_request_id, sizeof l->last_request_id, "%s", l->res.request_id);
    const size_t n_ok = batch_ok(m, l);
    esm_commit_t *c = NULL;
    eng_buf_t why = {0};
    if (n_ok > 0 && strm__commit_build(d, m, l, n_ok, true, NULL, &c, &why) < 0) {
        ENG_WARN("streams", "mapping %s: staged writes refused: %s", m->cfg.uuid,
                 why.ptr ? why.ptr : "?");
        c = NULL;
    }
    eng_fn_result_free(&l->res);
    eng_buf_free(&why);
    if (!c) {
        batch_failed(d, m, l);
        return;
    }
    m->last_result = "OK";
    if (n_ok == l->n_batch && c->n_w == 1)
        submit_early(d, m, l, c);
    else
        submit(d, m, l, c);
}

/* ---- commits ------------------------------------------------------------- */

static void lane_pop(esm_lane_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        eng_free(l->q[l->head + i].json);
    l->head += n;
    l->len -= n;
    if (l->len == 0)
        l->head = 0;
}

/* The lane's first n_done records are processed up to `done`. */
static void lane_advance(esm_lane_t *l, size_t n_done, uint64_t done, bool is_partial)
{
    lane_pop(l, n_done);
    l->done = done;
    l->state = LANE_IDLE;
    l->attempts = is_partial ? l->attempts + 1 : 0;
    l->retry_at_ms = is_partial ? strm__mono_ms() + strm_retry_backoff_ms(l->attempts) : 0;
    if (l->bisect_max && (l->len == 0 || l->q[l->head].seq > l->bisect_until))
        l->bisect_max = 0;
}

/* The dispatcher thread's side of a finished commit. */
void strm__commit_handle(strm_dispatch_t *d, esm_commit_t *c)
{
    esm_mapping_t *m = c->m;
    esm_lane_t *l = c->lane;
    const int err = c->batch.err;
    m->is_committing = false;
    if (err == 0)
        m->saved_low = c->low;
    if (c->is_early && err < 0)
        ENG_WARN("streams", "mapping %s: checkpoint commit failed (the next one carries it): %s",
                 m->cfg.uuid, eng_strerror(err));
    if (l && err == 0) {
        lane_advance(l, c->n_done, c->lane_done, !c->is_discard && c->n_done < l->n_batch);
    } else if (l) {
        ENG_WARN("streams", "mapping %s: commit failed: %s", m->cfg.uuid, eng_strerror(err));
        batch_failed(d, m, l);
    }
    strm__commit_free(c);
}

/* ---- the pass ------------------------------------------------------------ */

static bool is_busy(const esm_mapping_t *m)
{
    for (unsigned i = 0; i < m->n_lanes; i++) {
        if (m->lanes[i].state != LANE_IDLE)
            return true;
    }
    return m->is_committing;
}

bool strm__mapping_busy(const esm_mapping_t *m)
{
    return is_busy(m);
}

/* Persist progress made without an invocation (filtered records). */
static void save_skipped(strm_dispatch_t *d, esm_mapping_t *m)
{
    if (m->is_committing || is_busy(m))
        return;
    uint64_t low = m->read_seq;
    for (unsigned i = 0; i < m->n_lanes; i++)
        low = m->lanes[i].len && m->lanes[i].q[m->lanes[i].head].seq - 1 < low
                  ? m->lanes[i].q[m->lanes[i].head].seq - 1
                  : low;
    if (low <= m->saved_low)
        return;
    esm_commit_t *c = NULL;
    eng_buf_t why = {0};
    if (strm__commit_build(d, m, NULL, 0, false, NULL, &c, &why) == 0)
        submit(d, m, NULL, c);
    eng_buf_free(&why);
}

uint64_t strm__mapping_step(strm_dispatch_t *d, esm_mapping_t *m, uint64_t mono)
{
    for (unsigned i = 0; i < m->n_lanes && !m->is_committing; i++) {
        if (m->lanes[i].state == LANE_RESULT)
            lane_result(d, m, &m->lanes[i]);
    }
    if (m->is_deleted || !m->table_id)
        return UINT64_MAX;
    if (m->needs_relane && !is_busy(m) && buffered(m) == 0)
        strm__mapping_relane(m);
    if (m->cfg.is_enabled && !m->needs_relane && !d->is_stopping)
        read_records(d, m);
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < m->n_lanes; i++) {
        const uint64_t t = lane_start(d, m, &m->lanes[i], mono);
        next = t < next ? t : next;
    }
    if (!d->is_stopping)
        save_skipped(d, m);
    return next;
}
