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
} gw_wire_type_t;

typedef struct gw_wire_member {
    const char *name;
    gw_wire_type_t type;
} gw_wire_member_t;

/* The type of top-level member `name` in `members` (n entries sorted by
 * strcmp), or -1 when it is not a scalar member there. Any thread. */
int gw__wire_member_type(const gw_wire_member_t *members, size_t n, const char *name);

/* Is `v`, the value of a member of type `t`, of another kind on the wire?
 * Then true, with the decoder's message appended to `msg` (say "NUMBER_VALUE
 * cannot be converted to String"). JSON null counts as absent. Any thread. */
bool gw__wire_type_error(const cJSON *v, gw_wire_type_t t, eng_buf_t *msg);

#endif
