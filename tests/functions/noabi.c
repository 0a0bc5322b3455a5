/* SPDX-License-Identifier: MIT
 * noabi.c: a test module built without EDDY_MODULE(), which the loader must
 * refuse (Runtime.InvalidEntrypoint) without calling anything in it. */
#include "eddy.h"

EDDY_EXPORT int noabi(const eddy_event_t *ev, eddy_ctx_t *ctx);

int noabi(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    return eddy_respond(ctx, "1", 1);
}
