/* SPDX-License-Identifier: MIT
 * garbage.c: a test function that prints binary junk on stdout and answers
 * with text that is not JSON: a Runtime.MarshalError, never a broken engine.
 * Also one that fails politely with eddy_fail, and one that returns non-zero. */
#include "eddy.h"

#include <stdio.h>

EDDY_MODULE();

EDDY_EXPORT int garbage(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int refuse(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int bad_rc(const eddy_event_t *ev, eddy_ctx_t *ctx);

int garbage(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    static const char junk[] = "\x01\x02\xff{not json\n";
    fwrite(junk, 1, sizeof junk - 1, stdout);
    return eddy_respond(ctx, "{\"unterminated\": ", 17);
}

int refuse(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    eddy_fail(ctx, "ValidationError", "member name is required");
    return 1;
}

int bad_rc(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    (void)ctx;
    return 42;
}
