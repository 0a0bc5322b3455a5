/* SPDX-License-Identifier: MIT
 * dispatch.c: the dispatcher's lifecycle and thread. It owns the store's
 * commit callback, so it wakes on every commit that appended change-log
 * records (never by polling; timers only for batching windows and retry
 * backoff), and runs one pass over every mapping inside one read snapshot.
 * Mappings are loaded from their engine records at start with their
 * per-lane checkpoints, so a restart resumes exactly where it stopped. */
#include "streams/dispatch_int.h"

#include "engine/err.h"
#include "engine/json.h"
#include "engine/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#define RESOLVE_EVERY_MS 1000u /* Re-read the stream's bounds (EndSeq) this often. */

static void on_store_commit(void *arg);
static void *dispatch_main(void *arg);

uint64_t strm__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t strm__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void strm__wake(strm_dispatch_t *d)
{
    pthread_mutex_lock(&d->inbox_mu);
    d->is_woken = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->inbox_mu);
}

/* Writer thread, after each commit with records. Never takes d->mu: a pass
 * holds it for long and client acknowledgements must not wait for it. */
static void on_store_commit(void *arg)
{
    strm_dispatch_t *d = arg;
    const uint64_t now = strm__now_ms();
    pthread_mutex_lock(&d->inbox_mu);
    strm__stamp_commit(d, now);
    d->is_woken = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->inbox_mu);
}

/* ---- mappings ------------------------------------------------------------ */

static void lanes_alloc(esm_mapping_t *m, unsigned n, uint64_t done)
{
    m->n_lanes = n;
    m->lanes = eng_calloc(n, sizeof(*m->lanes));
    for (unsigned i = 0; i < n; i++)
        m->lanes[i] = (esm_lane_t){.m = m, .done = done};
}

/* Lane positions from a checkpoint; another lane count collapses to the low. */
static void load_ckpt(esm_mapping_t *m, eng_slice_t ckpt)
{
    cJSON *root = NULL;
    if (!ckpt.ptr || eng_json_parse(ckpt.ptr, ckpt.len, &root) < 0)
        return;
    const cJSON *lanes = eng_json_get(root, "Lanes");
    const unsigned n = (unsigned)cJSON_GetArraySize(lanes);
    uint64_t low = UINT64_MAX, v[10] = {0};
    unsigned i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, lanes)
    {
        v[i < 10 ? i : 9] = (uint64_t)it->valuedouble;
        low = v[i < 10 ? i : 9] < low ? v[i < 10 ? i : 9] : low;
        i++;
    }
    for (unsigned j = 0; n && j < m->n_lanes; j++)
        m->lanes[j].done = n == m->n_lanes ? v[j] : low;
    if (n)
        m->read_seq = m->saved_low = low;
    eng_json_delete(root);
}

/* No FilterCriteria: no filter, so records are not parsed just to match. */
static void compile_filter(esm_mapping_t *m)
{
    m->filter = NULL;
    if (!m->cfg.filter)
        return;
    eng_buf_t why = {0};
    if (strm_filter_create(m->cfg.filter, &m->filter, &why) < 0)
        m->filter = NULL;
    eng_buf_free(&why);
}

esm_mapping_t *strm__mapping_new(strm_dispatch_t *d, esm_cfg_t *cfg, eng_slice_t ckpt)
{
    esm_mapping_t *m = eng_calloc(1, sizeof(*m));
    m->d = d;
    m->cfg = *cfg;
    *cfg = (esm_cfg_t){0};
    compile_filter(m);
    m->view = STRM_VIEW_NEW_AND_OLD_IMAGES;
    m->read_seq = m->saved_low = m->cfg.start_after;
    lanes_alloc(m, (unsigned)m->cfg.parallel, m->cfg.start_after);
    load_ckpt(m, ckpt);
    m->last_result = "No records processed";
    return m;
}

static void mapping_free(esm_mapping_t *m)
{
    for (unsigned i = 0; i < m->n_lanes; i++) {
        esm_lane_t *l = &m->lanes[i];
        for (size_t j = 0; j < l->len; j++)
            eng_free(l->q[l->head + j].json);
        eng_free(l->q);
        eng_fn_result_free(&l->res);
    }
    eng_free(m->lanes);
    strm_filter_destroy(m->filter);
    strm__cfg_free(&m->cfg);
    eng_free(m);
}

void strm__mapping_relane(esm_mapping_t *m)
{
    const uint64_t pos = m->read_seq;
    for (unsigned i = 0; i < m->n_lanes; i++)
        eng_free(m->lanes[i].q);
    eng_free(m->lanes);
    lanes_alloc(m, (unsigned)m->cfg.parallel, pos);
    m->needs_relane = false;
}

void strm__mapping_insert(strm_dispatch_t *d, esm_mapping_t *m)
{
    esm_mapping_t **p = &d->mappings;
    while (*p && strcmp((*p)->cfg.uuid, m->cfg.uuid) < 0)
        p = &(*p)->next;
    m->next = *p;
    *p = m;
    strm__wake(d);
}

esm_mapping_t *strm__mapping_find(strm_dispatch_t *d, const char *uuid)
{
    for (esm_mapping_t *m = d->mappings; m; m = m->next) {
        if (!m->is_deleted && strcmp(m->cfg.uuid, uuid) == 0)
            return m;
    }
    return NULL;
}

void strm__mapping_update(strm_dispatch_t *d, esm_mapping_t *m, esm_cfg_t *cfg)
{
    const bool is_relane = cfg->parallel != m->cfg.parallel;
    strm__cfg_free(&m->cfg);
    m->cfg = *cfg;
    *cfg = (esm_cfg_t){0};
    strm_filter_destroy(m->filter);
    compile_filter(m);
    m->needs_relane = m->needs_relane || is_relane;
    strm__wake(d);
}

/* Find the mapping's table and the stream its ARN names: view, bounds, shard. */
static void resolve_stream(strm_dispatch_t *d, esm_mapping_t *m, uint64_t mono)
{
    if (m->table_id && mono < m->resolved_ms + RESOLVE_EVERY_MS)
        return;
    m->resolved_ms = mono;
    store_table_t t;
    cJSON *meta = NULL;
    if (store_table_get(d->reader, eng_slice_cstr(m->cfg.table), &t) < 0 ||
        eng_json_parse(t.meta.ptr, t.meta.len, &meta) < 0)
        return;
    const cJSON *s;
    cJSON_ArrayForEach(s, eng_json_get(meta, "Streams"))
    {
        const char *arn = eng_json_get_str(s, "StreamArn");
        if (!arn || strcmp(arn, m->cfg.source_arn) != 0)
            continue;
        strm_view_t view = STRM_VIEW_NEW_AND_OLD_IMAGES;
        if (strm_view_parse(eng_json_get_str(s, "StreamViewType"), &view) == 0)
            m->view = view;
        const cJSON *end = eng_json_get(s, "EndSeq"),
                    *created = eng_json_get(s, "CreationDateTime");
        m->end_seq = cJSON_IsNumber(end) ? (uint64_t)end->valuedouble : 0;
        const char *label = eng_json_get_str(s, "StreamLabel");
        strm_shard_id(m->cfg.table, label ? label : "",
                      cJSON_IsNumber(created) ? created->valuedouble : 0, m->shard_id);
        if (m->table_id != t.id)
            strm__stamp_watch(d, m->cfg.table, t.id);
        m->table_id = t.id;
    }
    eng_json_delete(meta);
}

/* ---- the thread ---------------------------------------------------------- */

static void reap_deleted(strm_dispatch_t *d)
{
    for (esm_mapping_t **p = &d->mappings; *p;) {
        esm_mapping_t *m = *p;
        if (m->is_deleted && !strm__mapping_busy(m)) {
            *p = m->next;
            mapping_free(m);
        } else {
            p = &m->next;
        }
    }
}

/* One pass over every mapping. Returns the next timer (monotonic ms). */
static uint64_t run_pass(strm_dispatch_t *d)
{
    pthread_mutex_lock(&d->inbox_mu);
    esm_commit_t *done = d->finished;
    d->finished = NULL;
    pthread_mutex_unlock(&d->inbox_mu);
    /* Pushed newest first: handle in completion order. */
    esm_commit_t *fifo = NULL;
    while (done) {
        esm_commit_t *c = done;
        done = c->next;
        c->next = fifo;
        fifo = c;
    }
    while (fifo) {
        esm_commit_t *c = fifo;
        fifo = c->next;
        strm__commit_handle(d, c);
    }
    uint64_t next = UINT64_MAX;
    const uint64_t mono = strm__mono_ms();
    if (store_read_begin(d->reader) < 0)
        return mono + 100;
    for (esm_mapping_t *m = d->mappings; m; m = m->next) {
        resolve_stream(d, m, mono);
        const uint64_t t = strm__mapping_step(d, m, mono);
        next = t < next ? t : next;
    }
    store_read_end(d->reader);
    reap_deleted(d);
    return next;
}

static bool any_busy(strm_dispatch_t *d)
{
    for (const esm_mapping_t *m = d->mappings; m; m = m->next) {
        if (strm__mapping_busy(m))
            return true;
    }
    pthread_mutex_lock(&d->inbox_mu);
    const bool has_finished = d->finished != NULL;
    pthread_mutex_unlock(&d->inbox_mu);
    return has_finished;
}

/* Wait on cv (caller holds inbox_mu) until woken or the deadline. */
static void wait_until(strm_dispatch_t *d, uint64_t mono_deadline)
{
    if (d->is_woken)
        return;
    if (mono_deadline == UINT64_MAX) {
        pthread_cond_wait(&d->cv, &d->inbox_mu);
        return;
    }
    const uint64_t now = strm__mono_ms();
    if (mono_deadline <= now)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t ns = (uint64_t)ts.tv_nsec + (mono_deadline - now) * 1000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    pthread_cond_timedwait(&d->cv, &d->inbox_mu, &ts);
}

static void *dispatch_main(void *arg)
{
    strm_dispatch_t *d = arg;
    uint64_t next = 0;
    for (;;) {
        /* Clear the flag before the pass: a wake during it means pass again. */
        pthread_mutex_lock(&d->inbox_mu);
        wait_until(d, next);
        d->is_woken = false;
        pthread_mutex_unlock(&d->inbox_mu);
        pthread_mutex_lock(&d->mu);
        /* While stopping, keep passing until every invocation and commit ended. */
        const bool is_done = d->is_stopping && !any_busy(d);
        next = is_done ? 0 : run_pass(d);
        pthread_mutex_unlock(&d->mu);
        if (is_done)
            return NULL;
    }
}

/* ---- lifecycle ----------------------------------------------------------- */

static int load_one(strm_dispatch_t *d, eng_slice_t val)
{
    esm_cfg_t cfg;
    if (strm__cfg_load(&cfg, val, d->region) < 0)
        return ENG_ECORRUPT;
    char key[64];
    snprintf(key, sizeof key, ESM_CKPT_PREFIX "%s", cfg.uuid);
    eng_slice_t ckpt = {0};
    if (store_kv_get(d->reader, eng_slice_cstr(key), &ckpt) < 0)
        ckpt = (eng_slice_t){0};
    strm__mapping_insert(d, strm__mapping_new(d, &cfg, ckpt));
    return 0;
}

static int load_all(strm_dispatch_t *d)
{
    int err = store_read_begin(d->reader);
    eng_slice_t key = {"", 0}, val, prefix = ENG_SLICE_LIT(ESM_KEY_PREFIX);
    char after[64] = "";
    while (err == 0 && store_kv_next(d->reader, prefix, eng_slice_cstr(after), &key, &val) == 0) {
        snprintf(after, sizeof after, "%.*s", (int)key.len, key.ptr);
        err = load_one(d, val);
    }
    store_read_end(d->reader);
    return err;
}

int strm_dispatch_create(const strm_dispatch_config_t *cfg, strm_dispatch_t **out)
{
    strm_dispatch_t *d = eng_calloc(1, sizeof(*d));
    d->store = cfg->store;
    d->fns = cfg->fns;
    snprintf(d->region, sizeof d->region, "%s", cfg->region ? cfg->region : "us-east-1");
    pthread_mutex_init(&d->mu, NULL);
    pthread_mutex_init(&d->inbox_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    int err = store_reader_create(d->store, &d->reader);
    if (err == 0)
        err = store_reader_create(d->store, &d->stamp_reader);
    if (err == 0)
        err = load_all(d);
    if (err == 0 && pthread_create(&d->thread, NULL, dispatch_main, d) != 0)
        err = ENG_EIO;
    if (err < 0) {
        strm_dispatch_destroy(d);
        return err;
    }
    d->is_started = true;
    store_set_commit_cb(d->store, on_store_commit, d);
    *out = d;
    return 0;
}

void strm_dispatch_destroy(strm_dispatch_t *d)
{
    if (!d)
        return;
    if (d->is_started) {
        pthread_mutex_lock(&d->mu);
        d->is_stopping = true;
        strm__wake(d);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
        store_set_commit_cb(d->store, NULL, NULL);
    }
    while (d->mappings) {
        esm_mapping_t *m = d->mappings;
        d->mappings = m->next;
        mapping_free(m);
    }
    store_reader_destroy(d->reader);
    store_reader_destroy(d->stamp_reader);
    strm__stamps_free(d);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->inbox_mu);
    pthread_mutex_destroy(&d->mu);
    eng_free(d);
}

/* ---- synchronous commits for the API ------------------------------------- */

int strm__commit_sync(strm_dispatch_t *d, store_write_t *w, size_t n)
{
    store_batch_t b = {.writes = w, .n_writes = n, .is_atomic = true};
    return store_submit_wait(d->store, &b);
}
