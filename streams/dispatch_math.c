/* SPDX-License-Identifier: MIT
 * dispatch_math.c: the dispatcher's pure decisions, kept apart so they are
 * unit-tested without threads or storage: which lane a partition key takes,
 * the checkpoint below which every lane is done, how far a batch succeeded
 * under ReportBatchItemFailures, and what to do after a function error
 * (retry, bisect or discard) with its backoff. */
#include "streams/strm.h"

#include "engine/err.h"
#include "engine/json.h"

#include <stdlib.h>

#define BACKOFF_FIRST_MS 20u
#define BACKOFF_MAX_MS 1000u

unsigned strm_lane_of(eng_slice_t keys, unsigned n_lanes)
{
    /* FNV-1a: stable across runs and builds, which is all lanes need. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < keys.len; i++)
        h = (h ^ (uint8_t)keys.ptr[i]) * 16777619u;
    return n_lanes > 1 ? h % n_lanes : 0;
}

uint64_t strm_ckpt_low(const uint64_t *done, unsigned n_lanes)
{
    uint64_t low = n_lanes ? done[0] : 0;
    for (unsigned i = 1; i < n_lanes; i++)
        low = done[i] < low ? done[i] : low;
    return low;
}

/* Index of `seq` in the batch, or -1. */
static long find_seq(const uint64_t *seqs, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++) {
        if (seqs[i] == seq)
            return (long)i;
    }
    return -1;
}

int strm_batch_failures(const char *response, size_t len, const uint64_t *seqs, size_t n)
{
    cJSON *root = NULL;
    if (!response || len == 0 || eng_json_parse(response, len, &root) < 0)
        return (int)n; /* Lambda: a response it cannot read counts as full success. */
    const cJSON *fails = eng_json_get(root, "batchItemFailures");
    long low = (long)n;
    int err = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, (cJSON_IsArray(fails) ? fails : NULL))
    {
        const char *id = eng_json_get_str(f, "itemIdentifier");
        char *end = NULL;
        unsigned long long seq = id && *id ? strtoull(id, &end, 10) : 0;
        long at = end && *end == '\0' ? find_seq(seqs, n, seq) : -1;
        if (at < 0) {
            err = ENG_EINVAL;
            break;
        }
        low = at < low ? at : low;
    }
    eng_json_delete(root);
    return err < 0 ? err : (int)low;
}

strm_retry_action_t strm_retry_decide(const strm_retry_policy_t *p, unsigned attempts, size_t n,
                                      uint64_t age_ms)
{
    if (p->max_age_s >= 0 && age_ms > (uint64_t)p->max_age_s * 1000u)
        return STRM_RETRY_DISCARD;
    if (p->is_bisect && n > 1)
        return STRM_RETRY_BISECT;
    if (p->max_attempts >= 0 && attempts > (unsigned)p->max_attempts)
        return STRM_RETRY_DISCARD;
    return STRM_RETRY_SAME;
}

uint64_t strm_retry_backoff_ms(unsigned attempts)
{
    uint64_t ms = BACKOFF_FIRST_MS;
    for (unsigned i = 1; i < attempts && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}
