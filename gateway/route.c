/* SPDX-License-Identifier: MIT
 * route.c: the two route tables (X-Amz-Target prefixes, path prefixes) and
 * the dispatch of a complete request to its handler. Tables are filled before
 * gw_start and only read afterwards, so the I/O threads share them without
 * locks. Precedence: an X-Amz-Target header decides alone; otherwise the
 * longest matching path prefix wins. */
#include "gateway/gw_int.h"

#include "engine/err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int gw__routes_add(gw_routes_t *rt, const char *prefix, gw_handler_cb cb, void *arg)
{
    assert(prefix && cb);
    for (size_t i = 0; i < rt->n; i++) {
        if (strcmp(rt->items[i].prefix, prefix) == 0)
            return ENG_EEXIST;
    }
    rt->items = eng_realloc(rt->items, (rt->n + 1) * sizeof *rt->items);
    rt->items[rt->n++] = (gw_route_t){
        .prefix = eng_strdup(prefix),
        .prefix_len = strlen(prefix),
        .cb = cb,
        .arg = arg,
    };
    return 0;
}

const gw_route_t *gw__routes_match(const gw_routes_t *rt, eng_slice_t key)
{
    const gw_route_t *best = NULL;
    for (size_t i = 0; i < rt->n; i++) {
        const gw_route_t *r = &rt->items[i];
        if (r->prefix_len > key.len || (best && r->prefix_len <= best->prefix_len))
            continue;
        if (memcmp(r->prefix, key.ptr, r->prefix_len) == 0)
            best = r;
    }
    return best;
}

void gw__routes_free(gw_routes_t *rt)
{
    for (size_t i = 0; i < rt->n; i++)
        eng_free(rt->items[i].prefix);
    eng_free(rt->items);
    *rt = (gw_routes_t){0};
}

int gw_route_target(gw_t *gw, const char *prefix, gw_handler_cb cb, void *arg)
{
    assert(!gw->is_started);
    return gw__routes_add(&gw->targets, prefix, cb, arg);
}

int gw_route_path(gw_t *gw, const char *prefix, gw_handler_cb cb, void *arg)
{
    assert(!gw->is_started);
    return gw__routes_add(&gw->paths, prefix, cb, arg);
}

static void unknown_operation(gw_req_t *req, void *arg)
{
    (void)arg;
    gw_respond(req, 400, "application/x-amz-json-1.0",
               ENG_SLICE_LIT("{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}"),
               NULL, 0);
}

static void not_found(gw_req_t *req, void *arg)
{
    (void)arg;
    gw_respond(req, 404, "application/json", ENG_SLICE_LIT("{\"message\":\"Not Found\"}"), NULL, 0);
}

void gw__dispatch(gw_conn_t *conn)
{
    const gw_t *gw = conn->loop->gw;
    gw_req_t *req = &conn->req;
    eng_slice_t target;
    gw_handler_cb cb = not_found;
    void *arg = NULL;
    const gw_route_t *r;

    if (gw_req_header(req, "x-amz-target", &target)) {
        r = gw__routes_match(&gw->targets, target);
        cb = r ? r->cb : unknown_operation;
    } else {
        r = gw__routes_match(&gw->paths, gw_req_path(req));
    }
    if (r) {
        cb = r->cb;
        arg = r->arg;
    }
    cb(req, arg);
}

static int op_cmp(const void *key, const void *entry)
{
    const eng_slice_t *k = key;
    const char *name = *(const char *const *)entry;
    const size_t n = strlen(name);
    const int r = strncmp(k->ptr, name, k->len < n ? k->len : n);
    return r ? r : (k->len > n) - (k->len < n);
}

const void *gw__op_find(const void *table, size_t n, size_t size, eng_slice_t target,
                        size_t prefix_len)
{
    if (target.len <= prefix_len)
        return NULL;
    const eng_slice_t name = eng_slice(target.ptr + prefix_len, target.len - prefix_len);
    return bsearch(&name, table, n, size, op_cmp);
}
