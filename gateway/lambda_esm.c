/* SPDX-License-Identifier: MIT
 * lambda_esm.c: the Lambda REST API's event-source-mapping operations under
 * /2015-03-31/event-source-mappings (Create, List, Get, Update, Delete) and
 * the dispatcher's admin reads under /_eddy/mappings (counters, on-failure
 * records). It only routes and decodes: the dispatcher owns the semantics.
 * Create, Update and Delete wait for one storage commit on the I/O thread;
 * they are rare admin calls, so that brief block is accepted. */
#include "gateway/lambda_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define ESM_PREFIX "/2015-03-31/event-source-mappings"
#define ADMIN_PREFIX "/_eddy/mappings"
#define PARAM_MAX 1024

struct gw_esm {
    strm_dispatch_t *d; /* Borrowed; outlives the gateway. */
};

static void on_esm(gw_req_t *req, void *arg);
static void on_admin(gw_req_t *req, void *arg);

static void send_reply(gw_req_t *req, strm_reply_t *rep)
{
    if (rep->error_type) {
        gw__lambda_error(req, rep->status, rep->error_type, rep->body.ptr ? rep->body.ptr : "");
    } else {
        gw_respond(req, rep->status, "application/json", eng_slice(rep->body.ptr, rep->body.len),
                   NULL, 0);
    }
    eng_buf_free(&rep->body);
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Query parameter `name`, percent-decoded into out (size bytes). */
static bool query_param(eng_slice_t q, const char *name, char *out, size_t size)
{
    const size_t nlen = strlen(name);
    for (const char *p = q.ptr, *end = q.ptr + q.len; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t n = 0;
            for (const char *v = p + nlen + 1; v < stop && n + 1 < size; v++, n++) {
                if (*v == '%' && stop - v > 2 && isxdigit((unsigned char)v[1]) &&
                    isxdigit((unsigned char)v[2])) {
                    out[n] = (char)(hexval(v[1]) * 16 + hexval(v[2]));
                    v += 2;
                } else {
                    out[n] = *v == '+' ? ' ' : *v;
                }
            }
            out[n] = '\0';
            return true;
        }
        p = stop + 1;
    }
    return false;
}

static void op_list(gw_req_t *req, gw_esm_t *e, strm_reply_t *rep)
{
    const eng_slice_t q = gw_req_query(req);
    char fn[PARAM_MAX], arn[PARAM_MAX], marker[PARAM_MAX], max[32];
    const bool has_fn = query_param(q, "FunctionName", fn, sizeof fn);
    const bool has_arn = query_param(q, "EventSourceArn", arn, sizeof arn);
    const bool has_marker = query_param(q, "Marker", marker, sizeof marker);
    unsigned long max_items = 0;
    if (query_param(q, "MaxItems", max, sizeof max)) {
        char *end;
        max_items = strtoul(max, &end, 10);
        if (*end || max_items < 1 || max_items > 10000) {
            rep->status = 400;
            rep->error_type = "InvalidParameterValueException";
            eng_buf_printf(&rep->body,
                           "1 validation error detected: Value '%s' at 'maxItems' "
                           "failed to satisfy constraint: Member must have value "
                           "between 1 and 10000",
                           max);
            return;
        }
    }
    strm_esm_list(e->d, has_fn ? fn : NULL, has_arn ? arn : NULL, has_marker ? marker : NULL,
                  (unsigned)max_items, rep);
}

/* Parse the body; answers 400 InvalidRequestContentException itself. */
static cJSON *parse_body(gw_req_t *req)
{
    const eng_slice_t b = gw_req_body(req);
    cJSON *root = NULL;
    if (eng_json_parse(b.ptr, b.len, &root) < 0 || !cJSON_IsObject(root)) {
        eng_json_delete(root);
        gw__lambda_error(req, 400, "InvalidRequestContentException",
                         "Could not parse request body into json");
        return NULL;
    }
    return root;
}

static void on_esm(gw_req_t *req, void *arg)
{
    gw_esm_t *e = arg;
    const eng_slice_t path = gw_req_path(req), method = gw_req_method(req);
    const char *rest = path.ptr + strlen(ESM_PREFIX);
    size_t rest_len = path.len - strlen(ESM_PREFIX);
    while (rest_len && *rest == '/')
        rest++, rest_len--;
    while (rest_len && rest[rest_len - 1] == '/')
        rest_len--;
    char uuid[64];
    if (rest_len >= sizeof uuid || memchr(rest, '/', rest_len)) {
        gw__lambda_error(req, 404, "ResourceNotFoundException", "Unknown path.");
        return;
    }
    snprintf(uuid, sizeof uuid, "%.*s", (int)rest_len, rest);
    strm_reply_t rep = {0};
    const bool is_root = rest_len == 0;
    const bool is_get = eng_slice_eq(method, ENG_SLICE_LIT("GET"));
    const bool is_post = eng_slice_eq(method, ENG_SLICE_LIT("POST"));
    const bool is_put = eng_slice_eq(method, ENG_SLICE_LIT("PUT"));
    const bool is_delete = eng_slice_eq(method, ENG_SLICE_LIT("DELETE"));
    if (is_root && is_get) {
        op_list(req, e, &rep);
    } else if (!is_root && is_get) {
        strm_esm_get(e->d, uuid, &rep);
    } else if (!is_root && is_delete) {
        strm_esm_delete(e->d, uuid, &rep);
    } else if ((is_root && is_post) || (!is_root && is_put)) {
        cJSON *body = parse_body(req);
        if (!body)
            return;
        if (is_post)
            strm_esm_create(e->d, body, false, &rep);
        else
            strm_esm_update(e->d, uuid, body, &rep);
        eng_json_delete(body);
    } else {
        gw__lambda_error(req, 405, "MethodNotAllowedException", "Method not allowed.");
        return;
    }
    send_reply(req, &rep);
}

static void on_admin(gw_req_t *req, void *arg)
{
    gw_esm_t *e = arg;
    const eng_slice_t path = gw_req_path(req);
    const char *rest = path.ptr + strlen(ADMIN_PREFIX);
    size_t rest_len = path.len - strlen(ADMIN_PREFIX);
    while (rest_len && *rest == '/')
        rest++, rest_len--;
    char uuid[64] = "";
    const char *slash = memchr(rest, '/', rest_len);
    const size_t id_len = slash ? (size_t)(slash - rest) : rest_len;
    const bool is_failures =
        slash && strncmp(slash, "/failures", rest_len - id_len) == 0 && rest_len - id_len == 9;
    eng_buf_t out = {0};
    int err = ENG_ENOTFOUND;
    if (id_len < sizeof uuid && (!slash || is_failures)) {
        snprintf(uuid, sizeof uuid, "%.*s", (int)id_len, rest);
        if (is_failures)
            err = strm_esm_failures_json(e->d, uuid, 0, &out);
        else
            err = strm_esm_metrics_json(e->d, id_len ? uuid : NULL, &out);
    }
    if (err < 0) {
        gw__lambda_error(req, err == ENG_ENOTFOUND ? 404 : 500,
                         err == ENG_ENOTFOUND ? "ResourceNotFoundException" : "ServiceException",
                         "No such mapping.");
    } else {
        gw_respond(req, 200, "application/json", eng_slice(out.ptr, out.len), NULL, 0);
    }
    eng_buf_free(&out);
}

int gw_esm_create(gw_t *gw, strm_dispatch_t *d, gw_esm_t **out)
{
    gw_esm_t *e = eng_calloc(1, sizeof(*e));
    e->d = d;
    int err = gw_route_path(gw, ESM_PREFIX, on_esm, e);
    if (err == 0)
        err = gw_route_path(gw, ADMIN_PREFIX, on_admin, e);
    if (err < 0) {
        eng_free(e);
        return err;
    }
    *out = e;
    return 0;
}

void gw_esm_destroy(gw_esm_t *e)
{
    eng_free(e);
}
