/* SPDX-License-Identifier: MIT
 * test_schema.c: key schemas parsed from table meta, keys built from items
 * and Key objects with DynamoDB's messages, and conditional/update writes
 * (store_update_*) run through the real writer: conditions, creation of an
 * absent item, runtime errors, key attributes refused, UPDATED_* views. */
#include "storage/store.h"
#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

#include "engine/json.h"

#include <string.h>

T_MAIN_GLOBALS

static const char META[] =
    "{\"TableName\":\"t\",\"KeySchema\":[{\"AttributeName\":\"name\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"at\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
    "{\"AttributeName\":\"at\",\"AttributeType\":\"N\"},{\"AttributeName\":\"name\","
    "\"AttributeType\":"
    "\"S\"}]}";

static const char META_PK[] =
    "{\"TableName\":\"t\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}";

/* Build a key from `json`; the message (if any) is copied into msg. */
static int build(const char *json, bool is_exact, eng_buf_t *keys, char *msg, size_t cap)
{
    store_schema_t s;
    cJSON *obj = NULL;
    store_key_t key;
    eng_buf_t why = {0};
    int err = store_schema_parse(eng_slice_cstr(META), &s);
    if (err == 0)
        err = eng_json_parse(json, strlen(json), &obj);
    if (err == 0)
        err = store_schema_key(&s, obj, is_exact, &key, keys, &why);
    snprintf(msg, cap, "%s", err < 0 && why.ptr ? why.ptr : "");
    eng_buf_free(&why);
    eng_json_delete(obj);
    return err;
}

static void test_schema_parse(void)
{
    store_schema_t s;
    T_ASSERT_OK(store_schema_parse(eng_slice_cstr(META), &s));
    T_ASSERT_STREQ("name", s.pk);
    T_ASSERT_STREQ("at", s.sk);
    T_ASSERT(s.has_sk);
    T_ASSERT_EQ('S', s.pk_type);
    T_ASSERT_EQ('N', s.sk_type);
    T_ASSERT_EQ(ENG_ECORRUPT, store_schema_parse(eng_slice_cstr("{}"), &s));
    T_ASSERT_EQ(ENG_ECORRUPT, store_schema_parse(eng_slice_cstr("not json"), &s));
    T_ASSERT_OK(store_schema_parse(eng_slice_cstr(META_PK), &s));
    T_ASSERT(!s.has_sk);
}

static void test_key_from_item_and_key(void)
{
    eng_buf_t keys = {0};
    char msg[512];
    T_ASSERT_OK(build("{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"01.0\"},\"x\":{\"S\":\"y\"}}", false,
                      &keys, msg, sizeof(msg)));
    T_ASSERT_STREQ("{\"at\":{\"N\":\"1\"},\"name\":{\"S\":\"a\"}}", keys.ptr);
    eng_buf_reset(&keys);
    T_ASSERT_OK(
        build("{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"1\"}}", true, &keys, msg, sizeof(msg)));
    eng_buf_free(&keys);
}

static void test_key_messages(void)
{
    static const struct {
        const char *json;
        bool is_exact;
        const char *msg;
    } cases[] = {
        {"{\"at\":{\"N\":\"1\"}}", false,
         "One or more parameter values were invalid: Missing the key name in the item"},
        {"{\"name\":{\"N\":\"1\"},\"at\":{\"N\":\"1\"}}", false,
         "One or more parameter values were invalid: Type mismatch for key name expected: S "
         "actual: N"},
        {"{\"name\":{\"S\":\"\"},\"at\":{\"N\":\"1\"}}", false,
         "One or more parameter values are not valid. The AttributeValue for a key attribute "
         "cannot contain an empty string value. Key: name"},
        {"{\"name\":{\"S\":\"a\"}}", true, "The provided key element does not match the schema"},
        {"{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"1\"},\"x\":{\"S\":\"1\"}}", true,
         "The provided key element does not match the schema"},
        {"{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"x1\"}}", false,
         "The parameter cannot be converted to a numeric value"},
    };
    for (size_t i = 0; i < ENG_ARRAY_LEN(cases); i++) {
        char msg[512];
        T_ASSERT_EQ(ENG_EINVAL, build(cases[i].json, cases[i].is_exact, NULL, msg, sizeof(msg)));
        T_ASSERT_STREQ(cases[i].msg, msg);
    }
}

/* ---- updates through the writer --------------------------------------- */

typedef struct fixture {
    t_store_t ts;
    uint32_t tid;
    store_schema_t s;
    cJSON *vals; /* Borrowed by the last update's expressions; freed at the next run. */
} fixture_t;

static void fx_open(fixture_t *f)
{
    f->vals = NULL;
    T_ASSERT_OK(t_store_open(&f->ts));
    f->tid = t_table_create(f->ts.store, "t");
    T_ASSERT(f->tid != 0);
    T_ASSERT_OK(store_schema_parse(eng_slice_cstr(META_PK), &f->s));
}

/* Run one update (key {"pk":{"S":pk}}) and return the write's result. */
static int run_update(fixture_t *f, const char *pk, const char *upd, const char *cond,
                      const char *values, store_update_t **out)
{
    cJSON *key = NULL;
    char kj[64];
    snprintf(kj, sizeof(kj), "{\"pk\":{\"S\":\"%s\"}}", pk);
    eng_buf_t why = {0}, keys = {0};
    store_write_t w = {.table_id = f->tid};
    eng_json_delete(f->vals);
    f->vals = NULL;
    int err = eng_json_parse(kj, strlen(kj), &key);
    if (err == 0 && values)
        err = eng_json_parse(values, strlen(values), &f->vals);
    if (err == 0)
        err = store_update_parse(&f->s, upd, cond, NULL, f->vals, STORE_UPDATE_KEEP_OLD, out, &why);
    if (err == 0)
        err = store_schema_key(&f->s, key, true, &w.key, &keys, &why);
    if (err == 0) {
        w.keys_json = eng_slice(keys.ptr, keys.len);
        store_update_attach(*out, &w);
        err = t_write1(f->ts.store, &w);
    }
    eng_buf_free(&why);
    eng_buf_free(&keys);
    eng_buf_free(&w.old);
    eng_json_delete(key);
    return err;
}

static void item_text(fixture_t *f, const char *pk, char *buf, size_t cap)
{
    store_reader_t *r = NULL;
    t_item_t it;
    t_item(&it, pk, NULL);
    eng_slice_t text = {0};
    T_ASSERT_OK(store_reader_create(f->ts.store, &r));
    T_ASSERT_OK(store_read_begin(r));
    int err = store_item_get(r, f->tid, &it.key, &text);
    snprintf(buf, cap, "%.*s", err == 0 ? (int)text.len : 0, err == 0 ? text.ptr : "");
    store_read_end(r);
    store_reader_destroy(r);
}

static void test_update_creates_then_conditions(void)
{
    fixture_t f;
    fx_open(&f);
    store_update_t *u = NULL;
    char buf[512];
    T_ASSERT_OK(run_update(&f, "a", "SET n = :one, s = :s", NULL,
                           "{\":one\":{\"N\":\"1\"},\":s\":{\"S\":\"x\"}}", &u));
    T_ASSERT(store_update_old(u).ptr == NULL);
    item_text(&f, "a", buf, sizeof(buf));
    T_ASSERT_STREQ("{\"n\":{\"N\":\"1\"},\"pk\":{\"S\":\"a\"},\"s\":{\"S\":\"x\"}}", buf);
    store_update_destroy(u);

    T_ASSERT_OK(
        run_update(&f, "a", "SET n = n + :one", "n = :one", "{\":one\":{\"N\":\"1\"}}", &u));
    item_text(&f, "a", buf, sizeof(buf));
    T_ASSERT_STREQ("{\"n\":{\"N\":\"2\"},\"pk\":{\"S\":\"a\"},\"s\":{\"S\":\"x\"}}", buf);
    eng_buf_t ch = {0};
    store_update_changed(u, false, &ch);
    T_ASSERT_STREQ("{\"n\":{\"N\":\"1\"}}", ch.ptr);
    eng_buf_reset(&ch);
    store_update_changed(u, true, &ch);
    T_ASSERT_STREQ("{\"n\":{\"N\":\"2\"}}", ch.ptr);
    eng_buf_free(&ch);
    store_update_destroy(u);

    T_ASSERT_EQ(ENG_ECONDITION, run_update(&f, "a", "SET n = n + :one", "n = :one",
                                           "{\":one\":{\"N\":\"1\"}}", &u));
    T_ASSERT(store_update_old(u).len > 0); /* ReturnValuesOnConditionCheckFailure needs it. */
    store_update_destroy(u);
    eng_json_delete(f.vals);
    t_store_close(&f.ts);
}

static void test_update_errors(void)
{
    fixture_t f;
    fx_open(&f);
    store_update_t *u = NULL;
    T_ASSERT_EQ(ENG_EINVAL,
                run_update(&f, "b", "SET n = m + :one", NULL, "{\":one\":{\"N\":\"1\"}}", &u));
    T_ASSERT_STREQ("The provided expression refers to an attribute that does not exist in the item",
                   store_update_why(u));
    store_update_destroy(u);

    eng_buf_t why = {0};
    T_ASSERT_EQ(ENG_EINVAL, store_update_parse(&f.s, "REMOVE pk", NULL, NULL, NULL, 0, &u, &why));
    T_ASSERT_STREQ("One or more parameter values were invalid: Cannot update attribute pk. This "
                   "attribute is part of the key",
                   why.ptr);
    cJSON *vals = NULL;
    const char *vx = "{\":x\":{\"N\":\"1\"}}";
    T_ASSERT_OK(eng_json_parse(vx, strlen(vx), &vals));
    T_ASSERT_EQ(ENG_EINVAL, store_update_parse(&f.s, "REMOVE a", NULL, NULL, vals, 0, &u, &why));
    T_ASSERT_STREQ("Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
                   why.ptr);
    eng_json_delete(vals);
    eng_buf_free(&why);
    eng_json_delete(f.vals);
    t_store_close(&f.ts);
}

static void test_conditional_delete(void)
{
    fixture_t f;
    fx_open(&f);
    store_update_t *u = NULL;
    T_ASSERT_OK(run_update(&f, "c", "SET v = :v", NULL, "{\":v\":{\"S\":\"1\"}}", &u));
    store_update_destroy(u);
    eng_buf_t why = {0};
    T_ASSERT_OK(store_update_parse(&f.s, NULL, "attribute_not_exists(v)", NULL, NULL, 0, &u, &why));
    t_item_t it;
    t_item(&it, "c", NULL);
    store_write_t w = t_del(f.tid, &it);
    store_update_attach(u, &w);
    T_ASSERT_EQ(ENG_ECONDITION, t_write1(f.ts.store, &w));
    T_ASSERT_EQ(STORE_W_DELETE, w.kind);
    store_update_destroy(u);
    eng_buf_free(&why);
    eng_json_delete(f.vals);
    t_store_close(&f.ts);
}

int main(void)
{
    T_RUN(test_schema_parse);
    T_RUN(test_key_from_item_and_key);
    T_RUN(test_key_messages);
    T_RUN(test_update_creates_then_conditions);
    T_RUN(test_update_errors);
    T_RUN(test_conditional_delete);
    return t_done();
}
