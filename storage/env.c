/* SPDX-License-Identifier: MIT
 * env.c: the store's life: locking the data directory, opening the one LMDB
 * environment and its four databases, starting and stopping the writer,
 * growing the map with readers quiesced, and mapping LMDB codes to ENG_*.
 * Invariant: MDB_* codes never leave storage; every unexpected one is logged
 * once per store. Reads and writes themselves live in reader.c and writer.c. */
#include "storage/store_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DBS 8
#define GROW_MIN_BYTES (1u << 20) /* Grow by at least this much (and at least double). */

static const struct {
    const char *name;
    store_durability_t value;
} durability_names[] = {
    {.name = "full", .value = STORE_DURABILITY_FULL},
    {.name = "relaxed", .value = STORE_DURABILITY_RELAXED},
    {.name = "none", .value = STORE_DURABILITY_NONE},
};

int store_durability_parse(const char *name, store_durability_t *out)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(durability_names); i++) {
        if (strcmp(name, durability_names[i].name) == 0) {
            *out = durability_names[i].value;
            return 0;
        }
    }
    return ENG_EINVAL;
}

int store__err(store_t *s, int rc, const char *what)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return ENG_ENOTFOUND;
    case MDB_MAP_FULL:
    case ENOSPC:
        return ENG_ENOSPC;
    case EACCES:
    case EROFS:
        return ENG_EACCES;
    default:
        break;
    }
    /* Logged once: a failing disk would otherwise flood the log per request. */
    if (!atomic_exchange(&s->has_logged_io, true))
        ENG_ERROR("storage", "%s: %s", what, mdb_strerror(rc));
    return ENG_EIO;
}

int store__werr(store__wctx_t *w, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        w->is_map_full = true;
    /* LMDB marks its txn broken after any failure but a lookup miss. */
    if (rc != 0 && rc != MDB_NOTFOUND)
        w->is_fatal = true;
    return store__err(w->store, rc, what);
}

uint64_t store__commit_count(store_t *s)
{
    return atomic_load(&s->n_commits);
}

void store_set_commit_cb(store_t *store, store_commit_cb cb, void *arg)
{
    store->commit_cb = cb;
    store->commit_arg = arg;
}

int store__map_grow(store_t *s)
{
    size_t want = s->map_bytes * 2;
    if (want < s->map_bytes + GROW_MIN_BYTES)
        want = s->map_bytes + GROW_MIN_BYTES;
    /* LMDB remaps in place: no read txn of this process may be live meanwhile. */
    pthread_rwlock_wrlock(&s->map_lock);
    int rc = mdb_env_set_mapsize(s->env, want);
    pthread_rwlock_unlock(&s->map_lock);
    if (rc != 0)
        return store__err(s, rc, "mdb_env_set_mapsize");
    ENG_INFO("storage", "map grown from %zu to %zu bytes", s->map_bytes, want);
    s->map_bytes = want;
    return 0;
}

/* flock on a file of our own (LMDB's lock.mdb is shared by design). */
static int lock_dir(store_t *s)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/eddy.lock", s->dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0)
        return errno == EACCES || errno == EROFS ? ENG_EACCES : ENG_EIO;
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
        return errno == EWOULDBLOCK ? ENG_EBUSY : ENG_EIO;
    return 0;
}

static int open_dbis(store_t *s)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "catalog", MDB_CREATE, &s->dbi_catalog);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "items", MDB_CREATE, &s->dbi_items);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "log", MDB_CREATE, &s->dbi_log);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "counters", MDB_CREATE, &s->dbi_counters);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "sys", MDB_CREATE, &s->dbi_sys);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "index", MDB_CREATE, &s->dbi_index);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort(txn);
    return rc;
}

static int open_env(store_t *s, size_t map_bytes)
{
    unsigned flags = MDB_NOTLS;
    if (s->durability != STORE_DURABILITY_FULL)
        flags |= MDB_NOSYNC;
    int rc = mdb_env_create(&s->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(s->env, MAX_DBS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(s->env, map_bytes);
    if (rc == 0)
        rc = mdb_env_open(s->env, s->dir, flags, 0644);
    if (rc == 0)
        rc = open_dbis(s);
    if (rc != 0)
        return rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ? ENG_ECORRUPT
                                                               : store__err(s, rc, "mdb_env_open");
    /* An existing file may be larger than asked for: LMDB adopts its size. */
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_bytes = info.me_mapsize;
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    return 0;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return access(dir, W_OK) == 0 ? 0 : ENG_EACCES;
    return errno == EACCES || errno == EROFS ? ENG_EACCES : ENG_EIO;
}

static store_t *store_alloc(const store_config_t *cfg)
{
    store_t *s = eng_calloc(1, sizeof(*s));
    s->dir = eng_strdup(cfg->dir);
    s->region = eng_strdup(cfg->region ? cfg->region : "us-east-1");
    s->durability = cfg->durability;
    s->lock_fd = -1;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* A waiting grower must not starve behind a stream of new readers. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->map_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC); /* Relaxed sync deadline. */
    pthread_cond_init(&s->cv, &cattr);
    pthread_condattr_destroy(&cattr);
    if (getrandom(s->id_key, sizeof(s->id_key), 0) != (ssize_t)sizeof(s->id_key))
        s->id_key[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    return s;
}

static void store_free(store_t *s)
{
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_rwlock_destroy(&s->map_lock);
    eng_free(s->dir);
    eng_free(s->region);
    eng_free(s);
}

int store_open(const store_config_t *cfg, store_t **out)
{
    store_t *s = store_alloc(cfg);
    int err = make_dir(s->dir);
    if (err == 0)
        err = lock_dir(s);
    if (err == 0)
        err =
            open_env(s, cfg->initial_map_bytes ? cfg->initial_map_bytes : STORE__DEFAULT_MAP_BYTES);
    if (err == 0 && pthread_create(&s->writer, NULL, store__writer_main, s) != 0)
        err = ENG_EIO;
    if (err < 0)
        goto out;
    s->has_writer = true;
    *out = s;
out:
    if (err < 0)
        store_free(s);
    return err;
}

void store_close(store_t *store)
{
    if (!store)
        return;
    pthread_mutex_lock(&store->mu);
    store->is_closing = true;
    pthread_cond_signal(&store->cv);
    pthread_mutex_unlock(&store->mu);
    if (store->has_writer)
        pthread_join(store->writer, NULL);
    /* NOSYNC modes promise durability at a clean close. */
    if (store->durability != STORE_DURABILITY_FULL)
        mdb_env_sync(store->env, 1);
    store_free(store);
}
