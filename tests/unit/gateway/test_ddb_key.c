/* SPDX-License-Identifier: MIT
 * test_ddb_key.c: the DynamoDB front door's request shaping without a server:
 * key schemas parsed from table meta, primary keys built from items and Key
 * objects with DynamoDB's messages, and top-level projections. */
#include "gateway/ddb_int.h"
#include "tests/lib/test.h"

#include "engine/err.h"

T_MAIN_GLOBALS

static const char META[] =
    "{\"TableName\":\"t\",\"KeySchema\":[{\"AttributeName\":\"name\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"at\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
    "{\"AttributeName\":\"at\",\"AttributeType\":\"N\"},{\"AttributeName\":\"name\","
    "\"AttributeType\":\"S\"}]}";

static int build(const char *json, bool is_exact, char *keys, size_t keys_cap, const char **why)
{
    ddb_thread_t th = {0};
    ddb_schema_t s;
    cJSON *obj = NULL;
    store_key_t key;
    eng_buf_t kj = {0};
    int err = ddb__schema_parse(eng_slice_cstr(META), &s);
    if (err == 0)
        err = eng_json_parse(json, strlen(json), &obj);
    if (err == 0)
        err = ddb__key_build(&th, &s, obj, is_exact, &key, &kj, why, NULL);
    snprintf(keys, keys_cap, "%s", kj.ptr ? kj.ptr : "");
    /* Messages live in th.why: copy before freeing. */
    static char msg[512];
    snprintf(msg, sizeof(msg), "%s", err < 0 && *why ? *why : "");
    *why = msg;
    eng_buf_free(&kj);
    eng_buf_free(&th.kbuf);
    eng_buf_free(&th.why);
    eng_json_delete(obj);
    return err;
}

static void test_schema_parse(void)
{
    ddb_schema_t s;
    T_ASSERT_OK(ddb__schema_parse(eng_slice_cstr(META), &s));
    T_ASSERT_STREQ("name", s.pk);
    T_ASSERT_STREQ("at", s.sk);
    T_ASSERT(s.has_sk);
    T_ASSERT_EQ('S', s.pk_type);
    T_ASSERT_EQ('N', s.sk_type);
    T_ASSERT_EQ(ENG_ECORRUPT, ddb__schema_parse(eng_slice_cstr("{}"), &s));
}

static void test_key_from_item(void)
{
    char keys[256];
    const char *why = NULL;
    T_ASSERT_OK(build("{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"01.0\"},\"x\":{\"S\":\"y\"}}", false,
                      keys, sizeof(keys), &why));
    T_ASSERT_STREQ("{\"at\":{\"N\":\"1\"},\"name\":{\"S\":\"a\"}}", keys);
}

static void test_key_errors(void)
{
    char keys[256];
    const char *why = NULL;
    T_ASSERT(build("{\"at\":{\"N\":\"1\"}}", false, keys, sizeof(keys), &why) < 0);
    T_ASSERT_STREQ("One or more parameter values were invalid: Missing the key name in the item",
                   why);
    T_ASSERT(build("{\"name\":{\"N\":\"1\"},\"at\":{\"N\":\"1\"}}", false, keys, sizeof(keys),
                   &why) < 0);
    T_ASSERT_STREQ(
        "One or more parameter values were invalid: Type mismatch for key name expected: S "
        "actual: N",
        why);
    T_ASSERT(
        build("{\"name\":{\"S\":\"\"},\"at\":{\"N\":\"1\"}}", false, keys, sizeof(keys), &why) < 0);
    T_ASSERT_STREQ(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: name",
        why);
    T_ASSERT(build("{\"name\":{\"S\":\"a\"}}", true, keys, sizeof(keys), &why) < 0);
    T_ASSERT_STREQ("The provided key element does not match the schema", why);
    T_ASSERT(build("{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"1\"},\"x\":{\"S\":\"1\"}}", true, keys,
                   sizeof(keys), &why) < 0);
    T_ASSERT_STREQ("The provided key element does not match the schema", why);
}

static void test_projection(void)
{
    ddb_thread_t th = {0};
    const char *body = "{\"ProjectionExpression\":\" #a , b, m.x\",\"ExpressionAttributeNames\":"
                       "{\"#a\":\"a\"}}";
    cJSON *root = NULL;
    ddb_exprs_t x;
    const char *why = NULL;
    T_ASSERT_OK(eng_json_parse(body, strlen(body), &root));
    T_ASSERT_OK(ddb__exprs_parse(&th, root, DDB_X_PROJ, &x, &why));
    eng_buf_t out = {0};
    const char *item = "{\"a\":{\"S\":\"1\"},\"b\":{\"N\":\"2\"},\"c\":{\"S\":\"3\"},"
                       "\"m\":{\"M\":{\"x\":{\"S\":\"4\"},\"y\":{\"S\":\"5\"}}}}";
    ddb__project(eng_slice_cstr(item), x.proj, &out);
    char got[256];
    snprintf(got, sizeof(got), "%s", out.ptr);
    eng_buf_free(&out);
    ddb__exprs_free(&x);
    eng_buf_free(&th.why);
    eng_json_delete(root);
    T_ASSERT_STREQ("{\"a\":{\"S\":\"1\"},\"b\":{\"N\":\"2\"},\"m\":{\"M\":{\"x\":{\"S\":\"4\"}}}}",
                   got);
}

static void test_table_name_messages(void)
{
    ddb_thread_t th = {0};
    const char *why = NULL;
    T_ASSERT_OK(ddb__check_table_name(&th, "good-name_1.x", "tableName", &why));
    T_ASSERT(ddb__check_table_name(&th, "x", "tableName", &why) < 0);
    char got[512];
    snprintf(got, sizeof(got), "%s", why);
    T_ASSERT(ddb__check_table_name(&th, NULL, "tableName", &why) < 0);
    char missing[512];
    snprintf(missing, sizeof(missing), "%s", why);
    eng_buf_free(&th.why);
    T_ASSERT_STREQ(
        "1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3",
        got);
    T_ASSERT_STREQ("1 validation error detected: Value null at 'tableName' failed to satisfy "
                   "constraint: Member must not be null",
                   missing);
}

int main(void)
{
    T_RUN(test_schema_parse);
    T_RUN(test_key_from_item);
    T_RUN(test_key_errors);
    T_RUN(test_projection);
    T_RUN(test_table_name_messages);
    return t_done();
}
