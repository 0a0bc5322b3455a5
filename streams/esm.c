/* SPDX-License-Identifier: MIT
 * esm.c: an event source mapping's settings: parsing Create and Update
 * bodies with Lambda's defaults, ranges and messages, and printing Lambda's
 * EventSourceMappingConfiguration. The persisted form is that JSON plus
 * StartAfter, the position LATEST/TRIM_HORIZON resolved to once at creation.
 * Nothing here touches storage or threads. */
#include "streams/dispatch_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Integer settings, their JSON names, ranges and Lambda's defaults. */
typedef struct int_field {
    const char *name;
    size_t offset;
    int min, max;
    int def;
} int_field_t;

#define CFG(f) offsetof(esm_cfg_t, f)

static const int_field_t int_fields[] = {
    {"BatchSize", CFG(batch_size), 1, 10000, 100},
    {"MaximumBatchingWindowInSeconds", CFG(window_s), 0, 300, 0},
    {"ParallelizationFactor", CFG(parallel), 1, 10, 1},
    {"MaximumRetryAttempts", CFG(max_retry), -1, 10000, -1},
    {"MaximumRecordAgeInSeconds", CFG(max_age_s), -1, 604800, -1},
};

static const struct {
    const char *name;
    size_t offset;
} bool_fields[] = {
    {"BisectBatchOnFunctionError", CFG(is_bisect)},
    {"Enabled", CFG(is_enabled)},
};

void strm__cfg_defaults(esm_cfg_t *cfg)
{
    *cfg = (esm_cfg_t){.is_enabled = true};
    for (size_t i = 0; i < ENG_ARRAY_LEN(int_fields); i++)
        *(int *)(void *)((char *)cfg + int_fields[i].offset) = int_fields[i].def;
}

void strm__cfg_free(esm_cfg_t *cfg)
{
    eng_json_delete(cfg->filter);
    cfg->filter = NULL;
}

void strm__cfg_copy(esm_cfg_t *dst, const esm_cfg_t *src)
{
    *dst = *src;
    dst->filter = src->filter ? cJSON_Duplicate(src->filter, true) : NULL;
}

/* Lambda's constraint message for a value out of range. */
static int range_error(eng_buf_t *why, const char *name, double v, int min, int max)
{
    eng_buf_printf(why,
                   "1 validation error detected: Value '%g' at '%c%s' failed to satisfy "
                   "constraint: Member must have value %s %d",
                   v, name[0] - 'A' + 'a', name + 1,
                   v < min ? "greater than or equal to" : "less than or equal to",
                   v < min ? min : max);
    return ENG_EINVAL;
}

static int parse_ints(esm_cfg_t *cfg, const cJSON *body, eng_buf_t *why)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(int_fields); i++) {
        const int_field_t *f = &int_fields[i];
        const cJSON *v = eng_json_get(body, f->name);
        if (!v || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) {
            eng_buf_printf(why, "Invalid value for %s.", f->name);
            return ENG_EINVAL;
        }
        if (v->valuedouble < f->min || v->valuedouble > f->max)
            return range_error(why, f->name, v->valuedouble, f->min, f->max);
        *(int *)(void *)((char *)cfg + f->offset) = (int)v->valuedouble;
    }
    if (cfg->max_age_s >= 0 && cfg->max_age_s < 60)
        return range_error(why, "MaximumRecordAgeInSeconds", cfg->max_age_s, 60, 604800);
    return 0;
}

static int parse_bools(esm_cfg_t *cfg, const cJSON *body, eng_buf_t *why)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(bool_fields); i++) {
        const cJSON *v = eng_json_get(body, bool_fields[i].name);
        if (!v || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsBool(v)) {
            eng_buf_printf(why, "Invalid value for %s.", bool_fields[i].name);
            return ENG_EINVAL;
        }
        *(bool *)((char *)cfg + bool_fields[i].offset) = cJSON_IsTrue(v);
    }
    return 0;
}

/* arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>. */
static int parse_arn(esm_cfg_t *cfg, const char *arn, eng_buf_t *why)
{
    const char *t = arn ? strstr(arn, ":table/") : NULL;
    const char *s = t ? strstr(t, "/stream/") : NULL;
    if (!arn || strncmp(arn, "arn:aws:dynamodb:", 17) != 0 || !s || !s[8] ||
        strlen(arn) >= sizeof(cfg->source_arn) || (size_t)(s - t - 7) >= sizeof(cfg->table)) {
        eng_buf_printf(why, "Unrecognized event source, must be kinesis, dynamodb stream or sqs.");
        return ENG_EINVAL;
    }
    snprintf(cfg->source_arn, sizeof cfg->source_arn, "%s", arn);
    snprintf(cfg->table, sizeof cfg->table, "%.*s", (int)(s - t - 7), t + 7);
    return 0;
}

/* FunctionName as name, full ARN or partial ARN ("fn", "...:function:fn"). */
static int parse_function(esm_cfg_t *cfg, const char *name, eng_buf_t *why)
{
    const char *p = name ? strstr(name, "function:") : NULL;
    const char *plain = p ? p + 9 : name;
    size_t len = plain ? strcspn(plain, ":") : 0;
    if (!plain || len == 0 || len > ESM_FN_MAX) {
        eng_buf_printf(why,
                       "1 validation error detected: Value '%s' at 'functionName' failed "
                       "to satisfy constraint: Member must satisfy regular expression pattern",
                       name ? name : "null");
        return ENG_EINVAL;
    }
    snprintf(cfg->function, sizeof cfg->function, "%.*s", (int)len, plain);
    return 0;
}

static int parse_position(esm_cfg_t *cfg, const cJSON *body, eng_buf_t *why)
{
    const char *pos = eng_json_get_str(body, "StartingPosition");
    if (!pos) {
        eng_buf_printf(why, "1 validation error detected: Value null at 'startingPosition' "
                            "failed to satisfy constraint: Member must not be null");
        return ENG_EINVAL;
    }
    if (strcmp(pos, "TRIM_HORIZON") != 0 && strcmp(pos, "LATEST") != 0) {
        eng_buf_printf(why,
                       "1 validation error detected: Value '%s' at 'startingPosition' failed "
                       "to satisfy constraint: Member must satisfy enum value set: "
                       "[AT_TIMESTAMP, TRIM_HORIZON, LATEST]",
                       pos);
        return ENG_EINVAL;
    }
    snprintf(cfg->position, sizeof cfg->position, "%s", pos);
    return 0;
}

static int parse_extras(esm_cfg_t *cfg, const cJSON *body, eng_buf_t *why)
{
    const cJSON *types = eng_json_get(body, "FunctionResponseTypes");
    if (types) {
        cfg->is_report_failures = false;
        const cJSON *t;
        cJSON_ArrayForEach(t, types)
        {
            if (!cJSON_IsString(t) || strcmp(t->valuestring, "ReportBatchItemFailures") != 0) {
                eng_buf_printf(why, "Invalid FunctionResponseTypes: must be "
                                    "[ReportBatchItemFailures].");
                return ENG_EINVAL;
            }
            cfg->is_report_failures = true;
        }
    }
    const cJSON *dest = eng_json_get(body, "DestinationConfig");
    if (dest) {
        const char *arn = eng_json_get_str(eng_json_get(dest, "OnFailure"), "Destination");
        snprintf(cfg->on_failure, sizeof cfg->on_failure, "%s", arn ? arn : "");
    }
    const cJSON *filter = eng_json_get(body, "FilterCriteria");
    if (filter) {
        strm_filter_t *f = NULL;
        if (strm_filter_create(filter, &f, why) < 0)
            return ENG_EINVAL;
        strm_filter_destroy(f);
        eng_json_delete(cfg->filter);
        cfg->filter = cJSON_Duplicate(filter, true);
    }
    return 0;
}

int strm__cfg_parse(esm_cfg_t *cfg, const cJSON *body, bool is_create, const char *region,
                    eng_buf_t *why)
{
    (void)region;
    if (!cJSON_IsObject(body)) {
        eng_buf_printf(why, "The request body is not a JSON object.");
        return ENG_EINVAL;
    }
    int err = 0;
    if (is_create)
        err = parse_arn(cfg, eng_json_get_str(body, "EventSourceArn"), why);
    if (err == 0 && (is_create || eng_json_get(body, "FunctionName")))
        err = parse_function(cfg, eng_json_get_str(body, "FunctionName"), why);
    if (err == 0 && is_create)
        err = parse_position(cfg, body, why);
    if (err == 0)
        err = parse_ints(cfg, body, why);
    if (err == 0)
        err = parse_bools(cfg, body, why);
    if (err == 0)
        err = parse_extras(cfg, body, why);
    return err;
}

static void append_common(const esm_cfg_t *cfg, const char *region, eng_buf_t *out)
{
    eng_buf_printf(out, "{\"UUID\":\"%s\",\"StartingPosition\":\"%s\"", cfg->uuid, cfg->position);
    for (size_t i = 0; i < ENG_ARRAY_LEN(int_fields); i++)
        eng_buf_printf(out, ",\"%s\":%d", int_fields[i].name,
                       *(const int *)(const void *)((const char *)cfg + int_fields[i].offset));
    eng_buf_printf(out, ",\"BisectBatchOnFunctionError\":%s,\"TumblingWindowInSeconds\":0",
                   cfg->is_bisect ? "true" : "false");
    eng_buf_append_str(out, ",\"EventSourceArn\":");
    eng_json_append_string(out, cfg->source_arn, strlen(cfg->source_arn));
    eng_buf_printf(out, ",\"FunctionArn\":\"arn:aws:lambda:%s:000000000000:function:%s\"", region,
                   cfg->function);
    if (cfg->filter) {
        eng_buf_append_str(out, ",\"FilterCriteria\":");
        eng_json_print(cfg->filter, out);
    }
    eng_buf_printf(out, ",\"LastModified\":%.3f,\"FunctionResponseTypes\":[%s]", cfg->last_modified,
                   cfg->is_report_failures ? "\"ReportBatchItemFailures\"" : "");
    eng_buf_append_str(out, ",\"DestinationConfig\":{\"OnSuccess\":{},\"OnFailure\":{");
    if (cfg->on_failure[0]) {
        eng_buf_append_str(out, "\"Destination\":");
        eng_json_append_string(out, cfg->on_failure, strlen(cfg->on_failure));
    }
    eng_buf_append_str(out, "}}");
}

void strm__cfg_json(const esm_cfg_t *cfg, const char *region, const char *state,
                    const char *last_result, eng_buf_t *out)
{
    append_common(cfg, region, out);
    eng_buf_printf(out,
                   ",\"State\":\"%s\",\"StateTransitionReason\":\"User action\""
                   ",\"LastProcessingResult\":\"%s\"}",
                   state             ? state
                   : cfg->is_enabled ? "Enabled"
                                     : "Disabled",
                   last_result ? last_result : "No records processed");
}

void strm__cfg_persist(const esm_cfg_t *cfg, const char *region, eng_buf_t *out)
{
    append_common(cfg, region, out);
    eng_buf_printf(out, ",\"FunctionName\":\"%s\",\"Enabled\":%s,\"StartAfter\":%" PRIu64 "}",
                   cfg->function, cfg->is_enabled ? "true" : "false", cfg->start_after);
}

int strm__cfg_load(esm_cfg_t *cfg, eng_slice_t text, const char *region)
{
    cJSON *root = NULL;
    eng_buf_t why = {0};
    strm__cfg_defaults(cfg);
    int err = eng_json_parse(text.ptr, text.len, &root);
    if (err == 0)
        err = strm__cfg_parse(cfg, root, true, region, &why);
    const char *uuid = eng_json_get_str(root, "UUID");
    const cJSON *after = eng_json_get(root, "StartAfter");
    const cJSON *mod = eng_json_get(root, "LastModified");
    if (err == 0 && (!uuid || strlen(uuid) != 36 || !cJSON_IsNumber(after)))
        err = ENG_ECORRUPT;
    if (err == 0) {
        snprintf(cfg->uuid, sizeof cfg->uuid, "%s", uuid);
        cfg->start_after = (uint64_t)after->valuedouble;
        cfg->last_modified = cJSON_IsNumber(mod) ? mod->valuedouble : 0;
    }
    eng_json_delete(root);
    eng_buf_free(&why);
    if (err < 0)
        strm__cfg_free(cfg);
    return err < 0 ? ENG_ECORRUPT : 0;
}
