/*
 * xueshi plugin ABI — input-format plugins (and, later, sinks).
 *
 * A plugin is a shared object exporting one symbol, XS_PLUGIN_SYMBOL, of type
 * `const xs_plugin`. The first field is the ABI version; the loader refuses
 * any other value with a clear message (Fluent Bit lacks this check; we want
 * a stale plugin to fail loudly, not to crash).
 *
 * A parser knows formats, not semantics: it emits records as flat lists of
 * (key, value) strings exactly as they appear in the file (a CSV header text,
 * a JSON key), one record at a time, so that a file of any size streams in
 * bounded memory. The host maps English/Chinese keys and values to canonical
 * fields (daemon/record.c).
 */
#ifndef XUESHI_PLUGIN_H
#define XUESHI_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XS_PLUGIN_ABI 1
#define XS_PLUGIN_SYMBOL "xs_plugin_descriptor"

typedef struct xs_field {
    const char *key;   /* as in the file, UTF-8, trimmed */
    const char *value; /* UTF-8; never NULL (absent keys are simply not emitted) */
} xs_field;

typedef struct xs_record {
    size_t index;  /* 1-based record number within the file */
    size_t line;   /* 1-based line where the record starts, 0 if unknown */
    const xs_field *fields;
    size_t nfields;
    /* Evidence entries: each may still hold several codes separated by
     * ; ； 、 | (the host splits them). */
    const char *const *evidence;
    size_t nevidence;
    /* Set when this record could not be parsed (the others still are):
     * error_code is a SPEC §5 reason code ("invalid_value", "missing_field"),
     * error is a Chinese message naming the field, error_field the key. */
    const char *error_code;
    const char *error;
    const char *error_field;
} xs_record;

/* Called once per record; the record and its strings are valid only during
 * the call. Return 0 to continue, non-zero to stop parsing (the parser then
 * returns that value). */
typedef int (*xs_emit_fn)(void *ctx, const xs_record *rec);

typedef struct xs_plugin {
    int abi; /* must be XS_PLUGIN_ABI; keep first */
    const char *name;
    const char *description;
    const char *const *extensions; /* NULL-terminated, without dot: "json" */
    /* Optional: how sure (0..100) the plugin is that it reads a file whose
     * first bytes are head[0..len). Used when the extension is unknown. */
    int (*sniff)(const unsigned char *head, size_t len);
    /* Parse the file at path. Returns 0 when the file was read to its end
     * (record-level errors are emitted, not returned), the emit callback's
     * non-zero value if it stopped, or -1 when the file cannot be read at all
     * (err then holds a Chinese message naming the file and position). */
    int (*parse)(const char *path, xs_emit_fn emit, void *ctx, char *err,
                 size_t errlen);
} xs_plugin;

#ifdef __cplusplus
}
#endif
#endif
