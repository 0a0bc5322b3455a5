/* SPDX-License-Identifier: MIT
 * ddb_icm.c: ReturnItemCollectionMetrics. DynamoDB reports item collection
 * metrics only for tables with a local secondary index (the only tables whose
 * partitions have a size limit, 10 GB): the written item's partition key and
 * SizeEstimateRangeGB, a range of whole gigabytes. eddy has no partition size
 * limit, and a collection under 1 GB reads [0, 1] as it does on DynamoDB. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <string.h>

static bool has_lsi(eng_slice_t meta)
{
    cJSON *m = cJSON_ParseWithLength(meta.ptr, meta.len);
    const cJSON *lsi = eng_json_get(m, "LocalSecondaryIndexes");
    bool r = cJSON_IsArray(lsi) && cJSON_GetArraySize(lsi) > 0;
    cJSON_Delete(m);
    return r;
}

int ddb__icm_wanted(ddb_call_t *c, const store_table_t *t, bool *is_on)
{
    *is_on = false;
    const cJSON *v = eng_json_get(c->body, "ReturnItemCollectionMetrics");
    if (!v || cJSON_IsNull(v))
        return 0;
    const char *s = cJSON_GetStringValue(v);
    if (!s || (strcmp(s, "SIZE") != 0 && strcmp(s, "NONE") != 0)) {
        ddb__reply_validation(c->th, c->req,
                              "1 validation error detected: Value '%s' at "
                              "'returnItemCollectionMetrics' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [SIZE, NONE]",
                              s ? s : "null");
        return ENG_EINVAL;
    }
    *is_on = strcmp(s, "SIZE") == 0 && t && has_lsi(t->meta);
    return 0;
}

void ddb__icm_entry(eng_buf_t *out, const ddb_schema_t *s, eng_slice_t keys_json)
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
