/*
 * plugins — the input-format plugins behind include/xueshi/plugin.h:
 * dlopen every *.so of a folder, check the ABI version, pick one per file.
 */
#ifndef XS_PLUGINS_H
#define XS_PLUGINS_H
#include <stddef.h>
#include "xueshi/plugin.h"

typedef struct plugin_registry plugin_registry;

plugin_registry *plugin_registry_new(void);
void plugin_registry_free(plugin_registry *r);
/* Add a descriptor (a loaded module's, or a statically linked one in tests).
 * Refuses an ABI mismatch or an incomplete descriptor: -1 and err. */
int plugin_registry_add(plugin_registry *r, const xs_plugin *p, const char *origin,
                        char *err, size_t errlen);
/* dlopen every *.so in dir and add its descriptor. A module that fails is
 * refused with a message in err (the others stay loaded); returns the number
 * refused, or -1 when dir cannot be read. */
int plugin_registry_load_dir(plugin_registry *r, const char *dir, char *err, size_t errlen);
size_t plugin_registry_count(const plugin_registry *r);
/* The plugin for a file: by extension; for a name without extension, the
 * best sniff of its first bytes; NULL when none takes it. */
const xs_plugin *plugin_for_file(const plugin_registry *r, const char *path);

#endif
