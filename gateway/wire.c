/* SPDX-License-Identifier: MIT
 * wire.c: the AWS JSON 1.0 decoder's type checks, driven by a request's
 * shape (gw_wire_member_t tables). The decoder names the JSON token it
 * found (NUMBER_VALUE for an integer, DECIMAL_VALUE for a fraction,
 * STRING_VALUE, TRUE_VALUE, FALSE_VALUE) and the Java type it wanted; lists,
 * maps and structures of the wrong kind have messages of their own, and so
 * do generic (parameterized) Java types. Messages as DynamoDB returns them. */
#include "gateway/wire_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS "com.amazonaws.dynamodb.v20120810."

/* What the decoder says of a scalar where a generic (parameterized) list
 * or map belongs. */
#define CAST_MSG                                                                                   \
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "  \
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and "           \
    "java.lang.Class are in module java.base of loader 'bootstrap')"

#define START_MSG "Start of structure or map found where not expected"

static int member_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const gw_wire_member_t *)elem)->name);
}

static const char *const JAVA_TYPE[] = {
    [GW_WIRE_STRING] = "String",
    [GW_WIRE_BOOLEAN] = "Boolean",
    [GW_WIRE_INTEGER] = "Integer",
    [GW_WIRE_LONG] = "Long",
};

/* The token name of a scalar JSON value. */
static const char *token_of(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "STRING_VALUE";
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "TRUE_VALUE" : "FALSE_VALUE";
    double d = v->valuedouble;
    return d == floor(d) && fabs(d) < 1e18 ? "NUMBER_VALUE" : "DECIMAL_VALUE";
}

/* Whether a scalar of v's kind decodes as scalar type `t`. Numbers decode
 * as an Integer or Long (fractions are cut, as DynamoDB does), never as a
 * String or a Boolean; only a string is a String, only true or false a
 * Boolean. */
static bool scalar_fits(const cJSON *v, gw_wire_type_t t)
{
    return t == GW_WIRE_STRING    ? cJSON_IsString(v)
           : t == GW_WIRE_BOOLEAN ? cJSON_IsBool(v)
                                  : cJSON_IsNumber(v);
}

/* `v` where scalar type `t` (String, Boolean, Integer, Long) belongs. */
static bool type_error(const cJSON *v, gw_wire_type_t t, eng_buf_t *msg)
{
    if (scalar_fits(v, t))
        return false;
    if (cJSON_IsArray(v))
        eng_buf_printf(msg, "Unrecognized collection type class java.lang.%s", JAVA_TYPE[t]);
    else if (cJSON_IsObject(v))
        eng_buf_append_str(msg, START_MSG);
    else if (t == GW_WIRE_BOOLEAN && cJSON_IsString(v))
        eng_buf_append_str(msg, "Unexpected token received from parser");
    else
        eng_buf_printf(msg, "%s cannot be converted to %s", token_of(v), JAVA_TYPE[t]);
    return true;
}

/* The Java type of values of type `m`, as the decoder names it in its
 * messages: java.lang.String, com.amazonaws...Condition, java.util.List<...>. */
static void append_java_type(const gw_wire_member_t *m, eng_buf_t *out)
{
    switch (m->type) {
    case GW_WIRE_STRUCT:
        eng_buf_printf(out, NS "%s", m->cls);
        return;
    case GW_WIRE_LIST:
    case GW_WIRE_MAP:
        eng_buf_append_str(out, m->type == GW_WIRE_LIST ? "java.util.List<"
                                                        : "java.util.Map<java.lang.String, ");
        append_java_type(m->elem, out);
        eng_buf_append_char(out, '>');
        return;
    case GW_WIRE_BLOB:
        eng_buf_append_str(out, "java.nio.ByteBuffer");
        return;
    default:
        eng_buf_printf(out, "java.lang.%s", JAVA_TYPE[m->type]);
        return;
    }
}

/* Blob: a base64 string of a length divisible by 4 whose last data
 * character leaves no stray bits. Other bad characters are left to the
 * operation's own check. */
static int b64_index(char ch)
{
    const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = ch ? strchr(set, ch) : NULL;
    return at ? (int)(at - set) : -1;
}

static bool blob_error(const cJSON *v, eng_buf_t *msg)
{
    if (!cJSON_IsString(v)) {
        eng_buf_append_str(
            msg, cJSON_IsArray(v)    ? "Unrecognized collection type class java.nio.ByteBuffer"
                 : cJSON_IsObject(v) ? START_MSG
                                     : "only base-64-encoded strings are convertible to bytes");
        return true;
    }
    size_t len = strlen(v->valuestring), pad = 0;
    if (len % 4) {
        eng_buf_printf(
            msg, "Base64 encoded length is expected a multiple of 4 bytes but found: %zu", len);
        return true;
    }
    while (pad < 2 && pad < len && v->valuestring[len - 1 - pad] == '=')
        pad++;
    /* With one '=' the last data character carries 2 unused bits, with two 4. */
    int last = len > pad ? b64_index(v->valuestring[len - 1 - pad]) : -1;
    if (!pad || (last >= 0 && (last & (pad == 1 ? 3 : 15)) == 0))
        return false;
    eng_buf_append_str(msg, "Invalid last non-pad Base64 character dectected"); /* Sic. */
    return true;
}

/* Anything but a JSON array where list `m` belongs, or anything but an
 * object where map `m` belongs. */
static bool container_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg)
{
    bool is_list = m->type == GW_WIRE_LIST;
    if (is_list ? cJSON_IsArray(v) : cJSON_IsObject(v))
        return false;
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
        eng_buf_append_str(msg, m->is_generic ? CAST_MSG : "Unexpected field type");
    else if (is_list)
        eng_buf_append_str(msg, START_MSG);
    else {
        eng_buf_append_str(msg, "Unrecognized collection type java.util.Map<java.lang.String, ");
        append_java_type(m->elem, msg);
        eng_buf_append_char(msg, '>');
    }
    return true;
}

/* A structure of class `cls` as a member's value (is_value false) or as an
 * element of a list or map (is_value true). */
static bool struct_error(const cJSON *v, const char *cls, bool is_value, eng_buf_t *msg)
{
    if (cJSON_IsObject(v))
        return false;
    if (cJSON_IsArray(v))
        eng_buf_printf(msg, "Unrecognized collection type class " NS "%s", cls);
    else
        eng_buf_append_str(msg,
                           is_value ? "Unexpected value type in payload" : "Unexpected field type");
    return true;
}

static bool check(const cJSON *v, const gw_wire_member_t *m, bool is_value, eng_buf_t *msg);

/* The members of structure `obj` that `shape` types, in the order sent. */
static bool shape_error(const cJSON *obj, const gw_wire_shape_t *shape, eng_buf_t *msg)
{
    for (const cJSON *c = shape ? obj->child : NULL; c; c = c->next)
        for (size_t i = 0; i < shape->n; i++)
            if (strcmp(c->string, shape->members[i].name) == 0 &&
                check(c, &shape->members[i], false, msg))
                return true;
    return false;
}

/* `v` as a value of type `m`: a member's value, or (is_value) an element. */
static bool check(const cJSON *v, const gw_wire_member_t *m, bool is_value, eng_buf_t *msg)
{
    if (cJSON_IsNull(v))
        return false;
    switch (m->type) {
    case GW_WIRE_STRUCT:
        return struct_error(v, m->cls, is_value, msg) || shape_error(v, m->shape, msg);
    case GW_WIRE_LIST:
    case GW_WIRE_MAP:
        if (container_error(v, m, msg))
            return true;
        for (const cJSON *e = v->child; e; e = e->next)
            if (check(e, m->elem, true, msg))
                return true;
        return false;
    case GW_WIRE_BLOB:
        return blob_error(v, msg);
    default:
        return type_error(v, m->type, msg);
    }
}

void gw__wire_drop_nulls(cJSON *root)
{
    cJSON *m = root->child;
    while (m) {
        cJSON *next = m->next;
        if (cJSON_IsNull(m))
            cJSON_Delete(cJSON_DetachItemViaPointer(root, m));
        m = next;
    }
}

bool gw__wire_member_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg)
{
    return check(v, m, false, msg);
}

const cJSON *gw__wire_error(const cJSON *root, const gw_wire_member_t *members, size_t n,
                            const gw_wire_member_t *own, eng_buf_t *msg)
{
    for (const cJSON *m = root->child; m; m = m->next) {
        const gw_wire_member_t *w =
            own && strcmp(m->string, own->name) == 0
                ? own
                : bsearch(m->string, members, n, sizeof(*members), member_cmp);
        if (w && check(m, w, false, msg))
            return m;
    }
    return NULL;
}

/* ---- The AttributeValue ------------------------------------------------ */

const gw_wire_member_t gw__wire_str = {.name = "", .type = GW_WIRE_STRING};
static const gw_wire_member_t BLOB = {.name = "", .type = GW_WIRE_BLOB};
static const gw_wire_member_t AV_MEMBERS[] = {
    {.name = "S", .type = GW_WIRE_STRING},
    {.name = "N", .type = GW_WIRE_STRING},
    {.name = "B", .type = GW_WIRE_BLOB},
    {.name = "BOOL", .type = GW_WIRE_BOOLEAN},
    {.name = "NULL", .type = GW_WIRE_BOOLEAN},
    {.name = "SS", .type = GW_WIRE_LIST, .elem = &gw__wire_str},
    {.name = "NS", .type = GW_WIRE_LIST, .elem = &gw__wire_str},
    {.name = "BS", .type = GW_WIRE_LIST, .elem = &BLOB},
    {.name = "L", .type = GW_WIRE_LIST, .elem = &gw__wire_av},
    {.name = "M", .type = GW_WIRE_MAP, .elem = &gw__wire_av},
};
const gw_wire_shape_t gw__wire_av_shape = {AV_MEMBERS, sizeof(AV_MEMBERS) / sizeof(AV_MEMBERS[0])};
const gw_wire_member_t gw__wire_av = {
    .name = "", .type = GW_WIRE_STRUCT, .cls = "AttributeValue", .shape = &gw__wire_av_shape};
