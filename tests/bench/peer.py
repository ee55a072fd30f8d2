#!/usr/bin/env python3
"""peer.py — the naive Python peer of issue #6.

What a competent person would write in an afternoon with the standard
library: the csv (or json) module reads the file, one Python function per
rule of the 2022 policy computes hours, a status and a Chinese explanation,
and the sqlite3 module stores activities, credits, people and person_years
behind the same identity index as xueshi (UNIQUE (person_id, kind, date,
title) over live rows; a resubmission supersedes). One transaction per file;
person-year sums are recomputed at the end of the file.

    python3 peer.py --db FILE [--fresh] INPUT.csv|INPUT.jsonl ...

It covers the kinds the benchmark generator emits and a few more, not the
whole policy (no special tasks, degree courses, qualification exams, prior
certificates, caps). Prints one line per run:
"peer records=N seconds=S records_per_s=R".
"""
import csv
import datetime
import json
import os
import sqlite3
import sys
import time

# --- words (SPEC §3, §4) -------------------------------------------------------

HEADER = {
    "身份证号": "id", "姓名": "name", "单位": "unit", "工作单位": "unit",
    "现有职称": "professional_title", "职称": "professional_title", "学历": "education",
    "编号": "ref", "类型": "kind", "科目": "subject", "主题": "topic", "名称": "title",
    "主办单位": "provider", "日期": "date", "结束日期": "end_date", "天数": "days",
    "半天数": "half_days", "晚上数": "evenings", "学时": "hours", "角色": "role",
    "级别": "level", "排名": "rank", "刊号": "cn", "模块数": "modules",
    "是否合格": "passed", "材料": "evidence",
}

KINDS = {
    "training": ["培训", "培训班", "研修班", "进修班"],
    "practice": ["实践", "实践活动", "继续教育实践活动"],
    "online": ["网络课程", "网络平台课程", "远程教育"],
    "conference": ["学术会议", "讲座", "访问", "交流"],
    "overseas": ["海外交换", "海外交流"],
    "project": ["课题", "课题研究", "项目开发"],
    "book": ["著作", "译作", "教材"],
    "paper": ["论文"],
    "patent": ["专利"],
    "award": ["获奖", "科技奖", "社科奖"],
    "computer_exam": ["计算机应用能力考试", "计算机考试"],
}
KIND_OF = {}
for _code, _names in KINDS.items():
    KIND_OF[_code] = _code
    for _n in _names:
        KIND_OF[_n] = _code

VALUES = {"公需": "public", "专业": "professional", "主持": "host", "参与": "participant",
          "政府": "government", "行业": "industry", "国家级": "national",
          "省部级": "provincial", "地厅级": "prefecture"}

MATERIALS = {
    "notice": ["通知", "培训通知"], "schedule": ["课程表", "日程安排", "培训课程表", "培训日程安排"],
    "sign_in": ["签到表", "培训签到表"], "certificate": ["结业证书"],
    "practice_notice": ["实践活动通知"], "dispatch_notice": ["派出通知", "派遣通知"],
    "registration_form": ["报名表", "实践报名表"], "practice_log": ["实践活动日志"],
    "syllabus": ["课程内容安排", "课程内容"], "progress": ["课程完成进度"],
    "course_duration": ["课程时长"], "invitation": ["邀请函"], "receipt": ["回执", "参会回执"],
    "notes": ["学习笔记"], "attendee_list": ["会议通讯录"], "email_receipt": ["邮件回执"],
    "expense_claim": ["财务报账单"], "study_materials": ["学习资料"],
    "completion_certificate": ["结题证明", "结项证明"], "cover": ["封面", "著作封面"],
    "copyright_page": ["版权页"], "toc": ["目录"], "journal_cover": ["刊物封面"],
    "journal_number": ["刊号"], "patent_certificate": ["专利证书"],
    "award_certificate": ["获奖证书"], "exam_certificate": ["合格证书"],
}
MATERIAL_OF = {}
for _code, _names in MATERIALS.items():
    MATERIAL_OF[_code] = _code
    for _n in _names:
        MATERIAL_OF[_n] = _code

FIELD_ZH = {"subject": "科目", "topic": "主题", "title": "名称", "date": "日期",
            "days": "天数", "half_days": "半天数", "evenings": "晚上数", "hours": "学时",
            "role": "角色", "level": "级别", "rank": "排名", "modules": "模块数"}

TOPICS = {2022: ["全面提高公共安全生产保障能力", "新时代数字化在工作中的应用", "区块链技术与应用"]}
POLICY_YEARS = range(2017, 2027)
ATTENDANCE = {"day": 10, "half_day": 4, "evening": 2}

# (name, materials: list of (all of, one of))
KIND_INFO = {
    "training": ("培训", [(["notice", "schedule", "sign_in"], None),
                          (["certificate"], ["notice", "schedule", "sign_in"])]),
    "practice": ("实践活动", [(["practice_notice", "dispatch_notice"], None),
                              (["practice_log"], ["practice_notice", "registration_form"])]),
    "online": ("网络课程", [(["syllabus", "progress"], None),
                            (["certificate"], ["course_duration", "syllabus"])]),
    "conference": ("学术会议", [(["receipt", "notes"], ["invitation", "notice"]),
                                ([], ["attendee_list", "email_receipt", "expense_claim"])]),
    "overseas": ("海外交流", [(["invitation"], ["receipt", "study_materials", "certificate"])]),
    "project": ("课题", [(["completion_certificate"], None)]),
    "book": ("著作", [(["cover", "copyright_page", "toc"], None)]),
    "paper": ("论文", [(["journal_cover", "journal_number", "toc"], None)]),
    "patent": ("专利", [(["patent_certificate"], None)]),
    "award": ("奖项", [(["award_certificate"], None)]),
    "computer_exam": ("计算机应用能力考试", [(["exam_certificate"], None)]),
}


class Reject(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code, self.reason = code, reason


def field(f):
    return "%s(%s)" % (FIELD_ZH.get(f, f), f)


def missing(*fs):
    return Reject("missing_field", "缺少" + "、".join(field(f) for f in fs))


def invalid(f, why):
    return Reject("invalid_value", field(f) + why)


def num(x):
    return "%d" % x if x == int(x) else "%g" % x


# --- record normalisation ------------------------------------------------------

ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_id(s):
    if s is None:
        raise missing("id")
    s = s.strip().upper()
    if len(s) != 18 or not s[:17].isdigit():
        raise Reject("invalid_id", "身份证号「%s」格式不正确" % s)
    if "10X98765432"[sum(int(s[i]) * ID_W[i] for i in range(17)) % 11] != s[17]:
        raise Reject("invalid_id", "身份证号「%s」校验位不正确" % s)
    return s


def whole(r, f):
    v = r.get(f)
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        raise invalid(f, "应为整数，实为「%s」" % v)


def evidence_of(v):
    if v is None:
        return []
    if isinstance(v, list):
        items = v
    else:
        for sep in ("；", "、", "|"):
            v = v.replace(sep, ";")
        items = v.split(";")
    return [MATERIAL_OF.get(x.strip(), x.strip()) for x in items if x.strip()]


# --- one function per rule (rules/lib/hunan.lua) --------------------------------

def rule_attendance(a, name, cat):
    d, h, e = a["days"] or 0, a["half_days"] or 0, a["evenings"] or 0
    if d == 0 and h == 0 and e == 0:
        raise missing("days", "half_days", "evenings")
    for f, v in (("days", d), ("half_days", h), ("evenings", e)):
        if v < 0:
            raise invalid(f, "不能为负数")
    if d > 366:
        raise invalid("days", "不能超过366")
    hours = d * ATTENDANCE["day"] + h * ATTENDANCE["half_day"] + e * ATTENDANCE["evening"]
    what, calc = [], []
    for v, word, many, rate in ((d, "1天", "%d天", "day"), (h, "半天", "%d个半天", "half_day"),
                                (e, "晚上", "%d个晚上", "evening")):
        if v > 0:
            what.append(word if v == 1 else many % v)
            calc.append(num(ATTENDANCE[rate]) if v == 1 else "%d×%s" % (v, num(ATTENDANCE[rate])))
    text = "+".join(calc)
    if len(calc) > 1 or max(d, h, e) > 1:
        text += "=" + num(hours)
    return [(a["year"], cat, hours, "%s%s：%s学时" % (name, "+".join(what), text))]


def rule_hours(a, name, cat):
    if a["hours"] is None:
        raise missing("hours")
    if a["hours"] <= 0:
        raise invalid("hours", "应大于0")
    return [(a["year"], cat, a["hours"], "%s%s学时" % (name, num(a["hours"])))]


def rule_role(a, name, cat):
    if a["role"] is None:
        raise missing("role")
    if a["level"] is None:
        raise missing("level")
    hours = {"host": 90, "participant": 60}.get(a["role"])
    if hours is None:
        raise invalid("role", "应为主持(host)或参与(participant)，实为「%s」" % a["role"])
    if a["level"] not in ("government", "industry"):
        raise Reject("not_creditable", "%s级别「%s」不可折算：只认可政府或行业组织" % (name, a["level"]))
    label = {"government": "政府", "industry": "行业组织", "host": "主持", "participant": "参与"}
    return [(a["year"], cat, hours, "%s(%s，%s)：%d学时" % (name, label[a["level"]], label[a["role"]], hours))]


def need_rank(a):
    if a["rank"] is None:
        raise missing("rank")
    if a["rank"] < 1:
        raise invalid("rank", "应不小于1")


def rule_rank_paper(a, name, cat):
    need_rank(a)
    cn = a["cn"]
    if cn is None:
        raise Reject("not_creditable", name + "没有国内统一刊号(CN)，不可折算")
    if not (len(cn) >= 11 and cn[:2] == "CN" and cn[2:4].isdigit() and cn[4] == "-"
            and cn[5:9].isdigit() and cn[9] == "/" and cn[10].isupper()):
        raise Reject("not_creditable", "刊号「%s」不是国内统一刊号(如CN43-1234/R)，不可折算" % cn)
    hours = 30 if a["rank"] == 1 else 10
    who = "第一作者" if a["rank"] == 1 else "第%d作者" % a["rank"]
    return [(a["year"], cat, hours, "%s(%s，%s)：%d学时" % (name, who, cn, hours))]


def rule_rank_90_60(a, name, cat, role="作者"):
    need_rank(a)
    hours = 90 if a["rank"] == 1 else 60
    who = ("第一" if a["rank"] == 1 else "第%d" % a["rank"]) + role
    return [(a["year"], cat, hours, "%s(%s)：%d学时" % (name, who, hours))]


def rule_rank_patent(a, name, cat):
    return rule_rank_90_60(a, name, cat, "完成人")


def rule_award(a, name, cat):
    lv = a["level"]
    if lv is None:
        raise missing("level")
    if lv in ("national", "provincial"):
        zh = "国家级" if lv == "national" else "省部级"
        return [(a["year"], cat, 90, "%s%s：90学时" % (zh, name))]
    if lv != "prefecture":
        raise Reject("not_creditable", "%s级别「%s」不可折算" % (name, lv))
    need_rank(a)
    hours = 60 if a["rank"] <= 5 else 30
    return [(a["year"], cat, hours, "地厅级%s排名第%d：%d学时" % (name, a["rank"], hours))]


def rule_per_module(a, name, cat):
    m = a["modules"]
    if m is None:
        raise missing("modules")
    if m < 1:
        raise invalid("modules", "应不小于1")
    calc = num(m * 20) if m == 1 else "%d×20=%d" % (m, m * 20)
    return [(a["year"], cat, m * 20, "%s%d个模块：%s学时" % (name, m, calc))]


RULES = {"training": rule_attendance, "practice": rule_attendance, "conference": rule_attendance,
         "overseas": rule_attendance, "online": rule_hours, "project": rule_role,
         "book": rule_rank_90_60, "paper": rule_rank_paper, "patent": rule_rank_patent,
         "award": rule_award, "computer_exam": rule_per_module}
BY_SUBJECT = {"training", "practice", "online", "conference", "overseas"}


def missing_materials(sets, ev):
    best, best_n = None, None
    for all_of, one_of in sets:
        n = sum(1 for c in all_of if c not in ev) + (1 if one_of and not any(c in ev for c in one_of) else 0)
        if n == 0:
            return None
        if best_n is None or n < best_n:
            best, best_n = (all_of, one_of), n
    parts = ["%s(%s)" % (MATERIALS[c][0], c) for c in best[0] if c not in ev]
    if best[1] and not any(c in ev for c in best[1]):
        parts.append("或".join("%s(%s)" % (MATERIALS[c][0], c) for c in best[1]) + "之一")
    return "缺少材料：" + "、".join(parts)


def evaluate(a):
    """(status, reason_code, reason, credits) for one normalised activity."""
    kind = a["kind"]
    name, sets = KIND_INFO[kind]
    if kind in BY_SUBJECT:
        cat = a["subject"]
        if cat is None:
            raise missing("subject")
        if cat not in ("public", "professional"):
            raise invalid("subject", "应为公需(public)或专业(professional)，实为「%s」" % cat)
        if cat == "public":
            if a["topic"] is None:
                raise missing("topic")
            topics = TOPICS.get(a["year"])
            if topics and a["topic"] not in topics:
                raise Reject("topic_not_in_policy", "「%s」不是%d年度公需科目主题（%s）"
                             % (a["topic"], a["year"], "、".join(topics)))
    else:
        cat = "professional"
    rule = RULES[kind]
    # checks before materials, as the policy does: a dry run raises Reject
    credits = rule(a, name, cat)
    why = missing_materials(sets, a["evidence"])
    if why:
        return "pending_materials", "missing_materials", why, []
    return "credited", None, None, credits


def normalise(r, today):
    """The flat record r (key → text, evidence maybe a list) → activity dict,
    or raises Reject."""
    a = {"person_id": check_id(r.get("id"))}
    if r.get("name") is None:
        raise missing("name")
    kind_name = r.get("kind")
    if kind_name is None:
        raise missing("kind")
    kind = KIND_OF.get(kind_name)
    if kind is None:
        raise Reject("unknown_kind", "peer 不认识「%s」这一继续教育形式" % kind_name)
    a["kind"] = kind
    for f in ("title", "date"):
        if r.get(f) is None:
            raise missing(f)
    a["title"] = r["title"]
    try:
        d = datetime.date.fromisoformat(r["date"])
    except ValueError:
        raise invalid("date", "不是有效日期「%s」" % r["date"])
    if len(r["date"]) != 10 or d > today:
        raise invalid("date", "不是有效日期或晚于处理日期「%s」" % r["date"])
    a["date"], a["year"] = r["date"], d.year
    if d.year not in POLICY_YEARS:
        raise Reject("no_policy_for_year", "没有%d年度的政策" % d.year)
    for f in ("subject", "topic", "role", "level", "cn"):
        v = r.get(f)
        a[f] = VALUES.get(v, v) if v is not None else None
    for f in ("days", "half_days", "evenings", "rank", "modules"):
        a[f] = whole(r, f)
    h = r.get("hours")
    try:
        a["hours"] = float(h) if h is not None else None
    except ValueError:
        raise invalid("hours", "应为数字，实为「%s」" % h)
    a["evidence"] = evidence_of(r.get("evidence"))
    return a


# --- reading --------------------------------------------------------------------

def text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, list)):
        return v if isinstance(v, list) else str(v)
    v = v.strip()
    return v or None


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        header = [HEADER.get(h.strip(), h.strip()) for h in next(rows)]
        for row in rows:
            yield {k: text(v) for k, v in zip(header, row)}


def read_jsonl(path):
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            for p in doc.get("people", [doc]) if isinstance(doc, dict) else doc:
                person = {k: text(v) for k, v in p.get("person", {}).items()}
                for act in p.get("activities", []):
                    r = dict(person)
                    r.update({HEADER.get(k, k): text(v) for k, v in act.items()})
                    yield r


# --- storing ----------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (submission_id INTEGER PRIMARY KEY, file_name TEXT,
  received_at TEXT, records INTEGER, credited INTEGER, pending INTEGER, rejected INTEGER);
CREATE TABLE IF NOT EXISTS people (person_id TEXT PRIMARY KEY, name TEXT, unit TEXT,
  professional_title TEXT, education TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (activity_id INTEGER PRIMARY KEY, submission_id INTEGER,
  person_id TEXT, ref TEXT, kind TEXT, subject TEXT, topic TEXT, title TEXT, date TEXT,
  year INTEGER, status TEXT, reason_code TEXT, reason TEXT, has_identity INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS activities_identity ON activities(person_id, kind, date, title)
  WHERE has_identity = 1 AND status <> 'superseded';
CREATE TABLE IF NOT EXISTS credits (activity_id INTEGER, person_id TEXT, year INTEGER,
  category TEXT, hours NUMERIC, policy TEXT, explanation TEXT);
CREATE TABLE IF NOT EXISTS person_years (person_id TEXT, year INTEGER, public_hours NUMERIC,
  professional_hours NUMERIC, whole_year INTEGER, total_hours NUMERIC, compliant INTEGER,
  PRIMARY KEY (person_id, year)) WITHOUT ROWID;
"""


def ingest(db, path, today):
    reader = read_jsonl if path.endswith(".jsonl") else read_csv
    cur = db.cursor()
    cur.execute("BEGIN")
    cur.execute("INSERT INTO submissions (file_name, received_at) VALUES (?, ?)",
                (os.path.basename(path), datetime.datetime.now().isoformat(timespec="seconds")))
    sub = cur.lastrowid
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS touched (person_id TEXT PRIMARY KEY) WITHOUT ROWID")
    cur.execute("DELETE FROM touched")
    counts = {"credited": 0, "pending_materials": 0, "rejected": 0}
    n = 0
    for r in reader(path):
        n += 1
        a, ident = None, 0
        try:
            a = normalise(r, today)
            ident = 1
            status, code, reason, credits = evaluate(a)
        except Reject as e:
            status, code, reason, credits = "rejected", e.code, e.reason, []
        counts[status] += 1
        g = (a or r).get
        pid = a["person_id"] if a else r.get("id")
        if ident:
            old = cur.execute("SELECT activity_id FROM activities WHERE person_id = ? AND kind = ? AND date = ?"
                              " AND title = ? AND has_identity = 1 AND status <> 'superseded'",
                              (pid, a["kind"], a["date"], a["title"])).fetchone()
            if old:
                cur.execute("UPDATE activities SET status = 'superseded' WHERE activity_id = ?", old)
                cur.execute("DELETE FROM credits WHERE activity_id = ?", old)
            cur.execute("INSERT OR REPLACE INTO people VALUES (?, ?, ?, ?, ?)",
                        (pid, r.get("name"), r.get("unit"), r.get("professional_title"), r.get("education")))
            cur.execute("INSERT OR IGNORE INTO touched VALUES (?)", (pid,))
        cur.execute("INSERT INTO activities (submission_id, person_id, ref, kind, subject, topic, title,"
                    " date, year, status, reason_code, reason, has_identity)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sub, pid, r.get("ref"), g("kind"), g("subject"), g("topic"), g("title"), g("date"),
                     a["year"] if a else None, status, code, reason, ident))
        act = cur.lastrowid
        for year, cat, hours, expl in credits:
            cur.execute("INSERT INTO credits VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (act, pid, year, cat, hours, "%d.lua" % year, expl))
    # person-year sums of every person the file touched
    cur.execute("DELETE FROM person_years WHERE person_id IN (SELECT person_id FROM touched)")
    cur.execute("""
        INSERT INTO person_years
        SELECT person_id, year, pub, prof, whole, pub + prof + (CASE WHEN whole THEN 90 ELSE 0 END),
               whole OR (prof >= 60 AND pub + prof >= 90)
        FROM (SELECT person_id, year,
                     SUM(CASE WHEN category = 'public' THEN hours ELSE 0 END) AS pub,
                     SUM(CASE WHEN category = 'professional' THEN hours ELSE 0 END) AS prof,
                     MAX(category = 'whole_year') AS whole
              FROM credits WHERE person_id IN (SELECT person_id FROM touched)
              GROUP BY person_id, year)""")
    cur.execute("UPDATE submissions SET records = ?, credited = ?, pending = ?, rejected = ?"
                " WHERE submission_id = ?",
                (n, counts["credited"], counts["pending_materials"], counts["rejected"], sub))
    cur.execute("COMMIT")
    return n, counts


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="The naive Python peer of the xueshi benchmark.")
    ap.add_argument("--db", required=True, help="SQLite database (created when absent)")
    ap.add_argument("--fresh", action="store_true", help="delete the database first")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.db + suffix):
                os.unlink(args.db + suffix)
    today = datetime.date.fromisoformat(os.environ.get("XUESHI_TODAY") or datetime.date.today().isoformat())
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.executescript(SCHEMA)
    total = 0
    for path in args.files:
        n, counts = ingest(db, path, today)
        total += n
        print("peer: %s: %d records, %d credited, %d pending, %d rejected"
              % (path, n, counts["credited"], counts["pending_materials"], counts["rejected"]),
              file=sys.stderr)
    db.close()
    t = time.monotonic() - t0
    print("peer records=%d seconds=%.3f records_per_s=%.0f" % (total, t, total / t if t > 0 else 0))


if __name__ == "__main__":
    main(sys.argv[1:])
