#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "plugins.h"

#define PLUGINS_MAX 32

struct plugin_registry {
    const xs_plugin *plugin[PLUGINS_MAX];
    void *handle[PLUGINS_MAX];
    size_t n;
};

plugin_registry *plugin_registry_new(void)
{
    return calloc(1, sizeof(plugin_registry));
}

void plugin_registry_free(plugin_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (r->handle[i])
            dlclose(r->handle[i]);
    free(r);
}

int plugin_registry_add(plugin_registry *r, const xs_plugin *p, const char *origin,
                        char *err, size_t errlen)
{
    if (p->abi != XS_PLUGIN_ABI) {
        snprintf(err, errlen, "plugin %s: ABI version %d, this xueshi needs %d; rebuild the plugin",
                 origin, p->abi, XS_PLUGIN_ABI);
        return -1;
    }
    if (!p->name || !p->parse || !p->extensions) {
        snprintf(err, errlen, "plugin %s: descriptor lacks name, extensions or parse", origin);
        return -1;
    }
    if (r->n == PLUGINS_MAX) {
        snprintf(err, errlen, "plugin %s: more than %d plugins", origin, PLUGINS_MAX);
        return -1;
    }
    r->plugin[r->n] = p;
    r->handle[r->n] = NULL;
    r->n++;
    return 0;
}

int plugin_registry_load_dir(plugin_registry *r, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "plugin folder %s cannot be read", dir);
        return -1;
    }
    int refused = 0;
    err[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0)
            continue;
        char path[4096], one[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        const xs_plugin *p = h ? dlsym(h, XS_PLUGIN_SYMBOL) : NULL;
        if (!p) {
            snprintf(one, sizeof one, "plugin %s refused: %s", path,
                     h ? "no " XS_PLUGIN_SYMBOL " symbol" : dlerror());
        } else if (plugin_registry_add(r, p, path, one, sizeof one) == 0) {
            r->handle[r->n - 1] = h;
            continue;
        }
        if (h)
            dlclose(h);
        refused++;
        if (!err[0])
            snprintf(err, errlen, "%s", one);
    }
    closedir(d);
    return refused;
}

size_t plugin_registry_count(const plugin_registry *r)
{
    return r->n;
}

const xs_plugin *plugin_for_file(const plugin_registry *r, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        for (size_t i = 0; i < r->n; i++)
            for (const char *const *x = r->plugin[i]->extensions; *x; x++)
                if (strcasecmp(dot + 1, *x) == 0)
                    return r->plugin[i];
        return NULL; /* SPEC §2: another extension is refused, not guessed */
    }
    /* No extension at all (a platform's export named "batch-0001"): let the
     * content speak. */
    unsigned char head[4096];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t len = read(fd, head, sizeof head);
    close(fd);
    if (len <= 0)
        return NULL;
    const xs_plugin *best = NULL;
    int best_score = 50; /* below this a guess is worse than a clear refusal */
    for (size_t i = 0; i < r->n; i++) {
        if (!r->plugin[i]->sniff)
            continue;
        int s = r->plugin[i]->sniff(head, (size_t)len);
        if (s > best_score)
            best = r->plugin[i], best_score = s;
    }
    return best;
}
