/* SPDX-License-Identifier: MIT
 * ddb_scan.c: Scan, run inline on the loop thread over one read snapshot.
 * A page ends at Limit items or once the items read reach 1 MB, as DynamoDB
 * pages; LastEvaluatedKey then names the last item read. Parallel segments
 * are disjoint ranges of the 32-bit partition hash the keys start with.
 * FilterExpression is not handled here yet. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <math.h>
#include <string.h>

#define PAGE_BYTES (1024 * 1024)

typedef struct scan_args {
    const char *table;
    int limit;             /* 0: none. */
    int segment, total;    /* total 0: not parallel. */
    bool is_count;         /* Select COUNT. */
    int rcc;
    cJSON *names;          /* Projection or NULL; owned. */
} scan_args_t;

static int scan_segments(ddb_call_t *c, scan_args_t *a)
{
    const cJSON *seg = eng_json_get(c->body, "Segment");
    const cJSON *tot = eng_json_get(c->body, "TotalSegments");
    if (!seg && !tot)
        return 0;
    if (!tot || !seg) {
        ddb__reply_validation(c->th, c->req, "The %s parameter is required but was not present in the "
                              "request when parameter %s is present",
                              tot ? "Segment" : "TotalSegments", tot ? "TotalSegments" : "Segment");
        return ENG_EINVAL;
    }
    a->segment = seg->valueint;
    a->total = tot->valueint;
    if (a->total < 1 || a->total > 1000000) {
        ddb__reply_validation(c->th, c->req, "1 validation error detected: Value '%d' at 'totalSegments' "
                              "failed to satisfy constraint: Member must have value %s", a->total,
                              a->total < 1 ? "greater than or equal to 1" : "less than or equal to 1000000");
        return ENG_EINVAL;
    }
    if (a->segment < 0 || a->segment >= a->total) {
        ddb__reply_validation(c->th, c->req, "The Segment parameter is zero-based and must be less than "
                              "parameter TotalSegments: Segment: %d is not less than TotalSegments: %d",
                              a->segment, a->total);
        return ENG_EINVAL;
    }
    return 0;
}

static int scan_args(ddb_call_t *c, scan_args_t *a)
{
    const char *why = NULL;
    a->table = ddb__name_of(c->body);
    if (ddb__check_table_name(c->th, a->table, "tableName", &why) < 0)
        goto bad;
    const cJSON *lim = eng_json_get(c->body, "Limit");
    if (lim) {
        a->limit = lim->valueint;
        if (!cJSON_IsNumber(lim) || a->limit < 1) {
            ddb__reply_validation(c->th, c->req, "1 validation error detected: Value '%d' at 'limit' failed "
                                  "to satisfy constraint: Member must have value greater than or equal to 1",
                                  a->limit);
            return ENG_EINVAL;
        }
    }
    const char *sel = eng_json_get_str(c->body, "Select");
    if (sel && strcmp(sel, "COUNT") != 0 && strcmp(sel, "ALL_ATTRIBUTES") != 0 &&
        strcmp(sel, "SPECIFIC_ATTRIBUTES") != 0) {
        why = "1 validation error detected: Value at 'select' failed to satisfy constraint: Member must "
              "satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]";
        goto bad;
    }
    a->is_count = sel && strcmp(sel, "COUNT") == 0;
    if ((a->rcc = ddb__rcc(c->body)) < 0) {
        why = "1 validation error detected: Value at 'returnConsumedCapacity' failed to satisfy "
              "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]";
        goto bad;
    }
    if (ddb__projection(c->th, c->body, &a->names, &why) < 0)
        goto bad;
    return scan_segments(c, a);
bad:
    ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
    return ENG_EINVAL;
}

/* Where to start: after ExclusiveStartKey, if given. */
static int scan_start(ddb_call_t *c, const ddb_schema_t *s, store_key_t *key, bool *has_start)
{
    const cJSON *esk = eng_json_get(c->body, "ExclusiveStartKey");
    *has_start = esk != NULL;
    if (!esk)
        return 0;
    const char *why = NULL;
    int err = ddb__key_build(c->th, s, esk, true, key, NULL, &why);
    if (err < 0)
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION,
                       "The provided starting key is invalid: The provided key element does not match the schema");
    return err;
}

typedef struct scan_page {
    size_t count, scanned, bytes;
    bool has_more;
    size_t last_len;           /* Text of the last item read, copied to th->canon. */
} scan_page_t;

static void scan_walk(ddb_call_t *c, store_cursor_t *cur, const scan_args_t *a, scan_page_t *p)
{
    eng_buf_t *out = &c->th->out;
    eng_buf_t last = {0};
    eng_slice_t text;
    store_key_t key;
    while (store_cursor_next(cur, &text, &key) == 0) {
        if ((a->limit && p->scanned == (size_t)a->limit) || p->bytes >= PAGE_BYTES) {
            p->has_more = true;
            break;
        }
        p->scanned++;
        p->count++;
        p->bytes += ddb__item_size(c->th, text);
        if (!a->is_count) {
            ddb__sep(out);
            ddb__project(text, a->names, out);
        }
        eng_buf_reset(&last);
        eng_buf_append(&last, text.ptr, text.len);
    }
    /* The last item read names where the next page starts. */
    p->last_len = last.len;
    if (last.len) {
        eng_buf_reset(&c->th->canon);
        eng_buf_append(&c->th->canon, last.ptr, last.len);
    }
    eng_buf_free(&last);
}

static void scan_finish(ddb_call_t *c, const scan_args_t *a, const ddb_schema_t *s, scan_page_t *p)
{
    eng_buf_t *out = &c->th->out;
    if (!a->is_count)
        eng_buf_append_char(out, ']');
    ddb__sep(out);
    eng_buf_printf(out, "\"Count\":%zu,\"ScannedCount\":%zu", p->count, p->scanned);
    if (p->has_more && p->last_len) {
        cJSON *item = NULL;
        if (eng_json_parse(c->th->canon.ptr, c->th->canon.len, &item) == 0) {
            eng_buf_append_str(out, ",\"LastEvaluatedKey\":");
            ddb__key_of_item(s, item, out);
        }
        eng_json_delete(item);
    }
    double units = ceil((double)p->bytes / 4096.0);
    units = units < 1 ? 0.5 : units / 2;
    if (cJSON_IsTrue(eng_json_get(c->body, "ConsistentRead")))
        units *= 2;
    ddb__append_capacity(out, a->rcc, a->table, units);
    eng_buf_append_char(out, '}');
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

void ddb__op_scan(ddb_call_t *c)
{
    scan_args_t a = {0};
    if (scan_args(c, &a) < 0)
        return;
    store_table_t t;
    const ddb_schema_t *s = NULL;
    store_key_t start;
    bool has_start = false;
    store_cursor_t *cur = NULL;
    int err = ddb__table(c, a.table, &t, &s);
    if (err < 0) {
        ddb__reply_store_err(c->th, c->req, err);
        goto out;
    }
    if (scan_start(c, s, &start, &has_start) < 0)
        goto out;
    store_range_t range = {.after = has_start ? &start : NULL, .hash_lo = 0, .hash_hi = UINT32_MAX};
    if (a.total > 0) {
        range.hash_lo = (uint32_t)(((uint64_t)a.segment << 32) / (uint64_t)a.total);
        range.hash_hi = (uint32_t)((((uint64_t)a.segment + 1) << 32) / (uint64_t)a.total - 1);
    }
    if ((err = store_cursor_open(c->th->reader, t.id, &range, &cur)) < 0) {
        ddb__reply_store_err(c->th, c->req, err);
        goto out;
    }
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, a.is_count ? "{" : "{\"Items\":[");
    scan_page_t p = {0};
    scan_walk(c, cur, &a, &p);
    scan_finish(c, &a, s, &p);
out:
    if (cur)
        store_cursor_close(cur);
    eng_json_delete(a.names);
}
