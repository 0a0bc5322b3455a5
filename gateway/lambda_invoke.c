/* SPDX-License-Identifier: MIT
 * lambda_invoke.c: POST /2015-03-31/functions/{name}/invocations with
 * X-Amz-Invocation-Type RequestResponse (default), Event or DryRun, and
 * X-Amz-Log-Type Tail. A handler never runs on the I/O thread: the invocation
 * is queued on the function registry's workers and the answer comes back to
 * the request's loop through gw_req_post. */
#include "gateway/lambda_int.h"

#include "engine/err.h"
#include "engine/json.h"
#include "engine/log.h"

#include <stdio.h>

#define TAIL_BYTES 4096 /* X-Amz-Log-Result carries the log's last 4 KB, as Lambda. */

typedef struct invoke {
    gw_post_t post;      /* Embedded: posting never allocates. */
    gw_req_t *req;       /* Valid until answered (gw.h). */
    gw_lambda_t *lam;    /* For its closing flag. */
    bool is_tail;        /* X-Amz-Log-Type: Tail. */
    int err;             /* eng_fn_invoke's return. */
    eng_fn_result_t res; /* Moved out of the worker's result. */
} invoke_t;

typedef enum kind { KIND_SYNC, KIND_EVENT, KIND_DRY_RUN } kind_t;

static void on_sync_done(int err, eng_fn_result_t *res, void *arg);
static void on_posted(gw_post_t *post);
static void on_event_done(int err, eng_fn_result_t *res, void *arg);

void gw__lambda_base64(eng_buf_t *out, const char *p, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)p;
    char *dst = eng_buf_reserve(out, (len + 2) / 3 * 4 + 1), *d = dst;
    for (size_t i = 0; i < len; i += 3) {
        const uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0) |
                           (i + 2 < len ? s[i + 2] : 0);
        *d++ = tab[v >> 18 & 63];
        *d++ = tab[v >> 12 & 63];
        *d++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
        *d++ = i + 2 < len ? tab[v & 63] : '=';
    }
    out->len += (size_t)(d - dst);
    out->ptr[out->len] = '\0';
}

static bool header_is(const gw_req_t *req, const char *name, const char *value, bool *is_set)
{
    eng_slice_t v;
    *is_set = gw_req_header(req, name, &v);
    return *is_set && eng_slice_eq(v, eng_slice_cstr(value));
}

/* Parse X-Amz-Invocation-Type; false for a value Lambda would refuse. */
static bool invocation_kind(const gw_req_t *req, kind_t *kind)
{
    static const struct {
        const char *name;
        kind_t kind;
    } kinds[] = {{"RequestResponse", KIND_SYNC}, {"Event", KIND_EVENT}, {"DryRun", KIND_DRY_RUN}};
    bool is_set = false;
    *kind = KIND_SYNC;
    for (size_t i = 0; i < ENG_ARRAY_LEN(kinds); i++) {
        if (header_is(req, "X-Amz-Invocation-Type", kinds[i].name, &is_set)) {
            *kind = kinds[i].kind;
            return true;
        }
    }
    return !is_set;
}

/* The payload to hand the function: the body, or {} when it is empty. */
static bool payload_of(gw_req_t *req, eng_slice_t *payload)
{
    *payload = gw_req_body(req);
    if (payload->len == 0) {
        *payload = ENG_SLICE_LIT("{}");
        return true;
    }
    cJSON *root = NULL;
    if (eng_json_parse(payload->ptr, payload->len, &root) < 0)
        return false;
    eng_json_delete(root);
    return true;
}

static void refuse(gw_req_t *req, int err)
{
    if (err == ENG_ETOOBIG)
        gw__lambda_error(req, 413, "RequestTooLargeException",
                         "Request must be smaller than 6291456 bytes for the InvokeFunction "
                         "operation");
    else
        gw__lambda_error(req, 503, "ServiceException", eng_strerror(err));
}

static void start(gw_req_t *req, gw_lambda_t *lam, eng_fn_t *fn, kind_t kind, eng_slice_t payload)
{
    if (kind == KIND_DRY_RUN) {
        gw_respond(req, 204, NULL, eng_slice(NULL, 0), NULL, 0);
        return;
    }
    if (kind == KIND_EVENT) {
        const int err =
            eng_fn_invoke_async(lam->fns, fn, payload.ptr, payload.len, on_event_done, NULL);
        if (err < 0)
            refuse(req, err);
        else
            gw_respond(req, 202, NULL, eng_slice(NULL, 0), NULL, 0);
        return;
    }
    invoke_t *inv = eng_calloc(1, sizeof *inv);
    bool is_set;
    inv->req = req;
    inv->lam = lam;
    inv->is_tail = header_is(req, "X-Amz-Log-Type", "Tail", &is_set);
    const int err = eng_fn_invoke_async(lam->fns, fn, payload.ptr, payload.len, on_sync_done, inv);
    if (err < 0) {
        eng_free(inv);
        refuse(req, err);
    }
}

void gw__lambda_invoke(gw_req_t *req, gw_lambda_t *lam, const char *name)
{
    kind_t kind;
    eng_slice_t payload;
    if (!invocation_kind(req, &kind)) {
        gw__lambda_error(req, 400, "InvalidParameterValueException",
                         "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun");
        return;
    }
    if (!payload_of(req, &payload)) {
        gw__lambda_error(req, 400, "InvalidRequestContentException",
                         "Could not parse request body into json: the payload is not valid JSON");
        return;
    }
    eng_fn_t *fn = NULL;
    if (eng_fn_get(lam->fns, name, &fn) < 0) {
        gw__lambda_not_found(req, lam, name);
        return;
    }
    start(req, lam, fn, kind, payload);
    eng_fn_unref(fn);
}

static void on_sync_done(int err, eng_fn_result_t *res, void *arg) /* Worker thread. */
{
    invoke_t *inv = arg;
    inv->err = err;
    inv->res = *res;
    *res = (eng_fn_result_t){0}; /* Moved: the worker frees an empty result. */
    gw_lambda_t *lam = inv->lam;
    pthread_mutex_lock(&lam->mu);
    const bool is_posted = !lam->is_closing && gw_req_post(inv->req, &inv->post, on_posted);
    pthread_mutex_unlock(&lam->mu);
    if (!is_posted) { /* The drain gave up on this request; nobody waits for it. */
        eng_fn_result_free(&inv->res);
        eng_free(inv);
    }
}

static void on_posted(gw_post_t *post) /* The request's loop thread. */
{
    invoke_t *inv = container_of(post, invoke_t, post);
    const eng_fn_result_t *r = &inv->res;
    if (inv->err < 0) {
        refuse(inv->req, inv->err);
    } else {
        eng_buf_t tail = {0};
        const size_t from = r->log_len > TAIL_BYTES ? r->log_len - TAIL_BYTES : 0;
        gw__lambda_base64(&tail, r->log + from, r->log_len - from);
        gw_header_t h[4] = {
            {"X-Amz-Executed-Version", ENG_SLICE_LIT("$LATEST")},
            {"x-amzn-RequestId", eng_slice_cstr(r->request_id)},
        };
        size_t n = 2;
        if (r->is_error)
            h[n++] = (gw_header_t){"X-Amz-Function-Error", ENG_SLICE_LIT("Unhandled")};
        if (inv->is_tail)
            h[n++] = (gw_header_t){"X-Amz-Log-Result", eng_slice(tail.ptr, tail.len)};
        gw_respond(inv->req, 200, "application/json", eng_slice(r->payload, r->payload_len), h, n);
        eng_buf_free(&tail);
    }
    eng_fn_result_free(&inv->res);
    eng_free(inv);
}

/* Event invocations have no one to answer: a function error is logged. */
static void on_event_done(int err, eng_fn_result_t *res, void *arg)
{
    (void)arg;
    if (err < 0)
        ENG_WARN("lambda", "async invocation failed: %s", eng_strerror(err));
    else if (res->is_error)
        ENG_WARN("lambda", "async invocation %s: %s", res->request_id, res->payload);
}
