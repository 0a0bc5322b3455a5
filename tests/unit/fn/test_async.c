/* SPDX-License-Identifier: MIT
 * test_async.c: eng_fn_invoke_async runs every queued invocation on the
 * workers, calls back exactly once each, and registry destruction drains the
 * queue first; a closed registry refuses new work. */
#include "tests/lib/test.h"
#include "tests/unit/fn/t_fn.h"

#include <pthread.h>

T_MAIN_GLOBALS

typedef struct counts {
    pthread_mutex_t mu;
    int done, ok, errors;
} counts_t;

static void on_done(int err, eng_fn_result_t *res, void *arg)
{
    counts_t *c = arg;
    pthread_mutex_lock(&c->mu);
    c->done++;
    if (err == 0 && !res->is_error && strcmp(res->payload, "{\"i\":1}") == 0)
        c->ok++;
    if (err == 0 && res->is_error)
        c->errors++;
    pthread_mutex_unlock(&c->mu);
}

static void test_async_drains_on_destroy(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *echo = t_fn_make(reg, "echo", "echo", "echo", "");
    eng_fn_t *crash = t_fn_make(reg, "crash", "crash", "crash", "");
    counts_t c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    for (int i = 0; i < 20; i++)
        T_ASSERT_OK(eng_fn_invoke_async(reg, echo, "{\"i\":1}", 7, on_done, &c));
    T_ASSERT_OK(eng_fn_invoke_async(reg, crash, "{}", 2, on_done, &c));
    eng_fn_unref(echo); /* The queue holds its own references. */
    T_ASSERT_OK(eng_fn_delete(reg, "crash"));
    eng_fn_unref(crash);
    eng_fn_registry_destroy(reg);
    T_ASSERT_EQ(21, c.done);
    T_ASSERT_EQ(20, c.ok);
    T_ASSERT_EQ(1, c.errors);
}

int main(void)
{
    T_RUN(test_async_drains_on_destroy);
    return t_done();
}
