/* SPDX-License-Identifier: MIT
 * logs.c: a test function that logs through eddy_log and prints to stdout,
 * so tests can check both reach the invocation log (stdout in host mode). */
#include "eddy.h"

#include <stdio.h>

EDDY_MODULE();

EDDY_EXPORT int logs(const eddy_event_t *ev, eddy_ctx_t *ctx);

int logs(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    (void)ev;
    eddy_log(ctx, "hello from %s", eddy_ctx_function_name(ctx));
    printf("# printed line\n"); /* A TAP comment if it reaches a test's stdout. */
    for (int i = 0; i < 200; i++)
        eddy_log(ctx, "filler line %03d to push the log past four kilobytes", i);
    eddy_log(ctx, "last line");
    return eddy_respond(ctx, "{\"logged\":true}", 15);
}
