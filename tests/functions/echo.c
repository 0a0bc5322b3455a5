/* SPDX-License-Identifier: MIT
 * echo.c: a test function that responds with its event, unchanged, and a
 * second handler that reports its context (name, request id, time left). */
#include "eddy.h"

#include <stdio.h>

EDDY_MODULE();

EDDY_EXPORT int echo(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int whoami(const eddy_event_t *ev, eddy_ctx_t *ctx);

int echo(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    size_t len = 0;
    const char *json = eddy_event_json(ev, &len);
    return eddy_respond(ctx, json, len);
}

int whoami(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    char buf[512];
    (void)ev;
    const int n =
        snprintf(buf, sizeof buf, "{\"name\":\"%s\",\"requestId\":\"%s\",\"remainingMs\":%lld}",
                 eddy_ctx_function_name(ctx), eddy_ctx_request_id(ctx),
                 (long long)eddy_ctx_remaining_ms(ctx));
    return eddy_respond(ctx, buf, (size_t)n);
}
