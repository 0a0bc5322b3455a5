/* SPDX-License-Identifier: MIT
 * esm_api.c: Lambda's event-source-mapping operations over the dispatcher:
 * Create (the stream must exist; LATEST/TRIM_HORIZON resolved once and
 * persisted with the configuration), Get, List, Update and Delete, plus the
 * metrics and on-failure reads of /_eddy/mappings. Each change is committed
 * (engine records "esm/<uuid>", "ckpt/<uuid>") before the live mapping
 * changes, so what a client was told is what a restart loads. */
#include "streams/dispatch_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>

#define LIST_DEFAULT 100u
#define LIST_MAX 10000u

static int reply_err(strm_reply_t *rep, int err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int reply_err(strm_reply_t *rep, int err, const char *type, const char *fmt, ...)
{
    static const struct {
        int err, status;
    } map[] = {{ENG_EINVAL, 400}, {ENG_ENOTFOUND, 404}, {ENG_EEXIST, 409}};
    rep->status = 500;
    for (size_t i = 0; i < ENG_ARRAY_LEN(map); i++)
        rep->status = map[i].err == err ? map[i].status : rep->status;
    rep->error_type = type;
    eng_buf_reset(&rep->body);
    va_list ap;
    va_start(ap, fmt);
    eng_buf_vprintf(&rep->body, fmt, ap);
    va_end(ap);
    return err;
}

static void new_uuid(char out[37])
{
    uint8_t b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        const uint64_t t = strm__now_ms() ^ (uint64_t)(uintptr_t)out;
        memcpy(b, &t, sizeof t);
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* Resolve the starting position against the stream named by the ARN. */
static int resolve_start(strm_dispatch_t *d, esm_cfg_t *cfg, strm_reply_t *rep)
{
    store_reader_t *r = NULL;
    int err = store_reader_create(d->store, &r);
    if (err == 0)
        err = store_read_begin(r);
    store_table_t t;
    cJSON *meta = NULL;
    bool is_found = false;
    if (err == 0 && store_table_get(r, eng_slice_cstr(cfg->table), &t) == 0 &&
        eng_json_parse(t.meta.ptr, t.meta.len, &meta) == 0) {
        const cJSON *s;
        cJSON_ArrayForEach(s, eng_json_get(meta, "Streams"))
        {
            const char *arn = eng_json_get_str(s, "StreamArn");
            if (!arn || strcmp(arn, cfg->source_arn) != 0)
                continue;
            const cJSON *start = eng_json_get(s, "StartSeq");
            const uint64_t first = cJSON_IsNumber(start) ? (uint64_t)start->valuedouble : 1;
            cfg->start_after = strcmp(cfg->position, "LATEST") == 0 ? t.last_seq : first - 1;
            is_found = true;
        }
    }
    eng_json_delete(meta);
    if (r)
        store_read_end(r);
    store_reader_destroy(r);
    if (err < 0)
        return reply_err(rep, ENG_EIO, "ServiceException", "Cannot read the table.");
    if (!is_found)
        return reply_err(rep, ENG_EINVAL, "InvalidParameterValueException", "Stream not found: %s",
                         cfg->source_arn);
    return 0;
}

static int check_function(strm_dispatch_t *d, const esm_cfg_t *cfg, strm_reply_t *rep)
{
    eng_fn_t *fn = NULL;
    if (eng_fn_get(d->fns, cfg->function, &fn) < 0)
        return reply_err(rep, ENG_EINVAL, "InvalidParameterValueException",
                         "Function does not exist: arn:aws:lambda:%s:000000000000:function:%s",
                         d->region, cfg->function);
    eng_fn_unref(fn);
    return 0;
}

/* Persist cfg (and, with ckpt, its starting checkpoint) in one commit. */
static int persist(strm_dispatch_t *d, const esm_cfg_t *cfg, bool with_ckpt, strm_reply_t *rep)
{
    eng_buf_t k1 = {0}, v1 = {0}, k2 = {0}, v2 = {0};
    eng_buf_printf(&k1, ESM_KEY_PREFIX "%s", cfg->uuid);
    strm__cfg_persist(cfg, d->region, &v1);
    eng_buf_printf(&k2, ESM_CKPT_PREFIX "%s", cfg->uuid);
    eng_buf_append_str(&v2, "{\"Lanes\":[");
    for (int i = 0; i < cfg->parallel; i++)
        eng_buf_printf(&v2, "%s%" PRIu64, i ? "," : "", cfg->start_after);
    eng_buf_append_str(&v2, "]}");
    store_write_t w[2] = {
        {.kind = STORE_W_KV_PUT, .table = {k1.ptr, k1.len}, .item = {v1.ptr, v1.len}},
        {.kind = STORE_W_KV_PUT, .table = {k2.ptr, k2.len}, .item = {v2.ptr, v2.len}},
    };
    int err = strm__commit_sync(d, w, with_ckpt ? 2 : 1);
    eng_buf_free(&k1);
    eng_buf_free(&v1);
    eng_buf_free(&k2);
    eng_buf_free(&v2);
    if (err < 0)
        return reply_err(rep, ENG_EIO, "ServiceException", "Cannot store the mapping: %s",
                         eng_strerror(err));
    return 0;
}

/* The live mapping of the same function and stream, if any (mu held). */
static esm_mapping_t *find_same(strm_dispatch_t *d, const esm_cfg_t *cfg)
{
    for (esm_mapping_t *m = d->mappings; m; m = m->next) {
        if (!m->is_deleted && strcmp(m->cfg.function, cfg->function) == 0 &&
            strcmp(m->cfg.source_arn, cfg->source_arn) == 0)
            return m;
    }
    return NULL;
}

static int conflict(strm_dispatch_t *d, const esm_cfg_t *cfg, strm_reply_t *rep)
{
    pthread_mutex_lock(&d->mu);
    const esm_mapping_t *m = find_same(d, cfg);
    char uuid[37] = "";
    if (m)
        snprintf(uuid, sizeof uuid, "%s", m->cfg.uuid);
    pthread_mutex_unlock(&d->mu);
    if (!m)
        return 0;
    return reply_err(rep, ENG_EEXIST, "ResourceConflictException",
                     "The event source arn (\" %s \") and function (\" %s \") provided mapping "
                     "already exists. Please update or delete the existing mapping with UUID %s",
                     cfg->source_arn, cfg->function, uuid);
}

int strm_esm_create(strm_dispatch_t *d, const cJSON *body, bool is_manifest, strm_reply_t *rep)
{
    esm_cfg_t cfg;
    strm__cfg_defaults(&cfg);
    int err = strm__cfg_parse(&cfg, body, true, d->region, &rep->body);
    if (err < 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rep->body.ptr ? rep->body.ptr : "");
        err = reply_err(rep, ENG_EINVAL, "InvalidParameterValueException", "%s", msg);
    }
    if (err == 0)
        err = check_function(d, &cfg, rep);
    if (err == 0 && !is_manifest)
        err = conflict(d, &cfg, rep);
    if (err == 0)
        err = resolve_start(d, &cfg, rep);
    if (err == 0) {
        new_uuid(cfg.uuid);
        cfg.last_modified = (double)strm__now_ms() / 1000.0;
        err = persist(d, &cfg, true, rep);
    }
    if (err == 0) {
        rep->status = 202;
        strm__cfg_json(&cfg, d->region, "Creating", NULL, &rep->body);
        pthread_mutex_lock(&d->mu);
        strm__mapping_insert(d, strm__mapping_new(d, &cfg, (eng_slice_t){0}));
        pthread_mutex_unlock(&d->mu);
    }
    strm__cfg_free(&cfg);
    return err;
}

static int not_found(strm_reply_t *rep, const char *uuid)
{
    return reply_err(rep, ENG_ENOTFOUND, "ResourceNotFoundException",
                     "The resource you requested does not exist. (Service: Lambda, Status Code: "
                     "404, Request ID: %s)",
                     uuid);
}

int strm_esm_get(strm_dispatch_t *d, const char *uuid, strm_reply_t *rep)
{
    pthread_mutex_lock(&d->mu);
    const esm_mapping_t *m = strm__mapping_find(d, uuid);
    if (m) {
        rep->status = 200;
        strm__cfg_json(&m->cfg, d->region, NULL, m->last_result, &rep->body);
    }
    pthread_mutex_unlock(&d->mu);
    return m ? 0 : not_found(rep, uuid);
}

static bool list_match(const esm_mapping_t *m, const char *fn, const char *arn)
{
    if (m->is_deleted || (arn && strcmp(arn, m->cfg.source_arn) != 0))
        return false;
    if (!fn)
        return true;
    const char *p = strstr(fn, "function:");
    const char *plain = p ? p + 9 : fn;
    return strncmp(plain, m->cfg.function, strcspn(plain, ":")) == 0 &&
           strlen(m->cfg.function) == strcspn(plain, ":");
}

int strm_esm_list(strm_dispatch_t *d, const char *function_name, const char *source_arn,
                  const char *marker, unsigned max_items, strm_reply_t *rep)
{
    const unsigned max = max_items == 0         ? LIST_DEFAULT
                         : max_items > LIST_MAX ? LIST_MAX
                                                : max_items;
    unsigned n = 0;
    rep->status = 200;
    eng_buf_append_str(&rep->body, "{\"EventSourceMappings\":[");
    pthread_mutex_lock(&d->mu);
    const esm_mapping_t *m = d->mappings, *last = NULL;
    for (; m; m = m->next) {
        if ((marker && *marker && strcmp(m->cfg.uuid, marker) <= 0) ||
            !list_match(m, function_name, source_arn))
            continue;
        if (n == max)
            break;
        if (n++)
            eng_buf_append_char(&rep->body, ',');
        strm__cfg_json(&m->cfg, d->region, NULL, m->last_result, &rep->body);
        last = m;
    }
    eng_buf_append_char(&rep->body, ']');
    if (m && last) /* The marker is the last UUID returned: UUIDs order the list. */
        eng_buf_printf(&rep->body, ",\"NextMarker\":\"%s\"", last->cfg.uuid);
    pthread_mutex_unlock(&d->mu);
    eng_buf_append_char(&rep->body, '}');
    return 0;
}

/* Copy mapping `uuid`'s config into *cfg (the caller frees it with
 * strm__cfg_free) so it can be worked on unlocked; false if there is none. */
static bool copy_mapping(strm_dispatch_t *d, const char *uuid, esm_cfg_t *cfg)
{
    pthread_mutex_lock(&d->mu);
    const esm_mapping_t *m = strm__mapping_find(d, uuid);
    if (m)
        strm__cfg_copy(cfg, &m->cfg);
    pthread_mutex_unlock(&d->mu);
    return m != NULL;
}

int strm_esm_update(strm_dispatch_t *d, const char *uuid, const cJSON *body, strm_reply_t *rep)
{
    esm_cfg_t cfg;
    if (!copy_mapping(d, uuid, &cfg))
        return not_found(rep, uuid);
    int err = strm__cfg_parse(&cfg, body, false, d->region, &rep->body);
    if (err < 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rep->body.ptr ? rep->body.ptr : "");
        err = reply_err(rep, ENG_EINVAL, "InvalidParameterValueException", "%s", msg);
    }
    if (err == 0 && eng_json_get(body, "FunctionName"))
        err = check_function(d, &cfg, rep);
    if (err == 0) {
        cfg.last_modified = (double)strm__now_ms() / 1000.0;
        err = persist(d, &cfg, false, rep);
    }
    if (err == 0) {
        rep->status = 202;
        strm__cfg_json(&cfg, d->region, "Updating", NULL, &rep->body);
        pthread_mutex_lock(&d->mu);
        esm_mapping_t *live = strm__mapping_find(d, uuid);
        if (live)
            strm__mapping_update(d, live, &cfg);
        pthread_mutex_unlock(&d->mu);
    }
    strm__cfg_free(&cfg);
    return err;
}

int strm_esm_delete(strm_dispatch_t *d, const char *uuid, strm_reply_t *rep)
{
    esm_cfg_t cfg;
    if (!copy_mapping(d, uuid, &cfg))
        return not_found(rep, uuid);
    eng_buf_t k1 = {0}, k2 = {0};
    eng_buf_printf(&k1, ESM_KEY_PREFIX "%s", uuid);
    eng_buf_printf(&k2, ESM_CKPT_PREFIX "%s", uuid);
    store_write_t w[2] = {{.kind = STORE_W_KV_DELETE, .table = {k1.ptr, k1.len}},
                          {.kind = STORE_W_KV_DELETE, .table = {k2.ptr, k2.len}}};
    int err = strm__commit_sync(d, w, 2);
    eng_buf_free(&k1);
    eng_buf_free(&k2);
    if (err < 0 && err != ENG_ENOTFOUND) {
        strm__cfg_free(&cfg);
        return reply_err(rep, ENG_EIO, "ServiceException", "Cannot delete the mapping.");
    }
    rep->status = 202;
    strm__cfg_json(&cfg, d->region, "Deleting", NULL, &rep->body);
    strm__cfg_free(&cfg);
    pthread_mutex_lock(&d->mu);
    esm_mapping_t *live = strm__mapping_find(d, uuid);
    if (live)
        live->is_deleted = true;
    strm__wake(d);
    pthread_mutex_unlock(&d->mu);
    return 0;
}

int strm_esm_apply_manifest(strm_dispatch_t *d, const cJSON *mappings, eng_buf_t *why)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, mappings)
    {
        strm_reply_t rep = {0};
        int err = strm_esm_create(d, it, true, &rep);
        if (err < 0)
            eng_buf_printf(why, "manifest mapping refused: %s", rep.body.ptr ? rep.body.ptr : "?");
        eng_buf_free(&rep.body);
        if (err < 0)
            return err;
    }
    return 0;
}

static void metrics_one(const esm_mapping_t *m, eng_buf_t *out)
{
    const esm_stats_t *s = &m->st;
    eng_buf_printf(out,
                   "{\"UUID\":\"%s\",\"FunctionName\":\"%s\",\"State\":\"%s\","
                   "\"LastProcessingResult\":\"%s\",\"Invocations\":%" PRIu64 ",\"Errors\":%" PRIu64
                   ",\"Records\":%" PRIu64 ",\"Batches\":%" PRIu64 ",\"LastBatchSize\":%" PRIu64
                   ",\"MaxBatchSize\":%" PRIu64 ",\"IteratorAgeMs\":%" PRIu64
                   ",\"MaxIteratorAgeMs\":%" PRIu64 ",\"Skipped\":%" PRIu64
                   ",\"Discarded\":%" PRIu64 ",\"Checkpoint\":%" PRIu64 ",\"ReadSeq\":%" PRIu64 "}",
                   m->cfg.uuid, m->cfg.function, m->cfg.is_enabled ? "Enabled" : "Disabled",
                   m->last_result, s->invocations, s->errors, s->records, s->batches, s->last_batch,
                   s->max_batch, s->age_ms, s->max_age_ms, s->skipped, s->discarded, m->saved_low,
                   m->read_seq);
}

int strm_esm_metrics_json(strm_dispatch_t *d, const char *uuid, eng_buf_t *out)
{
    int err = 0;
    pthread_mutex_lock(&d->mu);
    if (uuid) {
        const esm_mapping_t *m = strm__mapping_find(d, uuid);
        if (m)
            metrics_one(m, out);
        err = m ? 0 : ENG_ENOTFOUND;
    } else {
        eng_buf_append_str(out, "{\"Mappings\":[");
        for (const esm_mapping_t *m = d->mappings; m; m = m->next) {
            if (m->is_deleted)
                continue;
            if (out->ptr[out->len - 1] != '[')
                eng_buf_append_char(out, ',');
            metrics_one(m, out);
        }
        eng_buf_append_str(out, "]}");
    }
    pthread_mutex_unlock(&d->mu);
    return err;
}

int strm_esm_failures_json(strm_dispatch_t *d, const char *uuid, unsigned limit, eng_buf_t *out)
{
    pthread_mutex_lock(&d->mu);
    const bool is_known = strm__mapping_find(d, uuid) != NULL;
    pthread_mutex_unlock(&d->mu);
    if (!is_known)
        return ENG_ENOTFOUND;
    store_reader_t *r = NULL;
    if (store_reader_create(d->store, &r) < 0 || store_read_begin(r) < 0) {
        store_reader_destroy(r);
        return ENG_EIO;
    }
    char prefix[64], after[128] = "";
    snprintf(prefix, sizeof prefix, ESM_FAIL_PREFIX "%s/", uuid);
    eng_buf_append_str(out, "{\"Failures\":[");
    eng_slice_t key, val;
    for (unsigned n = 0;
         n < (limit ? limit : 100u) &&
         store_kv_next(r, eng_slice_cstr(prefix), eng_slice_cstr(after), &key, &val) == 0;
         n++) {
        snprintf(after, sizeof after, "%.*s", (int)key.len, key.ptr);
        if (n)
            eng_buf_append_char(out, ',');
        eng_buf_append(out, val.ptr, val.len);
    }
    eng_buf_append_str(out, "]}");
    store_read_end(r);
    store_reader_destroy(r);
    return 0;
}
