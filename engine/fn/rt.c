/* SPDX-License-Identifier: MIT
 * rt.c: the native runtime: the eddy_api_t table a handler calls through,
 * module loading with the ABI check, and one handler run collecting its
 * response, error, log and staged writes into an fn_raw_t. Shared by the
 * in-process mode and the eddy-fnhost executable; it judges nothing (the
 * engine decides what is a function error), it only records and bounds. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

typedef struct rt_ctx {
    eddy_ctx_t pub;         /* First: handlers see only this. */
    const char *name;       /* Borrowed for the run. */
    const char *request_id; /* Borrowed for the run. */
    int64_t deadline_ms;    /* CLOCK_MONOTONIC. */
    fn_raw_t *raw;          /* Where everything lands. */
} rt_ctx_t;

int64_t fn__now_ms(void)
{
    return (int64_t)(fn__now_us() / 1000);
}

uint64_t fn__now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void fn__iso_time(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char sec[32];
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%.20s.%03dZ", sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

static rt_ctx_t *ctx_of(const eddy_ctx_t *ctx)
{
    return (rt_ctx_t *)(uintptr_t)ctx; /* pub is the first member. */
}

static const char *api_function_name(const eddy_ctx_t *ctx)
{
    return ctx_of(ctx)->name;
}

static const char *api_request_id(const eddy_ctx_t *ctx)
{
    return ctx_of(ctx)->request_id;
}

static int64_t api_remaining_ms(const eddy_ctx_t *ctx)
{
    const int64_t left = ctx_of(ctx)->deadline_ms - fn__now_ms();
    return left > 0 ? left : 0;
}

/* Lines are prefixed as Lambda's Node runtime does: time, request id, level. */
static void api_vlog(eddy_ctx_t *ctx, const char *fmt, va_list ap)
{
    rt_ctx_t *c = ctx_of(ctx);
    if (!fmt || c->raw->log.len >= FN_MAX_LOG_BYTES)
        return;
    char line[4096], ts[40];
    vsnprintf(line, sizeof line, fmt, ap);
    fn__iso_time(ts, sizeof ts);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    eng_buf_printf(&c->raw->log, "%s\t%s\tINFO\t%s\n", ts, c->request_id, line);
}

static int api_respond(eddy_ctx_t *ctx, const char *json, size_t len)
{
    rt_ctx_t *c = ctx_of(ctx);
    if (!json)
        return EDDY_EINVAL;
    if (len > FN_MAX_RESPONSE_BYTES)
        return EDDY_ETOOBIG;
    eng_buf_reset(&c->raw->response);
    eng_buf_append(&c->raw->response, json, len);
    c->raw->has_response = true;
    return EDDY_OK;
}

static int api_fail(eddy_ctx_t *ctx, const char *error_type, const char *message)
{
    rt_ctx_t *c = ctx_of(ctx);
    if (!error_type || !message)
        return EDDY_EINVAL;
    eng_free(c->raw->error_type);
    eng_free(c->raw->error_message);
    c->raw->error_type = eng_strndup(error_type, strnlen(error_type, 256));
    c->raw->error_message = eng_strndup(message, strnlen(message, 64 * 1024));
    return EDDY_OK;
}

static bool is_json_object(const char *s)
{
    cJSON *root = NULL;
    if (!s || eng_json_parse(s, strlen(s), &root) < 0)
        return false;
    const bool ok = cJSON_IsObject(root);
    eng_json_delete(root);
    return ok;
}

static char *dup_or_null(const char *s)
{
    return s ? eng_strdup(s) : NULL;
}

/* Validate and append one staged write; `w` holds borrowed strings. */
static int stage(rt_ctx_t *c, const eng_fn_write_t *w)
{
    fn_raw_t *raw = c->raw;
    const char *doc = w->kind == ENG_FN_WRITE_PUT ? w->item_json : w->key_json;
    if (!w->table || !w->table[0] || !is_json_object(doc))
        return EDDY_EINVAL;
    if (w->kind == ENG_FN_WRITE_UPDATE && (!w->update_expression || !w->update_expression[0] ||
                                           (w->names_json && !is_json_object(w->names_json)) ||
                                           (w->values_json && !is_json_object(w->values_json))))
        return EDDY_EINVAL;
    if (raw->n_writes >= FN_MAX_WRITES)
        return EDDY_ETOOBIG;
    raw->writes = eng_realloc(raw->writes, (raw->n_writes + 1) * sizeof *raw->writes);
    raw->writes[raw->n_writes++] = (eng_fn_write_t){
        .kind = w->kind,
        .table = eng_strdup(w->table),
        .item_json = dup_or_null(w->item_json),
        .key_json = dup_or_null(w->key_json),
        .update_expression = dup_or_null(w->update_expression),
        .names_json = dup_or_null(w->names_json),
        .values_json = dup_or_null(w->values_json),
    };
    return EDDY_OK;
}

static int api_stage_put(eddy_ctx_t *ctx, const char *table, const char *item_json)
{
    return stage(ctx_of(ctx), &(eng_fn_write_t){.kind = ENG_FN_WRITE_PUT,
                                                .table = (char *)table,
                                                .item_json = (char *)item_json});
}

static int api_stage_delete(eddy_ctx_t *ctx, const char *table, const char *key_json)
{
    return stage(ctx_of(ctx), &(eng_fn_write_t){.kind = ENG_FN_WRITE_DELETE,
                                                .table = (char *)table,
                                                .key_json = (char *)key_json});
}

static int api_stage_update(eddy_ctx_t *ctx, const char *table, const char *key_json,
                            const char *update_expression, const char *names_json,
                            const char *values_json)
{
    return stage(ctx_of(ctx), &(eng_fn_write_t){
                                  .kind = ENG_FN_WRITE_UPDATE,
                                  .table = (char *)table,
                                  .key_json = (char *)key_json,
                                  .update_expression = (char *)update_expression,
                                  .names_json = (char *)names_json,
                                  .values_json = (char *)values_json,
                              });
}

static const eddy_api_t rt_api = {
    .abi_version = EDDY_ABI_VERSION,
    .size = sizeof(eddy_api_t),
    .function_name = api_function_name,
    .request_id = api_request_id,
    .remaining_ms = api_remaining_ms,
    .vlog = api_vlog,
    .respond = api_respond,
    .fail = api_fail,
    .stage_put = api_stage_put,
    .stage_delete = api_stage_delete,
    .stage_update = api_stage_update,
};

void fn__rt_run(eddy_handler_fn handler, const char *name, const char *request_id,
                int64_t deadline_ms, const char *event, size_t len, fn_raw_t *raw)
{
    rt_ctx_t c = {
        .pub = {.api_ = &rt_api},
        .name = name,
        .request_id = request_id,
        .deadline_ms = deadline_ms,
        .raw = raw,
    };
    const eddy_event_t ev = {.json = event, .len = len};
    raw->rc = handler(&ev, &c.pub);
}

static void free_write(eng_fn_write_t *w)
{
    eng_free(w->table);
    eng_free(w->item_json);
    eng_free(w->key_json);
    eng_free(w->update_expression);
    eng_free(w->names_json);
    eng_free(w->values_json);
}

void fn__raw_free(fn_raw_t *raw)
{
    eng_buf_free(&raw->response);
    eng_buf_free(&raw->log);
    eng_free(raw->error_type);
    eng_free(raw->error_message);
    for (size_t i = 0; i < raw->n_writes; i++)
        free_write(&raw->writes[i]);
    eng_free(raw->writes);
    *raw = (fn_raw_t){0};
}

static int load_fail(void *dl, char **error_type, char **message, const char *type, const char *msg)
{
    if (dl)
        dlclose(dl);
    *error_type = eng_strdup(type);
    *message = eng_strdup(msg);
    return ENG_EINVAL;
}

int fn__load(const char *path, const char *symbol, void **dl, eddy_handler_fn *handler,
             char **error_type, char **message)
{
    char msg[1024];
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(msg, sizeof msg, "Error: cannot load module: %s", dlerror());
        return load_fail(NULL, error_type, message, "Runtime.InvalidEntrypoint", msg);
    }
    const uint32_t *abi = dlsym(h, "eddy_abi_version");
    if (!abi || *abi != EDDY_ABI_VERSION) {
        snprintf(msg, sizeof msg,
                 "Error: %s: eddy_abi_version %s (engine: %u); build with "
                 "eddy.h and EDDY_MODULE()",
                 path, abi ? "differs" : "is missing", EDDY_ABI_VERSION);
        return load_fail(h, error_type, message, "Runtime.InvalidEntrypoint", msg);
    }
    /* ISO C forbids object-to-function pointer casts; POSIX guarantees this. */
    void *sym = dlsym(h, symbol);
    if (!sym) {
        snprintf(msg, sizeof msg, "Handler '%s' missing on module '%s'", symbol, path);
        return load_fail(h, error_type, message, "Runtime.HandlerNotFound", msg);
    }
    memcpy(handler, &sym, sizeof sym);
    *dl = h;
    return 0;
}
