/* SPDX-License-Identifier: MIT
 * wire.c: the AWS JSON 1.0 decoder's type checks on top-level scalar
 * members. The decoder names the JSON token it found (NUMBER_VALUE for an
 * integer, DECIMAL_VALUE for a fraction, STRING_VALUE, TRUE_VALUE,
 * FALSE_VALUE) and the Java type it wanted; a list or an object where a
 * scalar belongs has messages of their own. Messages as DynamoDB returns
 * them. */
#include "gateway/wire_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int member_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const gw_wire_member_t *)elem)->name);
}

const gw_wire_member_t *gw__wire_member(const gw_wire_member_t *members, size_t n, const char *name)
{
    return name ? bsearch(name, members, n, sizeof(*members), member_cmp) : NULL;
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

/* Whether a scalar of v's kind decodes as type `t`. Numbers decode as an
 * Integer (fractions are cut, as DynamoDB does), never as a String or a
 * Boolean; only a string is a String and only true or false a Boolean. */
static bool scalar_fits(const cJSON *v, gw_wire_type_t t)
{
    switch (t) {
    case GW_WIRE_STRING:
        return cJSON_IsString(v);
    case GW_WIRE_BOOLEAN:
        return cJSON_IsBool(v);
    case GW_WIRE_INTEGER:
    case GW_WIRE_LONG:
        return cJSON_IsNumber(v);
    default: /* Not a scalar type: gw__wire_member_error's business. */
        return true;
    }
}

bool gw__wire_type_error(const cJSON *v, gw_wire_type_t t, eng_buf_t *msg)
{
    if (cJSON_IsNull(v) || scalar_fits(v, t))
        return false;
    if (cJSON_IsArray(v))
        eng_buf_printf(msg, "Unrecognized collection type class java.lang.%s", JAVA_TYPE[t]);
    else if (cJSON_IsObject(v))
        eng_buf_append_str(msg, "Start of structure or map found where not expected");
    else if (t == GW_WIRE_BOOLEAN && cJSON_IsString(v))
        eng_buf_append_str(msg, "Unexpected token received from parser");
    else
        eng_buf_printf(msg, "%s cannot be converted to %s", token_of(v), JAVA_TYPE[t]);
    return true;
}

#define NS "com.amazonaws.dynamodb.v20120810."

/* What the decoder says of a scalar where a generic (parameterized) list
 * or map belongs. */
#define CAST_MSG                                                                                   \
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "  \
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and "           \
    "java.lang.Class are in module java.base of loader 'bootstrap')"

/* A list where a list belongs, else the decoder's message. */
static bool list_error(const cJSON *v, eng_buf_t *msg)
{
    if (cJSON_IsNull(v) || cJSON_IsArray(v))
        return false;
    eng_buf_append_str(msg, cJSON_IsObject(v) ? "Start of structure or map found where not expected"
                                              : "Unexpected field type");
    return true;
}

/* The same for a list read through a generic type. */
static bool plist_error(const cJSON *v, eng_buf_t *msg)
{
    if (cJSON_IsNull(v) || cJSON_IsArray(v))
        return false;
    eng_buf_append_str(msg, cJSON_IsObject(v) ? "Start of structure or map found where not expected"
                                              : CAST_MSG);
    return true;
}

/* An object where a map of `value_type` (a Java type name) belongs. */
static bool map_error(const cJSON *v, const char *value_type, eng_buf_t *msg)
{
    if (cJSON_IsNull(v) || cJSON_IsObject(v))
        return false;
    if (cJSON_IsArray(v))
        eng_buf_printf(msg, "Unrecognized collection type java.util.Map<java.lang.String, %s>",
                       value_type);
    else
        eng_buf_append_str(msg, "Unexpected field type");
    return true;
}

/* An object where a structure of class `cls` belongs: a member's value
 * (is_value false) or a value in a map or list (is_value true). */
static bool struct_error(const cJSON *v, const char *cls, bool is_value, eng_buf_t *msg)
{
    if (cJSON_IsNull(v) || cJSON_IsObject(v))
        return false;
    if (cJSON_IsArray(v))
        eng_buf_printf(msg, "Unrecognized collection type class " NS "%s", cls);
    else
        eng_buf_append_str(msg,
                           is_value ? "Unexpected value type in payload" : "Unexpected field type");
    return true;
}

static int b64_index(char ch)
{
    const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = ch ? strchr(set, ch) : NULL;
    return at ? (int)(at - set) : -1;
}

/* A Blob: a base64 string of a length divisible by 4 whose last data
 * character leaves no stray bits. Other bad characters are left to the
 * operation's own check. */
static bool blob_error(const cJSON *v, eng_buf_t *msg)
{
    if (cJSON_IsNull(v))
        return false;
    if (!cJSON_IsString(v)) {
        eng_buf_append_str(
            msg, cJSON_IsArray(v)    ? "Unrecognized collection type class java.nio.ByteBuffer"
                 : cJSON_IsObject(v) ? "Start of structure or map found where not expected"
                                     : "only base-64-encoded strings are convertible to bytes");
        return true;
    }
    size_t len = strlen(v->valuestring);
    if (len % 4) {
        eng_buf_printf(
            msg, "Base64 encoded length is expected a multiple of 4 bytes but found: %zu", len);
        return true;
    }
    size_t pad = 0;
    while (pad < 2 && pad < len && v->valuestring[len - 1 - pad] == '=')
        pad++;
    if (!pad)
        return false;
    /* With one '=' the last data character carries 2 unused bits, with two 4. */
    int last = len > pad ? b64_index(v->valuestring[len - 1 - pad]) : -1;
    if (last >= 0 && (last & (pad == 1 ? 3 : 15)) == 0)
        return false;
    eng_buf_append_str(msg, "Invalid last non-pad Base64 character dectected"); /* Sic. */
    return true;
}

static bool av_error(const cJSON *av, eng_buf_t *msg);
static bool av_map_error_as(const cJSON *v, bool is_generic, eng_buf_t *msg);

static bool av_map_error(const cJSON *v, eng_buf_t *msg)
{
    return av_map_error_as(v, false, msg);
}

/* The elements of a set: strings (SS, NS) or blobs (BS). */
static bool set_error(const cJSON *v, bool is_blob, eng_buf_t *msg)
{
    if (list_error(v, msg))
        return true;
    for (const cJSON *e = cJSON_IsArray(v) ? v->child : NULL; e; e = e->next)
        if (is_blob ? blob_error(e, msg) : gw__wire_type_error(e, GW_WIRE_STRING, msg))
            return true;
    return false;
}

/* A map of AttributeValues (an item, a key, M, ExpressionAttributeValues),
 * read through a generic type when is_generic. */
static bool av_map_error_as(const cJSON *v, bool is_generic, eng_buf_t *msg)
{
    if (is_generic && !cJSON_IsNull(v) && !cJSON_IsObject(v) && !cJSON_IsArray(v)) {
        eng_buf_append_str(msg, CAST_MSG);
        return true;
    }
    if (map_error(v, NS "AttributeValue", msg))
        return true;
    for (const cJSON *e = cJSON_IsObject(v) ? v->child : NULL; e; e = e->next)
        if (struct_error(e, "AttributeValue", true, msg) || av_error(e, msg))
            return true;
    return false;
}

/* One AttributeValue's members, in the order sent. Unknown members are
 * left to the operation's own check. */
static bool av_error(const cJSON *av, eng_buf_t *msg)
{
    for (const cJSON *m = cJSON_IsObject(av) ? av->child : NULL; m; m = m->next) {
        const char *k = m->string;
        bool bad = false;
        if (strcmp(k, "S") == 0 || strcmp(k, "N") == 0)
            bad = gw__wire_type_error(m, GW_WIRE_STRING, msg);
        else if (strcmp(k, "B") == 0)
            bad = blob_error(m, msg);
        else if (strcmp(k, "BOOL") == 0 || strcmp(k, "NULL") == 0)
            bad = gw__wire_type_error(m, GW_WIRE_BOOLEAN, msg);
        else if (strcmp(k, "SS") == 0 || strcmp(k, "NS") == 0 || strcmp(k, "BS") == 0)
            bad = set_error(m, k[0] == 'B', msg);
        else if (strcmp(k, "M") == 0)
            bad = av_map_error(m, msg);
        else if (strcmp(k, "L") == 0) {
            bad = list_error(m, msg);
            for (const cJSON *e = cJSON_IsArray(m) ? m->child : NULL; e && !bad; e = e->next)
                bad = struct_error(e, "AttributeValue", true, msg) || av_error(e, msg);
        }
        if (bad)
            return true;
    }
    return false;
}

/* The members of structure `obj` that `shape` types, in the order sent. */
static bool shape_error(const cJSON *obj, const gw_wire_shape_t *shape, eng_buf_t *msg)
{
    for (const cJSON *m = shape && cJSON_IsObject(obj) ? obj->child : NULL; m; m = m->next)
        for (size_t i = 0; i < shape->n; i++)
            if (strcmp(m->string, shape->members[i].name) == 0 &&
                gw__wire_member_error(m, &shape->members[i], msg))
                return true;
    return false;
}

/* A structure of `m`'s class held in a list or map: the value itself, then
 * its members. */
static bool value_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg)
{
    return struct_error(v, m->cls, true, msg) || shape_error(v, m->shape, msg);
}

/* An element of a list or a value of a map described by `m`. */
static bool elem_error(const cJSON *e, const gw_wire_member_t *m, eng_buf_t *msg)
{
    if (m->elem)
        return m->elem->type == GW_WIRE_STRUCT ? value_error(e, m->elem, msg)
                                               : gw__wire_member_error(e, m->elem, msg);
    if (m->is_strings)
        return gw__wire_type_error(e, GW_WIRE_STRING, msg);
    return m->cls && value_error(e, m, msg);
}

static bool list_of_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg)
{
    if (m->type == GW_WIRE_PLIST ? plist_error(v, msg) : list_error(v, msg))
        return true;
    for (const cJSON *e = cJSON_IsArray(v) ? v->child : NULL; e; e = e->next)
        if (elem_error(e, m, msg))
            return true;
    return false;
}

static bool map_of_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg)
{
    char value_type[160];
    if (m->elem_type)
        snprintf(value_type, sizeof(value_type), "%s", m->elem_type);
    else
        snprintf(value_type, sizeof(value_type), NS "%s", m->cls);
    if (map_error(v, value_type, msg))
        return true;
    for (const cJSON *e = cJSON_IsObject(v) ? v->child : NULL; e; e = e->next)
        if (elem_error(e, m, msg))
            return true;
    return false;
}

bool gw__wire_member_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg)
{
    switch (m->type) {
    case GW_WIRE_LIST:
    case GW_WIRE_PLIST:
        return list_of_error(v, m, msg);
    case GW_WIRE_STRUCT:
        return struct_error(v, m->cls, false, msg) || shape_error(v, m->shape, msg);
    case GW_WIRE_MAP:
        return map_of_error(v, m, msg);
    case GW_WIRE_NAME_MAP:
        if (map_error(v, "java.lang.String", msg))
            return true;
        for (const cJSON *e = cJSON_IsObject(v) ? v->child : NULL; e; e = e->next)
            if (gw__wire_type_error(e, GW_WIRE_STRING, msg))
                return true;
        return false;
    case GW_WIRE_AV:
        return struct_error(v, "AttributeValue", false, msg) || av_error(v, msg);
    case GW_WIRE_AV_LIST:
        if (list_error(v, msg))
            return true;
        for (const cJSON *e = cJSON_IsArray(v) ? v->child : NULL; e; e = e->next)
            if (struct_error(e, "AttributeValue", true, msg) || av_error(e, msg))
                return true;
        return false;
    case GW_WIRE_AV_MAP:
        return av_map_error(v, msg);
    case GW_WIRE_PAV_MAP:
        return av_map_error_as(v, true, msg);
    default:
        return gw__wire_type_error(v, m->type, msg);
    }
}
