/* SPDX-License-Identifier: MIT
 * trigger.c: test functions for stream triggers. `record` stages one item
 * per record into table "seen" (id = the record's SequenceNumber, with the
 * batch's first seq and size) so a test can read what was delivered;
 * `fail_on` fails any batch holding an item whose NewImage has fail=true;
 * `report` reports such records as batchItemFailures; `add` (pipeline)
 * stages ADD #t :amt (#t = total, a reserved word) on counter item pipeB[id=<NewImage.k>]; `copy`
 * (pipeline stage 2) copies each pipeB image into pipeC. `record` also stores
 * "at": CLOCK_MONOTONIC ns at handler start times 1000 plus the record's index
 * in the batch, comparable across host processes, so a test can rebuild the
 * order records were delivered in. Uses cJSON to read events. */
#include "eddy.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

EDDY_MODULE();

EDDY_EXPORT int record(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int fail_on(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int report(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int add(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int copy(const eddy_event_t *ev, eddy_ctx_t *ctx);

static const char *seq_of(const cJSON *r)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "dynamodb"), "SequenceNumber");
    return cJSON_IsString(s) ? s->valuestring : "?";
}

static const cJSON *new_attr(const cJSON *r, const char *name)
{
    const cJSON *img = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "dynamodb"), "NewImage");
    return cJSON_GetObjectItemCaseSensitive(img, name);
}

static bool wants_fail(const cJSON *r)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(new_attr(r, "fail"), "BOOL"));
}

int record(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    cJSON *root = cJSON_Parse(eddy_event_json(ev, NULL));
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(root, "Records"), *r;
    const int n = cJSON_GetArraySize(recs);
    const char *first = n ? seq_of(recs->child) : "";
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long at =
        ((unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec) * 1000ull;
    int rc = 0;
    cJSON_ArrayForEach(r, recs)
    {
        char *text = cJSON_PrintUnformatted(r);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToObject(cJSON_AddObjectToObject(item, "id"), "S",
                              cJSON_CreateString(seq_of(r)));
        cJSON_AddItemToObject(cJSON_AddObjectToObject(item, "first"), "S",
                              cJSON_CreateString(first));
        char num[16];
        snprintf(num, sizeof num, "%d", n);
        cJSON_AddItemToObject(cJSON_AddObjectToObject(item, "n"), "N", cJSON_CreateString(num));
        char at_text[32];
        snprintf(at_text, sizeof at_text, "%llu", at++);
        cJSON_AddItemToObject(cJSON_AddObjectToObject(item, "at"), "N",
                              cJSON_CreateString(at_text));
        cJSON_AddItemToObject(cJSON_AddObjectToObject(item, "rec"), "S", cJSON_CreateString(text));
        char *it = cJSON_PrintUnformatted(item);
        rc |= eddy_stage_put(ctx, "seen", it);
        cJSON_free(it);
        cJSON_free(text);
        cJSON_Delete(item);
    }
    cJSON_Delete(root);
    return rc;
}

int fail_on(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    cJSON *root = cJSON_Parse(eddy_event_json(ev, NULL));
    const cJSON *r;
    bool is_fail = false;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(root, "Records")) is_fail =
        is_fail || wants_fail(r);
    cJSON_Delete(root);
    if (is_fail)
        return eddy_fail(ctx, "TestFailure", "a record asked to fail"), 1;
    return record(ev, ctx);
}

int report(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    cJSON *root = cJSON_Parse(eddy_event_json(ev, NULL));
    cJSON *resp = cJSON_CreateObject(), *fails = cJSON_AddArrayToObject(resp, "batchItemFailures");
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(root, "Records"))
    {
        if (!wants_fail(r))
            continue;
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "itemIdentifier", seq_of(r));
        cJSON_AddItemToArray(fails, f);
    }
    cJSON_Delete(root);
    char *text = cJSON_PrintUnformatted(resp);
    cJSON_Delete(resp);
    int rc = record(ev, ctx);
    if (rc == 0)
        rc = eddy_respond(ctx, text, strlen(text));
    cJSON_free(text);
    return rc;
}

static int stage_add(eddy_ctx_t *ctx, const cJSON *r)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(new_attr(r, "k"), "S");
    const cJSON *amt = cJSON_GetObjectItemCaseSensitive(new_attr(r, "amount"), "N");
    if (!cJSON_IsString(k) || !cJSON_IsString(amt))
        return 0; /* Deletes and foreign items carry nothing to add. */
    char key[256], vals[128];
    snprintf(key, sizeof key, "{\"id\":{\"S\":\"%s\"}}", k->valuestring);
    snprintf(vals, sizeof vals, "{\":amt\":{\"N\":\"%s\"}}", amt->valuestring);
    return eddy_stage_update(ctx, "pipeB", key, "ADD #t :amt", "{\"#t\":\"total\"}", vals);
}

int add(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    cJSON *root = cJSON_Parse(eddy_event_json(ev, NULL));
    const cJSON *r;
    int rc = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(root, "Records")) rc |=
        stage_add(ctx, r);
    cJSON_Delete(root);
    return rc;
}

int copy(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    cJSON *root = cJSON_Parse(eddy_event_json(ev, NULL));
    const cJSON *r;
    int rc = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(root, "Records"))
    {
        const cJSON *img = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "dynamodb"), "NewImage");
        if (!img)
            continue;
        char *text = cJSON_PrintUnformatted(img);
        rc |= eddy_stage_put(ctx, "pipeC", text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return rc;
}
