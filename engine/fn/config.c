/* SPDX-License-Identifier: MIT
 * config.c: a function's configuration in AWS's own vocabulary: parsing and
 * validating CreateFunction bodies (Code.Path only; code is not loaded here)
 * and printing Lambda's FunctionConfiguration. Messages follow Lambda's
 * wording where Lambda has one, so clients show familiar errors. */
#include "engine/fn/fn_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static const char *const runtimes[] = {"c", "provided", "provided.al2", "provided.al2023"};

static int invalid(eng_buf_t *msg, const char *fmt, const char *arg)
{
    if (msg)
        eng_buf_printf(msg, fmt, arg ? arg : "");
    return ENG_EINVAL;
}

static bool is_valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
            return false;
    }
    return n >= 1 && n <= 64;
}

static bool is_runtime(const char *s)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(runtimes); i++) {
        if (strcmp(s, runtimes[i]) == 0)
            return true;
    }
    return false;
}

/* The parts every function needs: name, runtime, handler. */
static int parse_identity(const cJSON *root, eng_fn_t *fn, eng_buf_t *msg)
{
    const char *name = eng_json_get_str(root, "FunctionName");
    const char *runtime = eng_json_get_str(root, "Runtime");
    const char *handler = eng_json_get_str(root, "Handler");
    const char *desc = eng_json_get_str(root, "Description");
    if (!name || !is_valid_name(name))
        return invalid(msg,
                       "1 validation error detected: Value '%s' at 'functionName' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       "[a-zA-Z0-9-_]{1,64}",
                       name);
    if (!runtime || !is_runtime(runtime))
        return invalid(msg, "Runtime '%s' is not supported for native functions; use \"c\"",
                       runtime);
    if (!handler || !handler[0])
        return invalid(msg, "%sHandler is required: the exported C symbol of the handler", NULL);
    fn->name = eng_strdup(name);
    fn->runtime = eng_strdup(runtime);
    fn->handler = eng_strdup(handler);
    fn->description = eng_strdup(desc ? desc : "");
    return 0;
}

static int parse_code(const cJSON *root, const eng_fn_create_opts_t *opts, eng_fn_t *fn,
                      eng_buf_t *msg)
{
    const cJSON *code = eng_json_get(root, "Code");
    const char *path = eng_json_get_str(code, "Path");
    if (!path && eng_json_get(code, "ZipFile"))
        return invalid(msg, "%sCode.ZipFile is not supported yet; give Code.Path (a .so)", NULL);
    if (!path || !path[0])
        return invalid(msg, "%sCode.Path is required: the function's shared object", NULL);
    char joined[PATH_MAX], real[PATH_MAX];
    if (path[0] != '/' && opts && opts->base_dir)
        snprintf(joined, sizeof joined, "%s/%s", opts->base_dir, path);
    else
        snprintf(joined, sizeof joined, "%s", path);
    struct stat st;
    if (!realpath(joined, real) || stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
        invalid(msg, "Code.Path '%s' does not exist or is not a file", joined);
        return ENG_ENOTFOUND;
    }
    fn->code_path = eng_strdup(real);
    fn->code_size = (int64_t)st.st_size;
    return 0;
}

static int parse_limits(const cJSON *root, eng_fn_t *fn, eng_buf_t *msg)
{
    const cJSON *t = eng_json_get(root, "Timeout");
    const cJSON *m = eng_json_get(root, "MemorySize");
    const double timeout_s = cJSON_IsNumber(t) ? t->valuedouble : 3.0;
    const double memory = cJSON_IsNumber(m) ? m->valuedouble : 128.0;
    /* Fractions of a second are an eddy extension (tests use them). */
    if ((t && !cJSON_IsNumber(t)) || !(timeout_s > 0.0 && timeout_s <= 900.0))
        return invalid(msg,
                       "%s1 validation error detected: Value at 'timeout' failed to satisfy "
                       "constraint: Member must have value between 1 and 900",
                       NULL);
    if ((m && !cJSON_IsNumber(m)) || memory < 128.0 || memory > 10240.0)
        return invalid(msg,
                       "%s1 validation error detected: Value at 'memorySize' failed to "
                       "satisfy constraint: Member must have value between 128 and 10240",
                       NULL);
    fn->timeout_ms = (unsigned)llround(timeout_s * 1000.0);
    fn->memory_mb = (unsigned)memory;
    return 0;
}

static void env_add(fn_env_t *env, const char *key, const char *value)
{
    eng_buf_t b = {0};
    eng_buf_printf(&b, "%s=%s", key, value);
    env->vars = eng_realloc(env->vars, (env->n + 1) * sizeof *env->vars);
    env->vars[env->n++] = eng_buf_steal(&b, NULL);
}

static bool is_truthy(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* User variables first (printed back in FunctionConfiguration), then the
 * reserved ones Lambda sets for every function. */
static int parse_env(const cJSON *root, eng_fn_t *fn, eng_buf_t *msg)
{
    const cJSON *vars = eng_json_get(eng_json_get(root, "Environment"), "Variables");
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        if (!cJSON_IsString(v) || !v->string[0] || strchr(v->string, '='))
            return invalid(msg,
                           "Environment variable '%s' must be a non-empty name with a "
                           "string value",
                           v->string);
        env_add(&fn->env, v->string, v->valuestring);
        if (strcmp(v->string, "EDDY_IN_PROCESS") == 0)
            fn->is_in_process = is_truthy(v->valuestring);
    }
    fn->n_user_env = fn->env.n;
    char num[32];
    env_add(&fn->env, "AWS_LAMBDA_FUNCTION_NAME", fn->name);
    env_add(&fn->env, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    snprintf(num, sizeof num, "%u", fn->memory_mb);
    env_add(&fn->env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", num);
    env_add(&fn->env, "AWS_REGION", fn->reg->region);
    env_add(&fn->env, "AWS_DEFAULT_REGION", fn->reg->region);
    env_add(&fn->env, "_HANDLER", fn->handler);
    return 0;
}

static eng_fn_t *fn_new(eng_fn_registry_t *reg)
{
    eng_fn_t *fn = eng_calloc(1, sizeof *fn);
    atomic_init(&fn->refs, 1);
    fn->reg = reg;
    fn->idle = eng_calloc(reg->max_hosts, sizeof *fn->idle);
    pthread_mutex_init(&fn->mu, NULL);
    pthread_cond_init(&fn->cv, NULL);
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(fn->last_modified, sizeof fn->last_modified, "%Y-%m-%dT%H:%M:%S.000+0000", &tm);
    return fn;
}

static int parse(const cJSON *root, const eng_fn_create_opts_t *opts, eng_fn_t *fn, eng_buf_t *msg)
{
    if (!cJSON_IsObject(root))
        return invalid(msg, "%sThe request body must be a JSON object", NULL);
    int err = parse_identity(root, fn, msg);
    if (err == 0)
        err = parse_code(root, opts, fn, msg);
    if (err == 0)
        err = parse_limits(root, fn, msg);
    if (err == 0)
        err = parse_env(root, fn, msg);
    if (err == 0 && fn->is_in_process && !fn->reg->is_in_process_allowed)
        err = invalid(msg, "%sEDDY_IN_PROCESS is disabled on this server", NULL);
    const char *role = eng_json_get_str(root, "Role");
    fn->role = eng_strdup(role ? role : "arn:aws:iam::000000000000:role/eddy-function");
    return err;
}

int eng_fn_create(eng_fn_registry_t *reg, const char *json, size_t len,
                  const eng_fn_create_opts_t *opts, eng_buf_t *msg, eng_fn_t **out)
{
    cJSON *root = NULL;
    eng_fn_t *fn = fn_new(reg), *replaced = NULL;
    int err = eng_json_parse(json, len, &root);
    if (err < 0)
        invalid(msg, "%sCould not parse request body into json", NULL);
    else
        err = parse(root, opts, fn, msg);
    if (err == 0) {
        eng_buf_t arn = {0};
        eng_buf_printf(&arn, "arn:aws:lambda:%s:000000000000:function:%s", reg->region, fn->name);
        fn->arn = eng_buf_steal(&arn, NULL);
        if (out)
            atomic_fetch_add(&fn->refs, 1); /* The caller's, besides the registry's. */
        err = fn__registry_insert(reg, fn, opts && opts->is_replace, &replaced);
        if (err == ENG_EEXIST) {
            invalid(msg, "Function already exist: %s", fn->name);
            if (out)
                atomic_fetch_sub(&fn->refs, 1);
        }
    }
    eng_json_delete(root);
    if (err == 0 && out)
        *out = fn;
    if (err < 0)
        eng_fn_unref(fn);
    eng_fn_unref(replaced);
    return err;
}

static void put_str(eng_buf_t *out, const char *key, const char *value, bool is_first)
{
    if (!is_first)
        eng_buf_append_char(out, ',');
    eng_json_append_string(out, key, strlen(key));
    eng_buf_append_char(out, ':');
    eng_json_append_string(out, value, strlen(value));
}

static void put_env(const eng_fn_t *fn, eng_buf_t *out)
{
    eng_buf_append_str(out, ",\"Environment\":{\"Variables\":{");
    for (size_t i = 0; i < fn->n_user_env; i++) {
        const char *kv = fn->env.vars[i], *eq = strchr(kv, '=');
        if (i)
            eng_buf_append_char(out, ',');
        eng_json_append_string(out, kv, (size_t)(eq - kv));
        eng_buf_append_char(out, ':');
        eng_json_append_string(out, eq + 1, strlen(eq + 1));
    }
    eng_buf_append_str(out, "}}");
}

void eng_fn_config_json(const eng_fn_t *fn, eng_buf_t *out)
{
    eng_buf_append_char(out, '{');
    put_str(out, "FunctionName", fn->name, true);
    put_str(out, "FunctionArn", fn->arn, false);
    put_str(out, "Runtime", fn->runtime, false);
    put_str(out, "Role", fn->role, false);
    put_str(out, "Handler", fn->handler, false);
    put_str(out, "Description", fn->description, false);
    put_str(out, "LastModified", fn->last_modified, false);
    put_str(out, "Version", "$LATEST", false);
    put_str(out, "State", "Active", false);
    put_str(out, "LastUpdateStatus", "Successful", false);
    put_str(out, "PackageType", "Zip", false);
    eng_buf_printf(out, ",\"CodeSize\":%lld,\"Timeout\":%u,\"MemorySize\":%u",
                   (long long)fn->code_size, (fn->timeout_ms + 999) / 1000, fn->memory_mb);
    eng_buf_append_str(out, ",\"Architectures\":[\"x86_64\"],\"EphemeralStorage\":{\"Size\":512}");
    put_env(fn, out);
    eng_buf_append_char(out, '}');
}
