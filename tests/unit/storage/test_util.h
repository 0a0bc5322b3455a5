/* SPDX-License-Identifier: MIT
 * test_util.h: helpers shared by the storage unit tests: a store in a fresh
 * temporary directory (removed at close), synchronous submit, table creation
 * and hand-written canonical items (store_item_canon is not used here). */
#ifndef T_STORE_UTIL_H
#define T_STORE_UTIL_H

#include "storage/store.h"

#include "engine/err.h"

#include <ftw.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct t_store {
    store_t *store;
    char dir[64];
} t_store_t;

static int t_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void t_rmdir(const char *dir)
{
    nftw(dir, t_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static inline int t_store_open_cfg(t_store_t *ts, store_config_t cfg)
{
    snprintf(ts->dir, sizeof(ts->dir), "/tmp/eddy-store-XXXXXX");
    if (!mkdtemp(ts->dir))
        return ENG_EIO;
    cfg.dir = ts->dir;
    return store_open(&cfg, &ts->store);
}

static inline int t_store_open(t_store_t *ts)
{
    return t_store_open_cfg(ts, (store_config_t){.durability = STORE_DURABILITY_NONE});
}

static inline int t_store_reopen(t_store_t *ts)
{
    store_close(ts->store);
    store_config_t cfg = {.dir = ts->dir, .durability = STORE_DURABILITY_NONE};
    return store_open(&cfg, &ts->store);
}

static inline void t_store_close(t_store_t *ts)
{
    store_close(ts->store);
    ts->store = NULL;
    t_rmdir(ts->dir);
}

static void t_on_done_post(store_batch_t *b)
{
    sem_post(b->arg);
}

/* Submit and wait for done; returns batch->err. */
static inline int t_submit_wait(store_t *s, store_batch_t *b)
{
    sem_t sem;
    sem_init(&sem, 0, 0);
    b->done = t_on_done_post;
    b->arg = &sem;
    store_submit(s, b);
    sem_wait(&sem);
    sem_destroy(&sem);
    return b->err;
}

static inline int t_write1(store_t *s, store_write_t *w)
{
    store_batch_t b = {.writes = w, .n_writes = 1};
    int err = t_submit_wait(s, &b);
    return err < 0 ? err : w->err;
}

/* Create table `name`; returns its id (0 on failure). */
static inline uint32_t t_table_create(store_t *s, const char *name)
{
    store_write_t w = {.kind = STORE_W_TABLE_CREATE,
                       .table = eng_slice_cstr(name),
                       .item = ENG_SLICE_LIT("{\"TableName\":\"t\"}")};
    return t_write1(s, &w) == 0 ? w.table_id : 0;
}

/* A hash-only key {"pk":{"S":pk}} with its keys JSON and a canonical item
 * {"pk":{"S":pk},"v":{"S":v}} written into the caller's buffers. */
typedef struct t_item {
    char keys[128];
    char text[256];
    store_key_t key;
} t_item_t;

static inline void t_item(t_item_t *it, const char *pk, const char *v)
{
    snprintf(it->keys, sizeof(it->keys), "{\"pk\":{\"S\":\"%s\"}}", pk);
    if (v)
        snprintf(it->text, sizeof(it->text), "{\"pk\":{\"S\":\"%s\"},\"v\":{\"S\":\"%s\"}}", pk, v);
    store_keyval_t kv = {.type = STORE_KT_S, .val = eng_slice_cstr(pk)};
    store_key_encode(&kv, NULL, &it->key);
}

static inline store_write_t t_put(uint32_t tid, const t_item_t *it)
{
    return (store_write_t){.kind = STORE_W_PUT,
                           .table_id = tid,
                           .key = it->key,
                           .keys_json = eng_slice_cstr(it->keys),
                           .item = eng_slice_cstr(it->text),
                           .item_size = (uint32_t)strlen(it->text)};
}

static inline store_write_t t_del(uint32_t tid, const t_item_t *it)
{
    return (store_write_t){.kind = STORE_W_DELETE,
                           .table_id = tid,
                           .key = it->key,
                           .keys_json = eng_slice_cstr(it->keys)};
}

#endif
