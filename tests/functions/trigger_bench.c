/* SPDX-License-Identifier: MIT
 * trigger_bench.c: the trigger latency benchmark's handler. `stamp` takes
 * CLOCK_MONOTONIC at handler start and stores it, for every record of the
 * batch, at index NewImage.n (the load generator's sequence number) of a
 * file-backed array of uint64 nanoseconds: the file named by
 * $EDDY_BENCH_STAMPS (set in the function's Environment for host mode and in
 * the server's environment for in-process mode), mapped shared so the
 * benchmark reads it after the run. It does nothing else: no cJSON, no
 * staged writes, so it measures the dispatch path, not the handler. */
#include "eddy.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

EDDY_MODULE();

EDDY_EXPORT int stamp(const eddy_event_t *ev, eddy_ctx_t *ctx);

static pthread_once_t map_once = PTHREAD_ONCE_INIT;
static uint64_t *stamps; /* Mapped array, or NULL when the file is missing. */
static size_t n_stamps;  /* Entries in it. */

static void map_file(void)
{
    const char *path = getenv("EDDY_BENCH_STAMPS");
    const int fd = path ? open(path, O_RDWR) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(uint64_t)) {
        if (fd >= 0)
            close(fd);
        return;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return;
    stamps = p;
    n_stamps = (size_t)st.st_size / sizeof(uint64_t);
}

/* The number after `"n":{"N":"` from p on, or -1; *next gets where to go on. */
static long next_seq(const char *p, const char **next)
{
    static const char tag[] = "\"n\":{\"N\":\"";
    const char *at = strstr(p, tag);
    if (!at)
        return -1;
    char *end = NULL;
    const long v = strtol(at + sizeof tag - 1, &end, 10);
    *next = end;
    return v;
}

int stamp(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* First: the start is what we measure. */
    const uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    (void)ctx;
    pthread_once(&map_once, map_file);
    if (!stamps)
        return 0;
    /* Each record holds "n" once in NewImage (and once more in OldImage for an
     * overwrite, with the same value): both writes store the same stamp. */
    const char *p = eddy_event_json(ev, NULL);
    long seq;
    while ((seq = next_seq(p, &p)) >= 0) {
        if ((size_t)seq < n_stamps)
            __atomic_store_n(&stamps[seq], ns, __ATOMIC_RELAXED);
    }
    return 0;
}
