/* SPDX-License-Identifier: MIT
 * ddb_scan.c: Scan, run inline on the loop thread over one read snapshot.
 * A page ends at Limit items or once the items read reach 1 MB, as DynamoDB
 * pages; LastEvaluatedKey then names the last item read. Parallel segments
 * are disjoint ranges of the 32-bit partition hash the keys start with.
 * The page walker here is shared with Query (ddb_query.c): Limit and the
 * 1 MB cap count items read before FilterExpression, as DynamoDB does.
 * On an LSI that must fetch, each entry is swapped for its table item in the
 * same snapshot before the filter and projection see it. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <math.h>
#include <string.h>

#define PAGE_BYTES DDB_PAGE_BYTES

typedef struct scan_args {
    int segment, total; /* total 0: not parallel. */
} scan_args_t;

static int scan_segments(ddb_call_t *c, scan_args_t *a)
{
    const cJSON *seg = eng_json_get(c->body, "Segment");
    const cJSON *tot = eng_json_get(c->body, "TotalSegments");
    if (!seg && !tot)
        return 0;
    /* DynamoDB words the two missing-partner messages differently. */
    if (!tot) {
        ddb__reply_validation(c->th, c->req,
                              "The TotalSegments parameter is required but was not present in "
                              "the request when Segment parameter is present");
        return ENG_EINVAL;
    }
    if (!seg) {
        ddb__reply_validation(c->th, c->req,
                              "The Segment parameter is required but was not present in the "
                              "request when parameter TotalSegments is present");
        return ENG_EINVAL;
    }
    a->segment = seg->valueint;
    a->total = tot->valueint;
    if (a->total < 1 || a->total > 1000000) {
        ddb__reply_validation(c->th, c->req,
                              "1 validation error detected: Value at 'TotalSegments' failed to "
                              "satisfy constraint: Member must have value %s",
                              a->total < 1 ? "greater than or equal to 1"
                                           : "less than or equal to 1000000");
        return ENG_EINVAL;
    }
    if (a->segment < 0) {
        ddb__reply_validation(c->th, c->req,
                              "1 validation error detected: Value at 'Segment' failed to satisfy "
                              "constraint: Member must have value greater than or equal to 0");
        return ENG_EINVAL;
    }
    if (a->segment >= a->total) {
        ddb__reply_validation(c->th, c->req,
                              "The Segment parameter is zero-based and must be less than "
                              "parameter TotalSegments");
        return ENG_EINVAL;
    }
    return 0;
}

/* A projection beside any Select but SPECIFIC_ATTRIBUTES is refused before
 * the index rule, naming the member given and the Select in DynamoDB's words
 * (COUNT reads "only the Count"). Returns the message or NULL. */
static const char *select_conflict(ddb_call_t *c, const char *sel, bool has_proj)
{
    if (sel && has_proj && strcmp(sel, "SPECIFIC_ATTRIBUTES") != 0) {
        const bool is_expr = eng_json_get(c->body, "ProjectionExpression") != NULL;
        eng_buf_reset(&c->th->why);
        eng_buf_printf(&c->th->why, "Cannot specify the %s when choosing to get %s",
                       is_expr ? "ProjectionExpression" : "AttributesToGet",
                       strcmp(sel, "COUNT") == 0 ? "only the Count" : sel);
        return c->th->why.ptr;
    }
    if (sel && strcmp(sel, "ALL_PROJECTED_ATTRIBUTES") == 0 && !eng_json_get(c->body, "IndexName"))
        return "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName";
    return NULL;
}

static int select_mode(ddb_call_t *c, ddb_page_t *p, const char **why)
{
    const char *sel = eng_json_get_str(c->body, "Select");
    static const char *const ok[] = {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES",
                                     "SPECIFIC_ATTRIBUTES", "COUNT"};
    bool is_known = !sel;
    for (size_t i = 0; sel && i < ENG_ARRAY_LEN(ok); i++)
        is_known = is_known || strcmp(sel, ok[i]) == 0;
    if (!is_known) {
        eng_buf_reset(&c->th->why);
        eng_buf_printf(&c->th->why,
                       "1 validation error detected: Value '%s' at 'select' failed to satisfy "
                       "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, "
                       "COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
                       sel);
        *why = c->th->why.ptr;
        return ENG_EINVAL;
    }
    const bool has_proj =
        eng_json_get(c->body, "ProjectionExpression") || eng_json_get(c->body, "AttributesToGet");
    if ((*why = select_conflict(c, sel, has_proj)) != NULL)
        return ENG_EINVAL;
    if (sel && !has_proj && strcmp(sel, "SPECIFIC_ATTRIBUTES") == 0) {
        *why = "1 validation error detected: Must specify the AttributesToGet or "
               "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES";
        return ENG_EINVAL;
    }
    p->is_count = sel && strcmp(sel, "COUNT") == 0;
    return 0;
}

int ddb__page_args(ddb_call_t *c, unsigned which, ddb_page_t *p)
{
    const char *why = NULL;
    p->table = ddb__name_of(c->body);
    if (ddb__check_table_name(c->th, p->table, "tableName", &why) < 0)
        goto bad;
    const cJSON *lim = eng_json_get(c->body, "Limit");
    if (lim) {
        p->limit = lim->valueint;
        if (!cJSON_IsNumber(lim) || p->limit < 1) {
            ddb__reply_validation(c->th, c->req,
                                  "1 validation error detected: Value at 'Limit' failed to "
                                  "satisfy constraint: Member must have value greater than or "
                                  "equal to 1");
            return ENG_EINVAL;
        }
    }
    /* DynamoDB checks a Query's ConditionalOperator, then the capacity
     * enum, before Select; the operator's message has no envelope. */
    const char *op = eng_json_get_str(c->body, "ConditionalOperator");
    if ((which & DDB_X_KEY) && op && strcmp(op, "AND") != 0 && strcmp(op, "OR") != 0) {
        why = "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]";
        goto bad;
    }
    if ((p->rcc = ddb__rcc(c->body)) < 0) {
        eng_buf_reset(&c->th->why);
        eng_buf_printf(&c->th->why,
                       "1 validation error detected: Value '%s' at 'returnConsumedCapacity' "
                       "failed to satisfy constraint: Member must satisfy enum value set: "
                       "[INDEXES, TOTAL, NONE]",
                       eng_json_get_str(c->body, "ReturnConsumedCapacity"));
        why = c->th->why.ptr;
        goto bad;
    }
    if (select_mode(c, p, &why) < 0)
        goto bad;
    if (ddb__exprs_parse(c->th, c->body, which, &p->x, &why) < 0)
        goto bad;
    return 0;
bad:
    ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
    return ENG_EINVAL;
}

int ddb__page_open(ddb_call_t *c, ddb_page_t *p, store_table_t *t, const ddb_schema_t **s,
                   ddb_index_t *ix)
{
    int err = ddb__table(c, p->table, t, s);
    if (err < 0)
        return err;
    const char *index = eng_json_get_str(c->body, "IndexName");
    if (index && (err = ddb__index_open(c, t, *s, index, ix)) < 0)
        return err;
    p->ix = index ? ix : NULL;
    return 0;
}

int ddb__page_start(ddb_call_t *c, const ddb_schema_t *s, const ddb_page_t *p, store_key_t *key,
                    bool *has_start)
{
    if (p->ix)
        return ddb__index_start(c, s, p->ix, key, has_start);
    const cJSON *esk = eng_json_get(c->body, "ExclusiveStartKey");
    *has_start = esk != NULL;
    if (!esk)
        return 0;
    const char *why = NULL;
    int err = ddb__key_build(c->th, s, esk, true, key, NULL, &why, NULL);
    if (err < 0)
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, "The provided starting key is invalid");
    return err;
}

/* Outcome of one item for the page. */
typedef enum step { STEP_SKIP, STEP_TAKE, STEP_STOP } step_t;

/* An LSI read that needs more than the index holds: swap the entry for its
 * table item, read in the same snapshot. Each fetch costs the whole table
 * item in 4 KB units, as DynamoDB charges it. Returns 0 or a negative code
 * (the item is then skipped: the snapshot makes a missing one impossible). */
static int fetch(ddb_call_t *c, ddb_page_t *p, eng_slice_t *text, cJSON **item)
{
    eng_slice_t full;
    cJSON *parsed = NULL;
    int err = ddb__index_fetch(c, p->ix, *item, &full);
    if (err == 0 && eng_json_parse(full.ptr, full.len, &parsed) < 0)
        err = ENG_ECORRUPT;
    if (err < 0)
        return err;
    eng_json_delete(*item);
    *item = parsed;
    *text = full;
    p->fetch_units += (ddb__item_size(c->th, full) + 4095) / 4096;
    return 0;
}

/* Classify the item (parsed only when some expression needs it) and emit it. */
static step_t page_item(ddb_call_t *c, ddb_page_t *p, eng_slice_t text, uint32_t size, bool is_peek)
{
    const bool is_fetch = !is_peek && p->ix && p->ix->is_fetch;
    const bool needs_json =
        p->kcond || is_fetch || (!is_peek && (p->x.filter || (p->x.proj && !p->is_count)));
    cJSON *item = NULL;
    if (needs_json && eng_json_parse(text.ptr, text.len, &item) < 0)
        return STEP_SKIP;
    step_t st = STEP_TAKE;
    if (p->kcond && !store_expr_eval(p->kcond, item)) /* Matches are one contiguous run. */
        st = p->scanned ? STEP_STOP : STEP_SKIP;
    if (st != STEP_TAKE || is_peek)
        goto out;
    p->scanned++;
    p->bytes += size;               /* Stored with the item: no parse. */
    const eng_slice_t entry = text; /* A fetch for the filter alone still replies the projection. */
    if (is_fetch && fetch(c, p, &text, &item) < 0)
        goto out;
    text = is_fetch && !p->ix->is_whole ? entry : text;
    if (p->x.filter && !store_expr_eval(p->x.filter, item))
        goto out;
    p->count++;
    if (p->is_count)
        goto out;
    eng_buf_t *out = &c->th->out;
    ddb__sep(out);
    if (p->x.proj) {
        cJSON *sel = NULL;
        store_expr_project(p->x.proj, item, &sel);
        eng_json_print(sel, out);
        eng_json_delete(sel);
    } else {
        eng_buf_append(out, text.ptr, text.len);
    }
out:
    eng_json_delete(item);
    return st;
}

static void page_walk(ddb_call_t *c, store_cursor_t *cur, ddb_page_t *p)
{
    eng_slice_t text;
    store_key_t key;
    while (store_cursor_next(cur, &text, &key) == 0) {
        bool is_full = (p->limit && p->scanned == (size_t)p->limit) || p->bytes >= PAGE_BYTES;
        step_t st = page_item(c, p, text, store_cursor_size(cur), is_full);
        if (st == STEP_STOP)
            break;
        if (is_full) {
            p->has_more = st == STEP_TAKE;
            if (p->has_more)
                break;
            continue;
        }
        if (st == STEP_TAKE) { /* The last item read names where the next page starts. */
            eng_buf_reset(&p->last);
            eng_buf_append(&p->last, text.ptr, text.len);
        }
    }
}

static void page_finish(ddb_call_t *c, const ddb_schema_t *s, ddb_page_t *p)
{
    eng_buf_t *out = &c->th->out;
    if (!p->is_count)
        eng_buf_append_char(out, ']');
    ddb__sep(out);
    eng_buf_printf(out, "\"Count\":%zu,\"ScannedCount\":%zu", p->count, p->scanned);
    if (p->has_more && p->last.len) {
        cJSON *item = NULL;
        if (eng_json_parse(p->last.ptr, p->last.len, &item) == 0) {
            eng_buf_append_str(out, ",\"LastEvaluatedKey\":");
            if (p->ix)
                ddb__index_last_key(s, p->ix, item, out);
            else
                ddb__key_of_item(s, item, out);
        }
        eng_json_delete(item);
    }
    const bool is_consistent = cJSON_IsTrue(eng_json_get(c->body, "ConsistentRead"));
    double units = ceil((double)p->bytes / 4096.0);
    units = units < 1 ? 0.5 : units / 2;
    units *= is_consistent ? 2 : 1;
    if (p->ix) /* Fetched table items are charged apart from the index entries read. */
        ddb__index_capacity(out, p->rcc, p->table, p->ix, units,
                            (double)p->fetch_units / (is_consistent ? 1 : 2));
    else
        ddb__append_capacity(out, p->rcc, p->table, units);
    eng_buf_append_char(out, '}');
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

void ddb__page_serve(ddb_call_t *c, const ddb_schema_t *s, uint32_t table_id,
                     const store_range_t *range, ddb_page_t *p)
{
    store_cursor_t *cur = NULL;
    const int err = p->ix ? store_index_cursor_open(c->th->reader, p->ix->id, range, &cur)
                          : store_cursor_open(c->th->reader, table_id, range, &cur);
    if (err < 0) {
        ddb__reply_store_err(c->th, c->req, err);
        return;
    }
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, p->is_count ? "{" : "{\"Items\":[");
    page_walk(c, cur, p);
    page_finish(c, s, p);
    store_cursor_close(cur);
}

void ddb__page_free(ddb_page_t *p)
{
    ddb__exprs_free(&p->x);
    eng_buf_free(&p->last);
}

void ddb__op_scan(ddb_call_t *c)
{
    ddb_page_t p = {0};
    scan_args_t a = {0};
    store_table_t t;
    const ddb_schema_t *s = NULL;
    store_key_t start;
    bool has_start = false;
    if (ddb__page_args(c, DDB_X_PROJ | DDB_X_FILTER, &p) < 0 || scan_segments(c, &a) < 0)
        goto out;
    ddb_index_t ix;
    if (ddb__page_open(c, &p, &t, &s, &ix) < 0 || ddb__page_start(c, s, &p, &start, &has_start) < 0)
        goto out;
    store_range_t range = {.after = has_start ? &start : NULL, .hash_lo = 0, .hash_hi = UINT32_MAX};
    if (a.total > 0) {
        range.hash_lo = (uint32_t)(((uint64_t)a.segment << 32) / (uint64_t)a.total);
        range.hash_hi = (uint32_t)((((uint64_t)a.segment + 1) << 32) / (uint64_t)a.total - 1);
    }
    const uint32_t h = has_start ? store_key_hash(&start) : range.hash_lo;
    if (h < range.hash_lo || h > range.hash_hi) { /* Another segment's key: DynamoDB refuses. */
        ddb__reply_validation(c->th, c->req,
                              "The provided Exclusive start key does not map to the provided "
                              "Segment and TotalSegments values.");
        goto out;
    }
    ddb__page_serve(c, s, t.id, &range, &p);
out:
    ddb__page_free(&p);
}
