/* SPDX-License-Identifier: MIT
 * fnhost.c: eddy-fnhost, the supervised process that runs one native
 * function's handler so a crash, a hang or a stray write cannot reach the
 * engine. Usage: eddy-fnhost <module.so> <handler> <function-name>, with the
 * engine's socket on fd 3. It loads the module, answers READY (or
 * LOAD_ERROR and exits), then serves INVOKE frames one at a time until the
 * engine closes the socket. Handler stdout/stderr land in the invocation log. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct host {
    const char *name; /* argv[3]. */
    eddy_handler_fn handler;
    int capture_fd; /* memfd behind fds 1 and 2, or -1. */
    eng_buf_t out;  /* Reused frame buffer. */
} host_t;

/* Route fds 1 and 2 into a memory file so handler prints join the log
 * instead of the engine's terminal. */
static int capture_start(void)
{
    int fd = memfd_create("eddy-fn-out", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    return fd;
}

static void capture_collect(int fd, eng_buf_t *log)
{
    fflush(stdout);
    fflush(stderr);
    const off_t n = lseek(STDOUT_FILENO, 0, SEEK_CUR);
    if (fd < 0 || n <= 0)
        return;
    size_t take = (size_t)n;
    if (log->len + take > FN_MAX_LOG_BYTES)
        take = log->len < FN_MAX_LOG_BYTES ? FN_MAX_LOG_BYTES - log->len : 0;
    char *dst = eng_buf_reserve(log, take + 1);
    const ssize_t got = pread(fd, dst, take, 0);
    if (got > 0) {
        log->len += (size_t)got;
        log->ptr[log->len] = '\0';
    }
    if (ftruncate(fd, 0) == 0)
        lseek(STDOUT_FILENO, 0, SEEK_SET);
}

/* Die with the engine, even mid-handler: nothing else would stop a hang.
 * PR_SET_PDEATHSIG is no use here: it fires when the spawning *thread* ends,
 * and engine threads come and go while their hosts stay warm. */
static void *watchdog_main(void *arg)
{
    const pid_t parent = (pid_t)(intptr_t)arg;
    for (;;) {
        sleep(1);
        if (getppid() != parent)
            _exit(1);
    }
    return NULL;
}

static void start_watchdog(void)
{
    pthread_t th;
    if (pthread_create(&th, NULL, watchdog_main, (void *)(intptr_t)getppid()) == 0)
        pthread_detach(th);
}

static int send_load_error(const char *type, const char *message)
{
    eng_buf_t b = {0};
    fn__frame_begin(&b, FN_MSG_LOAD_ERROR);
    fn__frame_add_str(&b, type);
    fn__frame_add_str(&b, message);
    fn__frame_end(&b);
    const int err = fn__write_all(FN_HOST_FD, b.ptr, b.len);
    eng_buf_free(&b);
    return err;
}

static int serve_one(host_t *h, const char *payload, size_t len)
{
    fn_frame_reader_t r = {.p = payload, .end = payload + len};
    size_t event_len = 0;
    char *request_id = fn__frame_next(&r, NULL);
    char *remaining = fn__frame_next(&r, NULL);
    char *event = fn__frame_next(&r, &event_len);
    int err = ENG_EINVAL;
    if (request_id && remaining && event && !r.is_bad) {
        fn_raw_t raw = {0};
        fn__rt_run(h->handler, h->name, request_id, fn__now_ms() + atoll(remaining), event,
                   event_len, &raw);
        capture_collect(h->capture_fd, &raw.log);
        struct rusage ru;
        raw.max_rss_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
        fn__raw_encode(&raw, &h->out);
        fn__raw_free(&raw);
        err = fn__write_all(FN_HOST_FD, h->out.ptr, h->out.len);
    }
    eng_free(request_id);
    eng_free(remaining);
    eng_free(event);
    return err;
}

static int serve(host_t *h)
{
    for (;;) {
        uint32_t type = 0;
        char *payload = NULL;
        size_t len = 0;
        int err = fn__read_frame(FN_HOST_FD, -1, &type, &payload, &len);
        if (err == ENG_ECLOSED)
            return 0; /* The engine let us go. */
        if (err == 0)
            err = type == FN_MSG_INVOKE ? serve_one(h, payload, len) : ENG_EINVAL;
        eng_free(payload);
        if (err < 0)
            return err;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: eddy-fnhost <module.so> <handler> <function-name> (fd 3: "
                        "engine socket)\n");
        return 2;
    }
    start_watchdog();
    host_t h = {.name = argv[3], .capture_fd = capture_start()};
    void *dl = NULL;
    char *type = NULL, *message = NULL;
    if (fn__load(argv[1], argv[2], &dl, &h.handler, &type, &message) < 0) {
        send_load_error(type, message);
        eng_free(type);
        eng_free(message);
        return 1;
    }
    eng_buf_t ready = {0};
    fn__frame_begin(&ready, FN_MSG_READY);
    fn__frame_end(&ready);
    int err = fn__write_all(FN_HOST_FD, ready.ptr, ready.len);
    eng_buf_free(&ready);
    if (err == 0)
        err = serve(&h);
    eng_buf_free(&h.out);
    dlclose(dl);
    return err < 0 ? 1 : 0;
}
