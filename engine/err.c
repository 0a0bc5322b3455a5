/* SPDX-License-Identifier: MIT
 * err.c: descriptions of the ENG_E* codes. Table-driven so adding a code is
 * one line; the table is indexed by -err. */
#include "engine/err.h"

#include <stddef.h>

static const struct {
    const char *name;
    const char *text;
} table[] = {
    [0] = {"ENG_OK", "success"},
    [-ENG_EINVAL] = {"ENG_EINVAL", "invalid argument"},
    [-ENG_ENOTFOUND] = {"ENG_ENOTFOUND", "not found"},
    [-ENG_ETOOBIG] = {"ENG_ETOOBIG", "input exceeds a configured limit"},
    [-ENG_ENOSPC] = {"ENG_ENOSPC", "no space left"},
    [-ENG_EIO] = {"ENG_EIO", "input/output error"},
    [-ENG_EEXIST] = {"ENG_EEXIST", "already exists"},
    [-ENG_EBUSY] = {"ENG_EBUSY", "resource busy"},
    [-ENG_EACCES] = {"ENG_EACCES", "permission denied"},
    [-ENG_ECLOSED] = {"ENG_ECLOSED", "closed or shutting down"},
    [-ENG_ECONDITION] = {"ENG_ECONDITION", "condition not met"},
    [-ENG_ENOMEM] = {"ENG_ENOMEM", "pool exhausted"},
    [-ENG_ETIMEDOUT] = {"ENG_ETIMEDOUT", "timed out"},
    [-ENG_ECORRUPT] = {"ENG_ECORRUPT", "stored data is corrupt"},
};

static int index_of(int err)
{
    if (err > 0 || err <= ENG_EMAX_)
        return -1;
    return -err;
}

const char *eng_strerror(int err)
{
    int i = index_of(err);
    return i < 0 ? "unknown error" : table[i].text;
}

const char *eng_errname(int err)
{
    int i = index_of(err);
    return i < 0 ? "ENG_E?" : table[i].name;
}
