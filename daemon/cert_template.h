/*
 * cert_template — the printed forms live with the policies, as HTML files
 * under RULES/templates/ (certificate-2022.html, publicity-2022.html …),
 * because a form can change from one year to the next just like a topic
 * list; editing one needs no rebuild. The C side only fills placeholders,
 * mustache-style but much smaller:
 *
 *   {{name}}               the value of name, HTML-escaped (always)
 *   {{#name}} … {{/name}}  repeated for each item of the list name, or once
 *                          when name is a non-empty value
 *   {{^name}} … {{/name}}  once when the list is empty / the value is empty
 *   {{! comment }}         nothing
 *
 * Inside a list item a name is looked up in the item first, then in the
 * enclosing ones. A name the program does not provide is an error (with
 * the line), so a typo in a template is found at once instead of printing
 * an empty blank on a certificate.
 */
#ifndef XS_CERT_TEMPLATE_H
#define XS_CERT_TEMPLATE_H
#include <stddef.h>
#include "cert_buf.h"

typedef struct cert_vars cert_vars;

cert_vars *cert_vars_new(void);
void cert_vars_free(cert_vars *v);
/* Sets key to a copy of value (NULL counts as ""). 0, or -1 out of memory. */
int cert_vars_set(cert_vars *v, const char *key, const char *value);
int cert_vars_setf(cert_vars *v, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Declares the list key (it may stay empty). 0 or -1. */
int cert_vars_list(cert_vars *v, const char *key);
/* Appends a new item to the list key and returns it (owned by v), or NULL. */
cert_vars *cert_vars_add(cert_vars *v, const char *key);

/* Renders tmpl with v into out. 0, or -1 with err ("第12行：…"). */
int cert_render(const char *tmpl, const cert_vars *v, cert_buf *out, char *err, size_t errlen);

/* Finds RULES/templates/<base>-YYYY.html for year: the greatest YYYY ≤ year
 * (a form stays until a newer one replaces it), or else the smallest one
 * after it. Reads it into *text (malloc'd); path gets its path.
 * 0, or -1 with err. */
int cert_template_load(const char *rules_dir, const char *base, int year, char **text,
                       char *path, size_t pathlen, char *err, size_t errlen);

#endif
