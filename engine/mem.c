/* SPDX-License-Identifier: MIT
 * mem.c: aborting allocators and the growable buffer. Aborting on OOM keeps
 * every caller free of unreachable error paths; client-sized requests are
 * bounded by limits long before they get here. */
#include "engine/mem.h"

#include <stdio.h>
#include <stdlib.h>

static void oom(size_t size)
{
    fprintf(stderr, "eddy: out of memory allocating %zu bytes\n", size);
    abort();
}

void *eng_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *eng_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *eng_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *eng_strndup(const char *s, size_t len)
{
    char *p = eng_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *eng_strdup(const char *s)
{
    return eng_strndup(s, strlen(s));
}

void eng_free(void *ptr)
{
    free(ptr);
}

void eng_buf_init(eng_buf_t *b, size_t cap)
{
    b->ptr = eng_malloc(cap + 1);
    b->ptr[0] = '\0';
    b->len = 0;
    b->cap = cap + 1;
}

void eng_buf_free(eng_buf_t *b)
{
    eng_free(b->ptr);
    *b = (eng_buf_t){0};
}

char *eng_buf_reserve(eng_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* +1 keeps room for the NUL. */
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap *= 2;
        b->ptr = eng_realloc(b->ptr, cap);
        b->cap = cap;
    }
    return b->ptr + b->len;
}

void eng_buf_append(eng_buf_t *b, const void *data, size_t len)
{
    char *dst = eng_buf_reserve(b, len);
    if (len)
        memcpy(dst, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

void eng_buf_append_char(eng_buf_t *b, char c)
{
    eng_buf_append(b, &c, 1);
}

void eng_buf_vprintf(eng_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char *dst = eng_buf_reserve(b, 64);
    int n = vsnprintf(dst, b->cap - b->len, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap - b->len) {
        dst = eng_buf_reserve(b, (size_t)n);
        n = vsnprintf(dst, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void eng_buf_printf(eng_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    eng_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *eng_buf_steal(eng_buf_t *b, size_t *len)
{
    if (!b->ptr)
        eng_buf_reserve(b, 0);
    char *p = b->ptr;
    if (len)
        *len = b->len;
    *b = (eng_buf_t){0};
    return p;
}
