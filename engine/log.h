/* SPDX-License-Identifier: MIT
 * log.h: one-line log records on stderr: UTC time, level, component, message.
 * The level is set once at start, before any thread runs, and only read after. */
#ifndef ENG_LOG_H
#define ENG_LOG_H

typedef enum eng_log_level {
    ENG_LOG_DEBUG = 0,
    ENG_LOG_INFO = 1,
    ENG_LOG_WARN = 2,
    ENG_LOG_ERROR = 3,
    ENG_LOG_OFF = 4,
} eng_log_level_t;

/* Set the minimum level written. Call before starting threads. */
void eng_log_set_level(eng_log_level_t level);
eng_log_level_t eng_log_get_level(void);

/* Parse "debug", "info", "warn", "error" or "off". Returns 0 or ENG_EINVAL. */
int eng_log_level_parse(const char *name, eng_log_level_t *out);

/* Write one record: `2026-11-22T04:57:11.123Z INFO gateway: message`.
 * Thread-safe: the line is formatted in a local buffer and written with one
 * write(2). Lines longer than 4 KiB are truncated. */
void eng_log(eng_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ENG_DEBUG(comp, ...) eng_log(ENG_LOG_DEBUG, comp, __VA_ARGS__)
#define ENG_INFO(comp, ...) eng_log(ENG_LOG_INFO, comp, __VA_ARGS__)
#define ENG_WARN(comp, ...) eng_log(ENG_LOG_WARN, comp, __VA_ARGS__)
#define ENG_ERROR(comp, ...) eng_log(ENG_LOG_ERROR, comp, __VA_ARGS__)

#endif
