/* SPDX-License-Identifier: MIT
 * stream.c: stream records as a stream of a given view type serves them.
 * Storage keeps every record with both images (NEW_AND_OLD_IMAGES); a
 * narrower view is cut from those bytes by walking the "dynamodb" object's
 * members with a small JSON skipper, so images are copied, never re-encoded.
 * Records are trusted (storage wrote them); the skipper still never reads
 * past the slice and reports anything unexpected as ENG_ECORRUPT. */
#include "streams/strm.h"

#include "engine/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const VIEW_NAMES[] = {
    [STRM_VIEW_KEYS_ONLY] = "KEYS_ONLY",
    [STRM_VIEW_NEW_IMAGE] = "NEW_IMAGE",
    [STRM_VIEW_OLD_IMAGE] = "OLD_IMAGE",
    [STRM_VIEW_NEW_AND_OLD_IMAGES] = "NEW_AND_OLD_IMAGES",
};

int strm_view_parse(const char *name, strm_view_t *out)
{
    for (size_t i = 0; name && i < ENG_ARRAY_LEN(VIEW_NAMES); i++) {
        if (strcmp(name, VIEW_NAMES[i]) == 0) {
            *out = (strm_view_t)i;
            return 0;
        }
    }
    return ENG_EINVAL;
}

const char *strm_view_name(strm_view_t view)
{
    return VIEW_NAMES[view];
}

/* ---- a minimal JSON skipper ---------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Skip one JSON value starting at p; NULL if it runs past `end`. */
static const char *skip_value(const char *p, const char *end)
{
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && !strchr(",}] \n\t\r", *p))
            p++;
        return p;
    }
    int depth = 0;
    for (; p < end; p++) {
        if (*p == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            p--;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if ((*p == '}' || *p == ']') && --depth == 0) {
            return p + 1;
        }
    }
    return NULL;
}

/* ---- views --------------------------------------------------------------- */

static bool is_member(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

/* Copy one member of "dynamodb" (name at p, value [v, ve)) if the view keeps it. */
static void copy_member(eng_buf_t *out, strm_view_t view, const char *name, size_t name_len,
                        const char *v, const char *ve, bool *is_first)
{
    if ((is_member(name, name_len, "NewImage") &&
         (view == STRM_VIEW_KEYS_ONLY || view == STRM_VIEW_OLD_IMAGE)) ||
        (is_member(name, name_len, "OldImage") &&
         (view == STRM_VIEW_KEYS_ONLY || view == STRM_VIEW_NEW_IMAGE)))
        return;
    if (!*is_first)
        eng_buf_append_char(out, ',');
    *is_first = false;
    eng_buf_append_char(out, '"');
    eng_buf_append(out, name, name_len);
    eng_buf_append_str(out, "\":");
    if (is_member(name, name_len, "StreamViewType")) {
        eng_buf_printf(out, "\"%s\"", VIEW_NAMES[view]);
        return;
    }
    eng_buf_append(out, v, (size_t)(ve - v));
}

/* Copy the "dynamodb" object starting at p; returns the end of it or NULL. */
static const char *copy_dynamodb(const char *p, const char *end, strm_view_t view, eng_buf_t *out)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return NULL;
    eng_buf_append_char(out, '{');
    bool is_first = true;
    for (p = skip_ws(p + 1, end); p < end && *p == '"'; p = skip_ws(p, end)) {
        const char *ne = skip_string(p, end);
        const char *colon = ne ? skip_ws(ne, end) : NULL;
        if (!colon || colon >= end || *colon != ':')
            return NULL;
        const char *v = skip_ws(colon + 1, end);
        const char *ve = skip_value(v, end);
        if (!ve)
            return NULL;
        copy_member(out, view, p + 1, (size_t)(ne - p - 2), v, ve, &is_first);
        p = skip_ws(ve, end);
        if (p < end && *p == ',')
            p++;
    }
    if (p >= end || *p != '}')
        return NULL;
    eng_buf_append_char(out, '}');
    return p + 1;
}

#define DYNAMODB_KEY "\"dynamodb\":"

int strm_record_append(eng_slice_t rec, strm_view_t view, eng_buf_t *out)
{
    if (view == STRM_VIEW_NEW_AND_OLD_IMAGES) {
        eng_buf_append(out, rec.ptr, rec.len);
        return 0;
    }
    size_t start_len = out->len;
    const char *end = rec.ptr + rec.len;
    /* Every member before "dynamodb" is a fixed field or a quoted string
     * without raw quotes, so the first match is the member itself. */
    const char *d = memmem(rec.ptr, rec.len, DYNAMODB_KEY, sizeof(DYNAMODB_KEY) - 1);
    if (!d)
        goto corrupt;
    d += sizeof(DYNAMODB_KEY) - 1;
    eng_buf_append(out, rec.ptr, (size_t)(d - rec.ptr));
    const char *after = copy_dynamodb(d, end, view, out);
    if (!after)
        goto corrupt;
    eng_buf_append(out, after, (size_t)(end - after));
    return 0;
corrupt:
    out->len = start_len;
    if (out->ptr)
        out->ptr[out->len] = '\0';
    return ENG_ECORRUPT;
}

#define TIME_KEY "\"ApproximateCreationDateTime\":"

int strm_record_time(eng_slice_t rec, int64_t *out_s)
{
    const char *t = memmem(rec.ptr, rec.len, TIME_KEY, sizeof(TIME_KEY) - 1);
    if (!t)
        return ENG_ECORRUPT;
    t += sizeof(TIME_KEY) - 1;
    char num[24];
    size_t n = 0;
    while (t + n < rec.ptr + rec.len && n < sizeof(num) - 1 &&
           ((t[n] >= '0' && t[n] <= '9') || t[n] == '-'))
        n++;
    memcpy(num, t, n);
    num[n] = '\0';
    char *e;
    errno = 0;
    long long v = strtoll(num, &e, 10);
    if (n == 0 || *e || errno)
        return ENG_ECORRUPT;
    *out_s = (int64_t)v;
    return 0;
}
