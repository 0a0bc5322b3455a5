/* SPDX-License-Identifier: MIT
 * wire_int.h: private to gateway/, the AWS JSON 1.0 decoder's type checks
 * on a request, shared by the DynamoDB and the DynamoDB Streams front
 * doors. A value of the wrong JSON kind anywhere the operation's shape
 * types is the decoder's SerializationException, raised before any
 * validation runs. Shapes are static tables of gw_wire_member_t. */
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
    GW_WIRE_BLOB,   /* A base64 string. */
    GW_WIRE_LIST,   /* Elements of type `elem`. */
    GW_WIRE_MAP,    /* String keys, values of type `elem`. */
    GW_WIRE_STRUCT, /* Class `cls`, members `shape`. */
} gw_wire_type_t;

typedef struct gw_wire_member gw_wire_member_t;

/* The members of a structure the decoder types (unsorted, few); members
 * not listed are not checked. */
typedef struct gw_wire_shape {
    const gw_wire_member_t *members;
    size_t n;
} gw_wire_shape_t;

struct gw_wire_member {
    const char *name; /* The member's name in its structure ("" for an element). */
    gw_wire_type_t type;
    const char *cls;              /* STRUCT: the Java class's simple name. */
    const gw_wire_shape_t *shape; /* STRUCT: its members (NULL: not looked into). */
    const gw_wire_member_t *elem; /* LIST and MAP: the type of each element or value. */
    bool is_generic;              /* LIST and MAP read through a generic Java type. */
};

/* Element types every shape uses: a string, and an AttributeValue checked
 * all the way down (S, N, B, BOOL, NULL, SS, NS, BS, L, M; its members are
 * gw__wire_av_shape, for an AttributeValue that is a structure's member). */
extern const gw_wire_member_t gw__wire_str, gw__wire_av;
extern const gw_wire_shape_t gw__wire_av_shape;

/* Is `v`, a value of member type `m`, of another kind on the wire, here or
 * anywhere inside it that `m` types? Then true, with the decoder's message
 * appended to `msg` (say "NUMBER_VALUE cannot be converted to String").
 * JSON null counts as absent. Any thread. */
bool gw__wire_member_error(const cJSON *v, const gw_wire_member_t *m, eng_buf_t *msg);

/* The decoder reads a member whose value is JSON null as absent: drop such
 * top-level members of `root` so every handler sees them so. Any thread. */
void gw__wire_drop_nulls(cJSON *root);

/* The decoder's verdict on a request body, member by member in the order
 * sent: the first top-level member that fails gw__wire_member_error, or
 * NULL. `members` (n entries sorted by strcmp) types the members every
 * operation shares; `own`, if not NULL, types the one member its
 * operation types differently (own->name). Any thread. */
const cJSON *gw__wire_error(const cJSON *root, const gw_wire_member_t *members, size_t n,
                            const gw_wire_member_t *own, eng_buf_t *msg);

#endif
