/* SPDX-License-Identifier: MIT
 * hang.c: a test function that never returns, to exercise Timeout handling,
 * and one that sleeps for the number of milliseconds in its event. */
#include "eddy.h"

#include <stdlib.h>
#include <time.h>

EDDY_MODULE();

EDDY_EXPORT int hang(const eddy_event_t *ev, eddy_ctx_t *ctx);
EDDY_EXPORT int nap(const eddy_event_t *ev, eddy_ctx_t *ctx);

int hang(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    (void)ctx;
    for (volatile unsigned long i = 0;; i++) {
    }
    return 0;
}

int nap(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    const long ms = atol(eddy_event_json(ev, NULL));
    const struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return eddy_respond(ctx, "\"rested\"", 8);
}
