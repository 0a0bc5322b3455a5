/* SPDX-License-Identifier: MIT
 * dispatch_int.h: private to streams/dispatch*.c and streams/esm*.c. The
 * dispatcher's context, a mapping's configuration and its runtime (lanes of
 * buffered records, the batch in flight per lane, the one commit in flight
 * per mapping), and the helpers those files share. One mutex (d->mu) guards
 * all of it; worker callbacks deposit results under it. The writer thread
 * never takes d->mu (a dispatcher pass holds it for long): its callbacks use
 * d->inbox_mu, which guards only the wakeup flag, finished commits and the
 * commit stamps, and is held for microseconds. Lock order: mu, then inbox_mu. */
#ifndef STRM_DISPATCH_INT_H
#define STRM_DISPATCH_INT_H

#include "streams/strm.h"

#include <pthread.h>

#define ESM_FN_MAX 64 /* Function names, as Lambda. */
#define ESM_ARN_MAX 512
#define ESM_TABLE_MAX 256
#define ESM_KEY_PREFIX "esm/"
#define ESM_CKPT_PREFIX "ckpt/"
#define ESM_FAIL_PREFIX "fail/"
#define ESM_BATCH_BYTES_MAX (5u << 20) /* Under Lambda's 6 MB event limit. */

/* A mapping's settings: what CreateEventSourceMapping/Update accept. */
typedef struct esm_cfg {
    char uuid[37];
    char function[ESM_FN_MAX + 1]; /* Plain function name. */
    char source_arn[ESM_ARN_MAX];  /* The table's stream ARN. */
    char table[ESM_TABLE_MAX];     /* Parsed from the ARN. */
    char position[16];             /* TRIM_HORIZON or LATEST. */
    char on_failure[ESM_ARN_MAX];  /* DestinationConfig.OnFailure.Destination or "". */
    int batch_size;                /* 1..10000, default 100. */
    int window_s;                  /* MaximumBatchingWindowInSeconds 0..300. */
    int parallel;                  /* ParallelizationFactor 1..10. */
    int max_retry;                 /* MaximumRetryAttempts -1..10000. */
    int max_age_s;                 /* MaximumRecordAgeInSeconds -1 or 60..604800. */
    bool is_bisect, is_enabled, is_report_failures;
    double last_modified; /* Epoch seconds. */
    uint64_t start_after; /* Records after this seq are delivered (persisted). */
    cJSON *filter;        /* Owned FilterCriteria copy or NULL. */
} esm_cfg_t;

typedef struct esm_rec {
    uint64_t seq;
    uint64_t arrival_ms; /* Commit time (epoch ms) of the group that holds it. */
    char *json;          /* Owned: the record as the function gets it. */
    size_t len;
} esm_rec_t;

/* The last seq a commit left in a table, and when that commit returned. */
typedef struct esm_stamp {
    uint64_t seq;
    uint64_t commit_ms; /* Epoch ms. */
} esm_stamp_t;

/* A table's recent commit stamps, oldest first (ring, seqs increasing). */
typedef struct esm_stamps {
    char table[ESM_TABLE_MAX];
    uint32_t table_id;
    esm_stamp_t *s; /* Owned ring of cap entries; s[head..head+len). */
    size_t head, len, cap;
    uint64_t dropped_upto; /* Stamps up to this seq were dropped (bound reached). */
} esm_stamps_t;

typedef enum lane_state {
    LANE_IDLE = 0,   /* No batch: may start one. */
    LANE_INVOKING,   /* An invocation of q[0..n_batch) is running. */
    LANE_RESULT,     /* Its result is in `res`, waiting for the commit slot. */
    LANE_COMMITTING, /* The mapping's commit carries this lane's batch. */
} lane_state_t;

typedef struct esm_mapping esm_mapping_t;
typedef struct esm_lane esm_lane_t;

/* One commit of a mapping: staged writes, checkpoint, on-failure record. */
typedef struct esm_commit {
    store_batch_t batch; /* Atomic; batch.arg is the dispatcher. */
    esm_mapping_t *m;
    esm_lane_t *lane;   /* NULL for a checkpoint-only commit. */
    size_t n_done;      /* Records of the lane's batch it completes. */
    bool is_discard;    /* Carries an on-failure record. */
    bool is_early;      /* Checkpoint-only success: the lane moved on at submit. */
    uint64_t low;       /* The checkpoint it persists (lowest lane position). */
    uint64_t lane_done; /* The lane's position it persists. */
    store_write_t *w;   /* Owned array. */
    size_t n_w, cap_w;
    store_update_t **ups; /* Owned, one per UPDATE write. */
    size_t n_ups;
    eng_buf_t **bufs; /* Owned texts the writes borrow (each allocated alone). */
    size_t n_bufs, cap_bufs;
    cJSON **jsons; /* Owned names/values JSON updates borrow. */
    size_t n_jsons, cap_jsons;
    struct esm_commit *next; /* In d->finished. */
} esm_commit_t;

struct esm_lane {
    esm_mapping_t *m; /* Owner. */
    esm_rec_t *q;     /* Buffered records in seq order: q[head..head+len). */
    size_t head, len, cap;
    lane_state_t state;
    size_t n_batch;           /* Records in the batch in flight (from q[head]). */
    unsigned attempts;        /* Failed invocations of the current first record. */
    uint64_t retry_at_ms;     /* No new invocation before (monotonic ms). */
    size_t bisect_max;        /* 0, or the batch size limit while bisecting. */
    uint64_t bisect_until;    /* Bisect applies while q[head].seq <= this. */
    int inv_err;              /* eng_fn_invoke's return. */
    eng_fn_result_t res;      /* The invocation's result (LANE_RESULT). */
    uint64_t done;            /* Every record of this lane up to here is processed. */
    char last_request_id[37]; /* Of the last invocation, for on-failure records. */
};

typedef struct esm_stats {
    uint64_t invocations, errors, records, batches, skipped, discarded;
    uint64_t last_batch, max_batch, age_ms, max_age_ms;
} esm_stats_t;

struct esm_mapping {
    strm_dispatch_t *d; /* Owner. */
    esm_cfg_t cfg;
    char shard_id[STRM_SHARD_ID_LEN + 1];
    uint64_t resolved_ms;  /* Monotonic ms of the last stream lookup. */
    strm_filter_t *filter; /* Compiled cfg.filter. */
    strm_view_t view;      /* Of the stream the ARN names. */
    uint32_t table_id;     /* 0 until the table is found. */
    uint64_t end_seq;      /* Last seq of a disabled stream, 0 while open. */
    esm_lane_t *lanes;
    unsigned n_lanes;
    uint64_t read_seq;       /* Highest seq read from the log. */
    uint64_t saved_low;      /* Checkpoint last persisted (low of lanes). */
    bool is_committing;      /* The mapping's one commit is in flight. */
    bool is_deleted;         /* Reaped once no lane is busy. */
    bool needs_relane;       /* ParallelizationFactor changed: drain, then rebuild. */
    const char *last_result; /* LastProcessingResult (static string). */
    esm_stats_t st;
    esm_mapping_t *next;
};

struct strm_dispatch {
    store_t *store;         /* Borrowed. */
    eng_fn_registry_t *fns; /* Borrowed. */
    char region[64];
    store_reader_t *reader; /* Owned; the dispatcher thread only. */
    pthread_t thread;
    pthread_mutex_t inbox_mu; /* Guards is_woken, finished and tables only. */
    pthread_cond_t cv;        /* Wakes the dispatcher thread (with inbox_mu). */
    bool is_woken;            /* Something happened since the last pass. */
    esm_commit_t *finished;   /* Commits whose done ran, for the thread. */
    esm_stamps_t *tables;     /* Watched tables' commit stamps (owned array). */
    size_t n_tables;
    pthread_mutex_t mu; /* Guards everything below and every mapping. */
    bool is_stopping;
    bool is_started;
    store_reader_t *stamp_reader; /* Owned; the writer thread only (commit callback). */
    esm_mapping_t *mappings;      /* Sorted by uuid. */
};

/* ---- esm.c: settings -------------------------------------------------- */

/* Parse a Create (is_create) or Update body over `cfg` (defaults already
 * there). On ENG_EINVAL `why` gets Lambda's message. */
int strm__cfg_parse(esm_cfg_t *cfg, const cJSON *body, bool is_create, const char *region,
                    eng_buf_t *why);
/* Append the EventSourceMappingConfiguration JSON; `state` overrides State. */
void strm__cfg_json(const esm_cfg_t *cfg, const char *region, const char *state,
                    const char *last_result, eng_buf_t *out);
/* Append the persisted form (the configuration plus StartAfter). */
void strm__cfg_persist(const esm_cfg_t *cfg, const char *region, eng_buf_t *out);
/* Parse the persisted form. Returns 0 or ENG_ECORRUPT. */
int strm__cfg_load(esm_cfg_t *cfg, eng_slice_t text, const char *region);
void strm__cfg_defaults(esm_cfg_t *cfg);
void strm__cfg_free(esm_cfg_t *cfg);
/* Copy (deep: the filter). */
void strm__cfg_copy(esm_cfg_t *dst, const esm_cfg_t *src);

/* ---- dispatch.c: mappings at runtime ------------------------------------ */

/* Build a mapping's runtime from its cfg (taken over) and checkpoint text
 * (NULL: start at cfg.start_after). Caller holds mu. */
esm_mapping_t *strm__mapping_new(strm_dispatch_t *d, esm_cfg_t *cfg, eng_slice_t ckpt);
void strm__mapping_insert(strm_dispatch_t *d, esm_mapping_t *m);
esm_mapping_t *strm__mapping_find(strm_dispatch_t *d, const char *uuid);
/* Apply new settings (taken over) to a live mapping. Caller holds mu. */
void strm__mapping_update(strm_dispatch_t *d, esm_mapping_t *m, esm_cfg_t *cfg);
void strm__wake(strm_dispatch_t *d); /* Takes inbox_mu; any thread. */

/* ---- dispatch_lane.c: one pass ------------------------------------------ */

/* Handle results, read records, start batches. Returns the monotonic ms of
 * the next timer it needs (UINT64_MAX: none). Caller holds mu, inside a read. */
uint64_t strm__mapping_step(strm_dispatch_t *d, esm_mapping_t *m, uint64_t mono);
/* A finished commit (from d->finished). Frees it. Caller holds mu. */
void strm__commit_handle(strm_dispatch_t *d, esm_commit_t *c);
/* A lane has an invocation or commit in flight. */
bool strm__mapping_busy(const esm_mapping_t *m);
/* Rebuild the lanes for a new ParallelizationFactor (drained first). */
void strm__mapping_relane(esm_mapping_t *m);

/* Submit `n` writes as one atomic batch and wait for the commit. Returns 0
 * or the failure. Blocks; never with mu held. */
int strm__commit_sync(strm_dispatch_t *d, store_write_t *w, size_t n);

/* ---- dispatch_apply.c: one mapping commit ------------------------------ */

/* Build the commit for lane `l`: its staged writes (if `with_writes`), the
 * checkpoint as if the lane's first `n_done` records were processed, and an
 * on-failure record (`failure`, may be NULL). Reads tables through d->reader
 * (inside a read). On ENG_EINVAL (a staged write is invalid) nothing is
 * built and `why` tells. Caller holds mu; submit with strm__commit_submit. */
int strm__commit_build(strm_dispatch_t *d, esm_mapping_t *m, esm_lane_t *l, size_t n_done,
                       bool with_writes, const eng_buf_t *failure, esm_commit_t **out,
                       eng_buf_t *why);
void strm__commit_submit(strm_dispatch_t *d, esm_commit_t *c);
/* The checkpoint JSON if lane `l` (NULL: none) had its first n_done done. */
void strm__ckpt_json(const esm_mapping_t *m, const esm_lane_t *l, size_t n_done, eng_buf_t *out);

void strm__commit_free(esm_commit_t *c);

/* ---- dispatch_stamp.c: commit times ------------------------------------- */

/* Queue (table's last seq, now_ms) for every watched table, reading the
 * tables through d->stamp_reader. Writer thread, after a commit; caller
 * holds inbox_mu. */
void strm__stamp_commit(strm_dispatch_t *d, uint64_t now_ms);
/* Watch table `name` (id `table_id`): commits stamp it from now on. Takes
 * inbox_mu. Dispatcher thread. */
void strm__stamp_watch(strm_dispatch_t *d, const char *name, uint32_t table_id);
/* The commit time (epoch ms) of record `seq` of table `table_id`
 * (created_s: its ApproximateCreationDateTime). Takes inbox_mu. */
uint64_t strm__stamp_time(strm_dispatch_t *d, uint32_t table_id, uint64_t seq, int64_t created_s,
                          uint64_t now_ms);
void strm__stamps_free(strm_dispatch_t *d);

/* Epoch and monotonic clocks in ms. */
uint64_t strm__now_ms(void);
uint64_t strm__mono_ms(void);

#endif
