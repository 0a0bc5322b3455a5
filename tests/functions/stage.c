/* SPDX-License-Identifier: MIT
 * stage.c: a test function that stages one write of each kind, checks that
 * malformed writes are refused, and responds with how many it staged. A
 * second handler stages a write and then fails, so the write must be dropped. */
#include "eddy.h"

EDDY_MODULE();

EDDY_EXPORT int stage(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int stage_then_fail(const eddy_event_t *ev, eddy_ctx_t *ctx);

int stage(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    if (eddy_stage_put(ctx, "", "{}") != EDDY_EINVAL ||
        eddy_stage_put(ctx, "t", "not json") != EDDY_EINVAL ||
        eddy_stage_update(ctx, "t", "{\"id\":{\"S\":\"a\"}}", "", NULL, NULL) != EDDY_EINVAL)
        return eddy_fail(ctx, "TestError", "bad writes were accepted"), 1;
    int rc =
        eddy_stage_put(ctx, "members", "{\"name\":{\"S\":\"Ama\"},\"mood\":{\"S\":\"happy\"}}");
    rc |= eddy_stage_delete(ctx, "members", "{\"name\":{\"S\":\"Kofi\"}}");
    rc |= eddy_stage_update(ctx, "counters", "{\"id\":{\"S\":\"moods\"}}", "SET #n = #n + :one",
                            "{\"#n\":\"n\"}", "{\":one\":{\"N\":\"1\"}}");
    if (rc != EDDY_OK)
        return rc;
    return eddy_respond(ctx, "{\"staged\":3}", 12);
}

int stage_then_fail(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    eddy_stage_put(ctx, "members", "{\"name\":{\"S\":\"Ghost\"}}");
    return eddy_fail(ctx, "Boom", "failed after staging"), 1;
}
