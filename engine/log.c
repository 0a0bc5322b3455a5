/* SPDX-License-Identifier: MIT
 * log.c: stderr logging. The level is the one process-wide setting: written
 * once by main before threads start, read-only afterwards, so it needs no lock. */
#include "engine/log.h"

#include "engine/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static eng_log_level_t min_level = ENG_LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

void eng_log_set_level(eng_log_level_t level)
{
    min_level = level;
}

eng_log_level_t eng_log_get_level(void)
{
    return min_level;
}

int eng_log_level_parse(const char *name, eng_log_level_t *out)
{
    for (int i = 0; i <= ENG_LOG_OFF; i++) {
        if (strcasecmp(name, level_names[i]) == 0 ||
            (i == ENG_LOG_WARN && strcasecmp(name, "warning") == 0)) {
            *out = (eng_log_level_t)i;
            return 0;
        }
    }
    return ENG_EINVAL;
}

void eng_log(eng_log_level_t level, const char *component, const char *fmt, ...)
{
    if (level < min_level || level >= ENG_LOG_OFF)
        return;
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level], component);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* Nowhere to report a failed log write. */
}
