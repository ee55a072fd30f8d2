/*
 * cert_issue — numbering and storing 学时认定单 (SPEC §6, §7).
 *
 * A certificate is one row of `certificates` (the SPEC §7 columns, plus seq:
 * its place among the certificates of its evaluation year). The number is
 * the policy's format of (eval_year, seq) — policy_certificate_number —
 * and seq is allocated inside a BEGIN IMMEDIATE transaction, so processes
 * certifying at the same time queue on the write lock (busy_timeout) and get
 * distinct, consecutive numbers.
 *
 * What the SPEC relations have no column for — the phone number on the
 * stub, the 继续教育登记证 number, and the rendered page itself — is kept in
 * cert_documents (created here when missing; internal, not part of the
 * stable interface). Storing the page makes a certificate immutable: asking
 * for it again gives the very document that was issued, even after the
 * person's records or the template changed.
 */
#ifndef XS_CERT_ISSUE_H
#define XS_CERT_ISSUE_H
#include "policy.h"
#include "store.h"

typedef struct cert_record {
    char number[96];
    char person_id[19];
    char level[16];          /* intermediate | senior */
    int eval_year, from_year, to_year;
    long long seq;
    char specialty[256], handler[128], phone[64], register_number[128];
    char issued_at[11];      /* the issue date printed on the form, YYYY-MM-DD */
    char *html;              /* the stored document (malloc'd), or NULL */
} cert_record;

void cert_record_clear(cert_record *r); /* frees html */

/* The certificate issued for (person, level, eval_year): 1 and *out filled
 * (with its document when stored), 0 when there is none, -1 with err. */
int cert_find(store *s, const char *person_id, const char *level, int eval_year,
              cert_record *out, char *err, size_t errlen);

/* Issues rec (person_id, level, eval_year, from/to, specialty, handler,
 * phone, register_number, issued_at filled by the caller): in one
 * BEGIN IMMEDIATE transaction, either finds the certificate another process
 * issued meanwhile for the same (person, level, eval_year) — returns 1, rec
 * then holds that one — or takes seq = the last of eval_year + 1, asks the
 * policy for its number and stores it — returns 0, number and seq set.
 * -1 with err (nothing stored). */
int cert_issue(store *s, policy_set *ps, cert_record *rec, char *err, size_t errlen);

/* Stores the rendered page of rec, unless one is stored already (the first
 * rendering is the certificate). template names the file it came from. */
int cert_store_html(store *s, const cert_record *rec, const char *template_path,
                    const char *html, char *err, size_t errlen);

#endif
