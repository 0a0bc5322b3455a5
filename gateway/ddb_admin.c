/* SPDX-License-Identifier: MIT
 * ddb_admin.c: GET /_eddy/tables/<name>/log?after=<seq>&limit=<n>, a view of
 * a table's change log for tests and debugging: the stored stream records,
 * in sequence order, spliced as stored. Read-only; no other admin paths. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/_eddy/tables/"
#define LOG_LIMIT_MAX 10000

static void reply_json(ddb_thread_t *th, gw_req_t *req, int status, const char *body)
{
    gw_respond(req, status, "application/json", eng_slice_cstr(body), NULL, 0);
    (void)th;
}

/* Value of `name` in a query string, as an unsigned number; `def` if absent. */
static uint64_t query_u64(eng_slice_t q, const char *name, uint64_t def)
{
    size_t n = strlen(name);
    for (size_t i = 0; i + n < q.len; i++) {
        bool is_start = i == 0 || q.ptr[i - 1] == '&';
        if (is_start && memcmp(q.ptr + i, name, n) == 0 && q.ptr[i + n] == '=') {
            uint64_t v = 0;
            for (size_t k = i + n + 1; k < q.len && q.ptr[k] >= '0' && q.ptr[k] <= '9'; k++)
                v = v * 10 + (uint64_t)(q.ptr[k] - '0');
            return v;
        }
    }
    return def;
}

static void log_page(ddb_thread_t *th, uint32_t table_id, uint64_t after, uint64_t limit)
{
    eng_buf_t *out = &th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"Records\":[");
    uint64_t seq = after, n = 0;
    eng_slice_t rec;
    while (n < limit && store_log_next(th->reader, table_id, after, &seq, &rec) == 0) {
        ddb__sep(out);
        eng_buf_printf(out, "{\"seq\":%" PRIu64 ",\"record\":", seq);
        eng_buf_append(out, rec.ptr, rec.len);
        eng_buf_append_char(out, '}');
        after = seq;
        n++;
    }
    eng_buf_printf(out, "],\"LastSeq\":%" PRIu64 "}", after);
}

void ddb__admin_handle(gw_req_t *req, void *arg)
{
    gw_ddb_t *ddb = arg;
    ddb_thread_t *th = &ddb->threads[gw_req_thread(req)];
    eng_slice_t path = gw_req_path(req);
    size_t plen = sizeof(PREFIX) - 1;
    const char *name = path.ptr + plen;
    const char *slash = memchr(name, '/', path.len - plen);
    if (!slash || (size_t)(path.ptr + path.len - slash) != 4 || memcmp(slash, "/log", 4) != 0 ||
        slash == name) {
        reply_json(th, req, 404, "{\"message\":\"Not Found\"}");
        return;
    }
    if (!eng_slice_eq(gw_req_method(req), ENG_SLICE_LIT("GET"))) {
        reply_json(th, req, 405, "{\"message\":\"Method Not Allowed\"}");
        return;
    }
    eng_slice_t q = gw_req_query(req);
    uint64_t after = query_u64(q, "after", 0);
    uint64_t limit = query_u64(q, "limit", 100);
    if (limit > LOG_LIMIT_MAX)
        limit = LOG_LIMIT_MAX;
    if (store_read_begin(th->reader) < 0) {
        reply_json(th, req, 500, "{\"message\":\"Internal Server Error\"}");
        return;
    }
    store_table_t t;
    if (store_table_get(th->reader, eng_slice(name, (size_t)(slash - name)), &t) < 0) {
        store_read_end(th->reader);
        reply_json(th, req, 404, "{\"message\":\"Table not found\"}");
        return;
    }
    log_page(th, t.id, after, limit);
    store_read_end(th->reader);
    gw_respond(req, 200, "application/json", eng_slice(th->out.ptr, th->out.len), NULL, 0);
}
