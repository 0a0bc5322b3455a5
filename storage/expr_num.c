/* SPDX-License-Identifier: MIT
 * expr_num.c: exact decimal addition, subtraction and comparison of
 * DynamoDB numbers for UpdateExpression arithmetic and ADD. Numbers are
 * held as a digit string and a power-of-ten exponent, so results are exact
 * or rejected (more than 38 significant digits, out of range) as DynamoDB
 * does; nothing goes through binary floating point. */
#include "engine/err.h"
#include "storage/expr_int.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define DEC_MAX_DIGITS 80 /* Significant digits accepted when parsing. */
#define DEC_MAX_EXP 400   /* |exponent| accepted when parsing. */
#define DEC_WORK 2000     /* Aligned-digit work area: exponents span < 4 * DEC_MAX_EXP + digits. */

typedef struct dec {
    bool is_neg;
    int exp;                /* value = digits * 10^exp */
    size_t n;               /* Significant digits; 0 means zero. */
    char d[DEC_MAX_DIGITS]; /* Most significant first, no leading or trailing zeros. */
} dec_t;

/* Drop leading and trailing zeros of d[0..n) in place, moving them into exp. */
static void dec_trim(dec_t *x)
{
    size_t lead = 0;
    while (lead < x->n && x->d[lead] == '0')
        lead++;
    memmove(x->d, x->d + lead, x->n - lead);
    x->n -= lead;
    while (x->n > 0 && x->d[x->n - 1] == '0') {
        x->n--;
        x->exp++;
    }
    if (x->n == 0) {
        x->exp = 0;
        x->is_neg = false;
    }
}

static int parse_exp(const char *s, int *exp)
{
    bool is_neg = *s == '-';
    if (*s == '+' || *s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return ENG_EINVAL;
    long v = 0;
    for (; isdigit((unsigned char)*s); s++)
        if ((v = v * 10 + (*s - '0')) > DEC_MAX_EXP)
            return ENG_EINVAL;
    if (*s != '\0')
        return ENG_EINVAL;
    *exp = (int)(is_neg ? -v : v);
    return 0;
}

static int dec_parse(const char *s, dec_t *x)
{
    *x = (dec_t){.is_neg = *s == '-'};
    if (*s == '+' || *s == '-')
        s++;
    bool seen_dot = false, seen_digit = false;
    int frac = 0;
    size_t zeros = 0; /* Zeros after the last nonzero digit, not yet stored. */
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.' && !seen_dot) {
            seen_dot = true;
            continue;
        }
        if (!isdigit((unsigned char)*s))
            return ENG_EINVAL;
        seen_digit = true;
        frac += seen_dot;
        /* Stored numbers are written out in full ("1E125" is 126 digits), so
         * zeros are held back until a nonzero digit proves them significant. */
        if (*s == '0') {
            zeros += x->n > 0;
            continue;
        }
        if (x->n + zeros >= DEC_MAX_DIGITS)
            return ENG_EINVAL;
        for (; zeros > 0; zeros--)
            x->d[x->n++] = '0';
        x->d[x->n++] = *s;
    }
    int e = 0;
    if (!seen_digit || ((*s == 'e' || *s == 'E') && parse_exp(s + 1, &e) < 0))
        return ENG_EINVAL;
    x->exp = e - frac + (int)zeros;
    dec_trim(x);
    return x->exp > 2 * DEC_MAX_EXP || x->exp < -2 * DEC_MAX_EXP ? ENG_EINVAL : 0;
}

/* Compare magnitudes. */
static int dec_cmp_abs(const dec_t *a, const dec_t *b)
{
    if (a->n == 0 || b->n == 0)
        return (a->n != 0) - (b->n != 0);
    const long ea = (long)a->exp + (long)a->n, eb = (long)b->exp + (long)b->n;
    if (ea != eb)
        return ea < eb ? -1 : 1;
    for (size_t i = 0; i < a->n || i < b->n; i++) {
        const char ca = i < a->n ? a->d[i] : '0', cb = i < b->n ? b->d[i] : '0';
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return 0;
}

static int dec_cmp(const dec_t *a, const dec_t *b)
{
    if (a->is_neg != b->is_neg)
        return a->is_neg ? -1 : 1;
    const int m = dec_cmp_abs(a, b);
    return a->is_neg ? -m : m;
}

int expr__num_cmp(const char *a, const char *b)
{
    dec_t x, y;
    const bool ok_a = dec_parse(a, &x) == 0, ok_b = dec_parse(b, &y) == 0;
    if (ok_a && ok_b)
        return dec_cmp(&x, &y);
    if (ok_a != ok_b)
        return ok_a ? -1 : 1;
    return strcmp(a, b);
}

/* Write x's digits into w (least significant first) aligned to exponent emin. */
static void spread(const dec_t *x, int emin, unsigned char *w)
{
    const size_t shift = (size_t)(x->exp - emin);
    for (size_t i = 0; i < x->n; i++)
        w[shift + i] = (unsigned char)(x->d[x->n - 1 - i] - '0');
}

static int dec_check_range(const dec_t *x, const char **why)
{
    const long adj = (long)x->exp + (long)x->n - 1; /* Exponent in scientific notation. */
    if (x->n > 0 && adj > 125) {
        *why = "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range";
        return ENG_EINVAL;
    }
    if (x->n > 0 && adj < -130) {
        *why = "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range";
        return ENG_EINVAL;
    }
    return 0;
}

/* r = |big| +/- |small| in the work area, then back into a dec_t. */
static int dec_combine(const dec_t *big, const dec_t *small, bool is_sub, dec_t *r,
                       const char **why)
{
    unsigned char a[DEC_WORK], b[DEC_WORK];
    const int emin = big->exp < small->exp ? big->exp : small->exp;
    /* Only the aligned digits in use (plus one for a carry) are touched: a
     * few dozen for ordinary numbers, never the whole work area. */
    const long top_big = (long)big->exp + (long)big->n,
               top_small = (long)small->exp + (long)small->n;
    const size_t work = (size_t)((top_big > top_small ? top_big : top_small) - emin) + 1;
    assert(work <= DEC_WORK);
    memset(a, 0, work);
    memset(b, 0, work);
    spread(big, emin, a);
    spread(small, emin, b);
    int carry = 0;
    for (size_t i = 0; i < work; i++) {
        int v = is_sub ? a[i] - b[i] - carry : a[i] + b[i] + carry;
        carry = is_sub ? v < 0 : v > 9;
        a[i] = (unsigned char)(is_sub ? (v + 10) % 10 : v % 10);
    }
    size_t top = work;
    while (top > 0 && a[top - 1] == 0)
        top--;
    size_t low = 0;
    while (low < top && a[low] == 0)
        low++;
    *r = (dec_t){.is_neg = big->is_neg, .exp = emin + (int)low};
    const dec_t head = {.exp = emin + (int)top - 1, .n = top > low}; /* Magnitude only. */
    if (dec_check_range(&head, why) < 0)
        return ENG_EINVAL;
    /* A result that would need rounding is refused, and DynamoDB words it as
     * an overflow even when the magnitude is in range (1e50 + 1). */
    if (top - low > EXPR_NUM_DIGITS) {
        *why = "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range";
        return ENG_EINVAL;
    }
    for (size_t i = top; i > low; i--)
        r->d[r->n++] = (char)('0' + a[i - 1]);
    dec_trim(r);
    return 0;
}

static void dec_format(const dec_t *x, eng_buf_t *out)
{
    if (x->n == 0) {
        eng_buf_append_char(out, '0');
        return;
    }
    if (x->is_neg)
        eng_buf_append_char(out, '-');
    const long point = (long)x->n + x->exp; /* Digits before the decimal point. */
    if (point <= 0) {
        eng_buf_append_str(out, "0.");
        for (long i = point; i < 0; i++)
            eng_buf_append_char(out, '0');
        eng_buf_append(out, x->d, x->n);
    } else if ((size_t)point >= x->n) {
        eng_buf_append(out, x->d, x->n);
        for (long i = (long)x->n; i < point; i++)
            eng_buf_append_char(out, '0');
    } else {
        eng_buf_append(out, x->d, (size_t)point);
        eng_buf_append_char(out, '.');
        eng_buf_append(out, x->d + point, x->n - (size_t)point);
    }
}

int expr__num_add(const char *a, const char *b, bool is_sub, eng_buf_t *out, const char **why)
{
    dec_t x, y, r;
    if (dec_parse(a, &x) < 0 || dec_parse(b, &y) < 0 || x.n > EXPR_NUM_DIGITS ||
        y.n > EXPR_NUM_DIGITS) {
        *why = "The parameter cannot be converted to a numeric value";
        return ENG_EINVAL;
    }
    if (is_sub && y.n > 0)
        y.is_neg = !y.is_neg;
    /* Same signs add magnitudes; different signs subtract the smaller. */
    const bool is_mag_sub = x.is_neg != y.is_neg;
    const bool x_big = dec_cmp_abs(&x, &y) >= 0;
    int err = dec_combine(x_big ? &x : &y, x_big ? &y : &x, is_mag_sub, &r, why);
    if (err == 0)
        err = dec_check_range(&r, why);
    if (err == 0)
        dec_format(&r, out);
    return err;
}
