/*
 * Schema and migrations. PRAGMA user_version is the number of migrations
 * applied; a binary applies the ones it is missing in one BEGIN IMMEDIATE
 * transaction and refuses a database that is newer than itself (SQLite's own
 * advice: never guess at a schema from the future).
 *
 * The SPEC §7 columns come first, in SPEC order, so that `SELECT *` in any
 * client shows the stable interface; internal columns follow. Hours are
 * NUMERIC so that whole hours read back as integers (24, not 24.0) in other
 * tools, while halves stay exact reals.
 *
 * CHECKs spell out `x = 'a' OR x = 'b'` rather than `x IN ('a', 'b', …)`:
 * SQLite 3.40 builds an ephemeral table for every evaluation of an IN list
 * of three or more, which cost a third of the insert time of a batch.
 */
#include <stdio.h>
#include "store_priv.h"

/* Append-only: never edit a migration that has shipped, add a new one. */
static const char *const store_migrations[] = {
    /* 1: the SPEC §7 relations and the store's internal bookkeeping. */
    "CREATE TABLE submissions (\n"
    "  submission_id INTEGER PRIMARY KEY,\n"
    "  file_name TEXT NOT NULL,\n"
    "  sha256 TEXT NOT NULL,\n"
    "  received_at TEXT NOT NULL,\n"
    "  status TEXT NOT NULL CHECK (status = 'processing' OR status = 'processed' OR status = 'duplicate'),\n"
    "  records INTEGER NOT NULL DEFAULT 0,\n"
    "  credited INTEGER NOT NULL DEFAULT 0,\n"
    "  pending INTEGER NOT NULL DEFAULT 0,\n"
    "  rejected INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX submissions_sha256 ON submissions(sha256);\n"

    "CREATE TABLE people (\n"
    "  person_id TEXT NOT NULL PRIMARY KEY,\n"
    "  name TEXT,\n"
    "  unit TEXT,\n"
    "  professional_title TEXT,\n"
    "  education TEXT\n"
    ") WITHOUT ROWID;\n"

    /* outcome: the status the record got when it was put; status becomes
     * 'superseded' later but outcome stays (receipts, recompute, counts).
     * has_identity: the record had a valid (person_id, kind, date, title);
     * only such records take part in supersede. */
    "CREATE TABLE activities (\n"
    "  activity_id INTEGER PRIMARY KEY,\n"
    "  submission_id INTEGER NOT NULL REFERENCES submissions(submission_id),\n"
    "  person_id TEXT,\n"
    "  ref TEXT,\n"
    "  kind TEXT,\n"
    "  subject TEXT,\n"
    "  topic TEXT,\n"
    "  title TEXT,\n"
    "  date TEXT,\n"
    "  year INTEGER,\n"
    "  status TEXT NOT NULL CHECK (status = 'credited' OR status = 'pending_materials'"
    "   OR status = 'rejected' OR status = 'superseded'),\n"
    "  reason_code TEXT,\n"
    "  reason TEXT,\n"
    "  outcome TEXT NOT NULL CHECK (outcome = 'credited' OR outcome = 'pending_materials'"
    "   OR outcome = 'rejected'),\n"
    "  has_identity INTEGER NOT NULL DEFAULT 0,\n"
    "  superseded_by INTEGER REFERENCES activities(activity_id),\n"
    "  record_index INTEGER,\n"
    "  policy TEXT,\n"
    "  policy_sha256 TEXT,\n"
    "  payload TEXT\n"
    ");\n"
    /* At most one live activity per identity (SPEC §5). The WHERE terms are
     * repeated verbatim by the lookup in store_put.c so the planner can use
     * this partial index. */
    "CREATE UNIQUE INDEX activities_identity ON activities(person_id, kind, date, title)\n"
    "  WHERE has_identity = 1 AND status <> 'superseded';\n"
    "CREATE INDEX activities_submission ON activities(submission_id);\n"
    "CREATE INDEX activities_person ON activities(person_id, year);\n"

    /* Only credited, non-superseded activities have rows here. hours is what
     * counts after caps; raw_hours and base_explanation are what the policy
     * said, so caps can be re-applied whenever the person-year changes.
     * base_explanation is kept for capped credits only (cap_key set): the
     * others' explanation never changes. credit_id is assigned by the store
     * (store_put.c). */
    "CREATE TABLE credits (\n"
    "  activity_id INTEGER NOT NULL REFERENCES activities(activity_id),\n"
    "  person_id TEXT NOT NULL,\n"
    "  year INTEGER NOT NULL,\n"
    "  category TEXT NOT NULL CHECK (category = 'public' OR category = 'professional'"
    "   OR category = 'whole_year'),\n"
    "  hours NUMERIC NOT NULL,\n"
    "  policy TEXT,\n"
    "  policy_sha256 TEXT,\n"
    "  explanation TEXT,\n"
    "  credit_id INTEGER PRIMARY KEY,\n"
    "  raw_hours NUMERIC NOT NULL,\n"
    "  base_explanation TEXT,\n"
    "  cap_key TEXT,\n"
    "  cap_limit NUMERIC,\n"
    "  cap_note TEXT\n"
    ");\n"
    "CREATE INDEX credits_activity ON credits(activity_id);\n"
    /* Covering for the person-year totals computed at every commit. */
    "CREATE INDEX credits_person_year ON credits(person_id, year, category, hours);\n"
    /* Small: only capped credits (degree courses, exams). */
    "CREATE INDEX credits_capped ON credits(person_id, year, cap_key)\n"
    "  WHERE cap_key IS NOT NULL;\n"

    "CREATE TABLE person_years (\n"
    "  person_id TEXT NOT NULL,\n"
    "  year INTEGER NOT NULL,\n"
    "  public_hours NUMERIC NOT NULL,\n"
    "  professional_hours NUMERIC NOT NULL,\n"
    "  whole_year INTEGER NOT NULL,\n"
    "  total_hours NUMERIC NOT NULL,\n"
    "  compliant INTEGER NOT NULL,\n"
    "  PRIMARY KEY (person_id, year)\n"
    ") WITHOUT ROWID;\n"

    "CREATE TABLE certificates (\n"
    "  number TEXT NOT NULL,\n"
    "  person_id TEXT NOT NULL,\n"
    "  level TEXT NOT NULL,\n"
    "  eval_year INTEGER NOT NULL,\n"
    "  from_year INTEGER NOT NULL,\n"
    "  to_year INTEGER NOT NULL,\n"
    "  specialty TEXT,\n"
    "  issued_at TEXT NOT NULL,\n"
    "  handler TEXT,\n"
    "  UNIQUE (eval_year, number),\n"
    "  UNIQUE (person_id, level, eval_year)\n"
    ");\n"

    /* Years a credited prior_certificate covers (SPEC §6). */
    "CREATE TABLE prior_covers (\n"
    "  activity_id INTEGER PRIMARY KEY REFERENCES activities(activity_id),\n"
    "  person_id TEXT NOT NULL,\n"
    "  from_year INTEGER NOT NULL,\n"
    "  to_year INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX prior_covers_person ON prior_covers(person_id);\n",

    /* 2: progress of a sliced submission (store_slice.c): the index of the
     * last record committed while it is still 'processing'. */
    "ALTER TABLE submissions ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;\n",

    /* 3: certificate sequence numbers per evaluation year (the printed
     * number is the policy's format of seq), and policy revisions: every
     * policy file content that decided something, and which one each credit
     * came from. */
    "ALTER TABLE certificates ADD COLUMN seq INTEGER;\n"
    "CREATE UNIQUE INDEX certificates_seq ON certificates(eval_year, seq);\n"
    "CREATE TABLE policy_revisions (\n"
    "  revision_id INTEGER PRIMARY KEY,\n"
    "  file TEXT NOT NULL,\n"
    "  sha256 TEXT NOT NULL,\n"
    "  first_loaded TEXT NOT NULL,\n"
    "  how TEXT NOT NULL CHECK (how = 'start' OR how = 'reload' OR how = 'recompute' OR how = 'ingest'),\n"
    "  UNIQUE (file, sha256)\n"
    ");\n"
    "ALTER TABLE credits ADD COLUMN revision_id INTEGER REFERENCES policy_revisions(revision_id);\n",

    /* 4: credits stay queryable as history: when an activity is
     * superseded (reason 'superseded') or recomputed (reason 'recompute'),
     * its credits as they were are copied here, with when and why; the
     * columns of credits first. credit_id is the number the credit had (a
     * recomputed credit of the same year and category keeps its row and
     * number in `credits`, so it is not unique here). */
    "CREATE TABLE credit_history (\n"
    "  activity_id INTEGER NOT NULL REFERENCES activities(activity_id),\n"
    "  person_id TEXT NOT NULL,\n"
    "  year INTEGER NOT NULL,\n"
    "  category TEXT NOT NULL,\n"
    "  hours NUMERIC NOT NULL,\n"
    "  policy TEXT,\n"
    "  policy_sha256 TEXT,\n"
    "  explanation TEXT,\n"
    "  credit_id INTEGER NOT NULL,\n"
    "  raw_hours NUMERIC NOT NULL,\n"
    "  base_explanation TEXT,\n"
    "  cap_key TEXT,\n"
    "  cap_limit NUMERIC,\n"
    "  cap_note TEXT,\n"
    "  revision_id INTEGER REFERENCES policy_revisions(revision_id),\n"
    "  superseded_at TEXT NOT NULL,\n"
    "  reason TEXT NOT NULL CHECK (reason = 'superseded' OR reason = 'recompute'),\n"
    "  history_id INTEGER PRIMARY KEY\n"
    ");\n"
    "CREATE INDEX credit_history_activity ON credit_history(activity_id);\n",

    /* 5: the rendered 学时认定单 of each certificate number (cert_issue.c):
     * a re-print shows the very document first issued. IF NOT EXISTS: before
     * this migration `certify` created the table itself on first use. */
    "CREATE TABLE IF NOT EXISTS cert_documents (\n"
    "  eval_year INTEGER NOT NULL,\n"
    "  number TEXT NOT NULL,\n"
    "  phone TEXT,\n"
    "  register_number TEXT,\n"
    "  created_at TEXT NOT NULL,\n"
    "  template TEXT,\n"
    "  html TEXT,\n"
    "  PRIMARY KEY (eval_year, number)\n"
    ");\n",

    /* 6: an activity's credits in receipt order (year, category), so that
     * the receipt of a million records is read in index order instead of
     * through a sort; inserting costs the same (activity_id only grows). */
    "DROP INDEX credits_activity;\n"
    "CREATE INDEX credits_activity ON credits(activity_id, year, category);\n",

    /* 7: a submission's activities are found by the range of their ids,
     * not by an index on submission_id: ids are handed out in order inside
     * a transaction, and one index entry less per record is a sixteenth of
     * the writer's time (issue #6). A sliced submission's range may also
     * hold other submissions' activities (another lane committed between
     * its slices): readers filter on submission_id within the range. */
    "ALTER TABLE submissions ADD COLUMN first_activity INTEGER;\n"
    "ALTER TABLE submissions ADD COLUMN last_activity INTEGER;\n"
    "UPDATE submissions SET (first_activity, last_activity) ="
    " (SELECT min(activity_id), max(activity_id) FROM activities a"
    "  WHERE a.submission_id = submissions.submission_id);\n"
    "DROP INDEX activities_submission;\n",

    /* 8: one index for both the identity and a person's activities
     * (issue #6: one B-tree entry less per record, and one random page
     * less per person in a large database). `live` is 1 for the live
     * activity of an identity and NULL otherwise; a UNIQUE index treats
     * NULLs as distinct, so (person_id, kind, date, title, live) still lets
     * at most one live activity per identity (SPEC §5), while holding every
     * activity, in person order, for recompute and reports. Superseding
     * sets live to NULL; a recompute's change of status leaves the index
     * alone. */
    "ALTER TABLE activities ADD COLUMN live INTEGER CHECK (live = 1);\n"
    "UPDATE activities SET live = 1 WHERE has_identity = 1 AND status <> 'superseded';\n"
    "DROP INDEX activities_identity;\n"
    "DROP INDEX activities_person;\n"
    "CREATE UNIQUE INDEX activities_identity ON activities(person_id, kind, date, title, live);\n",

    /* 9: an activity's credits are numbered in a block of their own,
     * credit_id = activity_id × 64 + n in (year, category) order (store.h,
     * STORE_CREDIT_ID), so they are found by a rowid range and
     * credits_activity goes: one B-tree entry less per credit, and a
     * receipt or recompute reads a credit in one descent instead of two
     * (issue #6). The table is copied with the new numbers (a rowid cannot
     * be renumbered in place without collisions). credit_history keeps the
     * numbers the credits had when they were retired. */
    "CREATE TABLE credits_9 (\n"
    "  activity_id INTEGER NOT NULL REFERENCES activities(activity_id),\n"
    "  person_id TEXT NOT NULL,\n"
    "  year INTEGER NOT NULL,\n"
    "  category TEXT NOT NULL CHECK (category = 'public' OR category = 'professional'"
    "   OR category = 'whole_year'),\n"
    "  hours NUMERIC NOT NULL,\n"
    "  policy TEXT,\n"
    "  policy_sha256 TEXT,\n"
    "  explanation TEXT,\n"
    "  credit_id INTEGER PRIMARY KEY,\n"
    "  raw_hours NUMERIC NOT NULL,\n"
    "  base_explanation TEXT,\n"
    "  cap_key TEXT,\n"
    "  cap_limit NUMERIC,\n"
    "  cap_note TEXT,\n"
    "  revision_id INTEGER REFERENCES policy_revisions(revision_id)\n"
    ");\n"
    "INSERT INTO credits_9 SELECT activity_id, person_id, year, category, hours, policy,"
    " policy_sha256, explanation,"
    " activity_id * 64 - 1 + row_number() OVER"
    "  (PARTITION BY activity_id ORDER BY year, category, credit_id),"
    " raw_hours, base_explanation, cap_key, cap_limit, cap_note, revision_id"
    " FROM credits ORDER BY activity_id, year, category, credit_id;\n"
    "DROP TABLE credits;\n"
    "ALTER TABLE credits_9 RENAME TO credits;\n"
    "CREATE INDEX credits_person_year ON credits(person_id, year, category, hours);\n"
    "CREATE INDEX credits_capped ON credits(person_id, year, cap_key)\n"
    "  WHERE cap_key IS NOT NULL;\n",
};

int store__schema_version(void)
{
    return (int)(sizeof store_migrations / sizeof store_migrations[0]);
}

int store__user_version(sqlite3 *db, int *v, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *v = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        store__fail(db, rc, "读取数据库版本", err, errlen);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

static int store_newer(int v, char *err, size_t errlen)
{
    store__seterr(err, errlen, "数据库版本%d比程序支持的%d新，请升级 xueshi", v,
                  store__schema_version());
    return STORE_NEWER;
}

int store__migrate(sqlite3 *db, char *err, size_t errlen)
{
    const int want = store__schema_version();
    int v;
    /* Most opens find the schema current: don't take the write lock then. */
    if (store__user_version(db, &v, err, errlen) < 0)
        return STORE_ERR;
    if (v > want)
        return store_newer(v, err, errlen);
    if (v == want)
        return STORE_OK;

    int rc = store__exec(db, "BEGIN IMMEDIATE", "开始数据库升级", err, errlen);
    if (rc != STORE_OK)
        return rc;
    /* Another process may have migrated between our read and our lock. */
    if (store__user_version(db, &v, err, errlen) < 0) {
        rc = STORE_ERR;
        goto fail;
    }
    if (v > want) {
        rc = store_newer(v, err, errlen);
        goto fail;
    }
    for (int i = v; i < want; i++) {
        char what[64];
        snprintf(what, sizeof what, "数据库升级到版本%d", i + 1);
        rc = store__exec(db, store_migrations[i], what, err, errlen);
        if (rc != STORE_OK)
            goto fail;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", want);
    rc = store__exec(db, sql, "设置数据库版本", err, errlen);
    if (rc != STORE_OK)
        goto fail;
    rc = store__exec(db, "COMMIT", "提交数据库升级", err, errlen);
    if (rc != STORE_OK)
        goto fail;
    return STORE_OK;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
