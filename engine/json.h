/* SPDX-License-Identifier: MIT
 * json.h: every JSON access goes through these helpers over cJSON. A child
 * belongs to its parent and only roots are deleted; printed text lands in an
 * eng_buf_t owned by the caller. Writers that build JSON by hand escape with
 * eng_json_append_string so output is always valid JSON. */
#ifndef ENG_JSON_H
#define ENG_JSON_H

#include "engine/mem.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

/* Parse exactly `len` bytes. On 0, *root is owned by the caller (eng_json_delete).
 * Returns ENG_EINVAL for malformed JSON or trailing garbage. */
int eng_json_parse(const char *text, size_t len, cJSON **root);

/* Delete a root returned by eng_json_parse or created by the caller. NULL is a no-op. */
void eng_json_delete(cJSON *root);

/* Member `key` of object `obj` (case-sensitive), or NULL when absent or when
 * obj is not an object. Borrowed: valid while the root lives. */
cJSON *eng_json_get(const cJSON *obj, const char *key);

/* The string value of member `key`, or NULL when absent or not a string. */
const char *eng_json_get_str(const cJSON *obj, const char *key);

/* Append `obj` printed without whitespace to `out`. */
void eng_json_print(const cJSON *obj, eng_buf_t *out);

/* Append `s` (len bytes, any content) as a quoted JSON string with escapes. */
void eng_json_append_string(eng_buf_t *out, const char *s, size_t len);

#endif
