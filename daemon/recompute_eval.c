/*
 * One person, in a worker thread: evaluate each activity in scope again
 * (payload → normaliser → policy, exactly as the pipeline does), then
 * predict what the store would make of the person — caps through the
 * store's own step (store_cap_take, in store_cap_cmp order), person-year
 * totals and compliance under the new policies — and compare with what is
 * stored. Pure with respect to the database: it reads only the batch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "recompute_priv.h"

static void fail(rc_batch *b, const char *msg)
{
    if (!__atomic_exchange_n(&b->failed, 1, __ATOMIC_SEQ_CST))
        snprintf(b->err, sizeof b->err, "%s", msg);
}

static int text_eq(const char *a, const char *b)
{
    if (a && !*a)
        a = NULL;
    if (b && !*b)
        b = NULL;
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_hours(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static int rc_status(int ps)
{
    return ps == PS_CREDITED ? RC_CREDITED : ps == PS_PENDING ? RC_PENDING : RC_REJECTED;
}

/* As pipeline.c's on_record: the normaliser's verdict, else the policy's. */
static int evaluate(rc_eval_ctx *ctx, rc_activity *a)
{
    if (record_payload_parse(a->payload, (size_t)a->record_index, 0, ctx->payload) != 0)
        return 1; /* cannot be read back: left as it is */
    activity *act = ctx->act;
    record_normalise(&ctx->payload->rec, ctx->today, act);
    policy_result *res = &a->res;
    memset(res, 0, sizeof *res);
    if (act->reason_code) {
        res->status = PS_REJECTED;
        snprintf(res->reason_code, sizeof res->reason_code, "%s", act->reason_code);
        res->reason = strdup(act->reason);
        if (!res->reason)
            return -1;
    } else if (policy_evaluate(ctx->set, act, res) != 0) {
        return -1;
    }
    a->evaluated = 1;
    return 0;
}

/* The stored form of res (store_put.c writes credits and covers only for
 * credited outcomes, the credits in store_credit_order, as they are read
 * back; an empty reason code is NULL). */
static int outcome_of(rc_arena *ar, const policy_result *res, rc_outcome *o)
{
    memset(o, 0, sizeof *o);
    o->status = rc_status(res->status);
    o->reason_code = res->reason_code[0] ? res->reason_code : NULL;
    o->reason = res->reason;
    o->policy = res->policy ? res->policy->name : NULL;
    o->sha256 = res->policy ? res->policy->sha256 : NULL;
    if (res->status != PS_CREDITED)
        return 0;
    if (res->ncredits) {
        o->credits = rc_alloc(ar, res->ncredits * sizeof *o->credits);
        if (!o->credits)
            return -1;
    }
    unsigned char ord[STORE_CREDIT_STRIDE];
    size_t n = store_credit_order(res, ord);
    for (size_t i = 0; i < n; i++) {
        const policy_credit *pc = &res->credits[ord[i]];
        rc_credit *c = &o->credits[i];
        int capped = pc->cap_key && *pc->cap_key;
        c->year = pc->year;
        c->category = pc->category;
        c->raw = c->hours = pc->hours;
        c->base = c->explanation = pc->explanation;
        c->cap_key = capped ? pc->cap_key : NULL;
        c->cap_limit = capped ? pc->cap_limit : 0;
        c->cap_note = capped ? pc->cap_note : NULL;
    }
    o->ncredits = n;
    if (res->cover_from > 0) {
        o->cover_from = res->cover_from;
        o->cover_to = res->cover_to > 0 ? res->cover_to : res->cover_from;
    }
    return 0;
}

/* An activity not evaluated again keeps its outcome; its credits are
 * copied because caps may still move their hours. */
static int outcome_kept(rc_arena *ar, const rc_outcome *before, rc_outcome *o)
{
    *o = *before;
    if (!before->ncredits)
        return 0;
    o->credits = rc_alloc(ar, before->ncredits * sizeof *o->credits);
    if (!o->credits)
        return -1;
    for (size_t i = 0; i < before->ncredits; i++) {
        o->credits[i] = before->credits[i];
        o->credits[i].hours = o->credits[i].raw;
        o->credits[i].explanation = o->credits[i].base;
    }
    return 0;
}

typedef struct capref {
    store_cap_item k;
    rc_credit *c;
} capref;

static int capref_cmp(const void *x, const void *y)
{
    return store_cap_cmp(&((const capref *)x)->k, &((const capref *)y)->k);
}

/* The store's caps (store_years.c) on the person's after credits. */
static int apply_caps(rc_arena *ar, rc_batch *b, rc_person *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nacts; i++) {
        const rc_outcome *o = &b->acts[p->first_act + i].after;
        for (size_t j = 0; j < o->ncredits; j++)
            n += o->credits[j].cap_key != NULL;
    }
    if (!n)
        return 0;
    capref *refs = malloc(n * sizeof *refs);
    if (!refs)
        return -1;
    n = 0;
    for (size_t i = 0; i < p->nacts; i++) {
        rc_activity *a = &b->acts[p->first_act + i];
        for (size_t j = 0; j < a->after.ncredits; j++) {
            rc_credit *c = &a->after.credits[j];
            if (!c->cap_key)
                continue;
            refs[n].k = (store_cap_item){c->year, c->cap_key, a->date, a->title, a->kind, a->id};
            refs[n].c = c;
            n++;
        }
    }
    qsort(refs, n, sizeof *refs, capref_cmp);
    double used = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i == 0 || refs[i].k.year != refs[i - 1].k.year ||
            strcmp(refs[i].k.cap_key, refs[i - 1].k.cap_key) != 0)
            used = 0;
        rc_credit *c = refs[i].c;
        char *expl;
        if (store_cap_take(c->cap_limit, c->raw, &used, c->base, c->cap_note, &c->hours, &expl) != 0) {
            rc = -1;
            break;
        }
        c->explanation = expl ? rc_strdup(ar, expl) : NULL;
        if (expl && !c->explanation)
            rc = -1;
        free(expl);
    }
    free(refs);
    return rc;
}

static int outcome_differs(const rc_outcome *x, const rc_outcome *y)
{
    if (x->status != y->status || !text_eq(x->reason_code, y->reason_code) ||
        !text_eq(x->reason, y->reason) || x->ncredits != y->ncredits ||
        x->cover_from != y->cover_from || x->cover_to != y->cover_to)
        return 1;
    for (size_t i = 0; i < x->ncredits; i++) {
        const rc_credit *a = &x->credits[i], *b = &y->credits[i];
        if (a->year != b->year || strcmp(a->category, b->category) != 0 ||
            !same_hours(a->hours, b->hours) || !text_eq(a->explanation, b->explanation))
            return 1;
    }
    return 0;
}

/* Does the store hold something else than it would write now? Compared on
 * what put writes (before caps): RC_REPLACE when the outcome differs,
 * RC_REVISE when only the deciding policy revision does. */
static int needs_rewrite(const rc_outcome *before, const rc_outcome *after)
{
    if (before->status != after->status || !text_eq(before->reason_code, after->reason_code) ||
        !text_eq(before->reason, after->reason) || before->ncredits != after->ncredits ||
        before->cover_from != after->cover_from || before->cover_to != after->cover_to)
        return RC_REPLACE;
    for (size_t i = 0; i < before->ncredits; i++) {
        const rc_credit *a = &before->credits[i], *b = &after->credits[i];
        if (a->year != b->year || strcmp(a->category, b->category) != 0 || a->raw != b->raw ||
            !text_eq(a->base, b->base) || !text_eq(a->cap_key, b->cap_key))
            return RC_REPLACE;
        if (a->cap_key && (a->cap_limit != b->cap_limit || !text_eq(a->cap_note, b->cap_note)))
            return RC_REPLACE;
    }
    if (!text_eq(before->policy, after->policy) || !text_eq(before->sha256, after->sha256))
        return RC_REVISE;
    return RC_KEEP;
}

static rc_year *year_slot(rc_year *ys, size_t *n, int year)
{
    for (size_t i = 0; i < *n; i++)
        if (ys[i].year == year)
            return &ys[i];
    rc_year *y = &ys[(*n)++];
    memset(y, 0, sizeof *y);
    y->year = year;
    return y;
}

static int year_in(const rc_outcome *o, int year)
{
    for (size_t i = 0; i < o->ncredits; i++)
        if (o->credits[i].year == year)
            return 1;
    return 0;
}

/* Which person-years this run rewrites: all of them, or with --year Y the
 * year Y and those the re-evaluated activities' credits reach. */
static int touched(const rc_eval_ctx *ctx, const rc_batch *b, const rc_person *p, int year)
{
    if (!ctx->year || year == ctx->year)
        return 1;
    for (size_t i = 0; i < p->nacts; i++) {
        const rc_activity *a = &b->acts[p->first_act + i];
        if (a->evaluated && (year_in(&a->before, year) || year_in(&a->after, year)))
            return 1;
    }
    return 0;
}

static int person_years(rc_eval_ctx *ctx, rc_arena *ar, rc_batch *b, rc_person *p)
{
    size_t cap = p->nyears;
    for (size_t i = 0; i < p->nacts; i++)
        cap += b->acts[p->first_act + i].after.ncredits;
    if (!cap)
        return 0;
    rc_year *ys = rc_alloc(ar, cap * sizeof *ys);
    if (!ys)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < p->nyears; i++)
        ys[n++] = b->years[p->first_year + i];
    int *ncred = calloc(cap, sizeof *ncred);
    if (!ncred)
        return -1;
    for (size_t i = 0; i < p->nacts; i++) {
        const rc_outcome *o = &b->acts[p->first_act + i].after;
        for (size_t j = 0; j < o->ncredits; j++) {
            const rc_credit *c = &o->credits[j];
            rc_year *y = year_slot(ys, &n, c->year);
            ncred[y - ys]++;
            if (!strcmp(c->category, "public"))
                y->after.public_hours += c->hours;
            else if (!strcmp(c->category, "professional"))
                y->after.professional_hours += c->hours;
            else if (!strcmp(c->category, "whole_year"))
                y->after.whole_year = 1;
        }
    }
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc_year y = ys[i];
        y.have_after = ncred[i] > 0;
        if (!touched(ctx, b, p, y.year)) {
            continue; /* not rewritten: stays as stored */
        }
        if (y.have_after) {
            y.after_total = y.after.public_hours + y.after.professional_hours +
                            (y.after.whole_year ? 90 : 0);
            char err[256], *missing = NULL;
            if (policy_compliance(ctx->set, y.year, &y.after, &y.after_compliant, &missing, err,
                                  sizeof err) != 0) {
                fail(b, err);
                rc = -1;
                break;
            }
            y.missing = missing ? rc_strdup(ar, missing) : NULL;
            free(missing);
        } else {
            memset(&y.after, 0, sizeof y.after);
        }
        y.changed = y.have_before != y.have_after ||
                    (y.have_after && (!same_hours(y.before.public_hours, y.after.public_hours) ||
                                      !same_hours(y.before.professional_hours, y.after.professional_hours) ||
                                      !y.before.whole_year != !y.after.whole_year ||
                                      !same_hours(y.before_total, y.after_total) ||
                                      !y.before_compliant != !y.after_compliant));
        ys[kept++] = y;
    }
    free(ncred);
    p->years = ys;
    p->ntouched = kept;
    return rc;
}

void rc_eval_person(rc_eval_ctx *ctx, rc_batch *b, int worker, rc_person *p)
{
    rc_arena *ar = &b->work[worker];
    for (size_t i = 0; i < p->nacts; i++) {
        rc_activity *a = &b->acts[p->first_act + i];
        int e = a->in_scope && a->payload ? evaluate(ctx, a) : 1;
        if (e < 0) {
            fail(b, "内存不足");
            return;
        }
        if ((e == 0 ? outcome_of(ar, &a->res, &a->after) : outcome_kept(ar, &a->before, &a->after)) != 0) {
            fail(b, "内存不足");
            return;
        }
    }
    if (apply_caps(ar, b, p) != 0) {
        fail(b, "内存不足");
        return;
    }
    for (size_t i = 0; i < p->nacts; i++) {
        rc_activity *a = &b->acts[p->first_act + i];
        a->after.hours = 0;
        for (size_t j = 0; j < a->after.ncredits; j++)
            a->after.hours += a->after.credits[j].hours;
        a->changed = outcome_differs(&a->before, &a->after);
        a->rewrite = a->evaluated ? needs_rewrite(&a->before, &a->after) : RC_KEEP;
    }
    if (person_years(ctx, ar, b, p) != 0 && !b->failed)
        fail(b, "内存不足");
}
