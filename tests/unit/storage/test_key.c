/* SPDX-License-Identifier: MIT
 * test_key.c: the key codec. Random numbers, strings and binaries encode in
 * the order they compare; (pk, sk) pairs never collide; the longest keys
 * DynamoDB allows fit in STORE_KEY_MAX and stay distinct; SipHash-128
 * matches the reference vectors. */
#include "storage/store_int.h"

#include "engine/err.h"
#include "tests/lib/test.h"

#include <stdlib.h>

T_MAIN_GLOBALS

static int key_cmp(const store_key_t *a, const store_key_t *b)
{
    int c = memcmp(a->buf, b->buf, a->len < b->len ? a->len : b->len);
    c = c ? c : (a->len > b->len) - (a->len < b->len);
    return (c > 0) - (c < 0);
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

static void test_siphash_vectors(void)
{
    static const uint8_t want[3][16] = {
        {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02,
         0x93},
        {0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc,
         0x45},
        {0x81, 0x77, 0x22, 0x8d, 0xa4, 0xa4, 0x5d, 0xc7, 0xfc, 0xa3, 0x8b, 0xde, 0xf6, 0x0a, 0xff,
         0xe4},
    };
    const uint64_t key[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    const uint8_t msg[2] = {0, 1};
    for (size_t len = 0; len < 3; len++) {
        uint8_t out[16];
        store__siphash128(key, msg, len, out);
        T_ASSERT(memcmp(out, want[len], 16) == 0);
    }
}

static void random_number(eng_buf_t *out)
{
    char text[64];
    int n = 1 + rand() % 38, at = 0;
    if (rand() % 2)
        text[at++] = '-';
    for (int i = 0; i < n; i++)
        text[at++] = (char)('0' + (i == 0 ? 1 + rand() % 9 : rand() % 10));
    /* Small exponents collide often enough to exercise digit-by-digit order. */
    int e = rand() % 4 ? rand() % 7 - 3 : rand() % 200 - 120;
    at += snprintf(text + at, sizeof(text) - (size_t)at, "e%d", e);
    eng_buf_reset(out);
    if (store_num_normalize(eng_slice(text, (size_t)at), out, NULL) < 0)
        eng_buf_append_str(out, "0");
}

static void test_number_order(void)
{
    eng_buf_t a = {0}, b = {0};
    store_keyval_t pk = {.type = STORE_KT_S, .val = ENG_SLICE_LIT("p")};
    store_key_t ka, kb;
    srand(1);
    for (int i = 0; i < 20000; i++) {
        random_number(&a);
        random_number(&b);
        store_keyval_t sa = {.type = STORE_KT_N, .val = eng_slice(a.ptr, a.len)};
        store_keyval_t sb = {.type = STORE_KT_N, .val = eng_slice(b.ptr, b.len)};
        T_ASSERT_OK(store_key_encode(&pk, &sa, &ka));
        T_ASSERT_OK(store_key_encode(&pk, &sb, &kb));
        int want = sign(store_num_cmp(sa.val, sb.val));
        if (want != key_cmp(&ka, &kb))
            printf("# %s vs %s\n", a.ptr, b.ptr);
        T_ASSERT_EQ(want, key_cmp(&ka, &kb));
    }
    eng_buf_free(&a);
    eng_buf_free(&b);
}

static size_t random_bytes(uint8_t *p, bool is_binary)
{
    size_t n = 1 + (size_t)(rand() % 12);
    for (size_t i = 0; i < n; i++)
        p[i] = is_binary ? (uint8_t)(rand() % 4 ? rand() % 256 : (rand() % 2) * 255)
                         : (uint8_t)('a' + rand() % 3);
    return n;
}

static void check_bytes_order(store_ktype_t type)
{
    store_keyval_t pk = {.type = STORE_KT_S, .val = ENG_SLICE_LIT("p")};
    uint8_t a[16], b[16];
    store_key_t ka, kb;
    for (int i = 0; i < 20000; i++) {
        size_t la = random_bytes(a, type == STORE_KT_B), lb = random_bytes(b, type == STORE_KT_B);
        store_keyval_t sa = {.type = type, .val = eng_slice((char *)a, la)};
        store_keyval_t sb = {.type = type, .val = eng_slice((char *)b, lb)};
        T_ASSERT_OK(store_key_encode(&pk, &sa, &ka));
        T_ASSERT_OK(store_key_encode(&pk, &sb, &kb));
        int c = memcmp(a, b, la < lb ? la : lb);
        int want = sign(c ? c : (la > lb) - (la < lb));
        T_ASSERT_EQ(want, key_cmp(&ka, &kb));
    }
}

static void test_string_order(void)
{
    check_bytes_order(STORE_KT_S);
}

static void test_binary_order(void)
{
    check_bytes_order(STORE_KT_B);
}

/* Every split of a string into (pk, sk) must give a different key. */
static void test_pk_sk_never_collide(void)
{
    const char *s = "abcabc";
    store_key_t keys[5];
    for (size_t cut = 1; cut < 6; cut++) {
        store_keyval_t pk = {.type = STORE_KT_S, .val = eng_slice(s, cut)};
        store_keyval_t sk = {.type = STORE_KT_S, .val = eng_slice(s + cut, 6 - cut)};
        T_ASSERT_OK(store_key_encode(&pk, &sk, &keys[cut - 1]));
    }
    for (size_t i = 0; i < 5; i++)
        for (size_t j = i + 1; j < 5; j++)
            T_ASSERT(key_cmp(&keys[i], &keys[j]) != 0);
    /* A hash-only key is never equal to a (pk, sk) key. */
    store_keyval_t pk = {.type = STORE_KT_S, .val = ENG_SLICE_LIT("abc")};
    store_key_t k;
    T_ASSERT_OK(store_key_encode(&pk, NULL, &k));
    for (size_t i = 0; i < 5; i++)
        T_ASSERT(key_cmp(&k, &keys[i]) != 0);
}

static void test_long_keys_fit_and_differ(void)
{
    static char pa[2048], pb[2048], sa[1024], sb[1024];
    memset(pa, 'p', sizeof(pa));
    memcpy(pb, pa, sizeof(pb));
    pb[2047] = 'q';
    memset(sa, 's', sizeof(sa));
    memcpy(sb, sa, sizeof(sb));
    sb[1023] = 't';
    store_keyval_t kpa = {.type = STORE_KT_S, .val = eng_slice(pa, 2048)};
    store_keyval_t kpb = {.type = STORE_KT_S, .val = eng_slice(pb, 2048)};
    store_keyval_t ksa = {.type = STORE_KT_B, .val = eng_slice(sa, 1024)};
    store_keyval_t ksb = {.type = STORE_KT_B, .val = eng_slice(sb, 1024)};
    static store_key_t k[4], prefix;
    T_ASSERT_OK(store_key_encode(&kpa, &ksa, &k[0]));
    T_ASSERT_OK(store_key_encode(&kpa, &ksb, &k[1]));
    T_ASSERT_OK(store_key_encode(&kpb, &ksa, &k[2]));
    T_ASSERT_OK(store_key_encode(&kpb, &ksb, &k[3]));
    for (int i = 0; i < 4; i++) {
        T_ASSERT(k[i].len <= STORE_KEY_MAX);
        T_ASSERT(k[i].full_len > STORE_KEY_MAX);
        for (int j = i + 1; j < 4; j++)
            T_ASSERT(key_cmp(&k[i], &k[j]) != 0);
    }
    /* The partition part is the same with or without a sort key (Query prefix). */
    T_ASSERT_OK(store_key_encode(&kpa, NULL, &prefix));
    T_ASSERT(prefix.len < k[0].len && memcmp(prefix.buf, k[0].buf, prefix.len) == 0);
    T_ASSERT_EQ(store_key_hash(&prefix), store_key_hash(&k[0]));
}

static void test_invalid_keys(void)
{
    static char big[2049];
    store_key_t k;
    store_keyval_t empty = {.type = STORE_KT_S, .val = ENG_SLICE_LIT("")};
    store_keyval_t pk = {.type = STORE_KT_S, .val = ENG_SLICE_LIT("a")};
    store_keyval_t too_long = {.type = STORE_KT_S, .val = eng_slice(big, 2049)};
    store_keyval_t sk_long = {.type = STORE_KT_S, .val = eng_slice(big, 1025)};
    store_keyval_t bad_num = {.type = STORE_KT_N, .val = ENG_SLICE_LIT("01")};
    T_ASSERT_EQ(ENG_EINVAL, store_key_encode(&empty, NULL, &k));
    T_ASSERT_EQ(ENG_EINVAL, store_key_encode(&too_long, NULL, &k));
    T_ASSERT_EQ(ENG_EINVAL, store_key_encode(&pk, &sk_long, &k));
    T_ASSERT_EQ(ENG_EINVAL, store_key_encode(&pk, &bad_num, &k));
    T_ASSERT_EQ(ENG_EINVAL, store_key_encode(&bad_num, NULL, &k));
}

int main(void)
{
    T_RUN(test_siphash_vectors);
    T_RUN(test_number_order);
    T_RUN(test_string_order);
    T_RUN(test_binary_order);
    T_RUN(test_pk_sk_never_collide);
    T_RUN(test_long_keys_fit_and_differ);
    T_RUN(test_invalid_keys);
    return t_done();
}
