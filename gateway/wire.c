/* SPDX-License-Identifier: MIT
 * wire.c: the AWS JSON 1.0 decoder's type checks on top-level scalar
 * members. The decoder names the JSON token it found (NUMBER_VALUE for an
 * integer, DECIMAL_VALUE for a fraction, STRING_VALUE, TRUE_VALUE,
 * FALSE_VALUE) and the Java type it wanted; a list or an object where a
 * scalar belongs has messages of their own. Messages as DynamoDB returns
 * them. */
#include "gateway/wire_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int member_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const gw_wire_member_t *)elem)->name);
}

int gw__wire_member_type(const gw_wire_member_t *members, size_t n, const char *name)
{
    const gw_wire_member_t *m =
        name ? bsearch(name, members, n, sizeof(*members), member_cmp) : NULL;
    return m ? (int)m->type : -1;
}

static const char *const JAVA_TYPE[] = {
    [GW_WIRE_STRING] = "String",
    [GW_WIRE_BOOLEAN] = "Boolean",
    [GW_WIRE_INTEGER] = "Integer",
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
        return cJSON_IsNumber(v);
    }
    return false;
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
