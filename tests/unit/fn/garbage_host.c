/* SPDX-License-Identifier: MIT
 * garbage_host.c: a fake eddy-fnhost for the protocol tests. It says READY,
 * then answers each invocation with whatever its mode (argv[2], the
 * "handler") asks: "junk" (bytes that are no frame), "huge" (a frame header
 * claiming 1 GiB), "wrongtype" (a READY frame instead of a RESULT) or
 * "silent-exit" (exits without a word). */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static void put(const void *p, size_t n)
{
    if (write(3, p, n) != (ssize_t)n)
        _exit(3);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    const uint32_t ready[2] = {1, 0};
    put(ready, sizeof ready);
    char buf[65536];
    if (read(3, buf, sizeof buf) <= 0)
        return 0;
    const char *mode = argv[2];
    if (strcmp(mode, "junk") == 0) {
        put("HTTP/1.1 200 OK\r\n\r\nnot a frame at all", 36);
    } else if (strcmp(mode, "huge") == 0) {
        const uint32_t hdr[2] = {4, 1u << 30};
        put(hdr, sizeof hdr);
    } else if (strcmp(mode, "wrongtype") == 0) {
        put(ready, sizeof ready);
    } else {
        return 0;
    }
    sleep(2); /* Stay alive: the engine must not wait for more. */
    return 0;
}
