/* store caps (policy_credit.cap_*): once per person-year, in (date, title)
 * order whatever the put order, re-applied when the person-year changes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "store.h"

/* ---- helpers ------------------------------------------------------------- */

#include "store_fixture.h"
}

/* ---- caps ---------------------------------------------------------------- */

#define DEGREE_NOTE "学历教育当年度已计90学时，本项计0学时"

/* A passed degree course: professional 90, once per person-year. */
static policy_result degree(policy_credit *c, int year, const char *expl)
{
    policy_result r = credited(c, year, "professional", 90, expl);
    c->cap_key = "degree_course";
    c->cap_limit = 90;
    c->cap_note = DEGREE_NOTE;
    return r;
}

static void credit_of(store *s, long long activity_id, double *hours, char *expl, size_t n)
{
    char q[160];
    snprintf(q, sizeof q, "SELECT hours FROM credits WHERE activity_id = %lld", activity_id);
    *hours = q_double(s, q);
    snprintf(q, sizeof q, "SELECT explanation FROM credits WHERE activity_id = %lld", activity_id);
    q_text(s, q, expl, n);
}

static void test_two_degree_courses_by_date(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "lisi.json", "s1");
    policy_credit c1, c2;
    /* the later-dated one first */
    store_activity late = act(P2, "degree_course", "2021-09-01", "A课程");
    policy_result r1 = degree(&c1, 2021, "学历教育课程合格：90学时");
    long long id_late = put(f->s, sub, &late, &r1);
    store_activity early = act(P2, "degree_course", "2021-03-01", "Z课程");
    policy_result r2 = degree(&c2, 2021, "学历教育课程合格：90学时");
    long long id_early = put(f->s, sub, &early, &r2);
    comp cp = {0};
    commit(f->s, sub, &cp);

    double h;
    char e[256];
    credit_of(f->s, id_early, &h, e, sizeof e);
    assert_true(h == 90);
    assert_string_equal(e, "学历教育课程合格：90学时");
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);
    assert_string_equal(e, "学历教育课程合格：90学时；" DEGREE_NOTE);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
    assert_true(cp.last.professional_hours == 90);
    /* both stay credited (0 hours with the reason, SPEC §5) */
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE status = 'credited'"), 2);
    /* raw hours are kept for the next recomputation */
    assert_int_equal(q_int(f->s, "SELECT sum(raw_hours) FROM credits"), 180);
}

static void test_same_date_by_title(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c1, c2;
    store_activity b = act(P2, "degree_course", "2021-03-01", "Beta");
    policy_result r1 = degree(&c1, 2021, "x");
    long long id_b = put(f->s, sub, &b, &r1);
    store_activity a = act(P2, "degree_course", "2021-03-01", "Alpha");
    policy_result r2 = degree(&c2, 2021, "x");
    long long id_a = put(f->s, sub, &a, &r2);
    commit(f->s, sub, NULL);
    double h;
    char e[256];
    credit_of(f->s, id_a, &h, e, sizeof e);
    assert_true(h == 90);
    credit_of(f->s, id_b, &h, e, sizeof e);
    assert_true(h == 0);
}

/* The earlier course arrives in a later file: the cap moves to it, and the
 * credit from the first file (not put again) is cut. */
static void test_cap_across_files(void **state)
{
    fixture *f = *state;
    policy_credit c1, c2;
    store_activity late = act(P2, "degree_course", "2021-09-01", "后");
    policy_result r1 = degree(&c1, 2021, "base");
    long long id_late = file_one(f->s, "s1", &late, &r1);
    double h;
    char e[256];
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 90);
    assert_string_equal(e, "base");

    store_activity early = act(P2, "degree_course", "2021-03-01", "前");
    policy_result r2 = degree(&c2, 2021, "base");
    long long id_early = file_one(f->s, "s2", &early, &r2);
    credit_of(f->s, id_early, &h, e, sizeof e);
    assert_true(h == 90);
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);
    assert_string_equal(e, "base；" DEGREE_NOTE);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
}

/* Superseding the course that had the 90 hands them to the other one, with
 * its explanation back to the policy's own text. */
static void test_supersede_capped_first(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c1, c2;
    store_activity early = act(P2, "degree_course", "2021-03-01", "前");
    policy_result r1 = degree(&c1, 2021, "base-early");
    put(f->s, sub, &early, &r1);
    store_activity late = act(P2, "degree_course", "2021-09-01", "后");
    policy_result r2 = degree(&c2, 2021, "base-late");
    long long id_late = put(f->s, sub, &late, &r2);
    commit(f->s, sub, NULL);
    double h;
    char e[256];
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);

    /* an identical resubmission of the early one changes nothing */
    policy_credit c3;
    policy_result r3 = degree(&c3, 2021, "base-early");
    long long id_early2 = file_one(f->s, "s2", &early, &r3);
    credit_of(f->s, id_early2, &h, e, sizeof e);
    assert_true(h == 90);
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);
    assert_string_equal(e, "base-late；" DEGREE_NOTE);

    /* now it comes back not passed */
    policy_result rej = outcome(PS_REJECTED, "not_creditable", "课程未通过");
    file_one(f->s, "s3", &early, &rej);
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 90);
    assert_string_equal(e, "base-late");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 1);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
}

/* Caps are per person, per year and per key. */
static void test_cap_scope(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c[4];
    store_activity a1 = act(P2, "degree_course", "2021-03-01", "课1");
    policy_result r1 = degree(&c[0], 2021, "x");
    put(f->s, sub, &a1, &r1);
    store_activity a2 = act(P2, "degree_course", "2022-03-01", "课2");
    policy_result r2 = degree(&c[1], 2022, "x");
    put(f->s, sub, &a2, &r2);
    store_activity a3 = act(P1, "degree_course", "2021-03-01", "课1");
    policy_result r3 = degree(&c[2], 2021, "x");
    put(f->s, sub, &a3, &r3);
    store_activity a4 = act(P2, "qualification_exam", "2021-05-01", "考试");
    policy_result r4 = credited(&c[3], 2021, "professional", 90, "x");
    c[3].cap_key = "qualification_exam";
    c[3].cap_limit = 90;
    put(f->s, sub, &a4, &r4);
    commit(f->s, sub, NULL);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits WHERE hours = 90"), 4);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"
                                 " WHERE person_id = '" P2 "' AND year = 2021"), 180);
}

/* A cap can cut part of a credit; without a note the store says why. */
static void test_partial_cap_and_default_note(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c[3];
    const char *dates[3] = {"2021-01-01", "2021-02-01", "2021-03-01"};
    long long ids[3];
    for (int i = 0; i < 3; i++) {
        char title[16];
        snprintf(title, sizeof title, "T%d", i);
        store_activity a = act(P2, "online", dates[i], title);
        policy_result r = credited(&c[i], 2021, "professional", 40, "网络课程40学时");
        c[i].cap_key = "online";
        c[i].cap_limit = 100;
        ids[i] = put(f->s, sub, &a, &r);
    }
    commit(f->s, sub, NULL);
    double h;
    char e[256];
    credit_of(f->s, ids[0], &h, e, sizeof e);
    assert_true(h == 40);
    assert_string_equal(e, "网络课程40学时");
    credit_of(f->s, ids[2], &h, e, sizeof e);
    assert_true(h == 20);
    assert_string_equal(e, "网络课程40学时；本年度同类学时上限100学时，本项计20学时");
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_two_degree_courses_by_date),
        T(test_same_date_by_title),
        T(test_cap_across_files),
        T(test_supersede_capped_first),
        T(test_cap_scope),
        T(test_partial_cap_and_default_note),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
