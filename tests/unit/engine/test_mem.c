/* SPDX-License-Identifier: MIT
 * test_mem.c: the growable buffer and slices. */
#include "engine/mem.h"
#include "tests/lib/test.h"

T_MAIN_GLOBALS

static void test_buf_appends_and_stays_terminated(void)
{
    eng_buf_t b = {0};
    eng_buf_append_str(&b, "abc");
    T_ASSERT_EQ(3, b.len);
    T_ASSERT_STREQ("abc", b.ptr);
    for (int i = 0; i < 1000; i++)
        eng_buf_append_char(&b, 'x');
    T_ASSERT_EQ(1003, b.len);
    T_ASSERT_EQ('\0', b.ptr[b.len]);
    eng_buf_free(&b);
}

static void test_buf_printf_grows_past_reserve(void)
{
    eng_buf_t b = {0};
    char big[300];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    eng_buf_printf(&b, "<%s>%d", big, 42);
    T_ASSERT_EQ(sizeof big - 1 + 4, b.len);
    T_ASSERT(memcmp(b.ptr + b.len - 3, ">42", 3) == 0);
    eng_buf_free(&b);
}

static void test_buf_reset_keeps_capacity(void)
{
    eng_buf_t b = {0};
    eng_buf_append_str(&b, "hello world");
    size_t cap = b.cap;
    eng_buf_reset(&b);
    T_ASSERT_EQ(0, b.len);
    T_ASSERT_EQ(cap, b.cap);
    T_ASSERT_STREQ("", b.ptr);
    eng_buf_free(&b);
}

static void test_slice_eq(void)
{
    T_ASSERT(eng_slice_eq(ENG_SLICE_LIT("ab"), eng_slice("abc", 2)));
    T_ASSERT(!eng_slice_eq(ENG_SLICE_LIT("ab"), eng_slice_cstr("abc")));
}

int main(void)
{
    T_RUN(test_buf_appends_and_stays_terminated);
    T_RUN(test_buf_printf_grows_past_reserve);
    T_RUN(test_buf_reset_keeps_capacity);
    T_RUN(test_slice_eq);
    return t_done();
}
