/* SPDX-License-Identifier: MIT
 * app.h: the app manifest (`eddy serve --app app.json`), applied at start,
 * idempotently. Each entry is the body of the AWS call that creates the thing
 * (DESIGN.md, "The app manifest"). Private to engine/main. */
#ifndef ENG_APP_H
#define ENG_APP_H

#include "engine/fn/fn.h"
#include "engine/mem.h"

/* Apply the manifest at `path` to the running engine: "functions" through the
 * registry (replacing same-named ones; relative Code.Path resolves against
 * the manifest's folder), "tables" through the engine's own DynamoDB API at
 * 127.0.0.1:`port` (a table that exists already is left as it is), then
 * "eventSourceMappings" through the Lambda API (TableName allowed instead of
 * EventSourceArn; a mapping of the same function and stream that exists
 * already is left as it is). On failure `why` holds one line for the user.
 * Returns 0, ENG_ENOTFOUND (no such file), ENG_EINVAL (bad manifest or an
 * entry the API refused) or ENG_EIO. Main thread; blocks on local HTTP. */
int eng_app_apply(const char *path, eng_fn_registry_t *fns, int port, eng_buf_t *why);

#endif
