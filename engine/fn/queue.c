/* SPDX-License-Identifier: MIT
 * queue.c: the registry's worker threads and their FIFO of async
 * invocations (Lambda's Event type and the gateway's RequestResponse, which
 * must never block an I/O thread). Shutdown drains: every queued job runs and
 * every callback fires, so no caller waits forever for an answer. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"

typedef struct fn_job {
    struct fn_job *next;
    eng_fn_t *fn; /* A reference of our own. */
    char *event;  /* Owned copy. */
    size_t len;
    eng_fn_done_cb cb;
    void *arg;
} fn_job_t;

static void *worker_main(void *arg);

void fn__queue_start(eng_fn_registry_t *reg, unsigned n)
{
    reg->workers = eng_calloc(n, sizeof *reg->workers);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&reg->workers[i], NULL, worker_main, reg) != 0)
            break; /* Fewer workers still work; zero would be caught below. */
        reg->n_workers++;
    }
}

void fn__queue_stop(eng_fn_registry_t *reg)
{
    pthread_mutex_lock(&reg->mu);
    reg->is_closing = true;
    pthread_cond_broadcast(&reg->queue_cv);
    pthread_mutex_unlock(&reg->mu);
    for (unsigned i = 0; i < reg->n_workers; i++)
        pthread_join(reg->workers[i], NULL);
    eng_free(reg->workers);
    reg->workers = NULL;
    reg->n_workers = 0;
}

int eng_fn_invoke_async(eng_fn_registry_t *reg, eng_fn_t *fn, const char *event, size_t len,
                        eng_fn_done_cb cb, void *arg)
{
    if (len > reg->max_event_bytes)
        return ENG_ETOOBIG;
    fn_job_t *job = eng_malloc(sizeof *job);
    *job = (fn_job_t){.fn = fn, .event = eng_strndup(event, len), .len = len, .cb = cb, .arg = arg};
    atomic_fetch_add(&fn->refs, 1);
    pthread_mutex_lock(&reg->mu);
    const bool is_closed = reg->is_closing || reg->n_workers == 0;
    if (!is_closed) {
        if (reg->tail)
            reg->tail->next = job;
        else
            reg->head = job;
        reg->tail = job;
        pthread_cond_signal(&reg->queue_cv);
    }
    pthread_mutex_unlock(&reg->mu);
    if (is_closed) {
        eng_fn_unref(job->fn);
        eng_free(job->event);
        eng_free(job);
        return ENG_ECLOSED;
    }
    return 0;
}

/* Next job, or NULL once closing and the queue is empty. */
static fn_job_t *next_job(eng_fn_registry_t *reg)
{
    pthread_mutex_lock(&reg->mu);
    while (!reg->head && !reg->is_closing)
        pthread_cond_wait(&reg->queue_cv, &reg->mu);
    fn_job_t *job = reg->head;
    if (job) {
        reg->head = job->next;
        if (!reg->head)
            reg->tail = NULL;
    }
    pthread_mutex_unlock(&reg->mu);
    return job;
}

static void *worker_main(void *arg)
{
    eng_fn_registry_t *reg = arg;
    for (fn_job_t *job; (job = next_job(reg)) != NULL;) {
        eng_fn_result_t res = {0};
        const int err = eng_fn_invoke(job->fn, job->event, job->len, &res);
        job->cb(err, &res, job->arg);
        eng_fn_result_free(&res);
        eng_fn_unref(job->fn);
        eng_free(job->event);
        eng_free(job);
    }
    return NULL;
}
