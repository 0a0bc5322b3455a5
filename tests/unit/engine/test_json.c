/* SPDX-License-Identifier: MIT
 * test_json.c: parsing strictness and string escaping. */
#include "engine/err.h"
#include "engine/json.h"
#include "tests/lib/test.h"

T_MAIN_GLOBALS

static void test_parse_rejects_trailing_garbage(void)
{
    cJSON *root = NULL;
    T_ASSERT_EQ(ENG_EINVAL, eng_json_parse("{} x", 4, &root));
    T_ASSERT_EQ(ENG_EINVAL, eng_json_parse("{\"a\":", 5, &root));
    T_ASSERT_OK(eng_json_parse("{\"a\":1} \n", 9, &root));
    T_ASSERT(cJSON_IsNumber(eng_json_get(root, "a")));
    T_ASSERT(eng_json_get(root, "A") == NULL);
    eng_json_delete(root);
}

static void test_escape_round_trips(void)
{
    eng_buf_t b = {0};
    const char raw[] = "q\"\\\n\x01z";
    eng_json_append_string(&b, raw, sizeof raw - 1);
    T_ASSERT_STREQ("\"q\\\"\\\\\\n\\u0001z\"", b.ptr);
    cJSON *root = NULL;
    T_ASSERT_OK(eng_json_parse(b.ptr, b.len, &root));
    T_ASSERT_STREQ(raw, root->valuestring);
    eng_json_delete(root);
    eng_buf_free(&b);
}

static void test_strerror_covers_every_code(void)
{
    for (int e = 0; e > ENG_EMAX_; e--)
        T_ASSERT(strcmp(eng_strerror(e), "unknown error") != 0);
    T_ASSERT_STREQ("unknown error", eng_strerror(ENG_EMAX_));
    T_ASSERT_STREQ("ENG_ENOTFOUND", eng_errname(ENG_ENOTFOUND));
}

int main(void)
{
    T_RUN(test_parse_rejects_trailing_garbage);
    T_RUN(test_escape_round_trips);
    T_RUN(test_strerror_covers_every_code);
    return t_done();
}
