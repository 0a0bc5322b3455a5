/* SPDX-License-Identifier: MIT
 * test_dispatch_math.c: the dispatcher's pure decisions and filters:
 * EventBridge pattern matching, lane assignment, checkpoint math,
 * ReportBatchItemFailures parsing, retry/bisect/discard and backoff. */
#include "engine/err.h"
#include "engine/json.h"
#include "streams/strm.h"
#include "tests/lib/test.h"

T_MAIN_GLOBALS

static bool match(const char *pattern, const char *record)
{
    eng_buf_t crit = {0}, why = {0};
    cJSON *c = cJSON_CreateObject(), *rec = cJSON_Parse(record);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "Pattern", pattern);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "Filters"), f);
    strm_filter_t *flt = NULL;
    bool ok = strm_filter_create(c, &flt, &why) == 0 && strm_filter_match(flt, rec);
    strm_filter_destroy(flt);
    cJSON_Delete(c);
    cJSON_Delete(rec);
    eng_buf_free(&crit);
    eng_buf_free(&why);
    return ok;
}

#define REC                                                                                        \
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":{\"k\":{\"S\":\"order-7\"},\"n\":{"      \
    "\"N\":\"15\"}}}}"

static void test_filters(void)
{
    T_ASSERT(match("{\"eventName\":[\"INSERT\"]}", REC));
    T_ASSERT(!match("{\"eventName\":[\"REMOVE\"]}", REC));
    T_ASSERT(match("{\"dynamodb\":{\"NewImage\":{\"k\":{\"S\":[{\"prefix\":\"order-\"}]}}}}", REC));
    T_ASSERT(match(
        "{\"dynamodb\":{\"NewImage\":{\"n\":{\"N\":[{\"numeric\":[\">\",10,\"<=\",15]}]}}}}", REC));
    T_ASSERT(
        !match("{\"dynamodb\":{\"NewImage\":{\"n\":{\"N\":[{\"numeric\":[\">\",15]}]}}}}", REC));
    T_ASSERT(match("{\"eventName\":[{\"anything-but\":[\"REMOVE\",\"MODIFY\"]}]}", REC));
    T_ASSERT(!match("{\"eventName\":[{\"anything-but\":\"INSERT\"}]}", REC));
    T_ASSERT(match("{\"dynamodb\":{\"OldImage\":[{\"exists\":false}]}}", REC));
    T_ASSERT(!match("{\"dynamodb\":{\"NewImage\":{\"zz\":[{\"exists\":true}]}}}", REC));
    T_ASSERT(match("{\"eventName\":[{\"suffix\":\"ERT\"}]}", REC));
    eng_buf_t why = {0};
    cJSON *bad = cJSON_Parse("{\"Filters\":[{\"Pattern\":\"{\\\"a\\\":[{\\\"nope\\\":1}]}\"}]}");
    strm_filter_t *f = NULL;
    T_ASSERT_EQ(ENG_EINVAL, strm_filter_create(bad, &f, &why));
    cJSON_Delete(bad);
    eng_buf_free(&why);
}

static void test_lanes_and_checkpoint(void)
{
    const eng_slice_t k = ENG_SLICE_LIT("{\"k\":{\"S\":\"a\"}}");
    T_ASSERT_EQ(strm_lane_of(k, 7), strm_lane_of(k, 7));
    T_ASSERT(strm_lane_of(k, 7) < 7);
    T_ASSERT_EQ(0u, strm_lane_of(k, 1));
    const uint64_t done[] = {9, 4, 12};
    T_ASSERT_EQ(4u, strm_ckpt_low(done, 3));
}

static void test_batch_failures(void)
{
    const uint64_t seqs[] = {5, 6, 7};
    const char *r1 = "{\"batchItemFailures\":[{\"itemIdentifier\":\"000000000000000000007\"},"
                     "{\"itemIdentifier\":\"6\"}]}";
    T_ASSERT_EQ(1, strm_batch_failures(r1, strlen(r1), seqs, 3));
    const char *r2 = "{\"batchItemFailures\":[]}";
    T_ASSERT_EQ(3, strm_batch_failures(r2, strlen(r2), seqs, 3));
    const char *r3 = "{\"batchItemFailures\":[{\"itemIdentifier\":\"99\"}]}";
    T_ASSERT_EQ(ENG_EINVAL, strm_batch_failures(r3, strlen(r3), seqs, 3));
}

static void test_retry(void)
{
    strm_retry_policy_t p = {.max_attempts = 2, .max_age_s = -1};
    T_ASSERT_EQ(STRM_RETRY_SAME, strm_retry_decide(&p, 1, 10, 0));
    T_ASSERT_EQ(STRM_RETRY_SAME, strm_retry_decide(&p, 2, 10, 0));
    T_ASSERT_EQ(STRM_RETRY_DISCARD, strm_retry_decide(&p, 3, 10, 0));
    p.is_bisect = true;
    T_ASSERT_EQ(STRM_RETRY_BISECT, strm_retry_decide(&p, 3, 10, 0));
    T_ASSERT_EQ(STRM_RETRY_DISCARD, strm_retry_decide(&p, 3, 1, 0));
    p.max_age_s = 60;
    T_ASSERT_EQ(STRM_RETRY_DISCARD, strm_retry_decide(&p, 1, 10, 61000));
    p = (strm_retry_policy_t){.max_attempts = -1, .max_age_s = -1};
    T_ASSERT_EQ(STRM_RETRY_SAME, strm_retry_decide(&p, 100000, 1, 0));
    T_ASSERT_EQ(20u, strm_retry_backoff_ms(1));
    T_ASSERT_EQ(40u, strm_retry_backoff_ms(2));
    T_ASSERT_EQ(1000u, strm_retry_backoff_ms(30));
}

int main(void)
{
    T_RUN(test_filters);
    T_RUN(test_lanes_and_checkpoint);
    T_RUN(test_batch_failures);
    T_RUN(test_retry);
    return t_done();
}
