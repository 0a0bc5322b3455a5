/* SPDX-License-Identifier: MIT
 * noop.c: a test function that does nothing and succeeds (response: null).
 * The benchmark's subject: its cost is the invocation path itself. */
#include "eddy.h"

EDDY_MODULE();

EDDY_EXPORT int noop(const eddy_event_t *ev, eddy_ctx_t *ctx);

int noop(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    (void)ctx;
    return 0;
}
