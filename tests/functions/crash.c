/* SPDX-License-Identifier: MIT
 * crash.c: a test function that dereferences NULL. In host mode this must
 * become a Runtime.ExitError and a restarted host, never an engine crash. */
#include "eddy.h"

EDDY_MODULE();

EDDY_EXPORT int crash(const eddy_event_t *ev, eddy_ctx_t *ctx);

int crash(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    volatile int *volatile p = (int *)(ev->len > 1000000000u ? (void *)ctx : (void *)0);
    eddy_log(ctx, "about to crash");
    return *p;
}
