/* SPDX-License-Identifier: MIT
 * host.c: the engine side of supervised host mode. Each function keeps a
 * small pool of warm eddy-fnhost processes (at most max_hosts, one invocation
 * each at a time). A host that dies, overruns its Timeout or sends anything
 * but a well-formed result is killed, reaped and forgotten: the invocation
 * becomes a function error and the next one spawns a fresh host. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define INIT_GRACE_MS 10000 /* Loading a module may take this much beyond Timeout. */

/* Function variables first: getenv returns the first match. */
static char **build_envp(const eng_fn_t *fn)
{
    size_t n_env = 0;
    while (environ && environ[n_env])
        n_env++;
    char **envp = eng_calloc(fn->env.n + n_env + 1, sizeof *envp);
    memcpy(envp, fn->env.vars, fn->env.n * sizeof *envp);
    if (n_env)
        memcpy(envp + fn->env.n, environ, n_env * sizeof *envp);
    return envp;
}

static int spawn_process(const eng_fn_t *fn, pid_t *pid, int *fd)
{
    int sv[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return ENG_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], FN_HOST_FD);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    char *const argv[] = {fn->reg->host_path, fn->code_path, fn->handler, fn->name, NULL};
    char **envp = build_envp(fn);
    const int rc = posix_spawn(pid, fn->reg->host_path, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    eng_free(envp);
    close(sv[1]);
    if (rc != 0) {
        ENG_ERROR("fn", "spawn %s for %s: %s", fn->reg->host_path, fn->name, strerror(rc));
        close(sv[0]);
        return ENG_EIO;
    }
    *fd = sv[0];
    return 0;
}

/* Describe a wait status as Lambda does: "signal: killed", "exit status 1". */
static void describe_status(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status)) {
        const int n = snprintf(buf, size, "signal: %s", strsignal(WTERMSIG(status)));
        for (int i = 8; i < n && (size_t)i < size; i++)
            buf[i] = (char)tolower((unsigned char)buf[i]);
    } else {
        snprintf(buf, size, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

/* Kill (if asked), close and reap `h`; return its wait status. */
static int discard(fn_host_t *h, bool is_kill)
{
    int status = 0;
    if (is_kill)
        kill(h->pid, SIGKILL);
    close(h->fd);
    while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR) {
    }
    h->pid = -1;
    h->fd = -1;
    return status;
}

static void exit_error(eng_fn_result_t *res, const char *request_id, int status)
{
    char how[96], msg[256];
    describe_status(status, how, sizeof how);
    snprintf(msg, sizeof msg, "RequestId: %s Error: Runtime exited with error: %s", request_id,
             how);
    fn__result_error(res, "Runtime.ExitError", msg);
}

static void garbage_error(eng_fn_result_t *res, const char *request_id)
{
    char msg[256];
    snprintf(msg, sizeof msg, "RequestId: %s Error: the function host sent a malformed message",
             request_id);
    fn__result_error(res, "Runtime.InvalidResponse", msg);
}

/* Wait for READY. On a load error or an early death, res holds the error. */
static int await_ready(eng_fn_t *fn, fn_host_t *h, const char *request_id, eng_fn_result_t *res)
{
    uint32_t type = 0;
    char *payload = NULL;
    size_t len = 0;
    int err =
        fn__read_frame(h->fd, fn__now_ms() + fn->timeout_ms + INIT_GRACE_MS, &type, &payload, &len);
    if (err == 0 && type == FN_MSG_READY) {
        eng_free(payload);
        return 0;
    }
    if (err == 0 && type == FN_MSG_LOAD_ERROR) {
        fn_frame_reader_t r = {.p = payload, .end = payload + len};
        char *etype = fn__frame_next(&r, NULL), *msg = fn__frame_next(&r, NULL);
        fn__result_error(res, etype ? etype : "Runtime.InvalidEntrypoint", msg ? msg : "");
        eng_free(etype);
        eng_free(msg);
        discard(h, true);
    } else if (err == ENG_ECLOSED) {
        exit_error(res, request_id, discard(h, false));
    } else {
        garbage_error(res, request_id);
        discard(h, true);
    }
    eng_free(payload);
    return ENG_EINVAL;
}

static int spawn_host(eng_fn_t *fn, fn_host_t *h, const char *request_id, eng_fn_result_t *res)
{
    int err = spawn_process(fn, &h->pid, &h->fd);
    if (err == 0)
        err = await_ready(fn, h, request_id, res);
    return err;
}

/* Take a warm host or spawn one, waiting while the function is at max_hosts. */
static int acquire(eng_fn_t *fn, fn_host_t *h, bool *is_fresh, const char *request_id,
                   eng_fn_result_t *res)
{
    pthread_mutex_lock(&fn->mu);
    while (fn->n_idle == 0 && fn->n_live >= fn->reg->max_hosts)
        pthread_cond_wait(&fn->cv, &fn->mu);
    *is_fresh = fn->n_idle == 0;
    if (!*is_fresh)
        *h = fn->idle[--fn->n_idle];
    else
        fn->n_live++;
    pthread_mutex_unlock(&fn->mu);
    if (!*is_fresh)
        return 0;
    const int err = spawn_host(fn, h, request_id, res);
    if (err < 0) {
        pthread_mutex_lock(&fn->mu);
        fn->n_live--;
        pthread_cond_signal(&fn->cv);
        pthread_mutex_unlock(&fn->mu);
    }
    return err;
}

/* Give `h` back (is_ok) or account for its loss (the caller discarded it). */
static void release(eng_fn_t *fn, const fn_host_t *h, bool is_ok)
{
    pthread_mutex_lock(&fn->mu);
    if (is_ok)
        fn->idle[fn->n_idle++] = *h;
    else
        fn->n_live--;
    pthread_cond_signal(&fn->cv);
    pthread_mutex_unlock(&fn->mu);
}

static int send_invoke(const eng_fn_t *fn, const fn_host_t *h, const char *request_id,
                       const char *event, size_t len)
{
    char remaining[32];
    snprintf(remaining, sizeof remaining, "%u", fn->timeout_ms);
    eng_buf_t b = {0};
    fn__frame_begin(&b, FN_MSG_INVOKE);
    fn__frame_add_str(&b, request_id);
    fn__frame_add_str(&b, remaining);
    fn__frame_add(&b, event, len);
    fn__frame_end(&b);
    const int err = fn__write_all(h->fd, b.ptr, b.len);
    eng_buf_free(&b);
    return err;
}

/* Send the invocation, retrying once on a fresh host if a warm one turns out
 * dead (killed from outside while idle, say). */
static int start_invoke(eng_fn_t *fn, fn_host_t *h, const char *request_id, const char *event,
                        size_t len, eng_fn_result_t *res)
{
    for (int attempt = 0;; attempt++) {
        bool is_fresh = false;
        int err = acquire(fn, h, &is_fresh, request_id, res);
        if (err < 0)
            return err;
        err = send_invoke(fn, h, request_id, event, len);
        if (err == 0)
            return 0;
        discard(h, true);
        release(fn, h, false);
        if (is_fresh || attempt > 0) {
            ENG_ERROR("fn", "%s: cannot reach its host: %s", fn->name, eng_strerror(err));
            return ENG_EIO;
        }
    }
}

static void timeout_error(const eng_fn_t *fn, eng_fn_result_t *res, const char *request_id)
{
    char msg[256];
    snprintf(msg, sizeof msg, "RequestId: %s Error: Task timed out after %.2f seconds", request_id,
             fn->timeout_ms / 1000.0);
    fn__result_error(res, "Sandbox.Timedout", msg);
}

int fn__host_invoke(eng_fn_t *fn, const char *request_id, const char *event, size_t len,
                    eng_fn_result_t *res, fn_raw_t *raw, bool *is_done)
{
    fn_host_t h = {.pid = -1, .fd = -1};
    const int64_t deadline_ms = fn__now_ms() + fn->timeout_ms;
    int err = start_invoke(fn, &h, request_id, event, len, res);
    *is_done = err < 0;
    if (err < 0)
        return err == ENG_EINVAL ? 0 : err; /* EINVAL: load error, already in res. */
    uint32_t type = 0;
    char *payload = NULL;
    size_t plen = 0;
    err = fn__read_frame(h.fd, deadline_ms, &type, &payload, &plen);
    if (err == 0 && (type != FN_MSG_RESULT || fn__raw_decode(payload, plen, raw) < 0))
        err = ENG_ECORRUPT;
    eng_free(payload);
    *is_done = err < 0;
    if (err == ENG_ETIMEDOUT)
        timeout_error(fn, res, request_id);
    else if (err == ENG_ECLOSED)
        exit_error(res, request_id, discard(&h, false));
    else if (err < 0)
        garbage_error(res, request_id);
    if (err < 0 && h.pid > 0)
        discard(&h, true);
    release(fn, &h, err == 0);
    return 0;
}

void fn__host_kill_idle(eng_fn_t *fn)
{
    pthread_mutex_lock(&fn->mu);
    while (fn->n_idle > 0) {
        discard(&fn->idle[--fn->n_idle], false); /* Closing the socket ends it. */
        fn->n_live--;
    }
    pthread_mutex_unlock(&fn->mu);
}
