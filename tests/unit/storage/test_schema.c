/* SPDX-License-Identifier: MIT
 * test_schema.c: key schemas parsed from table meta, keys built from items
 * and Key objects with DynamoDB's messages, and conditional/update writes
 * (store_update_*) run through the real writer: conditions, creation of an
 * absent item, runtime errors, key attributes refused, UPDATED_* views. */
#include "storage/store.h"
#include "tests/lib/test.h"
#include "tests/unit/storage/test_util.h"

#include "engine/json.h"

#include <stdio.h>
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
        err = store_schema_key(&s, obj, is_exact, &key, keys, &why, NULL);
    snprintf(msg, cap, "%s", err < 0 && why.ptr ? why.ptr : "");
    eng_buf_free(&why);
    eng_json_delete(obj);
    return err;
}

/* Which rule a key broke: the fault each refusal reports. */
static void test_key_faults(void)
{
    static const struct {
        const char *json;
        bool is_exact;
        store_key_fault_t want;
    } cases[] = {
        {"[1]", false, STORE_KEY_NO_MATCH},
        {"{\"name\":{\"S\":\"a\"}}", false, STORE_KEY_NO_MATCH},
        {"{\"name\":{\"S\":\"a\"},\"at\":{\"S\":\"1\"}}", false, STORE_KEY_TYPE},
        {"{\"name\":{\"S\":\"a\"},\"at\":{\"S\":\"1\"}}", true, STORE_KEY_TYPE},
        {"{\"name\":{\"S\":\"\"},\"at\":{\"N\":\"1\"}}", false, STORE_KEY_EMPTY},
        {"{\"name\":{\"S\":\"a\"},\"at\":{\"N\":\"x\"}}", false, STORE_KEY_VALUE},
    };
    store_schema_t s;
    T_ASSERT_OK(store_schema_parse(eng_slice_cstr(META), &s));
    for (size_t i = 0; i < ENG_ARRAY_LEN(cases); i++) {
        cJSON *obj = NULL;
        T_ASSERT_OK(eng_json_parse(cases[i].json, strlen(cases[i].json), &obj));
        store_key_t key;
        eng_buf_t why = {0};
        store_key_fault_t fault = (store_key_fault_t)-1;
        T_ASSERT_EQ(ENG_EINVAL,
                    store_schema_key(&s, obj, cases[i].is_exact, &key, NULL, &why, &fault));
        T_ASSERT_EQ((int)cases[i].want, (int)fault);
        eng_buf_free(&why);
        eng_json_delete(obj);
    }
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

/* A GSI with a multi-attribute key: two HASH (S, N) and three RANGE (S, N, B). */
static const char MULTI_KS[] =
    "[{\"AttributeName\":\"h1\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"h2\","
    "\"KeyType\":\"HASH\"},{\"AttributeName\":\"r1\",\"KeyType\":\"RANGE\"},"
    "{\"AttributeName\":\"r2\",\"KeyType\":\"RANGE\"},{\"AttributeName\":\"r3\","
    "\"KeyType\":\"RANGE\"}]";
static const char MULTI_DEFS[] =
    "[{\"AttributeName\":\"h1\",\"AttributeType\":\"S\"},{\"AttributeName\":\"h2\","
    "\"AttributeType\":\"N\"},{\"AttributeName\":\"r1\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"r2\",\"AttributeType\":\"N\"},{\"AttributeName\":\"r3\","
    "\"AttributeType\":\"B\"}]";

static void multi_schema(store_schema_t *s)
{
    cJSON *ks = NULL, *defs = NULL;
    T_ASSERT_OK(eng_json_parse(MULTI_KS, strlen(MULTI_KS), &ks));
    T_ASSERT_OK(eng_json_parse(MULTI_DEFS, strlen(MULTI_DEFS), &defs));
    T_ASSERT_OK(store_schema_from_json(ks, defs, s));
    eng_json_delete(ks);
    eng_json_delete(defs);
}

/* The key of `json` under `s`; a failure prints DynamoDB's message and
 * leaves an empty key, which the callers' comparisons then fail on. */
static store_key_t multi_key(const store_schema_t *s, const char *json)
{
    cJSON *obj = NULL;
    store_key_t key = {0};
    eng_buf_t why = {0};
    int err = eng_json_parse(json, strlen(json), &obj);
    if (err == 0)
        err = store_schema_key(s, obj, false, &key, NULL, &why, NULL);
    if (err < 0) {
        printf("# %s: %s\n", json, why.ptr ? why.ptr : "");
        key = (store_key_t){0};
    }
    eng_buf_free(&why);
    eng_json_delete(obj);
    return key;
}

static int key_cmp(const store_key_t *a, const store_key_t *b)
{
    int c = memcmp(a->buf, b->buf, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

#define MITEM(h2, r1, r2, r3)                                                                      \
    "{\"h1\":{\"S\":\"x\"},\"h2\":{\"N\":\"" h2 "\"},\"r1\":{\"S\":\"" r1                          \
    "\"},\"r2\":{\"N\":\"" r2 "\"},\"r3\":{\"B\":\"" r3 "\"},\"other\":{\"S\":\"y\"}}"

static void test_multi_attribute_schema(void)
{
    store_schema_t s;
    multi_schema(&s);
    T_ASSERT_EQ(2, store_schema_n_hash(&s));
    T_ASSERT_EQ(3, store_schema_n_range(&s));
    store_ktype_t t;
    T_ASSERT_STREQ("h2", store_schema_attr(&s, false, 1, &t));
    T_ASSERT_EQ('N', t);
    T_ASSERT_STREQ("r3", store_schema_attr(&s, true, 2, &t));
    T_ASSERT_EQ('B', t);
    T_ASSERT(store_schema_has_attr(&s, "r2"));
    T_ASSERT(!store_schema_has_attr(&s, "other"));
    /* A fifth RANGE attribute is more than a key can hold. */
    cJSON *ks = NULL, *defs = NULL;
    const char *five = "[{\"AttributeName\":\"h1\",\"KeyType\":\"HASH\"},"
                       "{\"AttributeName\":\"h1\",\"KeyType\":\"HASH\"},"
                       "{\"AttributeName\":\"h1\",\"KeyType\":\"HASH\"},"
                       "{\"AttributeName\":\"h1\",\"KeyType\":\"HASH\"},"
                       "{\"AttributeName\":\"h1\",\"KeyType\":\"HASH\"}]";
    T_ASSERT_OK(eng_json_parse(five, strlen(five), &ks));
    T_ASSERT_OK(eng_json_parse(MULTI_DEFS, strlen(MULTI_DEFS), &defs));
    store_schema_t bad;
    T_ASSERT_EQ(ENG_ECORRUPT, store_schema_from_json(ks, defs, &bad));
    eng_json_delete(ks);
    eng_json_delete(defs);
}

/* RANGE tuples sort attribute by attribute (a shorter first value sorts
 * first whatever follows; numbers numerically), HASH tuples only need to
 * be equal for equal values, and the HASH part alone is a prefix. */
static void test_multi_attribute_key_order(void)
{
    store_schema_t s;
    multi_schema(&s);
    const char *sorted[] = {
        MITEM("1", "a", "-5", "AA=="), MITEM("1", "a", "2", "AA=="),  MITEM("1", "a", "10", "AA=="),
        MITEM("1", "a", "10", "AQ=="), MITEM("1", "ab", "1", "AA=="), MITEM("1", "b", "-1", "AA=="),
    };
    for (size_t i = 0; i + 1 < sizeof(sorted) / sizeof(sorted[0]); i++) {
        store_key_t a = multi_key(&s, sorted[i]), b = multi_key(&s, sorted[i + 1]);
        T_ASSERT(key_cmp(&a, &b) < 0);
    }
    store_schema_t hs = s;
    hs.has_sk = false;
    store_key_t p1 = multi_key(&hs, sorted[0]), k1 = multi_key(&s, sorted[5]);
    store_key_t p2 = multi_key(&hs, MITEM("2", "a", "1", "AA=="));
    T_ASSERT(k1.len > p1.len);
    T_ASSERT(memcmp(p1.buf, k1.buf, p1.len) == 0);
    T_ASSERT(key_cmp(&p1, &p2) != 0);
    /* "1.0" normalizes: equal numbers, equal keys. */
    store_key_t n1 = multi_key(&s, MITEM("1.0", "a", "2.00", "AA==")),
                n2 = multi_key(&s, MITEM("1", "a", "2", "AA=="));
    T_ASSERT_EQ(n1.len, n2.len);
    T_ASSERT(memcmp(n1.buf, n2.buf, n1.len) == 0);
    /* A single-attribute schema keeps its encoding: [hash][len]["name"][num]. */
    char msg[256];
    eng_buf_t keys = {0};
    T_ASSERT_OK(
        build("{\"name\":{\"S\":\"ab\"},\"at\":{\"N\":\"1\"}}", false, &keys, msg, sizeof(msg)));
    eng_buf_free(&keys);
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
        err = store_schema_key(&f->s, key, true, &w.key, &keys, &why, NULL);
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
    T_RUN(test_multi_attribute_schema);
    T_RUN(test_multi_attribute_key_order);
    T_RUN(test_key_messages);
    T_RUN(test_key_faults);
    T_RUN(test_update_creates_then_conditions);
    T_RUN(test_update_errors);
    T_RUN(test_conditional_delete);
    return t_done();
}
