/* SPDX-License-Identifier: MIT
 * main.c: the eddy command line. Parses flags from one table, validates
 * everything (flags, data directory, listening address) before starting any
 * thread, so a bad start is one stderr line and exit code 2; then wires the
 * modules together, prints the ready line and waits for SIGTERM/SIGINT to
 * drain and exit 0. The only file that knows every module. */
#include "engine/err.h"
#include "engine/fn/fn.h"
#include "engine/log.h"
#include "engine/main/app.h"
#include "engine/mem.h"
#include "gateway/gw.h"
#include "storage/store.h"
#include "streams/strm.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_USAGE 2 /* Bad flag, busy port, unusable data directory. */

typedef struct serve_opts {
    gw_config_t gw;                    /* Gateway settings; gw.host points into host. */
    const char *data_dir;              /* Borrowed from argv or a literal. */
    const char *region;                /* Borrowed from argv or a literal. */
    eng_log_level_t log_level;         /* Minimum level written to stderr. */
    store_durability_t durability;     /* When commits reach the disk. */
    const char *app_path;              /* App manifest applied at start, or NULL. */
    char host[256];                    /* Listen address without brackets. */
    strm_retention_config_t retention; /* Change-log retention and trim pace. */
    unsigned iterator_ttl_ms;          /* Streams shard iterator lifetime; 0: 15 minutes. */
} serve_opts_t;

typedef enum flag_kind { FLAG_STR, FLAG_UINT, FLAG_SIZE, FLAG_FN } flag_kind_t;

typedef struct flag {
    const char *name;            /* Without the leading "--". */
    const char *metavar;         /* For --help. */
    const char *help;            /* One line for --help. */
    flag_kind_t kind;            /* How the value is stored at `offset`. */
    size_t offset;               /* Into serve_opts_t. */
    unsigned long long min, max; /* Accepted range for FLAG_UINT and FLAG_SIZE. */
    int (*parse)(serve_opts_t *o, const char *value); /* FLAG_FN: 0 or ENG_EINVAL. */
} flag_t;

static int parse_listen(serve_opts_t *o, const char *value);
static int parse_log_level(serve_opts_t *o, const char *value);
static int parse_durability(serve_opts_t *o, const char *value);
static int parse_retention(serve_opts_t *o, const char *value);

#define OPT(field) offsetof(serve_opts_t, field)
#define MS_MAX 86400000ULL /* One day. */

/* Every flag of `eddy serve`. Add new flags here; nothing else needs to know. */
static const flag_t serve_flags[] = {
    {"listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8000; port 0 picks one)",
     FLAG_FN, 0, 0, 0, parse_listen},
    {"data", "DIR", "data directory, created if missing (default ./eddy-data)", FLAG_STR,
     OPT(data_dir), 0, 0, NULL},
    {"threads", "N", "I/O threads (default: one per core)", FLAG_UINT, OPT(gw.threads), 1, 1024,
     NULL},
    {"region", "R", "AWS region reported in ARNs (default us-east-1)", FLAG_STR, OPT(region), 0, 0,
     NULL},
    {"log-level", "L", "debug, info, warn, error or off (default info)", FLAG_FN, 0, 0, 0,
     parse_log_level},
    {"app", "FILE", "app manifest (tables, functions, mappings) applied at start", FLAG_STR,
     OPT(app_path), 0, 0, NULL},
    {"durability", "D", "full (fsync each commit), relaxed (within 1 s) or none (default full)",
     FLAG_FN, 0, 0, 0, parse_durability},
    {"max-header-bytes", "N", "request line + headers limit, else 431 (default 16384)", FLAG_SIZE,
     OPT(gw.max_header_bytes), 64, 1ULL << 30, NULL},
    {"max-body-bytes", "N", "request body limit, else 413 (default 16 MiB)", FLAG_SIZE,
     OPT(gw.max_body_bytes), 0, 1ULL << 40, NULL},
    {"idle-timeout-ms", "MS", "close idle keep-alive connections after (default 60000)", FLAG_UINT,
     OPT(gw.idle_timeout_ms), 1, MS_MAX, NULL},
    {"header-timeout-ms", "MS", "time allowed to send headers (default 10000)", FLAG_UINT,
     OPT(gw.header_timeout_ms), 1, MS_MAX, NULL},
    {"body-timeout-ms", "MS", "time allowed to send a body (default 60000)", FLAG_UINT,
     OPT(gw.body_timeout_ms), 1, MS_MAX, NULL},
    {"max-conns", "N", "open connections; more are refused (default 20000)", FLAG_UINT,
     OPT(gw.max_conns), 1, 10000000, NULL},
    {"drain-timeout-ms", "MS", "on SIGTERM, time allowed for in-flight requests (default 10000)",
     FLAG_UINT, OPT(gw.drain_timeout_ms), 0, MS_MAX, NULL},
    {"stream-retention-hours", "H",
     "keep change-log records this long, decimals allowed (default 24)", FLAG_FN, 0, 0, 0,
     parse_retention},
    {"stream-trim-interval-ms", "MS", "pause between log trimming passes (default 60000)",
     FLAG_UINT, OPT(retention.interval_ms), 1, MS_MAX, NULL},
    {"stream-iterator-ttl-ms", "MS", "shard iterator lifetime (default 900000, DynamoDB's 15 min)",
     FLAG_UINT, OPT(iterator_ttl_ms), 1, MS_MAX, NULL},
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("eddy: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static int parse_retention(serve_opts_t *o, const char *value)
{
    char *end;
    errno = 0;
    const double hours = strtod(value, &end);
    if (errno || *end || end == value || !(hours > 0) || hours > 24.0 * 365 * 100)
        return ENG_EINVAL;
    const double secs = hours * 3600.0;
    o->retention.retention_s = secs < 1 ? 1 : (uint64_t)secs;
    return 0;
}

static int parse_listen(serve_opts_t *o, const char *value)
{
    const char *colon = strrchr(value, ':');
    const char *host = value;
    size_t host_len = colon ? (size_t)(colon - value) : 0;
    if (host_len >= 2 && value[0] == '[' && value[host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    if (!colon || host_len == 0 || host_len >= sizeof o->host || !colon[1])
        return ENG_EINVAL;
    char *end;
    errno = 0;
    const unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || port > 65535 || colon[1] == '-' || colon[1] == '+')
        return ENG_EINVAL;
    memcpy(o->host, host, host_len);
    o->host[host_len] = '\0';
    o->gw.host = o->host;
    o->gw.port = (int)port;
    return 0;
}

static int parse_durability(serve_opts_t *o, const char *value)
{
    return store_durability_parse(value, &o->durability);
}

static int parse_log_level(serve_opts_t *o, const char *value)
{
    return eng_log_level_parse(value, &o->log_level);
}

static int parse_number(const flag_t *f, const char *value, unsigned long long *out)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || v < f->min || v > f->max)
        return ENG_EINVAL;
    *out = v;
    return 0;
}

static int apply_flag(serve_opts_t *o, const flag_t *f, const char *value)
{
    char *field = (char *)o + f->offset;
    unsigned long long v = 0;
    switch (f->kind) {
    case FLAG_STR:
        if (!*value)
            return ENG_EINVAL;
        *(const char **)(void *)field = value;
        return 0;
    case FLAG_UINT:
        if (parse_number(f, value, &v) < 0)
            return ENG_EINVAL;
        *(unsigned *)(void *)field = (unsigned)v;
        return 0;
    case FLAG_SIZE:
        if (parse_number(f, value, &v) < 0)
            return ENG_EINVAL;
        *(size_t *)(void *)field = (size_t)v;
        return 0;
    case FLAG_FN:
        return f->parse(o, value);
    }
    return ENG_EINVAL;
}

static const flag_t *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(serve_flags); i++) {
        if (strlen(serve_flags[i].name) == len && memcmp(serve_flags[i].name, name, len) == 0)
            return &serve_flags[i];
    }
    return NULL;
}

static void print_serve_help(FILE *out)
{
    fputs("usage: eddy serve [flags]\n\nServe tables, streams and functions over the AWS "
          "wire protocols.\n\nflags:\n",
          out);
    for (size_t i = 0; i < ENG_ARRAY_LEN(serve_flags); i++) {
        const flag_t *f = &serve_flags[i];
        char lhs[64];
        snprintf(lhs, sizeof lhs, "--%s %s", f->name, f->metavar);
        fprintf(out, "  %-30s %s\n", lhs, f->help);
    }
    fprintf(out, "  %-30s %s\n", "--help", "show this help");
}

/* Parse `eddy serve` arguments: --flag VALUE or --flag=VALUE. Exits on error. */
static void parse_serve_args(serve_opts_t *o, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_serve_help(stdout);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0)
            die("unexpected argument '%s' (see eddy serve --help)", arg);
        const char *name = arg + 2, *eq = strchr(name, '=');
        const size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const flag_t *f = find_flag(name, name_len);
        if (!f)
            die("unknown flag '--%.*s' (see eddy serve --help)", (int)name_len, name);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value)
            die("flag --%s needs a value (%s)", f->name, f->metavar);
        if (apply_flag(o, f, value) < 0)
            die("invalid value '%s' for --%s (%s)", value, f->name, f->metavar);
    }
}

/* mkdir -p `path`, then require a writable directory. Returns 0, or an errno
 * value describing why it is unusable. */
static int prepare_data_dir(const char *path)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof buf)
        return ENAMETOOLONG;
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return errno;
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    if (access(path, W_OK | X_OK) != 0)
        return errno;
    return 0;
}

/* Many keep-alive connections need many descriptors: take all we may. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static const char *bind_error(int err)
{
    switch (err) {
    case ENG_EBUSY:
        return "address already in use";
    case ENG_EACCES:
        return "permission denied";
    case ENG_EINVAL:
        return "invalid address";
    default:
        return eng_strerror(err);
    }
}

static void print_ready(const serve_opts_t *o, int port)
{
    const bool is_v6 = strchr(o->host, ':') != NULL;
    printf("eddy listening on http://%s%s%s:%d\n", is_v6 ? "[" : "", o->host, is_v6 ? "]" : "",
           port);
    fflush(stdout);
}

static int wait_for_stop(const sigset_t *stop)
{
    int sig = 0;
    while (sigwait(stop, &sig) != 0)
        ;
    return sig;
}

/* The TTL sweep interval from EDDY_TTL_SWEEP_MS (1 ms to 1 h), else 5 s. */
static uint32_t ttl_sweep_ms(void)
{
    const char *v = getenv("EDDY_TTL_SWEEP_MS");
    char *end = NULL;
    unsigned long ms = v ? strtoul(v, &end, 10) : 0;
    return ms >= 1 && ms <= 3600000 && end && *end == '\0' ? (uint32_t)ms : 5000;
}

/* Every running module, in start order; stopped in reverse. */
typedef struct engine {
    store_t *store;
    eng_fn_registry_t *fns;
    gw_t *gw;
    gw_ddb_t *ddb;
    gw_ddbs_t *ddbs;
    gw_lambda_t *lambda;
    strm_retention_t *retention;
    strm_dispatch_t *dispatch; /* Event source mappings (h9). */
    gw_esm_t *esm;             /* Their Lambda API and /_eddy/mappings (h9). */
    store_ttl_t *ttl;          /* TTL sweeper (h11). */
} engine_t;

/* Stop whatever started, in reverse order. Safe on a partly started engine. */
static void engine_stop(engine_t *e)
{
    /* The loops end first (draining what they read); the gateway's memory
     * stays valid until every thread that may post into it has stopped. */
    gw_wait(e->gw);
    gw_lambda_close(e->lambda);
    strm_dispatch_destroy(e->dispatch); /* Before the registry its invocations use. */
    eng_fn_registry_destroy(e->fns);    /* Waits for invocations still running. */
    if (e->store)
        store_flush(e->store); /* Writes the drain gave up on finish; answers are dropped. */
    gw_esm_destroy(e->esm);
    gw_lambda_destroy(e->lambda);
    gw_ddb_destroy(e->ddb);
    gw_ddbs_destroy(e->ddbs);
    gw_destroy(e->gw);
    strm_retention_destroy(e->retention);
    store_ttl_stop(e->ttl);
    store_close(e->store);
    *e = (engine_t){0};
}

/* Open storage, create the function registry, bind and start the gateway.
 * Exits with one stderr line (code 2) on any failure, nothing left running. */
static void engine_start(engine_t *e, serve_opts_t *o)
{
    const store_config_t scfg = {
        .dir = o->data_dir, .durability = o->durability, .region = o->region};
    int err = store_open(&scfg, &e->store);
    if (err < 0)
        die("cannot open the store in '%s': %s", o->data_dir, eng_strerror(err));
    eng_fn_registry_config_t fcfg;
    eng_fn_registry_config_default(&fcfg);
    fcfg.region = o->region;
    err = eng_fn_registry_create(&fcfg, &e->fns);
    if (err < 0) {
        engine_stop(e);
        die("cannot start the function runtime: %s", eng_strerror(err));
    }
    /* The trigger dispatcher takes the store's commit callback before any write. */
    err = strm_dispatch_create(
        &(strm_dispatch_config_t){.store = e->store, .fns = e->fns, .region = o->region},
        &e->dispatch);
    if (err < 0) {
        engine_stop(e);
        die("cannot start the trigger dispatcher: %s", eng_strerror(err));
    }
    err = gw_create(&o->gw, &e->gw);
    if (err < 0) {
        engine_stop(e);
        die("cannot listen on %s:%d: %s", o->host, o->gw.port, bind_error(err));
    }
    err = gw_admin_register(e->gw);
    if (err == 0)
        err = gw_ddb_create(e->gw, e->store, o->region, &e->ddb);
    if (err == 0)
        err = gw_lambda_create(e->gw, e->fns, &e->lambda);
    if (err == 0)
        err = gw_esm_create(e->gw, e->dispatch, &e->esm);
    if (err == 0)
        err = gw_ddbs_create(
            e->gw, e->store,
            &(gw_ddbs_config_t){.region = o->region, .iterator_ttl_ms = o->iterator_ttl_ms},
            &e->ddbs);
    if (err == 0)
        err = strm_retention_create(e->store, &o->retention, &e->retention);
    if (err == 0) /* EDDY_TTL_SWEEP_MS: pause between TTL passes (default 5000; tests use less). */
        err = store_ttl_start(e->store, ttl_sweep_ms(), &e->ttl);
    if (err == 0)
        err = gw_start(e->gw);
    if (err < 0) {
        engine_stop(e);
        die("cannot start the gateway: %s", eng_strerror(err));
    }
}

static void apply_app(engine_t *e, const serve_opts_t *o)
{
    if (!o->app_path)
        return;
    eng_buf_t why = {0};
    if (eng_app_apply(o->app_path, e->fns, gw_port(e->gw), &why) < 0) {
        engine_stop(e);
        die("%s", why.ptr ? why.ptr : "cannot apply the app manifest");
    }
    eng_buf_free(&why);
}

static int cmd_serve(int argc, char **argv)
{
    serve_opts_t o = {.data_dir = "./eddy-data", .region = "us-east-1"};
    gw_config_default(&o.gw);
    strcpy(o.host, "127.0.0.1");
    o.gw.host = o.host;
    o.log_level = eng_log_get_level();
    parse_serve_args(&o, argc, argv);
    eng_log_set_level(o.log_level);

    /* Step 1: signals. Blocked before any thread exists so that every thread
     * inherits the mask and only sigwait below ever sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    /* Step 2: the data directory, then every module, then the manifest. */
    const int dir_err = prepare_data_dir(o.data_dir);
    if (dir_err)
        die("cannot use data directory '%s': %s", o.data_dir, strerror(dir_err));
    engine_t e = {0};
    engine_start(&e, &o);
    apply_app(&e, &o);
    print_ready(&o, gw_port(e.gw));
    ENG_INFO("engine", "serving %s on port %d with %u I/O threads (region %s)", o.data_dir,
             gw_port(e.gw), gw_threads(e.gw), o.region);

    /* Step 3: wait, then drain and stop in reverse order. */
    const int sig = wait_for_stop(&stop);
    ENG_INFO("engine", "%s received: draining", sig == SIGINT ? "SIGINT" : "SIGTERM");
    engine_stop(&e);
    ENG_INFO("engine", "stopped");
    return 0;
}

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t commands[] = {
    {"serve", cmd_serve, "run the server"},
};

static void print_help(FILE *out)
{
    fputs("usage: eddy <command> [flags]\n       eddy --help | --version\n\ncommands:\n", out);
    for (size_t i = 0; i < ENG_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fputs("\nRun 'eddy <command> --help' for a command's flags.\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("eddy %s\n", EDDY_VERSION);
        return 0;
    }
    for (size_t i = 0; i < ENG_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    }
    die("unknown command '%s' (see eddy --help)", argv[1]);
}
