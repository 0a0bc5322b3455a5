/* SPDX-License-Identifier: MIT
 * test_proto.c: the engine/host wire protocol: a raw result survives an
 * encode/decode round trip, truncated or padded frames are refused, and a
 * host that writes garbage (junk bytes, an absurd length, the wrong frame,
 * silence then exit) yields a function error instead of a hang or a crash. */
#include "engine/fn/fn_int.h"
#include "tests/lib/test.h"
#include "tests/unit/fn/t_fn.h"

T_MAIN_GLOBALS

static void test_raw_round_trip(void)
{
    fn_raw_t raw = {.rc = 7, .has_response = true, .max_rss_kb = 1234};
    eng_buf_append_str(&raw.response, "{\"x\":\"\\u0000\"}");
    eng_buf_append(&raw.log, "a\0b\n", 4);
    raw.error_type = eng_strdup("T");
    raw.writes = eng_calloc(1, sizeof *raw.writes);
    raw.writes[0] = (eng_fn_write_t){.kind = ENG_FN_WRITE_UPDATE,
                                     .table = eng_strdup("t"),
                                     .key_json = eng_strdup("{}"),
                                     .update_expression = eng_strdup("SET a = :a")};
    raw.n_writes = 1;
    eng_buf_t frame = {0};
    fn__raw_encode(&raw, &frame);
    const size_t hdr = 2 * sizeof(uint32_t);
    fn_raw_t back = {0};
    T_ASSERT_OK(fn__raw_decode(frame.ptr + hdr, frame.len - hdr, &back));
    T_ASSERT_EQ(7, back.rc);
    T_ASSERT(back.has_response);
    T_ASSERT_EQ(1234, back.max_rss_kb);
    T_ASSERT_STREQ(raw.response.ptr, back.response.ptr);
    T_ASSERT_EQ(4, back.log.len);
    T_ASSERT(memcmp(back.log.ptr, "a\0b\n", 4) == 0);
    T_ASSERT_STREQ("T", back.error_type);
    T_ASSERT(back.error_message == NULL);
    T_ASSERT_EQ(1, back.n_writes);
    T_ASSERT_EQ(ENG_FN_WRITE_UPDATE, back.writes[0].kind);
    T_ASSERT_STREQ("SET a = :a", back.writes[0].update_expression);
    T_ASSERT(back.writes[0].item_json == NULL);
    fn__raw_free(&back);

    fn_raw_t cut = {0};
    T_ASSERT_EQ(ENG_EINVAL, fn__raw_decode(frame.ptr + hdr, frame.len - hdr - 3, &cut));
    fn__raw_free(&cut);
    eng_buf_append_char(&frame, 'x');
    fn_raw_t padded = {0};
    T_ASSERT_EQ(ENG_EINVAL, fn__raw_decode(frame.ptr + hdr, frame.len - hdr, &padded));
    fn__raw_free(&padded);
    eng_buf_free(&frame);
    fn__raw_free(&raw);
}

static void test_garbage_hosts(void)
{
    eng_fn_registry_config_t cfg;
    eng_fn_registry_config_default(&cfg);
    cfg.host_path = getenv("EDDY_TEST_GARBAGE_HOST");
    T_ASSERT(cfg.host_path);
    eng_fn_registry_t *reg = NULL;
    T_ASSERT_OK(eng_fn_registry_create(&cfg, &reg));
    static const struct {
        const char *mode, *want;
    } cases[] = {
        {"junk", "Runtime.InvalidResponse"},
        {"huge", "Runtime.InvalidResponse"},
        {"wrongtype", "Runtime.InvalidResponse"},
        {"silent-exit", "Runtime.ExitError"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eng_fn_t *fn = t_fn_make(reg, cases[i].mode, "noop", cases[i].mode, ",\"Timeout\":5");
        eng_fn_result_t res = {0};
        T_ASSERT_OK(t_fn_invoke_str(fn, "{}", &res));
        T_ASSERT(res.is_error);
        T_ASSERT_STREQ(cases[i].want, res.error_type);
        eng_fn_result_free(&res);
        eng_fn_unref(fn);
    }
    eng_fn_registry_destroy(reg);
}

int main(void)
{
    T_RUN(test_raw_round_trip);
    T_RUN(test_garbage_hosts);
    return t_done();
}
