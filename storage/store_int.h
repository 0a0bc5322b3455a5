/* SPDX-License-Identifier: MIT
 * store_int.h: what the storage .c files share and nothing outside storage/ may see:
 * the store context, the on-disk value layouts, the writer's per-group
 * context and the helpers that map LMDB codes to ENG_* codes. Tests include
 * it for the commit counter (store__commit_count). */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "storage/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define STORE__TID_BYTES 4                    /* Big-endian table id prefixing item and log keys. */
#define STORE__DEFAULT_MAP_BYTES (256u << 20) /* Initial map when the config says 0. */
#define STORE__GROUP_MAX_WRITES 8192 /* Writes per group: keeps a txn's dirty pages bounded. */
#define STORE__ITEM_HASHED 0x01      /* Item header flag: the key was cut; full key follows. */
#define STORE__ITEM_HDR 5            /* flags(1) + DynamoDB size(4, BE). */
#define STORE__CTR_BYTES 24 /* Counters value: item_count, size_bytes, last_seq (u64 BE). */

/* The per-table counters, kept in the "counters" database under the table id. */
typedef struct store__ctr {
    uint64_t item_count; /* Items now in the table. */
    uint64_t size_bytes; /* Sum of the items' DynamoDB sizes. */
    uint64_t last_seq;   /* Highest change-log sequence number; 0 if none. */
    bool has_index;      /* The table has secondary indexes (stored as a 25th byte). */
} store__ctr_t;

struct store {
    MDB_env *env;         /* Owned; closed by store_close. */
    MDB_dbi dbi_catalog;  /* name -> [u32 id][meta JSON]. */
    MDB_dbi dbi_items;    /* [u32 id][encoded key] -> [hdr][full key?][canonical text]. */
    MDB_dbi dbi_log;      /* [u32 id][u64 seq] -> stream record JSON. */
    MDB_dbi dbi_counters; /* [u32 id] -> store__ctr_t; "next_table_id" -> u32. */
    MDB_dbi dbi_sys;      /* Engine records (mappings, checkpoints): opaque key -> bytes. */
    MDB_dbi dbi_index;    /* [u32 index id][entry key] -> projected item; [u32 tid] -> defs. */
    char *dir;            /* Owned copy of cfg->dir. */
    char *region;         /* Owned copy of cfg->region (default us-east-1). */
    store_durability_t durability;
    int lock_fd;               /* flock'ed eddy.lock; -1 when not open. */
    size_t map_bytes;          /* Current map size; changed only by the writer under map_lock. */
    uint64_t id_key[2];        /* Random per open: keys eventIDs (unique across directories). */
    pthread_rwlock_t map_lock; /* Shared by active readers, exclusive while the map grows. */
    atomic_bool has_logged_io; /* An unexpected LMDB error was logged once already. */

    pthread_t writer;    /* The one thread that writes. */
    pthread_mutex_t mu;  /* Guards the queue fields below. */
    pthread_cond_t cv;   /* Signalled on submit and on close. */
    store_batch_t *head; /* Queue of submitted batches, oldest first. */
    store_batch_t *tail;
    bool is_closing; /* store_close began: submit refuses, writer drains and exits. */
    bool has_writer; /* The writer thread was started (join it at close). */

    store_commit_cb commit_cb; /* Set before any write; read by the writer only. */
    void *commit_arg;
    atomic_uint_fast64_t n_commits; /* Successful group commits, for tests and metrics. */
    bool is_dirty;                  /* Relaxed: committed but not yet synced. Writer only. */
    struct timespec sync_due;       /* Relaxed: when the pending sync must happen. Writer only. */
};

/* State of one group on the writer thread, reused across groups so the
 * steady state allocates nothing. */
typedef struct store__wctx {
    store_t *store;
    MDB_txn *txn;     /* The group's txn, or an atomic batch's nested txn. */
    bool is_map_full; /* An LMDB call hit MDB_MAP_FULL: grow and retry the group. */
    bool is_fatal;    /* An LMDB call failed: the txn is unusable, the group fails. */
    bool has_records; /* The group appended change-log records. */
    int64_t now_s;    /* ApproximateCreationDateTime for the group. */
    eng_buf_t rec;    /* Scratch for one stream record. */
} store__wctx_t;

/* Map an LMDB or errno code to ENG_*: 0, MDB_NOTFOUND -> ENG_ENOTFOUND,
 * ENOSPC and MDB_MAP_FULL -> ENG_ENOSPC, EACCES -> ENG_EACCES, anything else
 * ENG_EIO (logged once per store with `what`). Any thread. */
int store__err(store_t *s, int rc, const char *what);

/* Same, on the writer: also notes MDB_MAP_FULL in w so the group is retried. */
int store__werr(store__wctx_t *w, int rc, const char *what);

/* Grow the map (doubling) with every reader quiesced. Writer thread only,
 * with no write txn open. Returns 0 or ENG_ENOSPC/ENG_EIO. Blocks on readers. */
int store__map_grow(store_t *s);

/* Writer thread main and the submit/close handshake (writer.c). */
void *store__writer_main(void *arg);

/* Apply one write inside w->txn (apply.c). Returns 0 or the write's ENG_*
 * code; a code with w->is_map_full set means the whole group must retry. */
int store__apply(store__wctx_t *w, store_write_t *wr);

/* Table DDL inside w->txn (table.c). Same return contract as store__apply. */
int store__table_apply(store__wctx_t *w, store_write_t *wr);

/* Engine records and change-log trimming inside w->txn (kv.c). Same return
 * contract as store__apply. */
int store__kv_apply(store__wctx_t *w, store_write_t *wr);
int store__trim_apply(store__wctx_t *w, store_write_t *wr);

/* Read / write a table's counters in `txn`. get: 0 or ENG_ENOTFOUND. */
int store__ctr_get(store_t *s, MDB_txn *txn, uint32_t tid, store__ctr_t *out);
int store__ctr_put(store__wctx_t *w, uint32_t tid, const store__ctr_t *c);

/* Format the stream record of a change into w->rec (log.c). old/new are
 * canonical texts (ptr NULL when absent) and their DynamoDB sizes. Called
 * before the item is written: `old` may point into a page the write reuses. */
void store__log_format(store__wctx_t *w, const store_write_t *wr, uint64_t seq, eng_slice_t old,
                       uint32_t old_size, eng_slice_t new_item, uint32_t new_size);

/* Append w->rec as record `seq` of table `tid` in w->txn. Returns 0 or an
 * ENG_* code (group-fatal). */
int store__log_put(store__wctx_t *w, uint32_t tid, uint64_t seq);

/* Take the next table id (also used for index ids) in w->txn (table.c). */
int store__next_id(store__wctx_t *w, uint32_t *id);

/* Secondary indexes (index.c). apply: update the entries of every index of
 * wr->table_id for a PUT or DELETE whose previous item text is `old_text`
 * (ptr NULL: none); call only when the table's counters say has_index, before
 * the item itself is written. Returns 0, ENG_EINVAL (an index key attribute
 * of the new item has the wrong type; nothing was changed) or a group-fatal
 * code. sync: bring the index definitions of `tid` in line with its meta
 * (new ids, dropped entries, backfill). drop_table: remove every index of
 * `tid`. Both: 0 or an ENG_* code. */
int store__index_apply(store__wctx_t *w, const store_write_t *wr, eng_slice_t old_text);
int store__index_sync(store__wctx_t *w, uint32_t tid, eng_slice_t meta_text);
int store__index_drop_table(store__wctx_t *w, uint32_t tid);

/* Delete every key starting with the 4-byte table id in `dbi` (table drop). */
int store__drop_prefix(store__wctx_t *w, MDB_dbi dbi, uint32_t tid);

/* A reader: one read txn kept reset between uses, plus cached cursors. */
struct store_reader {
    store_t *store;
    MDB_txn *txn;        /* Owned; reset while idle, renewed by store_read_begin. */
    bool is_active;      /* Between store_read_begin and store_read_end (holds map_lock shared). */
    uint64_t gen;        /* Bumped per store_read_begin: cached cursors renew lazily. */
    MDB_cursor *log_cur; /* Owned; cached for store_log_next. */
    MDB_cursor *kv_cur;  /* Owned; cached for store_kv_next. */
    uint64_t kv_gen;     /* gen at which kv_cur was last bound. */
    uint64_t log_gen;    /* gen at which log_cur was last bound. */
    store_cursor_t *spare; /* Owned; a closed item cursor kept for reuse (with its MDB_cursor). */
};

/* Bind a cached read cursor to the reader's current txn (open or renew).
 * Returns 0 or ENG_EIO. */
int store__cursor_bind(store_reader_t *r, MDB_dbi dbi, MDB_cursor **cur, uint64_t *gen);

/* Free a cached item cursor (reader.c calls it at destroy). */
void store__cursor_free(store_cursor_t *c);

/* A stored item value, parsed: [flags][u32 size][u16 full len, full key if cut][text]. */
typedef struct store__item_view {
    uint32_t size;    /* DynamoDB size. */
    eng_slice_t full; /* Uncut key encoding (len 0 unless the key was cut). */
    eng_slice_t text; /* Canonical item text. */
} store__item_view_t;

/* Parse a stored item value. Returns 0 or ENG_ECORRUPT. */
int store__item_parse(const MDB_val *v, store__item_view_t *out);

/* True when the stored item belongs to exactly `key` (cut keys compare in full). */
bool store__item_is_key(const store__item_view_t *iv, const store_key_t *key);

/* Build the LMDB key [u32 tid BE][encoded key] in `buf` (4 + STORE_KEY_MAX bytes). */
MDB_val store__item_key(uint32_t tid, const store_key_t *key, uint8_t *buf);

/* Order-preserving key bytes of a normalized number (num.c): appends at most
 * STORE__NUM_KEY_MAX bytes to out and returns how many. `num` must be the
 * output of store_num_normalize. */
#define STORE__NUM_KEY_MAX 42
size_t store__num_key(eng_slice_t num, uint8_t *out);

/* SipHash-2-4 with 128-bit output, from the paper (siphash.c). */
void store__siphash128(const uint64_t key[2], const void *data, size_t len, uint8_t out[16]);

/* Number of group commits so far (tests: prove that groups group). Any thread. */
uint64_t store__commit_count(store_t *s);

/* Big-endian helpers for the on-disk formats. */
static inline void store__be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t store__get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void store__be64(uint8_t *p, uint64_t v)
{
    store__be32(p, (uint32_t)(v >> 32));
    store__be32(p + 4, (uint32_t)v);
}
static inline uint64_t store__get_be64(const uint8_t *p)
{
    return (uint64_t)store__get_be32(p) << 32 | store__get_be32(p + 4);
}

#endif
