/* SPDX-License-Identifier: MIT
 * test_route.c: route table matching in isolation (gw_int.h): longest prefix
 * wins whatever the registration order, duplicates are refused, and keys
 * shorter than a prefix never match it. No sockets, no loops. */
#include "gateway/gw_int.h"

#include "engine/err.h"
#include "tests/lib/test.h"

T_MAIN_GLOBALS

static void handler_a(gw_req_t *req, void *arg)
{
    (void)req;
    (void)arg;
}

static void test_longest_prefix_wins(void)
{
    gw_routes_t rt = {0};
    int a = 1, b = 2, c = 3;
    T_ASSERT_OK(gw__routes_add(&rt, "/api/v2/", handler_a, &b));
    T_ASSERT_OK(gw__routes_add(&rt, "/api/", handler_a, &a));
    T_ASSERT_OK(gw__routes_add(&rt, "/api/v2/items", handler_a, &c));
    const gw_route_t *r = gw__routes_match(&rt, ENG_SLICE_LIT("/api/v2/items/7"));
    T_ASSERT(r && r->arg == &c);
    r = gw__routes_match(&rt, ENG_SLICE_LIT("/api/v2/other"));
    T_ASSERT(r && r->arg == &b);
    r = gw__routes_match(&rt, ENG_SLICE_LIT("/api/x"));
    T_ASSERT(r && r->arg == &a);
    T_ASSERT(gw__routes_match(&rt, ENG_SLICE_LIT("/ap")) == NULL);
    T_ASSERT(gw__routes_match(&rt, ENG_SLICE_LIT("/other")) == NULL);
    gw__routes_free(&rt);
}

static void test_duplicate_refused(void)
{
    gw_routes_t rt = {0};
    T_ASSERT_OK(gw__routes_add(&rt, "DynamoDB_20120810.", handler_a, NULL));
    T_ASSERT_EQ(ENG_EEXIST, gw__routes_add(&rt, "DynamoDB_20120810.", handler_a, NULL));
    T_ASSERT_OK(gw__routes_add(&rt, "DynamoDBStreams_20120810.", handler_a, NULL));
    T_ASSERT_EQ(2, rt.n);
    gw__routes_free(&rt);
}

static void test_target_prefixes(void)
{
    gw_routes_t rt = {0};
    int ddb = 1, streams = 2;
    T_ASSERT_OK(gw__routes_add(&rt, "DynamoDB_20120810.", handler_a, &ddb));
    T_ASSERT_OK(gw__routes_add(&rt, "DynamoDBStreams_20120810.", handler_a, &streams));
    const gw_route_t *r = gw__routes_match(&rt, ENG_SLICE_LIT("DynamoDB_20120810.PutItem"));
    T_ASSERT(r && r->arg == &ddb);
    r = gw__routes_match(&rt, ENG_SLICE_LIT("DynamoDBStreams_20120810.GetRecords"));
    T_ASSERT(r && r->arg == &streams);
    T_ASSERT(gw__routes_match(&rt, ENG_SLICE_LIT("Lambda.Invoke")) == NULL);
    T_ASSERT(gw__routes_match(&rt, ENG_SLICE_LIT("")) == NULL);
    gw__routes_free(&rt);
}

static void test_empty_prefix_is_catch_all(void)
{
    gw_routes_t rt = {0};
    int all = 1, health = 2;
    T_ASSERT_OK(gw__routes_add(&rt, "", handler_a, &all));
    T_ASSERT_OK(gw__routes_add(&rt, "/_eddy/health", handler_a, &health));
    const gw_route_t *r = gw__routes_match(&rt, ENG_SLICE_LIT("/anything"));
    T_ASSERT(r && r->arg == &all);
    r = gw__routes_match(&rt, ENG_SLICE_LIT("/_eddy/health"));
    T_ASSERT(r && r->arg == &health);
    gw__routes_free(&rt);
}

typedef struct op {
    const char *name;
    int id;
} op_t;

static void test_op_find_exact_names_only(void)
{
    static const op_t ops[] = {{"GetItem", 1}, {"GetRecords", 2}, {"PutItem", 3}};
    const op_t *o = gw__op_find(ops, 3, sizeof ops[0], ENG_SLICE_LIT("GetRecords"), 0);
    T_ASSERT(o && o->id == 2);
    o = gw__op_find(ops, 3, sizeof ops[0], ENG_SLICE_LIT("PutItem"), 0);
    T_ASSERT(o && o->id == 3);
    T_ASSERT(!gw__op_find(ops, 3, sizeof ops[0], ENG_SLICE_LIT("Get"), 0));      /* A prefix. */
    T_ASSERT(!gw__op_find(ops, 3, sizeof ops[0], ENG_SLICE_LIT("GetItems"), 0)); /* Longer. */
    T_ASSERT(!gw__op_find(ops, 3, sizeof ops[0], eng_slice("", 0), 0));
    o = gw__op_find(ops, 3, sizeof ops[0], ENG_SLICE_LIT("X.PutItem"), 2); /* Prefix "X.". */
    T_ASSERT(o && o->id == 3);
    T_ASSERT(!gw__op_find(ops, 3, sizeof ops[0], ENG_SLICE_LIT("X."), 2));
}

int main(void)
{
    T_RUN(test_longest_prefix_wins);
    T_RUN(test_duplicate_refused);
    T_RUN(test_target_prefixes);
    T_RUN(test_empty_prefix_is_catch_all);
    T_RUN(test_op_find_exact_names_only);
    return t_done();
}
