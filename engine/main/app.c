/* SPDX-License-Identifier: MIT
 * app.c: the app manifest loader. Tables and mappings are applied through the
 * engine's own HTTP API over loopback, so a manifest entry gets exactly the
 * validation, defaults and error messages the same AWS call would get from a
 * client; functions are registered directly (the registry is in memory and
 * rebuilt at every start). Idempotent: what exists is kept, so applying the
 * same manifest at every start is safe. */
#include "engine/main/app.h"

#include "engine/err.h"
#include "engine/json.h"
#include "engine/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESP_MAX (4u << 20) /* Largest answer read from our own API. */

typedef struct app {
    eng_fn_registry_t *fns;
    int port;
    char dir[PATH_MAX]; /* The manifest's folder. */
    eng_buf_t *why;
    eng_buf_t resp; /* Last HTTP response body. */
    int status;     /* Last HTTP status. */
} app_t;

static int read_file(const char *path, eng_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? ENG_ENOTFOUND : ENG_EIO;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        eng_buf_append(out, chunk, n);
    const int err = ferror(f) ? ENG_EIO : 0;
    fclose(f);
    return err;
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len) {
        const ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return ENG_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Parse "HTTP/1.1 200 ..." and Content-Length from a full response in raw. */
static int parse_response(app_t *a, const eng_buf_t *raw)
{
    const char *end = strstr(raw->ptr, "\r\n\r\n");
    if (!end || sscanf(raw->ptr, "HTTP/1.%*d %d", &a->status) != 1)
        return ENG_EIO;
    const char *body = end + 4;
    eng_buf_reset(&a->resp);
    eng_buf_append(&a->resp, body, raw->len - (size_t)(body - raw->ptr));
    return 0;
}

/* One request over a fresh loopback connection with Connection: close, so
 * the answer ends at EOF. Fills a->status and a->resp. */
static int http(app_t *a, const char *method, const char *path, const char *target,
                const char *body, size_t len)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return ENG_EIO;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)a->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    eng_buf_t raw = {0};
    int err = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : ENG_EIO;
    if (err == 0) {
        eng_buf_printf(&raw,
                       "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                       "Content-Type: application/x-amz-json-1.0\r\nContent-Length: %zu\r\n",
                       method, path, len);
        if (target)
            eng_buf_printf(&raw, "X-Amz-Target: %s\r\n", target);
        eng_buf_append_str(&raw, "\r\n");
        eng_buf_append(&raw, body, len);
        err = send_all(fd, raw.ptr, raw.len);
    }
    eng_buf_reset(&raw);
    for (ssize_t n = 1; err == 0 && n > 0;) {
        n = recv(fd, eng_buf_reserve(&raw, 16384), 16384, 0);
        if (n > 0)
            raw.len += (size_t)n, raw.ptr[raw.len] = '\0';
        if (n < 0 || raw.len > RESP_MAX)
            err = ENG_EIO;
    }
    close(fd);
    if (err == 0)
        err = parse_response(a, &raw);
    eng_buf_free(&raw);
    return err;
}

static int refuse(app_t *a, const char *what, const char *name)
{
    eng_buf_printf(a->why, "manifest %s '%s' refused (HTTP %d): %s", what, name ? name : "?",
                   a->status, a->resp.ptr ? a->resp.ptr : "");
    return ENG_EINVAL;
}

static bool is_error_type(const app_t *a, const char *type)
{
    return a->resp.ptr && strstr(a->resp.ptr, type) != NULL;
}

static int apply_table(app_t *a, const cJSON *t)
{
    eng_buf_t body = {0};
    eng_json_print(t, &body);
    int err = http(a, "POST", "/", "DynamoDB_20120810.CreateTable", body.ptr, body.len);
    eng_buf_free(&body);
    if (err < 0)
        return err;
    if (a->status == 200 || is_error_type(a, "ResourceInUseException"))
        return 0;
    return refuse(a, "table", eng_json_get_str(t, "TableName"));
}

static int apply_function(app_t *a, const cJSON *f)
{
    eng_buf_t body = {0};
    eng_json_print(f, &body);
    const eng_fn_create_opts_t opts = {.base_dir = a->dir, .is_replace = true};
    int err = eng_fn_create(a->fns, body.ptr, body.len, &opts, a->why, NULL);
    eng_buf_free(&body);
    if (err < 0 && a->why->len == 0)
        eng_buf_printf(a->why, "manifest function refused: %s", eng_strerror(err));
    return err;
}

/* TableName -> that table's latest stream ARN, through DescribeTable. */
static int resolve_stream(app_t *a, cJSON *m)
{
    const char *table = eng_json_get_str(m, "TableName");
    if (!table || eng_json_get(m, "EventSourceArn"))
        return 0;
    eng_buf_t body = {0};
    cJSON *req = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(req, "TableName", table);
    eng_json_print(req, &body);
    eng_json_delete(req);
    int err = http(a, "POST", "/", "DynamoDB_20120810.DescribeTable", body.ptr, body.len);
    eng_buf_free(&body);
    if (err == 0 && a->status != 200)
        return refuse(a, "mapping's table", table);
    if (err == 0)
        err = eng_json_parse(a->resp.ptr, a->resp.len, &out);
    const char *arn =
        err == 0 ? eng_json_get_str(eng_json_get(out, "Table"), "LatestStreamArn") : NULL;
    if (err == 0 && !arn) {
        eng_buf_printf(a->why, "manifest mapping: table '%s' has no stream enabled", table);
        err = ENG_EINVAL;
    }
    if (err == 0) {
        cJSON_AddStringToObject(m, "EventSourceArn", arn);
        cJSON_DeleteItemFromObjectCaseSensitive(m, "TableName");
    }
    eng_json_delete(out);
    return err;
}

/* Does a mapping of this function on this stream exist already? */
static int mapping_exists(app_t *a, const cJSON *m, bool *exists)
{
    char path[1024];
    snprintf(path, sizeof path, "/2015-03-31/event-source-mappings/?FunctionName=%s",
             eng_json_get_str(m, "FunctionName") ? eng_json_get_str(m, "FunctionName") : "");
    int err = http(a, "GET", path, NULL, "", 0);
    cJSON *out = NULL;
    if (err == 0 && a->status != 200)
        return refuse(a, "mapping's function", eng_json_get_str(m, "FunctionName"));
    if (err == 0)
        err = eng_json_parse(a->resp.ptr, a->resp.len, &out);
    const char *want = eng_json_get_str(m, "EventSourceArn");
    const cJSON *it;
    *exists = false;
    cJSON_ArrayForEach(it, eng_json_get(out, "EventSourceMappings"))
    {
        const char *arn = eng_json_get_str(it, "EventSourceArn");
        if (arn && want && strcmp(arn, want) == 0)
            *exists = true;
    }
    eng_json_delete(out);
    return err;
}

static int apply_mapping(app_t *a, const cJSON *entry)
{
    cJSON *m = cJSON_Duplicate(entry, true);
    bool exists = false;
    int err = resolve_stream(a, m);
    if (err == 0)
        err = mapping_exists(a, m, &exists);
    if (err == 0 && !exists) {
        eng_buf_t body = {0};
        eng_json_print(m, &body);
        err = http(a, "POST", "/2015-03-31/event-source-mappings/", NULL, body.ptr, body.len);
        eng_buf_free(&body);
        if (err == 0 && a->status != 202 && a->status != 200 && a->status != 201)
            err = refuse(a, "mapping for", eng_json_get_str(m, "FunctionName"));
    }
    eng_json_delete(m);
    return err;
}

typedef int (*apply_fn)(app_t *a, const cJSON *entry);

/* Sections in dependency order: mappings name functions and tables. */
static const struct {
    const char *name;
    apply_fn apply;
} sections[] = {
    {"functions", apply_function},
    {"tables", apply_table},
    {"eventSourceMappings", apply_mapping},
};

static int apply_sections(app_t *a, const cJSON *root)
{
    for (size_t i = 0; i < ENG_ARRAY_LEN(sections); i++) {
        const cJSON *list = eng_json_get(root, sections[i].name), *entry;
        if (list && !cJSON_IsArray(list)) {
            eng_buf_printf(a->why, "manifest: \"%s\" must be an array", sections[i].name);
            return ENG_EINVAL;
        }
        cJSON_ArrayForEach(entry, list)
        {
            int err = sections[i].apply(a, entry);
            if (err < 0)
                return err;
        }
    }
    return 0;
}

int eng_app_apply(const char *path, eng_fn_registry_t *fns, int port, eng_buf_t *why)
{
    app_t a = {.fns = fns, .port = port, .why = why};
    eng_buf_t text = {0};
    cJSON *root = NULL;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    if (!realpath(dirname(tmp), a.dir))
        snprintf(a.dir, sizeof a.dir, ".");
    int err = read_file(path, &text);
    if (err < 0)
        eng_buf_printf(why, "cannot read manifest '%s': %s", path, eng_strerror(err));
    else if ((err = eng_json_parse(text.ptr, text.len, &root)) < 0 || !cJSON_IsObject(root))
        eng_buf_printf(why, "manifest '%s' is not a JSON object", path), err = ENG_EINVAL;
    else
        err = apply_sections(&a, root);
    if (err == 0)
        ENG_INFO("engine", "applied app manifest %s", path);
    eng_json_delete(root);
    eng_buf_free(&text);
    eng_buf_free(&a.resp);
    return err;
}
