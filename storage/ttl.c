/* SPDX-License-Identifier: MIT
 * ttl.c: the TTL sweeper thread. Each pass walks the tables with TTL on and
 * deletes expired items in chunks: one short read snapshot finds at most
 * STORE_TTL_CHUNK expired items, then one non-atomic batch deletes them,
 * each on the condition that the item is byte-for-byte what was read (a
 * client that rewrote it in between wins). Reads never wait for the sweep;
 * an expired item stays readable until its chunk commits, as in DynamoDB. */
#include "storage/store.h"

#include "engine/err.h"
#include "engine/json.h"
#include "engine/log.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIVE_YEARS_S (5.0 * 365 * 24 * 3600)

struct store_ttl {
    store_t *store;         /* Borrowed. */
    store_reader_t *reader; /* Owned; the sweeper thread only. */
    uint32_t interval_ms;
    pthread_t thread;
    pthread_mutex_t mu; /* Guards is_stopping. */
    pthread_cond_t cv;  /* Signals stop. */
    bool is_stopping;
};

/* One chunk of deletions; `data` holds keys JSON and item texts. */
typedef struct chunk {
    store_write_t w[STORE_TTL_CHUNK];
    size_t keys_off[STORE_TTL_CHUNK], keys_len[STORE_TTL_CHUNK];
    size_t item_off[STORE_TTL_CHUNK], item_len[STORE_TTL_CHUNK];
    eng_slice_t expect[STORE_TTL_CHUNK]; /* The text each deletion requires. */
    size_t n;
    eng_buf_t data;
    store_key_t last; /* Where the next chunk of this table starts. */
    bool has_last, is_end;
} chunk_t;

/* Writer thread: veto the deletion if the item changed since it was read. */
static int on_check(store_write_t *w, eng_slice_t old, void *arg)
{
    (void)w;
    const eng_slice_t *expect = arg;
    return old.ptr && eng_slice_eq(old, *expect) ? 0 : ENG_ECONDITION;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is `item` (canonical text) expired by its attribute `attr`? Only a Number
 * counts; values more than five years old are ignored, as DynamoDB does. */
static bool is_expired(eng_slice_t item, const char *attr, double now)
{
    cJSON *root = NULL;
    if (eng_json_parse(item.ptr, item.len, &root) < 0)
        return false;
    const char *n = eng_json_get_str(eng_json_get(root, attr), "N");
    bool is_exp = false;
    if (n) {
        double v = strtod(n, NULL);
        is_exp = isfinite(v) && v < now && v > now - FIVE_YEARS_S;
    }
    eng_json_delete(root);
    return is_exp;
}

/* Add one expired item to the chunk: its key JSON (from the schema) and text. */
static void chunk_add(chunk_t *c, const store_schema_t *s, uint32_t tid, eng_slice_t item,
                      eng_buf_t *why)
{
    cJSON *root = NULL;
    if (eng_json_parse(item.ptr, item.len, &root) < 0)
        return;
    size_t i = c->n, koff = c->data.len;
    store_write_t *w = &c->w[i];
    *w = (store_write_t){.kind = STORE_W_DELETE, .table_id = tid, .is_service = true};
    if (store_schema_key(s, root, false, &w->key, &c->data, why, NULL) == 0) {
        c->keys_off[i] = koff;
        c->keys_len[i] = c->data.len - koff;
        c->item_off[i] = c->data.len;
        c->item_len[i] = item.len;
        eng_buf_append(&c->data, item.ptr, item.len);
        c->n++;
    }
    eng_json_delete(root);
}

/* Read one chunk of table `tid` from c->last on. Returns 0 or a store error. */
static int chunk_read(store_ttl_t *t, uint32_t tid, const store_schema_t *s, const char *attr,
                      chunk_t *c)
{
    store_cursor_t *cur = NULL;
    const store_range_t range = {.after = c->has_last ? &c->last : NULL, .hash_hi = UINT32_MAX};
    eng_buf_t why = {0};
    double now = now_s();
    int err = store_read_begin(t->reader);
    if (err == 0)
        err = store_cursor_open(t->reader, tid, &range, &cur);
    c->is_end = true;
    for (size_t scanned = 0; err == 0 && c->n < STORE_TTL_CHUNK; scanned++) {
        eng_slice_t item;
        if (scanned >= 16 * STORE_TTL_CHUNK) { /* Bound the snapshot's length too. */
            c->is_end = false;
            break;
        }
        int rc = store_cursor_next(cur, &item, &c->last);
        if (rc < 0) {
            err = rc == ENG_ENOTFOUND ? 0 : rc;
            break;
        }
        c->has_last = true;
        if (is_expired(item, attr, now))
            chunk_add(c, s, tid, item, &why);
        c->is_end = c->n < STORE_TTL_CHUNK;
    }
    store_cursor_close(cur);
    store_read_end(t->reader);
    eng_buf_free(&why);
    return err;
}

/* Delete the chunk's items in one batch and wait for its commit. */
static void chunk_delete(store_ttl_t *t, chunk_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        c->w[i].keys_json = eng_slice(c->data.ptr + c->keys_off[i], c->keys_len[i]);
        c->expect[i] = eng_slice(c->data.ptr + c->item_off[i], c->item_len[i]);
        c->w[i].check = on_check;
        c->w[i].check_arg = &c->expect[i];
    }
    store_batch_t b = {.writes = c->w, .n_writes = c->n};
    if (store_submit_wait(t->store, &b) < 0)
        ENG_WARN("storage", "ttl sweep: delete batch failed: %s", eng_strerror(b.err));
}

static bool is_stopping(store_ttl_t *t)
{
    pthread_mutex_lock(&t->mu);
    bool stop = t->is_stopping;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

/* Sweep one table to its end, chunk by chunk. */
static void sweep_table(store_ttl_t *t, uint32_t tid, const store_schema_t *s, const char *attr)
{
    chunk_t *c = eng_calloc(1, sizeof(*c));
    do {
        c->n = 0;
        eng_buf_reset(&c->data);
        if (chunk_read(t, tid, s, attr, c) < 0)
            break;
        if (c->n)
            chunk_delete(t, c);
    } while (!c->is_end && !is_stopping(t));
    eng_buf_free(&c->data);
    eng_free(c);
}

/* The TTL attribute of a table's meta, copied into `attr`; false when off. */
static bool ttl_attr(eng_slice_t meta, char *attr, size_t cap, store_schema_t *s)
{
    cJSON *root = NULL;
    if (eng_json_parse(meta.ptr, meta.len, &root) < 0)
        return false;
    const cJSON *spec = eng_json_get(root, STORE_TTL_MEMBER);
    const char *name = eng_json_get_str(spec, "AttributeName");
    bool is_on = name && cJSON_IsTrue(eng_json_get(spec, "Enabled")) && strlen(name) < cap &&
                 store_schema_parse(meta, s) == 0;
    if (is_on)
        memcpy(attr, name, strlen(name) + 1);
    eng_json_delete(root);
    return is_on;
}

/* One pass over every table, in name order; each table is looked up in its
 * own short snapshot so no snapshot spans a commit wait. */
static void sweep_pass(store_ttl_t *t)
{
    char after[STORE_NAME_MAX + 1] = "", attr[STORE_NAME_MAX + 1];
    while (!is_stopping(t)) {
        store_table_t tab;
        store_schema_t s;
        if (store_read_begin(t->reader) < 0)
            return;
        int err = store_table_next(t->reader, eng_slice_cstr(after), &tab);
        bool is_on = err == 0 && ttl_attr(tab.meta, attr, sizeof(attr), &s);
        if (err == 0)
            snprintf(after, sizeof(after), "%.*s", (int)tab.name.len, tab.name.ptr);
        store_read_end(t->reader);
        if (err < 0)
            return;
        if (is_on)
            sweep_table(t, tab.id, &s, attr);
    }
}

static void *run(void *arg)
{
    store_ttl_t *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->is_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)t->interval_ms * 1000000u;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        while (!t->is_stopping && pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0)
            ;
        if (t->is_stopping)
            break;
        pthread_mutex_unlock(&t->mu);
        sweep_pass(t);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int store_ttl_start(store_t *store, uint32_t interval_ms, store_ttl_t **out)
{
    if (interval_ms == 0)
        return ENG_EINVAL;
    store_ttl_t *t = eng_calloc(1, sizeof(*t));
    *t = (store_ttl_t){.store = store, .interval_ms = interval_ms};
    int err = store_reader_create(store, &t->reader);
    if (err < 0) {
        eng_free(t);
        return err;
    }
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->thread, NULL, run, t) != 0) {
        store_reader_destroy(t->reader);
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        eng_free(t);
        return ENG_EIO;
    }
    *out = t;
    return 0;
}

void store_ttl_stop(store_ttl_t *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->is_stopping = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    store_reader_destroy(t->reader);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    eng_free(t);
}
