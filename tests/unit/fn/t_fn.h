/* SPDX-License-Identifier: MIT
 * t_fn.h: helpers shared by the engine/fn unit tests: a registry with small
 * limits, and functions declared from the test modules that meson builds in
 * tests/functions/ (found through $EDDY_TEST_FN_DIR). */
#ifndef T_FN_H
#define T_FN_H

#include "engine/err.h"
#include "engine/fn/fn.h"

#include <stdio.h>
#include <stdlib.h>

static inline eng_fn_registry_t *t_fn_registry(void)
{
    eng_fn_registry_config_t cfg;
    eng_fn_registry_config_default(&cfg);
    cfg.workers = 2;
    cfg.max_hosts = 2;
    eng_fn_registry_t *reg = NULL;
    if (eng_fn_registry_create(&cfg, &reg) < 0) {
        printf("Bail out! no eddy-fnhost (set EDDY_FNHOST)\n");
        exit(1);
    }
    return reg;
}

/* Declare `name` from module fn_<module>.so with `handler`; `extra` is more
 * JSON members (with a leading comma) or "". Returns a reference or NULL. */
static inline eng_fn_t *t_fn_make(eng_fn_registry_t *reg, const char *name, const char *module,
                                  const char *handler, const char *extra)
{
    const char *dir = getenv("EDDY_TEST_FN_DIR");
    eng_buf_t body = {0}, msg = {0};
    eng_buf_printf(&body,
                   "{\"FunctionName\":\"%s\",\"Runtime\":\"c\",\"Handler\":\"%s\","
                   "\"Code\":{\"Path\":\"%s/fn_%s.so\"}%s}",
                   name, handler, dir ? dir : ".", module, extra);
    eng_fn_t *fn = NULL;
    if (eng_fn_create(reg, body.ptr, body.len, NULL, &msg, &fn) < 0)
        printf("# create %s: %s\n", name, msg.ptr ? msg.ptr : "?");
    eng_buf_free(&body);
    eng_buf_free(&msg);
    return fn;
}

static inline int t_fn_invoke_str(eng_fn_t *fn, const char *event, eng_fn_result_t *res)
{
    return eng_fn_invoke(fn, event, strlen(event), res);
}

#endif
