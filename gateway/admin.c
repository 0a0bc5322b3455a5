/* SPDX-License-Identifier: MIT
 * admin.c: the /_eddy/ admin routes served by the gateway itself. For now
 * only /_eddy/health, which answers without touching storage so that load
 * balancers and the test fixture can probe readiness cheaply. Metrics and the
 * console will register their own /_eddy/ paths. */
#include "gateway/gw_int.h"

#include "engine/err.h"

static void on_health(gw_req_t *req, void *arg)
{
    (void)arg;
    static const char body[] = "{\"status\":\"ok\"}";
    if (!eng_slice_eq(gw_req_path(req), ENG_SLICE_LIT("/_eddy/health"))) {
        gw_respond(req, 404, "application/json", ENG_SLICE_LIT("{\"message\":\"Not Found\"}"), NULL,
                   0);
        return;
    }
    gw_respond(req, 200, "application/json", ENG_SLICE_LIT(body), NULL, 0);
}

int gw_admin_register(gw_t *gw)
{
    return gw_route_path(gw, "/_eddy/health", on_health, NULL);
}
