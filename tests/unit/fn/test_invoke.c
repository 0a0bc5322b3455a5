/* SPDX-License-Identifier: MIT
 * test_invoke.c: invocations end to end through the test modules, in both
 * modes (supervised host and in process) where the behaviour must match:
 * responses, context, function errors, staged writes and the log. Then the
 * host-only guarantees: a crash or a hang is a function error and the next
 * invocation gets a fresh host. */
#include "engine/json.h"
#include "tests/lib/test.h"
#include "tests/unit/fn/t_fn.h"

#include <pthread.h>

T_MAIN_GLOBALS

static const char *mode_extra = ""; /* Set by main for each pass. */

static eng_fn_t *make(eng_fn_registry_t *reg, const char *module, const char *handler,
                      const char *extra)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", extra, mode_extra);
    return t_fn_make(reg, handler, module, handler, buf);
}

/* Invoke module/handler once with `event`; the result is the caller's. */
static int run(const char *module, const char *handler, const char *extra, const char *event,
               eng_fn_result_t *res)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *fn = make(reg, module, handler, extra);
    int err = fn ? t_fn_invoke_str(fn, event, res) : ENG_EINVAL;
    eng_fn_unref(fn);
    eng_fn_registry_destroy(reg);
    return err;
}

static void test_echo_and_context(void)
{
    eng_fn_result_t res = {0};
    T_ASSERT_OK(run("echo", "echo", "", "{\"a\":[1,2]}", &res));
    T_ASSERT(!res.is_error);
    T_ASSERT_STREQ("{\"a\":[1,2]}", res.payload);
    T_ASSERT(strstr(res.log, "START RequestId: ") && strstr(res.log, "REPORT RequestId: "));
    eng_fn_result_free(&res);

    T_ASSERT_OK(run("echo", "whoami", ",\"Timeout\":5", "{}", &res));
    cJSON *c = NULL;
    T_ASSERT_OK(eng_json_parse(res.payload, res.payload_len, &c));
    T_ASSERT_STREQ("whoami", eng_json_get_str(c, "name"));
    T_ASSERT_STREQ(res.request_id, eng_json_get_str(c, "requestId"));
    const double left = eng_json_get(c, "remainingMs")->valuedouble;
    T_ASSERT(left > 0 && left <= 5000);
    eng_json_delete(c);
    eng_fn_result_free(&res);

    T_ASSERT_OK(run("noop", "noop", "", "{}", &res));
    T_ASSERT_STREQ("null", res.payload);
    eng_fn_result_free(&res);
}

static void test_function_errors(void)
{
    eng_fn_result_t res = {0};
    if (mode_extra[0] == '\0') { /* In process its junk would land in this TAP stream. */
        T_ASSERT_OK(run("garbage", "garbage", "", "{}", &res));
        T_ASSERT(res.is_error);
        T_ASSERT_STREQ("Runtime.MarshalError", res.error_type);
        eng_fn_result_free(&res);
    }

    T_ASSERT_OK(run("garbage", "refuse", "", "{}", &res));
    T_ASSERT_STREQ("ValidationError", res.error_type);
    T_ASSERT_STREQ("{\"errorType\":\"ValidationError\",\"errorMessage\":\"member name is "
                   "required\"}",
                   res.payload);
    eng_fn_result_free(&res);

    T_ASSERT_OK(run("garbage", "bad_rc", "", "{}", &res));
    T_ASSERT_STREQ("HandlerError", res.error_type);
    eng_fn_result_free(&res);

    T_ASSERT_OK(run("noabi", "noabi", "", "{}", &res));
    T_ASSERT_STREQ("Runtime.InvalidEntrypoint", res.error_type);
    eng_fn_result_free(&res);

    T_ASSERT_OK(run("echo", "no_such_symbol", "", "{}", &res));
    T_ASSERT_STREQ("Runtime.HandlerNotFound", res.error_type);
    eng_fn_result_free(&res);
}

static void test_staged_writes(void)
{
    eng_fn_result_t res = {0};
    T_ASSERT_OK(run("stage", "stage", "", "{}", &res));
    T_ASSERT(!res.is_error);
    T_ASSERT_STREQ("{\"staged\":3}", res.payload);
    T_ASSERT_EQ(3, res.n_writes);
    const eng_fn_write_t *w = res.writes;
    T_ASSERT_EQ(ENG_FN_WRITE_PUT, w[0].kind);
    T_ASSERT_STREQ("members", w[0].table);
    T_ASSERT_STREQ("{\"name\":{\"S\":\"Ama\"},\"mood\":{\"S\":\"happy\"}}", w[0].item_json);
    T_ASSERT(w[0].key_json == NULL);
    T_ASSERT_EQ(ENG_FN_WRITE_DELETE, w[1].kind);
    T_ASSERT_STREQ("{\"name\":{\"S\":\"Kofi\"}}", w[1].key_json);
    T_ASSERT_EQ(ENG_FN_WRITE_UPDATE, w[2].kind);
    T_ASSERT_STREQ("counters", w[2].table);
    T_ASSERT_STREQ("SET #n = #n + :one", w[2].update_expression);
    T_ASSERT_STREQ("{\"#n\":\"n\"}", w[2].names_json);
    T_ASSERT_STREQ("{\":one\":{\"N\":\"1\"}}", w[2].values_json);
    eng_fn_result_free(&res);

    T_ASSERT_OK(run("stage", "stage_then_fail", "", "{}", &res));
    T_ASSERT(res.is_error);
    T_ASSERT_EQ(0, res.n_writes);
    eng_fn_result_free(&res);
}

static void test_log(void)
{
    eng_fn_result_t res = {0};
    T_ASSERT_OK(run("logs", "logs", "", "{}", &res));
    T_ASSERT(strstr(res.log, "\tINFO\thello from logs\n"));
    T_ASSERT(strstr(res.log, "last line"));
    T_ASSERT(res.log_len > 4096);
    if (mode_extra[0] == '\0') /* Only a host can capture stdout. */
        T_ASSERT(strstr(res.log, "# printed line\n"));
    T_ASSERT(strstr(res.log, "END RequestId: "));
    eng_fn_result_free(&res);
}

static void test_overrun_is_a_timeout(void)
{
    eng_fn_result_t res = {0};
    T_ASSERT_OK(run("hang", "nap", ",\"Timeout\":0.2", "1000", &res));
    T_ASSERT(res.is_error);
    T_ASSERT_STREQ("Sandbox.Timedout", res.error_type);
    T_ASSERT(strstr(res.payload, "Task timed out after 0.20 seconds"));
    eng_fn_result_free(&res);
}

/* ---- Host mode only ---- */

static void test_crash_then_fresh_host(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *fn = t_fn_make(reg, "crash", "crash", "crash", "");
    eng_fn_result_t res = {0};
    for (int i = 0; i < 2; i++) { /* The second run needs a new host. */
        T_ASSERT_OK(t_fn_invoke_str(fn, "{}", &res));
        T_ASSERT(res.is_error);
        T_ASSERT_STREQ("Runtime.ExitError", res.error_type);
        T_ASSERT(strstr(res.payload, "Runtime exited with error: "));
        eng_fn_result_free(&res);
    }
    eng_fn_unref(fn);
    eng_fn_registry_destroy(reg);
}

static void test_hang_is_killed_and_replaced(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *hang = t_fn_make(reg, "hang", "hang", "hang", ",\"Timeout\":0.3");
    eng_fn_t *nap = t_fn_make(reg, "nap", "hang", "nap", ",\"Timeout\":5");
    eng_fn_result_t res = {0};
    T_ASSERT_OK(t_fn_invoke_str(hang, "{}", &res));
    T_ASSERT_STREQ("Sandbox.Timedout", res.error_type);
    T_ASSERT(strstr(res.payload, "Task timed out after 0.30 seconds"));
    T_ASSERT(strstr(res.log, "Task timed out"));
    eng_fn_result_free(&res);
    T_ASSERT_OK(t_fn_invoke_str(hang, "{}", &res)); /* Again: a fresh host, killed again. */
    T_ASSERT_STREQ("Sandbox.Timedout", res.error_type);
    eng_fn_result_free(&res);
    T_ASSERT_OK(t_fn_invoke_str(nap, "1", &res));
    T_ASSERT_STREQ("\"rested\"", res.payload);
    eng_fn_result_free(&res);
    eng_fn_unref(hang);
    eng_fn_unref(nap);
    eng_fn_registry_destroy(reg);
}

typedef struct par {
    eng_fn_t *fn;
    int ok; /* Successful invocations. */
} par_t;

static void *par_main(void *arg)
{
    par_t *p = arg;
    for (int i = 0; i < 5; i++) {
        eng_fn_result_t res = {0};
        if (t_fn_invoke_str(p->fn, "{\"n\":1}", &res) == 0 && !res.is_error)
            p->ok++;
        eng_fn_result_free(&res);
    }
    return NULL;
}

/* Four threads share a function capped at two hosts: all must succeed. */
static void test_concurrent_invocations_share_hosts(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *fn = t_fn_make(reg, "echo", "echo", "echo", "");
    pthread_t th[4];
    par_t p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = (par_t){.fn = fn};
        pthread_create(&th[i], NULL, par_main, &p[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        T_ASSERT_EQ(5, p[i].ok);
    eng_fn_unref(fn);
    eng_fn_registry_destroy(reg);
}

static void test_event_too_big(void)
{
    eng_fn_registry_config_t cfg;
    eng_fn_registry_config_default(&cfg);
    cfg.max_event_bytes = 4;
    eng_fn_registry_t *reg = NULL;
    T_ASSERT_OK(eng_fn_registry_create(&cfg, &reg));
    eng_fn_t *fn = t_fn_make(reg, "echo", "echo", "echo", "");
    eng_fn_result_t res = {0};
    T_ASSERT_EQ(ENG_ETOOBIG, t_fn_invoke_str(fn, "{\"big\":1}", &res));
    eng_fn_unref(fn);
    eng_fn_registry_destroy(reg);
}

static void run_common(void)
{
    T_RUN(test_echo_and_context);
    T_RUN(test_function_errors);
    T_RUN(test_staged_writes);
    T_RUN(test_log);
    T_RUN(test_overrun_is_a_timeout);
}

int main(void)
{
    printf("# host mode\n");
    run_common();
    T_RUN(test_crash_then_fresh_host);
    T_RUN(test_hang_is_killed_and_replaced);
    T_RUN(test_concurrent_invocations_share_hosts);
    T_RUN(test_event_too_big);
    printf("# in-process mode\n");
    mode_extra = ",\"Environment\":{\"Variables\":{\"EDDY_IN_PROCESS\":\"1\"}}";
    run_common();
    return t_done();
}
