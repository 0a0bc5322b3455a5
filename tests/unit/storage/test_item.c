/* SPDX-License-Identifier: MIT
 * test_item.c: store_item_canon: canonical text for every attribute type,
 * bytewise name order at every level, numbers normalized inside items, set
 * ordering and validation, DynamoDB's size rules and its error messages. */
#include "engine/json.h"
#include "storage/store.h"
#include "tests/lib/test.h"

#include <stdio.h>

T_MAIN_GLOBALS

typedef struct canon_result {
    int err;
    size_t size;
    char text[4096];
    char why[512];
} canon_result_t;

static canon_result_t canon(const char *json)
{
    canon_result_t r = {0};
    cJSON *root = NULL;
    if (eng_json_parse(json, strlen(json), &root) < 0) {
        r.err = -100;
        return r;
    }
    eng_buf_t out = {0}, why_buf = {0};
    const char *why = NULL;
    r.err = store_item_canon(root, &out, &r.size, &why, &why_buf);
    snprintf(r.text, sizeof(r.text), "%s", out.ptr ? out.ptr : "");
    snprintf(r.why, sizeof(r.why), "%s", why ? why : "");
    eng_buf_free(&out);
    eng_buf_free(&why_buf);
    eng_json_delete(root);
    return r;
}

#define CANON_OK(in, want_text)                                                                    \
    do {                                                                                           \
        canon_result_t cr_ = canon(in);                                                            \
        T_ASSERT_OK(cr_.err);                                                                      \
        T_ASSERT_STREQ(want_text, cr_.text);                                                       \
    } while (0)

#define CANON_ERR(in, want_why)                                                                    \
    do {                                                                                           \
        canon_result_t cr_ = canon(in);                                                            \
        T_ASSERT(cr_.err < 0);                                                                     \
        T_ASSERT_STREQ(want_why, cr_.why);                                                         \
    } while (0)

#define SIZE_IS(in, want)                                                                          \
    do {                                                                                           \
        canon_result_t cr_ = canon(in);                                                            \
        T_ASSERT_OK(cr_.err);                                                                      \
        T_ASSERT_EQ(want, cr_.size);                                                               \
    } while (0)

static void test_scalars(void)
{
    CANON_OK("{\"s\":{\"S\":\"x\\\"y\"}}", "{\"s\":{\"S\":\"x\\\"y\"}}");
    CANON_OK("{\"s\":{\"S\":\"\"}}", "{\"s\":{\"S\":\"\"}}");
    CANON_OK("{\"n\":{\"N\":\"01.50\"}}", "{\"n\":{\"N\":\"1.5\"}}");
    CANON_OK("{\"b\":{\"B\":\"AAE=\"}}", "{\"b\":{\"B\":\"AAE=\"}}");
    CANON_OK("{\"b\":{\"B\":\"\"}}", "{\"b\":{\"B\":\"\"}}");
    CANON_OK("{\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false}}",
             "{\"f\":{\"BOOL\":false},\"t\":{\"BOOL\":true}}");
    CANON_OK("{\"z\":{\"NULL\":true}}", "{\"z\":{\"NULL\":true}}");
}

static void test_documents_sorted_at_every_level(void)
{
    CANON_OK("{\"b\":{\"M\":{\"y\":{\"N\":\"1e2\"},\"x\":{\"L\":[{\"S\":\"q\"},{\"N\":\"-0\"}]}}},"
             "\"a\":{\"M\":{}}}",
             "{\"a\":{\"M\":{}},\"b\":{\"M\":{\"x\":{\"L\":[{\"S\":\"q\"},{\"N\":\"0\"}]},"
             "\"y\":{\"N\":\"100\"}}}}");
    /* Bytewise: uppercase sorts before lowercase. */
    CANON_OK("{\"a\":{\"S\":\"1\"},\"B\":{\"S\":\"2\"}}",
             "{\"B\":{\"S\":\"2\"},\"a\":{\"S\":\"1\"}}");
}

static void test_sets_sorted(void)
{
    CANON_OK("{\"s\":{\"SS\":[\"b\",\"a\",\"c\"]}}", "{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}");
    CANON_OK("{\"n\":{\"NS\":[\"10\",\"9\",\"-1.5\",\"2.0\"]}}",
             "{\"n\":{\"NS\":[\"-1.5\",\"2\",\"9\",\"10\"]}}");
    CANON_OK("{\"b\":{\"BS\":[\"Yg==\",\"YQ==\"]}}", "{\"b\":{\"BS\":[\"YQ==\",\"Yg==\"]}}");
}

static void test_equal_items_byte_equal(void)
{
    canon_result_t a = canon("{\"x\":{\"N\":\"1.0\"},\"a\":{\"SS\":[\"q\",\"p\"]}}");
    canon_result_t b = canon("{\"a\":{\"SS\":[\"p\",\"q\"]},\"x\":{\"N\":\"1\"}}");
    T_ASSERT_OK(a.err);
    T_ASSERT_STREQ(a.text, b.text);
}

static void test_set_errors(void)
{
    CANON_ERR("{\"s\":{\"SS\":[]}}",
              "One or more parameter values were invalid: An string set  may not be empty");
    CANON_ERR("{\"s\":{\"NS\":[]}}",
              "One or more parameter values were invalid: An number set  may not be empty");
    CANON_ERR("{\"s\":{\"BS\":[]}}",
              "One or more parameter values were invalid: Binary sets should not be empty");
    CANON_ERR(
        "{\"s\":{\"SS\":[\"a\",\"a\"]}}",
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates.");
    CANON_ERR("{\"s\":{\"BS\":[\"Yg==\",\"Yg==\"]}}",
              "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS "
              "contains duplicates.");
    CANON_ERR("{\"s\":{\"NS\":[\"1\",\"1.0\"]}}", "Input collection contains duplicates");
}

static void test_value_errors(void)
{
    CANON_ERR(
        "{\"a\":{}}",
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    CANON_ERR(
        "{\"a\":{\"S\":\"x\",\"N\":\"1\"}}",
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes");
    CANON_ERR("{\"a\":{\"NULL\":false}}", "One or more parameter values were invalid: Null "
                                          "attribute value types must have the value of true");
    CANON_ERR("{\"a\":{\"N\":\"abc\"}}", "The parameter cannot be converted to a numeric value");
    CANON_ERR(
        "{\"a\":{\"B\":\"abc\"}}",
        "One or more parameter values were invalid: Invalid Base64 value for a binary attribute");
    CANON_ERR(
        "{\"a\":{\"M\":{\"b\":{\"S\":\"x\",\"BOOL\":true}}}}",
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes");
}

static void test_sizes(void)
{
    SIZE_IS("{\"ab\":{\"S\":\"hello\"}}", 7);   /* name 2 + utf-8 5 */
    SIZE_IS("{\"a\":{\"S\":\"\xc3\xa9\"}}", 3); /* é is two UTF-8 bytes. */
    SIZE_IS("{\"a\":{\"B\":\"AAEC\"}}", 4);     /* 3 raw bytes. */
    SIZE_IS("{\"a\":{\"BOOL\":true}}", 2);
    SIZE_IS("{\"a\":{\"NULL\":true}}", 2);
    SIZE_IS("{\"a\":{\"N\":\"0\"}}", 2);
    SIZE_IS("{\"a\":{\"N\":\"12\"}}", 3);                 /* 1 + one digit pair */
    SIZE_IS("{\"a\":{\"N\":\"1.2\"}}", 4);                /* pairs 01|20 */
    SIZE_IS("{\"a\":{\"N\":\"-12\"}}", 4);                /* negative: one more byte */
    SIZE_IS("{\"a\":{\"M\":{}}}", 4);                     /* 3 bytes overhead */
    SIZE_IS("{\"a\":{\"L\":[{\"S\":\"xy\"}]}}", 7);       /* 1 + 3 + 2 + 1 per element */
    SIZE_IS("{\"a\":{\"M\":{\"k\":{\"S\":\"xy\"}}}}", 8); /* 1 + 3 + (1 + 2) + 1 */
    SIZE_IS("{\"a\":{\"SS\":[\"xy\",\"z\"]}}", 4);
}

int main(void)
{
    T_RUN(test_scalars);
    T_RUN(test_documents_sorted_at_every_level);
    T_RUN(test_sets_sorted);
    T_RUN(test_equal_items_byte_equal);
    T_RUN(test_set_errors);
    T_RUN(test_value_errors);
    T_RUN(test_sizes);
    return t_done();
}
