/*
 * cert_form — the 学时认定单 (seed notice, 附件3) as a printable HTML page:
 * the variables the template RULES/templates/certificate-YYYY.html is
 * filled with, from the certificate, the person and the verification of
 * its span. The first page is the form (存根 and main part), the second
 * lists each year's hours and what they came from.
 */
#ifndef XS_CERT_FORM_H
#define XS_CERT_FORM_H
#include "cert_buf.h"
#include "cert_issue.h"
#include "verify.h"

/* Renders rec into out with the template of rec->eval_year found under
 * rules_dir (its path into template_path). vr is the verification of the
 * certificate's span. 0, or -1 with err. */
int cert_form_render(store *s, const char *rules_dir, const cert_record *rec,
                     const verify_result *vr, cert_buf *out, char *template_path,
                     size_t pathlen, char *err, size_t errlen);

/* 中级 / 高级 */
const char *cert_level_zh(const char *level);

#endif
