/* SPDX-License-Identifier: MIT
 * registry.c: the in-memory set of functions, sorted by name, and each
 * function's life: reference counted, because an invocation in flight keeps
 * its function alive after DeleteFunction. Parsing CreateFunction bodies and
 * printing FunctionConfiguration live in config.c. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"
#include "engine/log.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void eng_fn_registry_config_default(eng_fn_registry_config_t *cfg)
{
    *cfg = (eng_fn_registry_config_t){
        .region = "us-east-1",
        .workers = 4,
        .max_hosts = 4,
        .max_event_bytes = 6u * 1024 * 1024,
        .is_in_process_allowed = true,
    };
}

static bool is_executable(const char *path)
{
    return path && access(path, X_OK) == 0;
}

/* The directory of the running binary, with a trailing slash. */
static bool self_dir(char *buf, size_t size)
{
    const ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return false;
    slash[1] = '\0';
    return true;
}

int eng_fn_host_path_default(char *buf, size_t size)
{
    char dir[PATH_MAX];
    const char *env = getenv("EDDY_FNHOST");
    if (is_executable(env)) {
        snprintf(buf, size, "%s", env);
        return 0;
    }
    if (self_dir(dir, sizeof dir)) {
        snprintf(buf, size, "%seddy-fnhost", dir);
        if (is_executable(buf))
            return 0;
    }
    static const char *const known[] = {EDDY_FNHOST_BUILD_PATH, EDDY_FNHOST_INSTALL_PATH};
    for (size_t i = 0; i < ENG_ARRAY_LEN(known); i++) {
        if (is_executable(known[i])) {
            snprintf(buf, size, "%s", known[i]);
            return 0;
        }
    }
    return ENG_ENOTFOUND;
}

int eng_fn_registry_create(const eng_fn_registry_config_t *cfg, eng_fn_registry_t **out)
{
    char path[PATH_MAX];
    if (!cfg || !cfg->region || cfg->workers == 0 || cfg->max_hosts == 0)
        return ENG_EINVAL;
    if (cfg->host_path)
        snprintf(path, sizeof path, "%s", cfg->host_path);
    else if (eng_fn_host_path_default(path, sizeof path) < 0)
        return ENG_ENOTFOUND;
    eng_fn_registry_t *reg = eng_calloc(1, sizeof *reg);
    reg->region = eng_strdup(cfg->region);
    reg->host_path = eng_strdup(path);
    reg->max_hosts = cfg->max_hosts;
    reg->max_event_bytes = cfg->max_event_bytes;
    reg->is_in_process_allowed = cfg->is_in_process_allowed;
    pthread_mutex_init(&reg->mu, NULL);
    pthread_cond_init(&reg->queue_cv, NULL);
    fn__queue_start(reg, cfg->workers);
    *out = reg;
    return 0;
}

void eng_fn_registry_destroy(eng_fn_registry_t *reg)
{
    if (!reg)
        return;
    fn__queue_stop(reg);
    for (size_t i = 0; i < reg->n_fns; i++) {
        fn__host_kill_idle(reg->fns[i]);
        eng_fn_unref(reg->fns[i]);
    }
    eng_free(reg->fns);
    pthread_cond_destroy(&reg->queue_cv);
    pthread_mutex_destroy(&reg->mu);
    eng_free(reg->region);
    eng_free(reg->host_path);
    eng_free(reg);
}

const char *eng_fn_registry_region(const eng_fn_registry_t *reg)
{
    return reg->region;
}

/* Index of `name` in the sorted array, or where it would go; *found says which. */
static size_t find(const eng_fn_registry_t *reg, const char *name, bool *found)
{
    size_t lo = 0, hi = reg->n_fns;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(reg->fns[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Insert `fn` (taking the caller's reference); the replaced one, if any, is
 * returned for the caller to release outside the lock. */
int fn__registry_insert(eng_fn_registry_t *reg, eng_fn_t *fn, bool is_replace, eng_fn_t **replaced)
{
    bool found;
    *replaced = NULL;
    pthread_mutex_lock(&reg->mu);
    const size_t i = find(reg, fn->name, &found);
    int err = 0;
    if (found && !is_replace) {
        err = ENG_EEXIST;
    } else if (found) {
        *replaced = reg->fns[i];
        reg->fns[i] = fn;
    } else {
        if (reg->n_fns == reg->cap_fns) {
            reg->cap_fns = reg->cap_fns ? reg->cap_fns * 2 : 8;
            reg->fns = eng_realloc(reg->fns, reg->cap_fns * sizeof *reg->fns);
        }
        memmove(reg->fns + i + 1, reg->fns + i, (reg->n_fns - i) * sizeof *reg->fns);
        reg->fns[i] = fn;
        reg->n_fns++;
    }
    pthread_mutex_unlock(&reg->mu);
    return err;
}

int eng_fn_get(eng_fn_registry_t *reg, const char *name, eng_fn_t **out)
{
    bool found;
    pthread_mutex_lock(&reg->mu);
    const size_t i = find(reg, name, &found);
    if (found) {
        *out = reg->fns[i];
        atomic_fetch_add(&reg->fns[i]->refs, 1);
    }
    pthread_mutex_unlock(&reg->mu);
    return found ? 0 : ENG_ENOTFOUND;
}

int eng_fn_delete(eng_fn_registry_t *reg, const char *name)
{
    bool found;
    eng_fn_t *gone = NULL;
    pthread_mutex_lock(&reg->mu);
    const size_t i = find(reg, name, &found);
    if (found) {
        gone = reg->fns[i];
        memmove(reg->fns + i, reg->fns + i + 1, (reg->n_fns - i - 1) * sizeof *reg->fns);
        reg->n_fns--;
    }
    pthread_mutex_unlock(&reg->mu);
    if (gone) {
        fn__host_kill_idle(gone);
        eng_fn_unref(gone);
    }
    return found ? 0 : ENG_ENOTFOUND;
}

void eng_fn_list_json(eng_fn_registry_t *reg, const char *marker, unsigned max_items,
                      eng_buf_t *out, char **next_marker)
{
    bool found;
    pthread_mutex_lock(&reg->mu);
    size_t i = marker ? find(reg, marker, &found) : 0;
    if (marker && found)
        i++;
    unsigned n = 0;
    eng_buf_append_char(out, '[');
    for (; i < reg->n_fns && (max_items == 0 || n < max_items); i++, n++) {
        if (n)
            eng_buf_append_char(out, ',');
        eng_fn_config_json(reg->fns[i], out);
    }
    eng_buf_append_char(out, ']');
    if (next_marker)
        *next_marker = i < reg->n_fns && n > 0 ? eng_strdup(reg->fns[i - 1]->name) : NULL;
    pthread_mutex_unlock(&reg->mu);
}

void eng_fn_unref(eng_fn_t *fn)
{
    if (!fn || atomic_fetch_sub(&fn->refs, 1) != 1)
        return;
    fn__host_kill_idle(fn);
    if (fn->dl)
        dlclose(fn->dl);
    for (size_t i = 0; i < fn->env.n; i++)
        eng_free(fn->env.vars[i]);
    eng_free(fn->env.vars);
    eng_free(fn->idle);
    eng_free(fn->load_error_type);
    eng_free(fn->load_error_message);
    eng_free(fn->name);
    eng_free(fn->runtime);
    eng_free(fn->handler);
    eng_free(fn->code_path);
    eng_free(fn->description);
    eng_free(fn->arn);
    eng_free(fn->role);
    pthread_cond_destroy(&fn->cv);
    pthread_mutex_destroy(&fn->mu);
    eng_free(fn);
}

const char *eng_fn_name(const eng_fn_t *fn)
{
    return fn->name;
}
