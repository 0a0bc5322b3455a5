/* SPDX-License-Identifier: MIT
 * json.c: thin helpers over cJSON. Parsing requires the whole input to be one
 * JSON value; printing goes through a preallocated cJSON buffer when small. */
#include "engine/json.h"

#include "engine/err.h"

#include <stdio.h>
#include <stdlib.h>

int eng_json_parse(const char *text, size_t len, cJSON **root)
{
    const char *end = NULL;
    cJSON *r = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!r)
        return ENG_EINVAL;
    /* Allow only trailing whitespace after the value. */
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '\0') {
            cJSON_Delete(r);
            return ENG_EINVAL;
        }
    }
    *root = r;
    return 0;
}

void eng_json_delete(cJSON *root)
{
    cJSON_Delete(root);
}

cJSON *eng_json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const char *eng_json_get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = eng_json_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void eng_json_print(const cJSON *obj, eng_buf_t *out)
{
    char *s = cJSON_PrintUnformatted(obj);
    if (!s) {
        fprintf(stderr, "eddy: out of memory printing JSON\n");
        abort();
    }
    eng_buf_append_str(out, s);
    cJSON_free(s);
}

void eng_json_append_string(eng_buf_t *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *dst = eng_buf_reserve(out, len * 6 + 2); /* Worst case: every byte \u00XX. */
    char *p = dst;
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            *p++ = '\\';
            *p++ = '"';
            break;
        case '\\':
            *p++ = '\\';
            *p++ = '\\';
            break;
        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;
        case '\r':
            *p++ = '\\';
            *p++ = 'r';
            break;
        case '\t':
            *p++ = '\\';
            *p++ = 't';
            break;
        case '\b':
            *p++ = '\\';
            *p++ = 'b';
            break;
        case '\f':
            *p++ = '\\';
            *p++ = 'f';
            break;
        default:
            if (c < 0x20) {
                memcpy(p, "\\u00", 4);
                p[4] = hex[c >> 4];
                p[5] = hex[c & 15];
                p += 6;
            } else {
                *p++ = (char)c;
            }
        }
    }
    *p++ = '"';
    out->len += (size_t)(p - dst);
    out->ptr[out->len] = '\0';
}
