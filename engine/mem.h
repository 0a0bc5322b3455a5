/* SPDX-License-Identifier: MIT
 * mem.h: allocation that aborts on exhaustion (a server's policy, as Redis
 * zmalloc), byte slices, and a growable byte buffer. Sizes that come from a
 * client must be checked against a limit before they reach these calls. */
#ifndef ENG_MEM_H
#define ENG_MEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define ENG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A borrowed byte range. Its owner and lifetime are stated where it is handed out. */
typedef struct eng_slice {
    const char *ptr;
    size_t len;
} eng_slice_t;

#define ENG_SLICE_LIT(s) ((eng_slice_t){(s), sizeof(s) - 1})
static inline eng_slice_t eng_slice(const char *ptr, size_t len)
{
    return (eng_slice_t){ptr, len};
}
static inline eng_slice_t eng_slice_cstr(const char *s)
{
    return (eng_slice_t){s, strlen(s)};
}
static inline int eng_slice_eq(eng_slice_t a, eng_slice_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Allocators: never return NULL; print a message and abort on exhaustion.
 * eng_free(NULL) is a no-op. */
void *eng_malloc(size_t size);
void *eng_calloc(size_t n, size_t size);
void *eng_realloc(void *ptr, size_t size);
char *eng_strdup(const char *s);
char *eng_strndup(const char *s, size_t len);
void eng_free(void *ptr);

/* A growable buffer. Zero-initialise (`eng_buf_t b = {0};`) or eng_buf_init;
 * release with eng_buf_free. `ptr` is always NUL-terminated after any append,
 * so it can be used as a C string; `len` excludes that NUL. Reuse a buffer
 * across requests with eng_buf_reset, which keeps its capacity. */
typedef struct eng_buf {
    char *ptr;  /* Owned; NULL until the first append. */
    size_t len; /* Bytes in use, excluding the trailing NUL. */
    size_t cap; /* Bytes allocated. */
} eng_buf_t;

/* Start `b` empty with room for `cap` bytes (plus the NUL). */
void eng_buf_init(eng_buf_t *b, size_t cap);
/* Free the bytes and zero `b`; it may be reused as a zeroed buffer. */
void eng_buf_free(eng_buf_t *b);
static inline void eng_buf_reset(eng_buf_t *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}
/* Make room for `extra` more bytes; returns a pointer to the free space. */
char *eng_buf_reserve(eng_buf_t *b, size_t extra);
void eng_buf_append(eng_buf_t *b, const void *data, size_t len);
static inline void eng_buf_append_str(eng_buf_t *b, const char *s)
{
    eng_buf_append(b, s, strlen(s));
}
/* Append one byte. */
void eng_buf_append_char(eng_buf_t *b, char c);
/* Append printf-style formatted text (any length; the buffer grows). */
void eng_buf_printf(eng_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void eng_buf_vprintf(eng_buf_t *b, const char *fmt, va_list ap);
/* Hand the bytes to the caller (who must eng_free them) and empty the buffer. */
char *eng_buf_steal(eng_buf_t *b, size_t *len);

#endif
