/* SPDX-License-Identifier: MIT
 * key.c: the primary-key codec. An encoded key is [u32 partition hash BE]
 * [u16 pk length BE][pk bytes][sort key bytes]: the length prefix makes the
 * partition part prefix-free so (pk, sk) pairs never collide, and sort keys
 * compare in DynamoDB's order (S and B bytewise, N via num.c's encoding).
 * Keys longer than STORE_KEY_MAX are cut and completed by a SipHash-128; the
 * uncut encoding travels in store_key_t.full so storage can verify it. */
#include "storage/store_int.h"

#include "engine/err.h"

#include <assert.h>

#define PK_MAX 2048
#define SK_MAX 1024
#define HASH_BYTES 16
#define PK_INLINE_MAX 254 /* Longer partition keys keep a prefix and a hash (256-byte part). */
#define PK_CUT_PREFIX (PK_INLINE_MAX - 16)

/* Fixed keys: these hashes are part of the on-disk format and must never change. */
static const uint64_t PART_KEY[2] = {0x6564647970617274ULL, 0x6974696f6e686173ULL};
static const uint64_t CUT_KEY[2] = {0x656464796b657963ULL, 0x75742d6861736821ULL};

static uint32_t part_hash(eng_slice_t pk)
{
    uint8_t h[HASH_BYTES];
    store__siphash128(PART_KEY, pk.ptr, pk.len, h);
    return store__get_be32(h);
}

static int check_val(const store_keyval_t *kv, size_t max)
{
    if (kv->val.len == 0 || kv->val.len > max)
        return ENG_EINVAL;
    if (kv->type == STORE_KT_N) {
        eng_buf_t tmp = {0};
        int err = store_num_normalize(kv->val, &tmp, NULL);
        /* Keys must arrive normalized: equal numbers must encode equally. */
        if (err == 0 && !eng_slice_eq(eng_slice(tmp.ptr, tmp.len), kv->val))
            err = ENG_EINVAL;
        eng_buf_free(&tmp);
        return err;
    }
    return kv->type == STORE_KT_S || kv->type == STORE_KT_B ? 0 : ENG_EINVAL;
}

/* The uncut encoding; at most 4 + 2 + 2048 + 1024 bytes. */
static size_t encode_full(const store_keyval_t *pk, const store_keyval_t *sk, uint8_t *out)
{
    store__be32(out, part_hash(pk->val));
    out[4] = (uint8_t)(pk->val.len >> 8);
    out[5] = (uint8_t)pk->val.len;
    memcpy(out + 6, pk->val.ptr, pk->val.len);
    size_t len = 6 + pk->val.len;
    if (!sk)
        return len;
    if (sk->type == STORE_KT_N)
        return len + store__num_key(sk->val, out + len);
    memcpy(out + len, sk->val.ptr, sk->val.len);
    return len + sk->val.len;
}

/* Cut a too-long key: a long partition key keeps its length, a prefix and a
 * hash of itself (a fixed 256-byte part, still prefix-free); a sort key that
 * still does not fit keeps what room allows minus 16 bytes of hash of the
 * whole key. Sort keys sharing that prefix therefore order by hash. */
static void encode_cut(const store_keyval_t *pk, store_key_t *k)
{
    size_t pk_end = 6 + pk->val.len, len = 6;
    memcpy(k->buf, k->full, 6);
    if (pk->val.len > PK_INLINE_MAX) {
        memcpy(k->buf + 6, pk->val.ptr, PK_CUT_PREFIX);
        store__siphash128(CUT_KEY, pk->val.ptr, pk->val.len, k->buf + 6 + PK_CUT_PREFIX);
        len += PK_CUT_PREFIX + HASH_BYTES;
    } else {
        memcpy(k->buf + 6, pk->val.ptr, pk->val.len);
        len += pk->val.len;
    }
    size_t sk_len = k->full_len - pk_end, room = STORE_KEY_MAX - len;
    if (sk_len <= room) {
        memcpy(k->buf + len, k->full + pk_end, sk_len);
        k->len = len + sk_len;
        return;
    }
    memcpy(k->buf + len, k->full + pk_end, room - HASH_BYTES);
    store__siphash128(CUT_KEY, k->full, k->full_len, k->buf + len + room - HASH_BYTES);
    k->len = STORE_KEY_MAX;
}

int store_key_encode(const store_keyval_t *pk, const store_keyval_t *sk, store_key_t *out)
{
    int err = check_val(pk, PK_MAX);
    if (err == 0 && sk)
        err = check_val(sk, SK_MAX);
    if (err < 0)
        return err;
    out->full_len = encode_full(pk, sk, out->full);
    /* A long partition key is always cut, even when the whole key would fit,
     * so its part is the same in every key of the partition (Query prefixes). */
    if (out->full_len <= STORE_KEY_MAX && pk->val.len <= PK_INLINE_MAX) {
        memcpy(out->buf, out->full, out->full_len);
        out->len = out->full_len;
        out->full_len = 0;
        return 0;
    }
    encode_cut(pk, out);
    return 0;
}

uint32_t store_key_hash(const store_key_t *key)
{
    assert(key->len >= 4);
    return store__get_be32(key->buf);
}
