/* SPDX-License-Identifier: MIT
 * invoke.c: one invocation from event to result, in either mode. The mode
 * only decides where the handler runs; what counts as a function error (a
 * crash, a timeout, eddy_fail, a non-zero return, a response that is not
 * JSON) and how the log reads (START, lines, END, REPORT) is decided here,
 * once, so both modes answer alike. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <stdio.h>
#include <sys/random.h>

void fn__make_request_id(char out[37])
{
    unsigned char b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        const uint64_t t = fn__now_us();
        memcpy(b, &t, sizeof t); /* Unique enough for a log line. */
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* Version 4. */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant. */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void fn__result_error(eng_fn_result_t *res, const char *type, const char *message)
{
    eng_buf_t b = {0};
    eng_buf_append_str(&b, "{\"errorType\":");
    eng_json_append_string(&b, type, strlen(type));
    eng_buf_append_str(&b, ",\"errorMessage\":");
    eng_json_append_string(&b, message, strlen(message));
    eng_buf_append_char(&b, '}');
    eng_free(res->payload);
    eng_free(res->error_type);
    res->is_error = true;
    res->error_type = eng_strdup(type);
    res->payload = eng_buf_steal(&b, &res->payload_len);
}

/* Load once per function; a failure is sticky, as a broken deployment is. */
static bool ensure_loaded(eng_fn_t *fn, eng_fn_result_t *res)
{
    pthread_mutex_lock(&fn->mu);
    if (!fn->dl && !fn->load_error_type)
        fn__load(fn->code_path, fn->handler, &fn->dl, &fn->handler_fn, &fn->load_error_type,
                 &fn->load_error_message);
    if (fn->load_error_type)
        fn__result_error(res, fn->load_error_type, fn->load_error_message);
    pthread_mutex_unlock(&fn->mu);
    return res->is_error == false;
}

/* In process the engine cannot stop a running handler: an overrun is only
 * detected (and reported as a timeout) once the handler returns. */
static void run_in_process(eng_fn_t *fn, const char *event, size_t len, eng_fn_result_t *res,
                           fn_raw_t *raw, bool *is_done)
{
    *is_done = !ensure_loaded(fn, res);
    if (*is_done)
        return;
    const int64_t deadline_ms = fn__now_ms() + fn->timeout_ms;
    fn__rt_run(fn->handler_fn, fn->name, res->request_id, deadline_ms, event, len, raw);
    if (fn__now_ms() > deadline_ms) {
        char msg[256];
        snprintf(msg, sizeof msg, "RequestId: %s Error: Task timed out after %.2f seconds",
                 res->request_id, fn->timeout_ms / 1000.0);
        fn__result_error(res, "Sandbox.Timedout", msg);
        *is_done = true;
    }
}

static bool is_json(const eng_buf_t *b)
{
    cJSON *root = NULL;
    if (!b->ptr || eng_json_parse(b->ptr, b->len, &root) < 0)
        return false;
    eng_json_delete(root);
    return true;
}

/* The handler ran to completion: judge what it produced. */
static void judge(fn_raw_t *raw, eng_fn_result_t *res)
{
    char msg[128];
    if (raw->error_type) {
        fn__result_error(res, raw->error_type, raw->error_message ? raw->error_message : "");
    } else if (raw->rc != 0) {
        snprintf(msg, sizeof msg, "The handler returned %d without calling eddy_fail", raw->rc);
        fn__result_error(res, "HandlerError", msg);
    } else if (raw->has_response && !is_json(&raw->response)) {
        fn__result_error(res, "Runtime.MarshalError",
                         "Unable to marshal response: the handler's response is not valid JSON");
    } else {
        eng_buf_t b = {0};
        eng_buf_append_str(&b, raw->has_response ? raw->response.ptr : "null");
        res->payload = eng_buf_steal(&b, &res->payload_len);
        res->writes = raw->writes;
        res->n_writes = raw->n_writes;
        raw->writes = NULL;
        raw->n_writes = 0;
    }
}

static void build_log(const eng_fn_t *fn, const fn_raw_t *raw, eng_fn_result_t *res)
{
    eng_buf_t b = {0};
    const char *id = res->request_id;
    eng_buf_printf(&b, "START RequestId: %s Version: $LATEST\n", id);
    if (raw->log.len)
        eng_buf_append(&b, raw->log.ptr, raw->log.len);
    if (res->is_error)
        eng_buf_printf(&b, "%s\n", res->payload);
    const double ms = (double)res->duration_us / 1000.0;
    eng_buf_printf(&b, "END RequestId: %s\n", id);
    eng_buf_printf(&b,
                   "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %llu ms\t"
                   "Memory Size: %u MB\tMax Memory Used: %ld MB\t\n",
                   id, ms, (unsigned long long)(res->duration_us + 999) / 1000, fn->memory_mb,
                   raw->max_rss_kb / 1024);
    res->log = eng_buf_steal(&b, &res->log_len);
}

int eng_fn_invoke(eng_fn_t *fn, const char *event, size_t len, eng_fn_result_t *res)
{
    *res = (eng_fn_result_t){0};
    if (len > fn->reg->max_event_bytes)
        return ENG_ETOOBIG;
    fn__make_request_id(res->request_id);
    fn_raw_t raw = {0};
    bool is_done = false;
    int err = 0;
    const uint64_t t0 = fn__now_us();
    if (fn->is_in_process)
        run_in_process(fn, event, len, res, &raw, &is_done);
    else
        err = fn__host_invoke(fn, res->request_id, event, len, res, &raw, &is_done);
    res->duration_us = fn__now_us() - t0;
    if (err == 0 && !is_done)
        judge(&raw, res);
    if (err == 0)
        build_log(fn, &raw, res);
    fn__raw_free(&raw);
    if (err < 0)
        eng_fn_result_free(res);
    return err;
}

void eng_fn_result_free(eng_fn_result_t *res)
{
    fn_raw_t raw = {.writes = res->writes, .n_writes = res->n_writes};
    fn__raw_free(&raw); /* Frees the writes the same way they were built. */
    eng_free(res->error_type);
    eng_free(res->payload);
    eng_free(res->log);
    *res = (eng_fn_result_t){0};
}
