/* SPDX-License-Identifier: MIT
 * num.c: DynamoDB numbers: parsing and normalizing their text (38
 * significant digits, exponents -130..+125, plain decimal output as DynamoDB
 * returns it) and the order-preserving byte encoding that makes N sort keys
 * and store_num_cmp compare numerically with memcmp. Arithmetic is not here. */
#include "storage/store_int.h"

#include "engine/err.h"

#include <stdbool.h>

#define NUM_DIGITS_MAX 38
#define NUM_EXP_MAX 125
#define NUM_EXP_MIN (-130)

static const char MSG_NAN[] = "The parameter cannot be converted to a numeric value";
static const char MSG_DIGITS[] = "Attempting to store more than 38 significant digits in a Number";
static const char MSG_OVER[] = "Number overflow. Attempting to store a number with magnitude "
                               "larger than supported range";
static const char MSG_UNDER[] = "Number underflow. Attempting to store a number with magnitude "
                                "smaller than supported range";

/* A parsed number: value = d[0].d[1]d[2]... x 10^exp, d[0] != 0 unless n == 0 (zero). */
typedef struct dec {
    bool is_neg;
    int n;                     /* Significant digits, trailing zeros dropped. */
    long exp;                  /* Exponent of d[0]; saturated far outside the legal range. */
    uint8_t d[NUM_DIGITS_MAX]; /* Digit values 0..9. */
} dec_t;

typedef struct scan {
    const char *p, *end;
} scan_t;

/* Mantissa: digits with at most one '.', at least one digit. Sets d/n and the
 * exponent of the first significant digit (before any E part). */
static int scan_mantissa(scan_t *s, dec_t *x, const char **why)
{
    long n_int = 0, first_nz = -1, idx = 0;
    bool has_point = false, has_digit = false;
    for (; s->p < s->end; s->p++) {
        char c = *s->p;
        if (c == '.' && !has_point) {
            has_point = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        has_digit = true;
        n_int += !has_point;
        if (c != '0' && first_nz < 0)
            first_nz = idx;
        if (first_nz >= 0) {
            long at = idx - first_nz;
            if (at >= NUM_DIGITS_MAX && c != '0') {
                *why = MSG_DIGITS;
                return ENG_EINVAL;
            }
            if (at < NUM_DIGITS_MAX)
                x->d[x->n++] = (uint8_t)(c - '0');
        }
        if (idx < 1000000)
            idx++;
    }
    if (!has_digit)
        return ENG_EINVAL;
    while (x->n > 0 && x->d[x->n - 1] == 0)
        x->n--;
    x->exp = first_nz < 0 ? 0 : n_int - first_nz - 1;
    return 0;
}

/* Optional exponent: [eE][+-]digits; saturates so "1e99999999999" fails as overflow. */
static int scan_exponent(scan_t *s, long *exp)
{
    *exp = 0;
    if (s->p == s->end || (*s->p != 'e' && *s->p != 'E'))
        return 0;
    s->p++;
    bool is_neg = false;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        is_neg = *s->p++ == '-';
    if (s->p == s->end)
        return ENG_EINVAL;
    for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++)
        if (*exp < 1000000)
            *exp = *exp * 10 + (*s->p - '0');
    *exp = is_neg ? -*exp : *exp;
    return 0;
}

static int dec_parse(eng_slice_t in, dec_t *x, const char **why)
{
    scan_t s = {.p = in.ptr, .end = in.ptr + in.len};
    *x = (dec_t){0};
    *why = MSG_NAN;
    if (s.p < s.end && (*s.p == '+' || *s.p == '-'))
        x->is_neg = *s.p++ == '-';
    long e = 0;
    int err = scan_mantissa(&s, x, why);
    if (err == 0)
        err = scan_exponent(&s, &e);
    if (err == 0 && s.p != s.end)
        err = ENG_EINVAL;
    if (err < 0)
        return err;
    if (x->n == 0) { /* Zero, whatever its sign or exponent ("-0", "0e1000"). */
        *x = (dec_t){0};
        return 0;
    }
    x->exp += e;
    if (x->exp > NUM_EXP_MAX) {
        *why = MSG_OVER;
        return ENG_EINVAL;
    }
    if (x->exp < NUM_EXP_MIN) {
        *why = MSG_UNDER;
        return ENG_EINVAL;
    }
    *why = NULL;
    return 0;
}

/* Plain decimal, as DynamoDB returns numbers: "1E+3" -> "1000", "1E-5" -> "0.00001". */
static void dec_print(const dec_t *x, eng_buf_t *out)
{
    if (x->n == 0) {
        eng_buf_append_char(out, '0');
        return;
    }
    if (x->is_neg)
        eng_buf_append_char(out, '-');
    if (x->exp < 0) {
        eng_buf_append(out, "0.", 2);
        for (long i = 0; i < -x->exp - 1; i++)
            eng_buf_append_char(out, '0');
        for (int i = 0; i < x->n; i++)
            eng_buf_append_char(out, (char)('0' + x->d[i]));
        return;
    }
    long n_print = x->n > x->exp + 1 ? x->n : x->exp + 1;
    for (long i = 0; i < n_print; i++) {
        if (i == x->exp + 1)
            eng_buf_append_char(out, '.');
        eng_buf_append_char(out, i < x->n ? (char)('0' + x->d[i]) : '0');
    }
}

int store_num_normalize(eng_slice_t in, eng_buf_t *out, const char **why)
{
    const char *msg = NULL;
    dec_t x;
    int err = dec_parse(in, &x, &msg);
    if (err < 0) {
        if (why)
            *why = msg;
        return err;
    }
    dec_print(&x, out);
    return 0;
}

/* Layout: zero is 0x80. Positive: 0xC0, exp + 130 (one byte), digit + 1 each;
 * no terminator is needed since a shorter digit string is a smaller number.
 * Negative: 0x40, 255 - (exp + 130), 10 - digit each, then 0xFF so that a
 * shorter (smaller-magnitude, hence larger) number sorts after its extensions. */
static size_t dec_key(const dec_t *x, uint8_t *out)
{
    if (x->n == 0) {
        out[0] = 0x80;
        return 1;
    }
    size_t len = 0;
    uint8_t e = (uint8_t)(x->exp - NUM_EXP_MIN);
    out[len++] = x->is_neg ? 0x40 : 0xC0;
    out[len++] = x->is_neg ? (uint8_t)(255 - e) : e;
    for (int i = 0; i < x->n; i++)
        out[len++] = x->is_neg ? (uint8_t)(10 - x->d[i]) : (uint8_t)(x->d[i] + 1);
    if (x->is_neg)
        out[len++] = 0xFF;
    return len;
}

size_t store__num_key(eng_slice_t num, uint8_t *out)
{
    const char *why;
    dec_t x;
    if (dec_parse(num, &x, &why) < 0)
        x = (dec_t){0}; /* Callers pass normalized text; keep invalid input deterministic. */
    return dec_key(&x, out);
}

int store_num_cmp(eng_slice_t a, eng_slice_t b)
{
    uint8_t ka[STORE__NUM_KEY_MAX], kb[STORE__NUM_KEY_MAX];
    size_t la = store__num_key(a, ka), lb = store__num_key(b, kb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : la > lb;
}
