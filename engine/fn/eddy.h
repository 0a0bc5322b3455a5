/* SPDX-License-Identifier: MIT
 * eddy.h: the public, stable interface for writing eddy functions in C. A
 * function is a shared object that exports EDDY_MODULE() and one or more
 * handlers of type eddy_handler_fn. A handler receives the same event JSON any
 * Lambda runtime would get and a context; it may respond with JSON, fail with
 * an error, log, and stage item writes that commit atomically with the trigger
 * that fired it. This header includes only the C standard library. */
#ifndef EDDY_H
#define EDDY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped only on incompatible changes. The loader refuses a module whose
 * eddy_abi_version differs from the engine's. */
#define EDDY_ABI_VERSION 1u

#if defined(__GNUC__)
#define EDDY_EXPORT __attribute__((visibility("default")))
#else
#define EDDY_EXPORT
#endif

/* Put once in exactly one source file of the module. It exports the symbol
 * the loader checks before it calls any handler. */
#define EDDY_MODULE() EDDY_EXPORT const uint32_t eddy_abi_version = EDDY_ABI_VERSION

/* Return codes of the eddy_* calls below and of handlers. */
enum {
    EDDY_OK = 0,
    EDDY_EINVAL = -1,  /* Bad argument: NULL, empty table name, malformed JSON. */
    EDDY_ETOOBIG = -3, /* Response, log or staged writes over their limits. */
};

/* The invocation's input. Borrowed: valid only during the handler call. */
typedef struct eddy_event {
    const char *json; /* The event, UTF-8 JSON, NUL-terminated. */
    size_t len;       /* Bytes in json, excluding the NUL. */
} eddy_event_t;

typedef struct eddy_ctx eddy_ctx_t;

/* The engine's services, reached through the context so a module needs no
 * link-time symbols from the engine. Use the eddy_* wrappers, not these. */
typedef struct eddy_api {
    uint32_t abi_version; /* EDDY_ABI_VERSION of the engine. */
    uint32_t size;        /* sizeof(eddy_api_t) of the engine; grows only at the end. */
    const char *(*function_name)(const eddy_ctx_t *ctx);
    const char *(*request_id)(const eddy_ctx_t *ctx);
    int64_t (*remaining_ms)(const eddy_ctx_t *ctx);
    void (*vlog)(eddy_ctx_t *ctx, const char *fmt, va_list ap);
    int (*respond)(eddy_ctx_t *ctx, const char *json, size_t len);
    int (*fail)(eddy_ctx_t *ctx, const char *error_type, const char *message);
    int (*stage_put)(eddy_ctx_t *ctx, const char *table, const char *item_json);
    int (*stage_delete)(eddy_ctx_t *ctx, const char *table, const char *key_json);
    int (*stage_update)(eddy_ctx_t *ctx, const char *table, const char *key_json,
                        const char *update_expression, const char *names_json,
                        const char *values_json);
} eddy_api_t;

/* The context of one invocation. Valid only during the handler call; the
 * fields are the engine's, never touch them directly. */
struct eddy_ctx {
    const eddy_api_t *api_;
};

/* A handler. Return 0 for success (the response is what eddy_respond set, or
 * JSON null if nothing was set) or any non-zero value for a function error
 * (with the type and message given to eddy_fail, or a generic one). Export it
 * with EDDY_EXPORT and name it in the function's "Handler". A handler may be
 * called from any thread, and several invocations of the same function may
 * run at the same time (in process mode); keep state thread-safe. */
typedef int (*eddy_handler_fn)(const eddy_event_t *ev, eddy_ctx_t *ctx);

/* The event JSON; *len (if len is not NULL) gets its length. Borrowed:
 * valid during the handler call. */
static inline const char *eddy_event_json(const eddy_event_t *ev, size_t *len)
{
    if (len)
        *len = ev->len;
    return ev->json;
}

/* The function's name (FunctionName). Borrowed: valid during the call. */
static inline const char *eddy_ctx_function_name(const eddy_ctx_t *ctx)
{
    return ctx->api_->function_name(ctx);
}

/* The invocation's request id (a UUID). Borrowed: valid during the call. */
static inline const char *eddy_ctx_request_id(const eddy_ctx_t *ctx)
{
    return ctx->api_->request_id(ctx);
}

/* Milliseconds left before the function's Timeout; 0 once it has passed. */
static inline int64_t eddy_ctx_remaining_ms(const eddy_ctx_t *ctx)
{
    return ctx->api_->remaining_ms(ctx);
}

/* Append one line (printf format) to the invocation's log. Lines over 4 KiB
 * are truncated; the log keeps its first 1 MiB. */
__attribute__((format(printf, 2, 3))) static inline void eddy_log(eddy_ctx_t *ctx, const char *fmt,
                                                                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctx->api_->vlog(ctx, fmt, ap);
    va_end(ap);
}

/* Set the response to `len` bytes of JSON (copied; a later call replaces it).
 * The JSON is validated when the handler returns: a response that is not JSON
 * is a function error (Runtime.MarshalError). Returns EDDY_OK, EDDY_EINVAL
 * (json NULL) or EDDY_ETOOBIG (over 6 MB). */
static inline int eddy_respond(eddy_ctx_t *ctx, const char *json, size_t len)
{
    return ctx->api_->respond(ctx, json, len);
}

/* Mark the invocation failed with `error_type` (e.g. "ValidationError") and
 * `message`, both copied. The caller gets {"errorType":..,"errorMessage":..}
 * and staged writes are dropped. The handler should then return non-zero.
 * Returns EDDY_OK or EDDY_EINVAL (NULL argument). */
static inline int eddy_fail(eddy_ctx_t *ctx, const char *error_type, const char *message)
{
    return ctx->api_->fail(ctx, error_type, message);
}

/* Stage a PutItem of `item_json` (DynamoDB JSON, as PutItem's Item:
 * {"id":{"S":"a"}}) into `table`. Staged writes are applied only if the
 * handler succeeds, in the same transaction as the trigger's checkpoint, in
 * the order staged. Both strings are copied. Returns EDDY_OK, EDDY_EINVAL
 * (empty table, item not a JSON object) or EDDY_ETOOBIG (over 100 writes). */
static inline int eddy_stage_put(eddy_ctx_t *ctx, const char *table, const char *item_json)
{
    return ctx->api_->stage_put(ctx, table, item_json);
}

/* Stage a DeleteItem of `key_json` (DynamoDB JSON key) from `table`.
 * Same rules and returns as eddy_stage_put. */
static inline int eddy_stage_delete(eddy_ctx_t *ctx, const char *table, const char *key_json)
{
    return ctx->api_->stage_delete(ctx, table, key_json);
}

/* Stage an UpdateItem of `key_json` in `table` with `update_expression`
 * ("SET n = n + :one"), `names_json` (ExpressionAttributeNames object or
 * NULL) and `values_json` (ExpressionAttributeValues object or NULL). Same
 * rules and returns as eddy_stage_put; an empty expression is EDDY_EINVAL. */
static inline int eddy_stage_update(eddy_ctx_t *ctx, const char *table, const char *key_json,
                                    const char *update_expression, const char *names_json,
                                    const char *values_json)
{
    return ctx->api_->stage_update(ctx, table, key_json, update_expression, names_json,
                                   values_json);
}

#ifdef __cplusplus
}
#endif

#endif
