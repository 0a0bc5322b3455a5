/* SPDX-License-Identifier: MIT
 * err.h: the one project-wide list of error codes. Every fallible function
 * returns 0 on success or one of these negative values; foreign codes (MDB_*,
 * UV_E*, HPE_*, errno) are mapped at the module that owns that library. */
#ifndef ENG_ERR_H
#define ENG_ERR_H

enum {
    ENG_OK = 0,
    ENG_EINVAL = -1,      /* Caller or client passed a bad argument. */
    ENG_ENOTFOUND = -2,   /* Key, table, route or file does not exist. */
    ENG_ETOOBIG = -3,     /* Input exceeds a configured limit. */
    ENG_ENOSPC = -4,      /* Disk or store map is full. */
    ENG_EIO = -5,         /* Disk or socket failure; details are logged. */
    ENG_EEXIST = -6,      /* Object already exists. */
    ENG_EBUSY = -7,       /* Resource in use (address, table being changed). */
    ENG_EACCES = -8,      /* Permission denied (data directory, port). */
    ENG_ECLOSED = -9,     /* Object is shutting down or closed. */
    ENG_ECONDITION = -10, /* A write's condition did not hold. */
    ENG_ENOMEM = -11,     /* A bounded pool is exhausted (not malloc: that aborts). */
    ENG_ETIMEDOUT = -12,  /* An operation exceeded its deadline. */
    ENG_ECORRUPT = -13,   /* Stored data failed validation. */
    ENG_EMAX_ = -14,      /* Not an error: one past the last code. */
};

/* Return a static English description of `err` (0 or an ENG_E* code).
 * Never returns NULL; unknown codes give "unknown error". Thread-safe. */
const char *eng_strerror(int err);

/* Return the symbolic name of `err` ("ENG_EINVAL"), for logs and tests. */
const char *eng_errname(int err);

#endif
