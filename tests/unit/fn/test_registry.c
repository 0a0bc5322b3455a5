/* SPDX-License-Identifier: MIT
 * test_registry.c: declaring functions from CreateFunction bodies, their
 * validation messages, FunctionConfiguration output, list/get/delete, and
 * that a deleted function stays usable while a reference is held. */
#include "engine/json.h"
#include "tests/lib/test.h"
#include "tests/unit/fn/t_fn.h"

T_MAIN_GLOBALS

static void test_create_get_list_delete(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *a = t_fn_make(reg, "b-fn", "echo", "echo", "");
    eng_fn_t *b = t_fn_make(reg, "a_fn", "noop", "noop", ",\"Timeout\":10");
    T_ASSERT(a && b);
    eng_fn_t *got = NULL;
    T_ASSERT_OK(eng_fn_get(reg, "b-fn", &got));
    T_ASSERT(got == a);
    eng_fn_unref(got);
    T_ASSERT_EQ(ENG_ENOTFOUND, eng_fn_get(reg, "nope", &got));

    eng_buf_t list = {0};
    char *next = NULL;
    eng_fn_list_json(reg, NULL, 0, &list, &next);
    cJSON *root = NULL;
    T_ASSERT_OK(eng_json_parse(list.ptr, list.len, &root));
    T_ASSERT_EQ(2, cJSON_GetArraySize(root));
    T_ASSERT_STREQ("a_fn", eng_json_get_str(cJSON_GetArrayItem(root, 0), "FunctionName"));
    T_ASSERT(next == NULL);
    eng_json_delete(root);
    eng_buf_reset(&list);
    eng_fn_list_json(reg, NULL, 1, &list, &next);
    T_ASSERT_STREQ("a_fn", next);
    eng_buf_reset(&list);
    eng_fn_list_json(reg, next, 1, &list, NULL);
    eng_free(next);
    T_ASSERT(strstr(list.ptr, "\"b-fn\"") && !strstr(list.ptr, "\"a_fn\""));
    eng_buf_free(&list);

    T_ASSERT_OK(eng_fn_delete(reg, "b-fn"));
    T_ASSERT_EQ(ENG_ENOTFOUND, eng_fn_delete(reg, "b-fn"));
    /* Still ours: an invocation in flight would finish. */
    eng_fn_result_t res = {0};
    T_ASSERT_OK(t_fn_invoke_str(a, "{\"k\":1}", &res));
    T_ASSERT_STREQ("{\"k\":1}", res.payload);
    eng_fn_result_free(&res);
    eng_fn_unref(a);
    eng_fn_unref(b);
    eng_fn_registry_destroy(reg);
}

static void test_function_configuration_shape(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_fn_t *fn = t_fn_make(reg, "cfg", "noop", "noop",
                             ",\"MemorySize\":256,\"Description\":\"d\","
                             "\"Environment\":{\"Variables\":{\"A\":\"1\"}}");
    T_ASSERT(fn);
    eng_buf_t out = {0};
    eng_fn_config_json(fn, &out);
    cJSON *c = NULL;
    T_ASSERT_OK(eng_json_parse(out.ptr, out.len, &c));
    T_ASSERT_STREQ("arn:aws:lambda:us-east-1:000000000000:function:cfg",
                   eng_json_get_str(c, "FunctionArn"));
    T_ASSERT_STREQ("Active", eng_json_get_str(c, "State"));
    T_ASSERT_STREQ("Successful", eng_json_get_str(c, "LastUpdateStatus"));
    T_ASSERT_STREQ("noop", eng_json_get_str(c, "Handler"));
    T_ASSERT_EQ(3, eng_json_get(c, "Timeout")->valueint);
    T_ASSERT_EQ(256, eng_json_get(c, "MemorySize")->valueint);
    T_ASSERT(eng_json_get(c, "CodeSize")->valueint > 0);
    T_ASSERT_STREQ(
        "1", eng_json_get_str(eng_json_get(eng_json_get(c, "Environment"), "Variables"), "A"));
    eng_json_delete(c);
    eng_buf_free(&out);
    eng_fn_unref(fn);
    eng_fn_registry_destroy(reg);
}

static int create_err(eng_fn_registry_t *reg, const char *body, eng_buf_t *msg)
{
    eng_buf_reset(msg);
    return eng_fn_create(reg, body, strlen(body), NULL, msg, NULL);
}

static void test_validation(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    eng_buf_t msg = {0};
    T_ASSERT_EQ(ENG_EINVAL, create_err(reg, "{", &msg));
    T_ASSERT_EQ(ENG_EINVAL, create_err(reg, "{\"FunctionName\":\"bad name\"}", &msg));
    T_ASSERT(strstr(msg.ptr, "functionName"));
    T_ASSERT_EQ(ENG_EINVAL, create_err(reg,
                                       "{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\","
                                       "\"Handler\":\"h\",\"Code\":{\"Path\":\"/bin/sh\"}}",
                                       &msg));
    T_ASSERT(strstr(msg.ptr, "python3.12"));
    T_ASSERT_EQ(ENG_EINVAL, create_err(reg,
                                       "{\"FunctionName\":\"f\",\"Runtime\":\"c\","
                                       "\"Handler\":\"h\",\"Code\":{\"ZipFile\":\"UEs=\"}}",
                                       &msg));
    T_ASSERT_EQ(ENG_ENOTFOUND, create_err(reg,
                                          "{\"FunctionName\":\"f\",\"Runtime\":\"c\","
                                          "\"Handler\":\"h\",\"Code\":{\"Path\":\"/no/x.so\"}}",
                                          &msg));
    T_ASSERT_EQ(ENG_EINVAL, create_err(reg,
                                       "{\"FunctionName\":\"f\",\"Runtime\":\"c\","
                                       "\"Handler\":\"h\",\"Code\":{\"Path\":\"/bin/sh\"},"
                                       "\"Timeout\":901}",
                                       &msg));
    T_ASSERT(strstr(msg.ptr, "timeout"));
    T_ASSERT_OK(create_err(reg,
                           "{\"FunctionName\":\"f\",\"Runtime\":\"c\",\"Handler\":\"h\","
                           "\"Code\":{\"Path\":\"/bin/sh\"}}",
                           &msg));
    T_ASSERT_EQ(ENG_EEXIST, create_err(reg,
                                       "{\"FunctionName\":\"f\",\"Runtime\":\"c\","
                                       "\"Handler\":\"h\",\"Code\":{\"Path\":\"/bin/sh\"}}",
                                       &msg));
    T_ASSERT_STREQ("Function already exist: f", msg.ptr);
    eng_buf_free(&msg);
    eng_fn_registry_destroy(reg);
}

static void test_replace_is_idempotent(void)
{
    eng_fn_registry_t *reg = t_fn_registry();
    const char *body = "{\"FunctionName\":\"r\",\"Runtime\":\"c\",\"Handler\":\"h\","
                       "\"Code\":{\"Path\":\"/bin/sh\"}}";
    const eng_fn_create_opts_t opts = {.is_replace = true};
    T_ASSERT_OK(eng_fn_create(reg, body, strlen(body), &opts, NULL, NULL));
    T_ASSERT_OK(eng_fn_create(reg, body, strlen(body), &opts, NULL, NULL));
    eng_buf_t list = {0};
    eng_fn_list_json(reg, NULL, 0, &list, NULL);
    const char *first = strstr(list.ptr, "\"FunctionName\"");
    T_ASSERT(first && !strstr(first + 1, "\"FunctionName\""));
    eng_buf_free(&list);
    eng_fn_registry_destroy(reg);
}

int main(void)
{
    T_RUN(test_create_get_list_delete);
    T_RUN(test_function_configuration_shape);
    T_RUN(test_validation);
    T_RUN(test_replace_is_idempotent);
    return t_done();
}
