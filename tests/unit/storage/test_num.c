/* SPDX-License-Identifier: MIT
 * test_num.c: DynamoDB number normalization (a table of inputs with their
 * canonical text or DynamoDB's error message, covering every limit) and
 * numeric comparison through the order-preserving encoding. */
#include "storage/store.h"

#include "engine/err.h"
#include "tests/lib/test.h"

T_MAIN_GLOBALS

static const char M_NAN[] = "The parameter cannot be converted to a numeric value";
static const char M_DIG[] = "Attempting to store more than 38 significant digits in a Number";
static const char M_OVER[] = "Number overflow. Attempting to store a number with magnitude larger "
                             "than supported range";
static const char M_UNDER[] = "Number underflow. Attempting to store a number with magnitude "
                              "smaller than supported range";

#define ZEROS10 "0000000000"
#define ZEROS100 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10

static const struct {
    const char *in;
    const char *want; /* Canonical text, or NULL when invalid. */
    const char *why;  /* Expected message when invalid. */
} cases[] = {
    {.in = "0", .want = "0"},
    {.in = "-0", .want = "0"},
    {.in = "+0.000", .want = "0"},
    {.in = "0e1000", .want = "0"},
    {.in = "01.50", .want = "1.5"},
    {.in = "3", .want = "3"},
    {.in = "+3", .want = "3"},
    {.in = ".123", .want = "0.123"},
    {.in = "0001.23", .want = "1.23"},
    {.in = "1.", .want = "1"},
    {.in = "-7.1234", .want = "-7.1234"},
    {.in = "-17e5", .want = "-1700000"},
    {.in = "1e+5", .want = "100000"},
    {.in = "1E+3", .want = "1000"},
    {.in = "1E-5", .want = "0.00001"},
    {.in = "1.5E2", .want = "150"},
    {.in = "123.456e-2", .want = "1.23456"},
    {.in = "-17.4E37", .want = "-174" ZEROS10 ZEROS10 ZEROS10 "000000"},
    {.in = "1234567895171680000000000000000000000000",
     .want = "1234567895171680000000000000000000000000"},
    {.in = "3.1415926535897932384626433832795028841",
     .want = "3.1415926535897932384626433832795028841"},
    {.in = "31415926535897932384626433832795028841e30",
     .want = "31415926535897932384626433832795028841" ZEROS10 ZEROS10 ZEROS10},
    {.in = "1e125", .want = "1" ZEROS100 ZEROS10 ZEROS10 "00000"},
    {.in = "9.9999999999999999999999999999999999999E+125",
     .want = "99999999999999999999999999999999999999" ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10
         ZEROS10 ZEROS10 ZEROS10 "00000000"},
    {.in = "-1e-130", .want = "-0." ZEROS100 ZEROS10 ZEROS10 "0000000001"},
    {.in = "1e-130", .want = "0." ZEROS100 ZEROS10 ZEROS10 "0000000001"},
    {.in = "1e126", .why = M_OVER},
    {.in = "-11e125", .why = M_OVER},
    {.in = "1e99999999999999999999", .why = M_OVER},
    {.in = "1e-131", .why = M_UNDER},
    {.in = "0.9e-130", .why = M_UNDER},
    {.in = "-1e-131", .why = M_UNDER},
    {.in = "3.14159265358979323846264338327950288419", .why = M_DIG},
    {.in = "314159265358979323846264338327950288419e30", .why = M_DIG},
    {.in = "", .why = M_NAN},
    {.in = "NaN", .why = M_NAN},
    {.in = "Infinity", .why = M_NAN},
    {.in = "-Infinity", .why = M_NAN},
    {.in = "dog", .why = M_NAN},
    {.in = " 1", .why = M_NAN},
    {.in = "1 ", .why = M_NAN},
    {.in = "1e", .why = M_NAN},
    {.in = "e5", .why = M_NAN},
    {.in = ".", .why = M_NAN},
    {.in = "-", .why = M_NAN},
    {.in = "1.2.3", .why = M_NAN},
    {.in = "0x10", .why = M_NAN},
    {.in = "+-1", .why = M_NAN},
};

static void test_normalize_table(void)
{
    eng_buf_t out = {0};
    for (size_t i = 0; i < ENG_ARRAY_LEN(cases); i++) {
        const char *why = NULL;
        eng_buf_reset(&out);
        int err = store_num_normalize(eng_slice_cstr(cases[i].in), &out, &why);
        if (cases[i].want) {
            if (err != 0)
                printf("# input %s\n", cases[i].in);
            T_ASSERT_OK(err);
            T_ASSERT_STREQ(cases[i].want, out.ptr);
        } else {
            if (err != ENG_EINVAL)
                printf("# input %s gave %s\n", cases[i].in, out.ptr);
            T_ASSERT_EQ(ENG_EINVAL, err);
            T_ASSERT_STREQ(cases[i].why, why);
        }
    }
    eng_buf_free(&out);
}

static void test_normalize_null_why(void)
{
    eng_buf_t out = {0};
    T_ASSERT_EQ(ENG_EINVAL, store_num_normalize(ENG_SLICE_LIT("x"), &out, NULL));
    T_ASSERT_EQ(0, out.len);
    eng_buf_free(&out);
}

static int cmp_sign(int c)
{
    return (c > 0) - (c < 0);
}

static void test_cmp_ordered_list(void)
{
    /* Strictly increasing. */
    static const char *const nums[] = {
        "-9.9999999999999999999999999999999999999E+125",
        "-1e100",
        "-1000",
        "-999.99",
        "-100",
        "-10",
        "-9",
        "-1.55",
        "-1.5",
        "-1",
        "-0.5",
        "-1e-130",
        "0",
        "1e-130",
        "0.000123",
        "0.5",
        "1",
        "1.0000000000000000000000000000000000001",
        "1.5",
        "1.55",
        "2",
        "9",
        "10",
        "10.5",
        "100",
        "1e100",
        "9.9999999999999999999999999999999999999E+125",
    };
    eng_buf_t a = {0}, b = {0};
    for (size_t i = 0; i < ENG_ARRAY_LEN(nums); i++) {
        for (size_t j = 0; j < ENG_ARRAY_LEN(nums); j++) {
            eng_buf_reset(&a);
            eng_buf_reset(&b);
            T_ASSERT_OK(store_num_normalize(eng_slice_cstr(nums[i]), &a, NULL));
            T_ASSERT_OK(store_num_normalize(eng_slice_cstr(nums[j]), &b, NULL));
            int want = (i > j) - (i < j);
            int got = cmp_sign(store_num_cmp(eng_slice(a.ptr, a.len), eng_slice(b.ptr, b.len)));
            if (want != got)
                printf("# %s vs %s\n", nums[i], nums[j]);
            T_ASSERT_EQ(want, got);
        }
    }
    eng_buf_free(&a);
    eng_buf_free(&b);
}

static void test_cmp_equal_spellings(void)
{
    eng_buf_t a = {0}, b = {0};
    T_ASSERT_OK(store_num_normalize(ENG_SLICE_LIT("1.50"), &a, NULL));
    T_ASSERT_OK(store_num_normalize(ENG_SLICE_LIT("15e-1"), &b, NULL));
    T_ASSERT_EQ(0, store_num_cmp(eng_slice(a.ptr, a.len), eng_slice(b.ptr, b.len)));
    eng_buf_free(&a);
    eng_buf_free(&b);
}

int main(void)
{
    T_RUN(test_normalize_table);
    T_RUN(test_normalize_null_why);
    T_RUN(test_cmp_ordered_list);
    T_RUN(test_cmp_equal_spellings);
    return t_done();
}
