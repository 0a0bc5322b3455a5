/* SPDX-License-Identifier: MIT
 * ddb_wcap.c: the write capacity item writes consume in a table's secondary
 * indexes, for ReturnConsumedCapacity. DynamoDB charges an index only when a
 * write changes what the index stores: a put of a new entry, a delete of an
 * old one, both when the index key moved, one rewrite when a projected
 * attribute changed, and nothing for a sparse item or an unchanged view.
 * Works after the commit from the old and new item texts the reply already
 * holds, so it never touches the write path; requests that do not ask for
 * capacity never reach it. A transaction doubles only its table share: an
 * index costs what the same write costs outside one. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <math.h>
#include <string.h>

double ddb__wcap_units(size_t bytes)
{
    double u = ceil((double)bytes / 1024.0);
    return u < 1 ? 1 : u;
}

static void collect(ddb_wcap_t *cap, const char *member, bool is_gsi)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, eng_json_get(cap->meta, member))
    {
        if (cap->n == DDB_WCAP_INDEXES)
            return;
        const cJSON *ks = eng_json_get(d, "KeySchema"), *p = eng_json_get(d, "Projection");
        ddb_wcap_ix_t *ix = &cap->ix[cap->n];
        *ix = (ddb_wcap_ix_t){.name = eng_json_get_str(d, "IndexName"),
                              .pk = ddb__key_attr(ks, "HASH"),
                              .sk = ddb__key_attr(ks, "RANGE"),
                              .proj = eng_json_get_str(p, "ProjectionType"),
                              .include = eng_json_get(p, "NonKeyAttributes"),
                              .is_gsi = is_gsi};
        if (!ix->proj)
            ix->proj = "ALL";
        if (ix->name && ix->pk)
            cap->n++;
    }
}

int ddb__wcap_open(ddb_thread_t *th, const char *table, ddb_wcap_t *cap)
{
    store_table_t t;
    *cap = (ddb_wcap_t){0};
    if (store_read_begin(th->reader) < 0)
        return ENG_EIO;
    int err = store_table_get(th->reader, eng_slice_cstr(table), &t);
    /* Most tables have no index: spare them the parse. */
    if (err == 0 && memmem(t.meta.ptr, t.meta.len, "SecondaryIndexes", 16) &&
        eng_json_parse(t.meta.ptr, t.meta.len, &cap->meta) < 0)
        err = ENG_ECORRUPT;
    store_read_end(th->reader);
    if (err < 0 || !cap->meta)
        return err;
    const cJSON *ks = eng_json_get(cap->meta, "KeySchema");
    cap->pk = ddb__key_attr(ks, "HASH");
    cap->sk = ddb__key_attr(ks, "RANGE");
    collect(cap, "GlobalSecondaryIndexes", true);
    collect(cap, "LocalSecondaryIndexes", false);
    return 0;
}

void ddb__wcap_close(ddb_wcap_t *cap)
{
    eng_json_delete(cap->meta);
    *cap = (ddb_wcap_t){0};
}

static bool is_named(const char *name, const char *a, const char *b)
{
    return (a && strcmp(name, a) == 0) || (b && strcmp(name, b) == 0);
}

/* Does index `ix` store attribute `name`? Keys of the table and of the
 * index always; others per the projection. */
static bool is_projected(const ddb_wcap_t *cap, const ddb_wcap_ix_t *ix, const char *name)
{
    if (strcmp(ix->proj, "ALL") == 0 || is_named(name, cap->pk, cap->sk) ||
        is_named(name, ix->pk, ix->sk))
        return true;
    if (strcmp(ix->proj, "INCLUDE") != 0)
        return false;
    const cJSON *e;
    cJSON_ArrayForEach(e, ix->include)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* The entry `ix` holds for `item`: its canonical text into `out`; returns
 * its DynamoDB size. */
static size_t view(const ddb_wcap_t *cap, const ddb_wcap_ix_t *ix, const cJSON *item,
                   eng_buf_t *out)
{
    cJSON *p = cJSON_CreateObject();
    const cJSON *a;
    cJSON_ArrayForEach(a, item)
    {
        if (is_projected(cap, ix, a->string))
            cJSON_AddItemReferenceToObject(p, a->string, (cJSON *)a);
    }
    size_t size = 0;
    const char *why = NULL;
    eng_buf_reset(out);
    if (store_item_canon(p, out, &size, &why, NULL) < 0)
        size = 0; /* Cannot happen: the parts come from a stored item. */
    cJSON_Delete(p);
    return size;
}

static bool in_index(const ddb_wcap_ix_t *ix, const cJSON *item)
{
    return item && eng_json_get(item, ix->pk) && (!ix->sk || eng_json_get(item, ix->sk));
}

static bool same_attr(const cJSON *a, const cJSON *b, const char *name)
{
    return !name || cJSON_Compare(eng_json_get(a, name), eng_json_get(b, name), true);
}

/* Units index `ix` is charged for the write turning `old` into `nw` (either
 * NULL when absent); `a` and `b` are scratch. */
static double charge(const ddb_wcap_t *cap, const ddb_wcap_ix_t *ix, const cJSON *old,
                     const cJSON *nw, eng_buf_t *a, eng_buf_t *b)
{
    bool has_old = in_index(ix, old), has_new = in_index(ix, nw);
    size_t old_size = has_old ? view(cap, ix, old, a) : 0;
    size_t new_size = has_new ? view(cap, ix, nw, b) : 0;
    if (!has_old || !has_new) /* A put into the index, a delete from it, or nothing. */
        return (has_old ? ddb__wcap_units(old_size) : 0) +
               (has_new ? ddb__wcap_units(new_size) : 0);
    if (!same_attr(old, nw, ix->pk) || !same_attr(old, nw, ix->sk)) /* It moves: delete, put. */
        return ddb__wcap_units(old_size) + ddb__wcap_units(new_size);
    if (eng_slice_eq(eng_slice(a->ptr, a->len), eng_slice(b->ptr, b->len)))
        return 0; /* Nothing the index stores changed. */
    return ddb__wcap_units(old_size > new_size ? old_size : new_size);
}

void ddb__wcap_add(ddb_wcap_t *cap, eng_slice_t old, eng_slice_t nw, double table_units)
{
    cap->table_units += table_units;
    if (cap->n == 0 || eng_slice_eq(old, nw)) /* Same text: an unchanged item. */
        return;
    cJSON *o = NULL, *n = NULL;
    eng_buf_t a = {0}, b = {0};
    if ((old.len && eng_json_parse(old.ptr, old.len, &o) < 0) ||
        (nw.len && eng_json_parse(nw.ptr, nw.len, &n) < 0))
        goto out; /* Stored texts always parse; count nothing if one does not. */
    for (size_t i = 0; i < cap->n; i++)
        cap->ix[i].units += charge(cap, &cap->ix[i], o, n, &a, &b);
out:
    eng_buf_free(&a);
    eng_buf_free(&b);
    eng_json_delete(o);
    eng_json_delete(n);
}

/* "CapacityUnits":u, and for a transaction the same as WriteCapacityUnits. */
static void append_units(const ddb_wcap_t *cap, double u, eng_buf_t *out)
{
    eng_buf_printf(out, "\"CapacityUnits\":%.1f", u);
    if (cap->is_txn)
        eng_buf_printf(out, ",\"WriteCapacityUnits\":%.1f", u);
}

/* ,"GlobalSecondaryIndexes":{name:{"CapacityUnits":u},..} (or Local) for
 * the indexes of that kind that were charged; nothing when none was. */
static void append_arm(const ddb_wcap_t *cap, bool is_gsi, eng_buf_t *out)
{
    bool is_open = false;
    for (size_t i = 0; i < cap->n; i++) {
        const ddb_wcap_ix_t *ix = &cap->ix[i];
        if (ix->is_gsi != is_gsi || ix->units <= 0)
            continue;
        eng_buf_append_str(out, is_open  ? ","
                                : is_gsi ? ",\"GlobalSecondaryIndexes\":{"
                                         : ",\"LocalSecondaryIndexes\":{");
        is_open = true;
        eng_json_append_string(out, ix->name, strlen(ix->name));
        eng_buf_append_str(out, ":{");
        append_units(cap, ix->units, out);
        eng_buf_append_char(out, '}');
    }
    if (is_open)
        eng_buf_append_char(out, '}');
}

void ddb__wcap_obj(const ddb_wcap_t *cap, int rcc, eng_slice_t table, eng_buf_t *out)
{
    double total = cap->table_units;
    for (size_t i = 0; i < cap->n; i++)
        total += cap->ix[i].units;
    eng_buf_append_str(out, "{\"TableName\":");
    eng_json_append_string(out, table.ptr, table.len);
    eng_buf_append_char(out, ',');
    append_units(cap, total, out);
    if (rcc == 2) {
        eng_buf_append_str(out, ",\"Table\":{");
        append_units(cap, cap->table_units, out);
        eng_buf_append_char(out, '}');
        append_arm(cap, true, out);
        append_arm(cap, false, out);
    }
    eng_buf_append_char(out, '}');
}
