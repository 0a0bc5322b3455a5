/* SPDX-License-Identifier: MIT
 * wire_int.h: private to gateway/, the AWS JSON 1.0 decoder's type checks
 * on a request's top-level scalar members, shared by the DynamoDB and the
 * DynamoDB Streams front doors. A member of the wrong JSON kind is the
 * decoder's SerializationException, raised before any validation runs. */
#ifndef GW_WIRE_INT_H
#define GW_WIRE_INT_H

#include "engine/json.h"
#include "engine/mem.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum gw_wire_type {
    GW_WIRE_STRING,
    GW_WIRE_BOOLEAN,
    GW_WIRE_INTEGER,
    GW_WIRE_LONG,
    GW_WIRE_LIST,     /* A list: of strings, or of structures of class `cls`. */
    GW_WIRE_STRUCT,   /* A structure of class `cls`. */
    GW_WIRE_MAP,      /* A map of structures of class `cls`. */
    GW_WIRE_NAME_MAP, /* A map of strings (ExpressionAttributeNames). */
    GW_WIRE_AV,       /* One AttributeValue, checked all the way down. */
    GW_WIRE_AV_LIST,  /* A list of AttributeValues. */
    GW_WIRE_AV_MAP,   /* A map of AttributeValues. */
    GW_WIRE_PLIST,    /* A list the decoder reads through a generic type: like GW_WIRE_LIST. */
    GW_WIRE_PAV_MAP,  /* A map of AttributeValues read through a generic type. */
} gw_wire_type_t;

typedef struct gw_wire_member gw_wire_member_t;

/* The members of a structure the decoder knows by type (unsorted, few). */
typedef struct gw_wire_shape {
    const gw_wire_member_t *members;
    size_t n;
} gw_wire_shape_t;

struct gw_wire_member {
    const char *name;
    gw_wire_type_t type;
    const char *cls;              /* STRUCT, MAP, LIST of structures: the class's simple name. */
    const gw_wire_shape_t *shape; /* Those structures' members, or NULL: not looked into. */
    bool is_strings;              /* LIST: of strings. */
    const gw_wire_member_t *elem; /* LIST, PLIST, MAP: what each element is, if not cls/shape. */
    const char *elem_type;        /* MAP with elem: the Java type of its values. */
};

/* Top-level member `name` in `members` (n entries sorted by strcmp), or
 * NULL when the table does not type it. Any thread. */
const gw_wire_member_t *gw__wire_member(const gw_wire_member_t *members, size_t n,
                                        const char *name);

/* Is `v`, the value of a member of type `t`, of another kind on the wire?
 * Then true, with the decoder's message appended to `msg` (say "NUMBER_VALUE
 * cannot be converted to String"). JSON null counts as absent. Scalar types
 * only. Any thread. */
bool gw__wire_type_error(const cJSON *v, gw_wire_type_t t, eng_buf_t *msg);

/* gw__wire_type_error for member `m` of any type, `v` its value: for
 * GW_WIRE_AV_MAP every AttributeValue inside is checked too (S, N, B, BOOL,
 * NULL, sets, L and M, at any depth), for GW_WIRE_NAME_MAP every value.
 * Any thread. */
bool gw__wire_member_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg);

#endif
