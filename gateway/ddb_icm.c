/* SPDX-License-Identifier: MIT
 * ddb_icm.c: ReturnItemCollectionMetrics. DynamoDB reports item collection
 * metrics only for tables with a local secondary index (the only tables whose
 * partitions have a size limit, 10 GB): the written item's partition key and
 * SizeEstimateRangeGB, a range of whole gigabytes. eddy has no partition size
 * limit, and a collection under 1 GB reads [0, 1] as it does on DynamoDB. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <string.h>

int ddb__icm_wanted(ddb_call_t *c, const ddb_schema_t *s, bool *is_on)
{
    *is_on = false;
    const cJSON *v = eng_json_get(c->body, "ReturnItemCollectionMetrics");
    if (!v || cJSON_IsNull(v))
        return 0;
    const char *m = cJSON_GetStringValue(v);
    if (!m || (strcmp(m, "SIZE") != 0 && strcmp(m, "NONE") != 0)) {
        ddb__reply_validation(c->th, c->req,
                              "1 validation error detected: Value '%s' at "
                              "'returnItemCollectionMetrics' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [SIZE, NONE]",
                              m ? m : "null");
        return ENG_EINVAL;
    }
    *is_on = strcmp(m, "SIZE") == 0 && s && s->has_lsi;
    return 0;
}

/* One entry; only the partition key is parsed out of the canonical keys. */
static void icm_entry(eng_buf_t *out, const ddb_schema_t *s, eng_slice_t keys_json)
{
    eng_buf_append_str(out, "{\"ItemCollectionKey\":{");
    cJSON *keys = cJSON_ParseWithLength(keys_json.ptr, keys_json.len);
    char *pk = cJSON_PrintUnformatted(eng_json_get(keys, s->pk));
    if (pk) {
        eng_json_append_string(out, s->pk, strlen(s->pk));
        eng_buf_append_char(out, ':');
        eng_buf_append_str(out, pk);
        cJSON_free(pk);
    }
    cJSON_Delete(keys);
    eng_buf_append_str(out, "},\"SizeEstimateRangeGB\":[0.0,1.0]}");
}

void ddb__icm_mark(ddb_wreq_t *w, const ddb_schema_t *s)
{
    ddb_woff_t *o = &w->offs[w->n_writes - 1];
    o->icm_off = w->data.len;
    icm_entry(&w->data, s, eng_slice(w->data.ptr + o->keys_off, o->keys_len));
    o->icm_len = w->data.len - o->icm_off;
}

static bool is_listed(const ddb_wreq_t *w, size_t i)
{
    return w->writes[i].err == 0 && w->offs[i].icm_len;
}

static bool same_table(const ddb_wreq_t *w, size_t i, size_t j)
{
    const ddb_woff_t *a = &w->offs[i], *b = &w->offs[j];
    return a->name_len == b->name_len &&
           memcmp(w->data.ptr + a->name_off, w->data.ptr + b->name_off, a->name_len) == 0;
}

static bool is_first_of_table(const ddb_wreq_t *w, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (is_listed(w, j) && same_table(w, i, j))
            return false;
    return true;
}

void ddb__icm_append(const ddb_wreq_t *w, eng_buf_t *out)
{
    bool is_open = false;
    for (size_t i = 0; i < w->n_writes; i++) {
        if (!is_listed(w, i) || !is_first_of_table(w, i))
            continue;
        const ddb_woff_t *o = &w->offs[i];
        if (is_open) {
            eng_buf_append_char(out, ',');
        } else {
            ddb__sep(out);
            eng_buf_append_str(out, "\"ItemCollectionMetrics\":{");
            is_open = true;
        }
        eng_json_append_string(out, w->data.ptr + o->name_off, o->name_len);
        eng_buf_append_str(out, ":[");
        for (size_t j = i; j < w->n_writes; j++) {
            if (is_listed(w, j) && same_table(w, i, j)) {
                ddb__sep(out);
                eng_buf_append(out, w->data.ptr + w->offs[j].icm_off, w->offs[j].icm_len);
            }
        }
        eng_buf_append_char(out, ']');
    }
    if (is_open)
        eng_buf_append_char(out, '}');
}
