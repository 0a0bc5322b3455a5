/* SPDX-License-Identifier: MIT
 * siphash.c: SipHash-2-4 with a 128-bit output, written from Aumasson and
 * Bernstein's paper ("SipHash: a fast short-input PRF", 2012, with the
 * 128-bit variant of its reference). Storage uses it to complete cut keys,
 * to spread partition keys over the 32-bit hash space and to mint eventIDs.
 * It is a keyed PRF, not a cryptographic commitment: the full key is still
 * stored and compared wherever two keys must never be confused. */
#include "storage/store_int.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

typedef struct sip {
    uint64_t v0, v1, v2, v3;
} sip_t;

static void sip_round(sip_t *s)
{
    s->v0 += s->v1;
    s->v1 = ROTL(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ROTL(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ROTL(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ROTL(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ROTL(s->v2, 32);
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* c = 2 compression rounds per 8-byte word, as in SipHash-2-4. */
static void sip_compress(sip_t *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

void store__siphash128(const uint64_t key[2], const void *data, size_t len, uint8_t out[16])
{
    const uint8_t *p = data;
    sip_t s = {
        .v0 = key[0] ^ 0x736f6d6570736575ULL,
        .v1 = key[1] ^ 0x646f72616e646f6dULL ^ 0xee, /* 0xee marks the 128-bit variant. */
        .v2 = key[0] ^ 0x6c7967656e657261ULL,
        .v3 = key[1] ^ 0x7465646279746573ULL,
    };
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8)
        sip_compress(&s, load_le64(p + i));
    /* The last word carries the tail bytes and the length's low byte on top. */
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)p[full + i] << (8 * i);
    sip_compress(&s, last);

    /* d = 4 finalization rounds per output word. */
    s.v2 ^= 0xee;
    for (int i = 0; i < 4; i++)
        sip_round(&s);
    store_le64(out, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
    s.v1 ^= 0xdd;
    for (int i = 0; i < 4; i++)
        sip_round(&s);
    store_le64(out + 8, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
}
