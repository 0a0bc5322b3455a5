/* SPDX-License-Identifier: MIT
 * lambda_int.h: private to gateway/lambda*.c, the Lambda REST front door:
 * its context, Lambda's error replies, and the Invoke operation. */
#ifndef GW_LAMBDA_INT_H
#define GW_LAMBDA_INT_H

#include "engine/fn/fn.h"
#include "gateway/gw.h"

#include <pthread.h>

struct gw_lambda {
    eng_fn_registry_t *fns; /* Borrowed; outlives the gateway. */
    pthread_mutex_t mu;     /* Orders is_closing against a worker's post. */
    bool is_closing;        /* gw_lambda_close ran: late results are dropped. */
};

/* Answer with Lambda's error shape: status, x-amzn-ErrorType: `code` and
 * {"Type":"User","message":...} (Type "Service" for 5xx). */
void gw__lambda_error(gw_req_t *req, int status, const char *code, const char *message);

/* Answer ResourceNotFoundException for function `name`. */
void gw__lambda_not_found(gw_req_t *req, const gw_lambda_t *lam, const char *name);

/* POST /2015-03-31/functions/{name}/invocations. `name` is decoded. */
void gw__lambda_invoke(gw_req_t *req, gw_lambda_t *lam, const char *name);

/* Standard base64 of (p, len), appended to out. */
void gw__lambda_base64(eng_buf_t *out, const char *p, size_t len);

#endif
