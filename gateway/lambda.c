/* SPDX-License-Identifier: MIT
 * lambda.c: the Lambda REST API under /2015-03-31/functions: routing by
 * method and path shape, CreateFunction (Code.Path only), GetFunction,
 * GetFunctionConfiguration, ListFunctions, DeleteFunction, and Lambda's error
 * shape. Invoke lives in lambda_invoke.c. Everything here is quick (registry
 * lookups under a mutex), so it answers inline on the I/O thread. */
#include "gateway/lambda_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define PREFIX "/2015-03-31/functions"
#define MAX_NAME_BYTES 256 /* ARNs included; names themselves are <= 64. */

typedef enum shape {
    SHAPE_ROOT,          /* /2015-03-31/functions[/] */
    SHAPE_FUNCTION,      /* /{name} */
    SHAPE_CONFIGURATION, /* /{name}/configuration */
    SHAPE_INVOCATIONS,   /* /{name}/invocations */
} shape_t;

typedef void (*op_fn)(gw_req_t *req, gw_lambda_t *lam, const char *name);

static void op_list(gw_req_t *req, gw_lambda_t *lam, const char *name);
static void op_create(gw_req_t *req, gw_lambda_t *lam, const char *name);
static void op_get(gw_req_t *req, gw_lambda_t *lam, const char *name);
static void op_get_config(gw_req_t *req, gw_lambda_t *lam, const char *name);
static void op_delete(gw_req_t *req, gw_lambda_t *lam, const char *name);

static const struct {
    const char *method;
    shape_t shape;
    op_fn op;
} ops[] = {
    {"GET", SHAPE_ROOT, op_list},
    {"POST", SHAPE_ROOT, op_create},
    {"GET", SHAPE_FUNCTION, op_get},
    {"DELETE", SHAPE_FUNCTION, op_delete},
    {"GET", SHAPE_CONFIGURATION, op_get_config},
    {"POST", SHAPE_INVOCATIONS, gw__lambda_invoke},
};

void gw__lambda_error(gw_req_t *req, int status, const char *code, const char *message)
{
    eng_buf_t b = {0};
    eng_buf_printf(&b, "{\"Type\":\"%s\",\"message\":", status >= 500 ? "Service" : "User");
    eng_json_append_string(&b, message, strlen(message));
    eng_buf_append_char(&b, '}');
    const gw_header_t h[] = {{"x-amzn-ErrorType", eng_slice_cstr(code)}};
    gw_respond(req, status, "application/json", eng_slice(b.ptr, b.len), h, 1);
    eng_buf_free(&b);
}

void gw__lambda_not_found(gw_req_t *req, const gw_lambda_t *lam, const char *name)
{
    char msg[512];
    snprintf(msg, sizeof msg, "Function not found: arn:aws:lambda:%s:000000000000:function:%s",
             eng_fn_registry_region(lam->fns), name);
    gw__lambda_error(req, 404, "ResourceNotFoundException", msg);
}

static void respond_json(gw_req_t *req, int status, const eng_buf_t *b)
{
    gw_respond(req, status, "application/json", eng_slice(b->ptr, b->len), NULL, 0);
}

static int hex(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Percent-decode (p, len) into out (size bytes). Returns false if it does not fit. */
static bool decode(const char *p, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++, n++) {
        if (n + 1 >= size)
            return false;
        if (p[i] == '%' && i + 2 < len && isxdigit((unsigned char)p[i + 1]) &&
            isxdigit((unsigned char)p[i + 2])) {
            out[n] = (char)(hex(p[i + 1]) * 16 + hex(p[i + 2]));
            i += 2;
        } else {
            out[n] = p[i];
        }
    }
    out[n] = '\0';
    return true;
}

/* Accept a name, a full ARN or a partial ARN ("...:function:name[:qualifier]"). */
static void strip_arn(char *name)
{
    char *fn = strstr(name, ":function:");
    if (!fn)
        return;
    memmove(name, fn + 10, strlen(fn + 10) + 1);
    char *qualifier = strchr(name, ':');
    if (qualifier)
        *qualifier = '\0';
}

/* Split the path after PREFIX into a shape and a decoded function name. */
static bool parse_path(eng_slice_t path, shape_t *shape, char *name, size_t size)
{
    const char *p = path.ptr + strlen(PREFIX), *end = path.ptr + path.len;
    name[0] = '\0';
    if (p >= end || (p[0] == '/' && p + 1 == end)) {
        *shape = SHAPE_ROOT;
        return true;
    }
    if (p[0] != '/')
        return false;
    p++;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *name_end = slash ? slash : end;
    if (name_end == p || !decode(p, (size_t)(name_end - p), name, size))
        return false;
    strip_arn(name);
    const eng_slice_t rest = eng_slice(name_end, (size_t)(end - name_end));
    if (rest.len == 0 || eng_slice_eq(rest, ENG_SLICE_LIT("/")))
        *shape = SHAPE_FUNCTION;
    else if (eng_slice_eq(rest, ENG_SLICE_LIT("/configuration")) ||
             eng_slice_eq(rest, ENG_SLICE_LIT("/configuration/")))
        *shape = SHAPE_CONFIGURATION;
    else if (eng_slice_eq(rest, ENG_SLICE_LIT("/invocations")) ||
             eng_slice_eq(rest, ENG_SLICE_LIT("/invocations/")))
        *shape = SHAPE_INVOCATIONS;
    else
        return false;
    return true;
}

static void on_request(gw_req_t *req, void *arg)
{
    gw_lambda_t *lam = arg;
    char name[MAX_NAME_BYTES];
    shape_t shape;
    if (!parse_path(gw_req_path(req), &shape, name, sizeof name)) {
        gw__lambda_error(req, 404, "UnknownOperationException", "Unknown operation");
        return;
    }
    const eng_slice_t method = gw_req_method(req);
    for (size_t i = 0; i < ENG_ARRAY_LEN(ops); i++) {
        if (ops[i].shape == shape && eng_slice_eq(method, eng_slice_cstr(ops[i].method))) {
            ops[i].op(req, lam, name);
            return;
        }
    }
    gw__lambda_error(req, 405, "MethodNotAllowedException", "Method not allowed for this path");
}

/* Value of query parameter `key`, decoded into out; false if absent. */
static bool query_param(const gw_req_t *req, const char *key, char *out, size_t size)
{
    const eng_slice_t q = gw_req_query(req);
    const size_t klen = strlen(key);
    for (const char *p = q.ptr, *end = q.ptr + q.len; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=')
            return decode(p + klen + 1, (size_t)(stop - p - klen - 1), out, size);
        p = stop + 1;
    }
    return false;
}

static void op_list(gw_req_t *req, gw_lambda_t *lam, const char *name)
{
    (void)name;
    char marker[MAX_NAME_BYTES], max[16];
    const bool has_marker = query_param(req, "Marker", marker, sizeof marker);
    const long max_items = query_param(req, "MaxItems", max, sizeof max) ? atol(max) : 0;
    if (max_items < 0 || max_items > 10000) {
        gw__lambda_error(req, 400, "InvalidParameterValueException",
                         "MaxItems must be between 1 and 10000");
        return;
    }
    eng_buf_t b = {0};
    char *next_marker = NULL;
    eng_buf_append_str(&b, "{\"Functions\":");
    eng_fn_list_json(lam->fns, has_marker ? marker : NULL, (unsigned)max_items, &b, &next_marker);
    if (next_marker) {
        eng_buf_append_str(&b, ",\"NextMarker\":");
        eng_json_append_string(&b, next_marker, strlen(next_marker));
    }
    eng_buf_append_char(&b, '}');
    eng_free(next_marker);
    respond_json(req, 200, &b);
    eng_buf_free(&b);
}

static void op_create(gw_req_t *req, gw_lambda_t *lam, const char *name)
{
    (void)name;
    const eng_slice_t body = gw_req_body(req);
    eng_buf_t msg = {0}, out = {0};
    eng_fn_t *fn = NULL;
    const int err = eng_fn_create(lam->fns, body.ptr ? body.ptr : "", body.len, NULL, &msg, &fn);
    if (err == ENG_EEXIST) {
        gw__lambda_error(req, 409, "ResourceConflictException", msg.ptr);
    } else if (err < 0) {
        gw__lambda_error(req, 400, "InvalidParameterValueException",
                         msg.ptr ? msg.ptr : eng_strerror(err));
    } else {
        eng_fn_config_json(fn, &out);
        respond_json(req, 201, &out);
    }
    eng_fn_unref(fn);
    eng_buf_free(&msg);
    eng_buf_free(&out);
}

static void op_get(gw_req_t *req, gw_lambda_t *lam, const char *name)
{
    eng_fn_t *fn = NULL;
    if (eng_fn_get(lam->fns, name, &fn) < 0) {
        gw__lambda_not_found(req, lam, name);
        return;
    }
    eng_buf_t b = {0};
    eng_buf_append_str(&b, "{\"Configuration\":");
    eng_fn_config_json(fn, &b);
    eng_buf_append_str(&b, ",\"Code\":{\"RepositoryType\":\"Local\"}}");
    respond_json(req, 200, &b);
    eng_buf_free(&b);
    eng_fn_unref(fn);
}

static void op_get_config(gw_req_t *req, gw_lambda_t *lam, const char *name)
{
    eng_fn_t *fn = NULL;
    if (eng_fn_get(lam->fns, name, &fn) < 0) {
        gw__lambda_not_found(req, lam, name);
        return;
    }
    eng_buf_t b = {0};
    eng_fn_config_json(fn, &b);
    respond_json(req, 200, &b);
    eng_buf_free(&b);
    eng_fn_unref(fn);
}

static void op_delete(gw_req_t *req, gw_lambda_t *lam, const char *name)
{
    if (eng_fn_delete(lam->fns, name) < 0) {
        gw__lambda_not_found(req, lam, name);
        return;
    }
    gw_respond(req, 204, NULL, eng_slice(NULL, 0), NULL, 0);
}

int gw_lambda_create(gw_t *gw, eng_fn_registry_t *fns, gw_lambda_t **out)
{
    gw_lambda_t *lam = eng_calloc(1, sizeof *lam);
    lam->fns = fns;
    pthread_mutex_init(&lam->mu, NULL);
    const int err = gw_route_path(gw, PREFIX, on_request, lam);
    if (err < 0) {
        gw_lambda_destroy(lam);
        return err;
    }
    *out = lam;
    return 0;
}

void gw_lambda_close(gw_lambda_t *lam)
{
    if (!lam)
        return;
    pthread_mutex_lock(&lam->mu);
    lam->is_closing = true;
    pthread_mutex_unlock(&lam->mu);
}

void gw_lambda_destroy(gw_lambda_t *lam)
{
    if (!lam)
        return;
    pthread_mutex_destroy(&lam->mu);
    eng_free(lam);
}
