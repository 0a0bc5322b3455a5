/* SPDX-License-Identifier: MIT
 * fn_bench.c: invocation cost of a no-op native function in both modes
 * (supervised host process and in process): sequential latency (p50, p99)
 * and throughput with several calling threads. Bounded by count, not time.
 * Usage: fn_bench [sequential-count] [threads] (EDDY_TEST_FN_DIR, EDDY_FNHOST). */
#include "engine/fn/fn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct worker {
    eng_fn_t *fn;
    int count; /* Invocations to make. */
    int errors;
} worker_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int invoke_once(eng_fn_t *fn)
{
    eng_fn_result_t res = {0};
    const int err = eng_fn_invoke(fn, "{}", 2, &res);
    const int bad = err < 0 || res.is_error;
    eng_fn_result_free(&res);
    return bad;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < w->count; i++)
        w->errors += invoke_once(w->fn);
    return NULL;
}

static eng_fn_t *make(eng_fn_registry_t *reg, const char *name, bool is_in_process)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"%s\",\"Runtime\":\"c\",\"Handler\":\"noop\","
             "\"Code\":{\"Path\":\"%s/fn_noop.so\"}%s}",
             name, getenv("EDDY_TEST_FN_DIR"),
             is_in_process ? ",\"Environment\":{\"Variables\":{\"EDDY_IN_PROCESS\":\"1\"}}" : "");
    eng_fn_t *fn = NULL;
    if (eng_fn_create(reg, body, strlen(body), NULL, NULL, &fn) < 0) {
        fprintf(stderr, "fn_bench: cannot declare %s (EDDY_TEST_FN_DIR?)\n", name);
        exit(1);
    }
    return fn;
}

static void sequential(eng_fn_t *fn, const char *mode, int n)
{
    double *lat = malloc((size_t)n * sizeof *lat);
    int errors = 0;
    for (int i = 0; i < 200; i++) /* Warm: the first call spawns and loads. */
        errors += invoke_once(fn);
    const double t0 = now_s();
    for (int i = 0; i < n; i++) {
        const double t = now_s();
        errors += invoke_once(fn);
        lat[i] = (now_s() - t) * 1e6;
    }
    const double total = now_s() - t0;
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("%-10s sequential  n=%d  p50=%.1f us  p99=%.1f us  %.0f inv/s  errors=%d\n", mode, n,
           lat[n / 2], lat[n * 99 / 100], n / total, errors);
    free(lat);
}

static void parallel(eng_fn_t *fn, const char *mode, int threads, int per_thread)
{
    pthread_t th[64];
    worker_t w[64];
    const double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (worker_t){.fn = fn, .count = per_thread};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    int errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        errors += w[i].errors;
    }
    const double total = now_s() - t0;
    printf("%-10s parallel    threads=%d n=%d  %.0f inv/s  errors=%d\n", mode, threads,
           threads * per_thread, threads * per_thread / total, errors);
}

int main(int argc, char **argv)
{
    const int n = argc > 1 ? atoi(argv[1]) : 20000;
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    eng_fn_registry_config_t cfg;
    eng_fn_registry_config_default(&cfg);
    cfg.max_hosts = (unsigned)threads;
    eng_fn_registry_t *reg = NULL;
    if (n < 1 || eng_fn_registry_create(&cfg, &reg) < 0) {
        fprintf(stderr, "fn_bench: no eddy-fnhost (set EDDY_FNHOST) or bad count\n");
        return 1;
    }
    eng_fn_t *host = make(reg, "noop-host", false), *inproc = make(reg, "noop-inproc", true);
    sequential(host, "host", n);
    sequential(inproc, "in-process", n);
    parallel(host, "host", threads, n / threads);
    parallel(inproc, "in-process", threads, n / threads);
    eng_fn_unref(host);
    eng_fn_unref(inproc);
    eng_fn_registry_destroy(reg);
    return 0;
}
