/* SPDX-License-Identifier: MIT
 * hello_member.c: an example eddy function in C. Given {"name": "Ama"} it
 * picks a mood, stages a put of {name, mood} into the table "hello-member"
 * (committed with the trigger's checkpoint when a stream fires it) and
 * answers with an API Gateway-style response. Build: see meson.build here. */
#include <eddy.h>

#include <stdio.h>
#include <string.h>

EDDY_MODULE();

EDDY_EXPORT int hello_member(const eddy_event_t *ev, eddy_ctx_t *ctx);

static const char *const moods[] = {"Happy", "Curious", "Sleepy", "Brave"};

/* A deliberately tiny extraction of "name" to keep the example dependency-free;
 * real functions would use a JSON parser (cJSON is a good fit). */
static int find_name(const char *json, char *out, size_t size)
{
    const char *p = strstr(json, "\"name\"");
    if (!p || !(p = strchr(p + 6, '"')))
        return -1;
    const char *end = strchr(++p, '"');
    if (!end || (size_t)(end - p) >= size)
        return -1;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return strpbrk(out, "\\\"") ? -1 : 0;
}

int hello_member(const eddy_event_t *ev, eddy_ctx_t *ctx)
{
    char name[128], item[512], body[1024];
    if (find_name(eddy_event_json(ev, NULL), name, sizeof name) < 0)
        return eddy_fail(ctx, "ValidationError", "event needs a string \"name\""), 1;
    /* The request id is a random UUID: a fine source for a random mood. */
    const char *mood = moods[(unsigned char)eddy_ctx_request_id(ctx)[0] % 4];
    snprintf(item, sizeof item, "{\"name\":{\"S\":\"%s\"},\"mood\":{\"S\":\"%s\"}}", name, mood);
    if (eddy_stage_put(ctx, "hello-member", item) != EDDY_OK)
        return eddy_fail(ctx, "StageError", "could not stage the put"), 1;
    eddy_log(ctx, "%s is %s", name, mood);
    const int n =
        snprintf(body, sizeof body,
                 "{\"statusCode\":200,\"headers\":{\"Access-Control-Allow-Origin\":\"*\"},"
                 "\"body\":\"{\\\"name\\\":\\\"%s\\\",\\\"mood\\\":\\\"%s\\\"}\"}",
                 name, mood);
    return eddy_respond(ctx, body, (size_t)n);
}
