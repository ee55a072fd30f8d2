-- rules/lib/hunan.lua — the machinery behind every Hunan (湘潭) yearly policy.
--
-- A policy file (rules/YYYY.lua) is data: topics, attendance hours, kinds with
-- their rule, hours and material sets, requirements, spans, holidays. This
-- library reads that data; docs/policies.md describes every field.
--
--   local hunan = lib("hunan")
--   return hunan.policy { year = 2022, topics = {...}, kinds = {...}, ... }
--
-- Functions here take the policy table as their first argument (P), so that a
-- copy made with policy("2022") and changed ("last year's, except …") uses its
-- own changed data.

local M = {}

local fmt, concat, floor, ceil = string.format, table.concat, math.floor, math.ceil
local type, pairs, ipairs, tostring, error = type, pairs, ipairs, tostring, error
local mtype, setmetatable, tonumber = math.type, setmetatable, tonumber

---------------------------------------------------------------------------
-- Words used in messages
---------------------------------------------------------------------------

M.field_names = {
  subject = "科目", topic = "主题", title = "名称", date = "日期", end_date = "结束日期",
  days = "天数", half_days = "半天数", evenings = "晚上数", hours = "学时",
  role = "角色", level = "级别", rank = "排名", cn = "刊号", modules = "模块数",
  passed = "是否合格", number = "认定单编号", from_year = "起始年", to_year = "截止年",
}

M.labels = {
  public = "公需科目", professional = "专业科目", whole_year = "全年",
  host = "主持", participant = "参与",
  government = "政府", industry = "行业组织",
  national = "国家级", provincial = "省部级", prefecture = "地厅级",
}

local function field(f) return (M.field_names[f] or f) .. "(" .. f .. ")" end
local function label(v) return M.labels[v] or tostring(v) end

-- 16 → "16", 16.5 → "16.5". Small whole numbers come from a cache: this is
-- on the path of every evaluation and tostring is comparatively slow.
local NUM = {}
local function num(x)
  local s = NUM[x]
  if s then return s end
  if x == floor(x) and x > -1e15 and x < 1e15 then
    s = fmt("%d", x)
    if x >= 0 and x <= 4096 then NUM[x] = s end
    return s
  end
  return fmt("%g", x)
end
M.num = num

-- A count as `x .. ""` writes it ("2" for the integer 2, "2.0" for the
-- float): integers from num's cache, without the C sprintf of a coercion.
local function count(x)
  if mtype(x) == "integer" then return num(x) end
  return tostring(x)
end

---------------------------------------------------------------------------
-- Results
---------------------------------------------------------------------------

local function rejected(code, reason)
  return { status = "rejected", reason_code = code, reason = reason }
end
M.rejected = rejected

function M.missing_field(...)
  local names = {}
  for i, f in ipairs({ ... }) do names[i] = field(f) end
  return rejected("missing_field", "缺少" .. concat(names, "、"))
end

function M.invalid_value(f, why)
  return rejected("invalid_value", field(f) .. why)
end

function M.not_creditable(why)
  return rejected("not_creditable", why)
end

---------------------------------------------------------------------------
-- Dates (strings "YYYY-MM-DD"; the host has already checked they are real)
---------------------------------------------------------------------------

local date = {}
M.date = date

function date.parse(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return nil end
  return tonumber(y), tonumber(m), tonumber(d)
end

local function leap(y) return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) end
local MDAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
function date.days_in_month(y, m)
  if m == 2 and leap(y) then return 29 end
  return MDAYS[m]
end

-- days since 1970-01-01 (H. Hinnant's algorithm)
function date.days(y, m, d)
  if type(y) == "string" then y, m, d = date.parse(y) end
  y = m <= 2 and y - 1 or y
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

function date.civil(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return y, m, d
end

function date.format(y, m, d)
  if d == nil then y, m, d = date.civil(y) end
  return fmt("%04d-%02d-%02d", y, m, d)
end

-- SPEC §4: adding months keeps the day, clamped to the month's last day
-- (2019-08-31 + 6 months = 2020-02-29).
function date.add_months(y, m, d, n)
  local t = (m - 1) + n
  y, m = y + t // 12, t % 12 + 1
  local last = date.days_in_month(y, m)
  if d > last then d = last end
  return y, m, d
end

-- 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday)
function date.weekday(s) return (date.days(s) + 4) % 7 end

---------------------------------------------------------------------------
-- Materials
---------------------------------------------------------------------------

-- name (code or any Chinese name) → code, built once per material_names table
local index_cache = setmetatable({}, { __mode = "k" })

local function material_index(names)
  local idx = index_cache[names]
  if idx then return idx end
  idx = {}
  for code, zh in pairs(names) do
    idx[code] = code
    if type(zh) == "string" then
      idx[zh] = code
    else
      for _, n in ipairs(zh) do idx[n] = code end
    end
  end
  index_cache[names] = idx
  return idx
end

local function material_label(names, code)
  local zh = names[code]
  if type(zh) == "table" then zh = zh[1] end
  return (zh or code) .. "(" .. code .. ")"
end

-- Whether the evidence (codes or Chinese names) holds code. Evidence lists
-- are short, so scanning beats building a set on every evaluation.
local function has(idx, evidence, code)
  for i = 1, #evidence do
    if idx[evidence[i]] == code then return true end
  end
  return false
end

-- Missing items of one set: a list of codes and at most one one_of group.
-- (Loops inlined: this runs for every record.)
local function missing_in(idx, set, evidence)
  local n, ne = 0, #evidence
  for i = 1, #set do
    local code, found = set[i], false
    for j = 1, ne do
      if idx[evidence[j]] == code then found = true break end
    end
    if not found then n = n + 1 end
  end
  local group = set.one_of
  if group then
    for j = 1, ne do
      local code = idx[evidence[j]]
      for i = 1, #group do
        if group[i] == code then return n end
      end
    end
    n = n + 1
  end
  return n
end

local function describe_missing(names, idx, set, evidence)
  local parts = {}
  for _, code in ipairs(set) do
    if not has(idx, evidence, code) then parts[#parts + 1] = material_label(names, code) end
  end
  if set.one_of and missing_in(idx, { one_of = set.one_of }, evidence) > 0 then
    local alts = {}
    for i, code in ipairs(set.one_of) do alts[i] = material_label(names, code) end
    parts[#parts + 1] = concat(alts, "或") .. "之一"
  end
  return concat(parts, "、")
end

local NO_EVIDENCE = {}

-- A kind's material sets, prepared once (per sets list and material_names
-- table, so a changed copy of a policy gets its own) for the check every
-- record goes through: each item of each set, and each set's one_of group,
-- is one bit of an integer, and bits[name] holds the bits a name provides
-- (a name is a code or any of its Chinese names). One pass over the evidence
-- ORs them together; a set is complete when all of its bits (need[i]) are
-- there. More than 63 items and groups in all do not fit (nor does a list
-- with a hole): bits stays nil and every set is counted with missing_in().
local prepared_cache = setmetatable({}, { __mode = "k" })

local function prepare_sets(names, sets)
  local p = { names = names }
  prepared_cache[sets] = p
  local names_of = {}   -- code → every name that means it
  for name, code in pairs(index_cache[names] or material_index(names)) do
    local list = names_of[code]
    if list == nil then list = {}; names_of[code] = list end
    list[#list + 1] = name
  end
  local bits, need, used = {}, {}, 0
  local function new_bit(codes)   -- a bit that every name of codes provides
    local b = 1 << used
    used = used + 1
    for _, code in ipairs(codes) do
      for _, name in ipairs(names_of[code] or NO_EVIDENCE) do
        bits[name] = (bits[name] or 0) | b
      end
    end
    return b
  end
  local function holes(list)
    for j = 1, #list do
      if list[j] == nil then return true end
    end
  end
  for i = 1, #sets do
    local set = sets[i]
    if used + #set + 1 > 63 or holes(set) or (set.one_of and holes(set.one_of)) then return p end
    need[i] = 0
    for j = 1, #set do need[i] = need[i] | new_bit({ set[j] }) end
    if set.one_of then need[i] = need[i] | new_bit(set.one_of) end
  end
  p.bits, p.need = bits, need
  return p
end

-- nil when one set is complete; else the Chinese text of what the nearest
-- set (fewest missing items; the first on a tie) lacks.
function M.missing_materials(P, sets, evidence)
  if not sets or #sets == 0 then return nil end
  local names = P.material_names
  local p = prepared_cache[sets]
  if p == nil or p.names ~= names then p = prepare_sets(names, sets) end
  evidence = evidence or NO_EVIDENCE
  local bits, need = p.bits, p.need
  if bits then
    local have = 0
    for j = 1, #evidence do
      local b = bits[evidence[j]]
      if b then have = have | b end
    end
    for i = 1, #sets do
      local n = need[i]
      if have & n == n then return nil end
    end
  end
  -- No set is complete: count what each lacks
  local idx = index_cache[names] or material_index(names)
  local best, best_n
  for i = 1, #sets do
    local n = missing_in(idx, sets[i], evidence)
    if n == 0 then return nil end
    if not best_n or n < best_n then best, best_n = sets[i], n end
  end
  return "缺少材料：" .. describe_missing(names, idx, best, evidence)
end

---------------------------------------------------------------------------
-- Rules: how a kind turns into credits. Each has check(a, k, P) → a
-- rejection or nil, and credit(a, k, P) → a result. k is the kind's table.
---------------------------------------------------------------------------

local rules = {}
M.rules = rules

local function category_of(a, k)
  if k.category == "subject" then return a.subject end
  return k.category or "professional"
end

local function credit_of(a, k, P, hours, explanation, year, category)
  return {
    year = year or a.year,
    category = category or category_of(a, k),
    hours = hours,
    explanation = explanation,
    cap = k.cap,
  }
end

-- The usual result: credited, one credit of the activity's year. (The
-- same as { status = "credited", credits = { credit_of(a, k, P, hours,
-- explanation) } }, written out: nearly every record ends here.)
local function credited(a, k, P, hours, explanation)
  local category = k.category   -- category_of(a, k)
  if category == "subject" then
    category = a.subject
  elseif not category then
    category = "professional"
  end
  return { status = "credited", credits = { {
    year = a.year,
    category = category,
    hours = hours,
    explanation = explanation,
    cap = k.cap,
  } } }
end

local function need_rank(a)
  if a.rank == nil then return M.missing_field("rank") end
  if a.rank < 1 then return M.invalid_value("rank", "应不小于1") end
end

-- The hours of a rank from a list like {{upto = 1, hours = 90}, {hours = 60}}:
-- the first entry whose upto is absent or ≥ rank.
function M.by_rank(list, rank)
  local i, e = 1, list[1]
  while e ~= nil do   -- ipairs(list), without the iterator calls
    local upto = e.upto
    if upto == nil or rank <= upto then return e.hours end
    i = i + 1
    e = list[i]
  end
  error("rank list has no entry for rank " .. rank, 2)
end

-- "第一作者", "第3完成人"
local function who(k, rank)
  local role = k.who or "作者"
  if rank == 1 then return "第一" .. role end
  return "第" .. num(rank) .. role
end

-- 附件1 二.1: a day, a half day, an evening
rules.attendance = {
  check = function(a, k, P)
    local d, h, e = a.days or 0, a.half_days or 0, a.evenings or 0
    if d == 0 and h == 0 and e == 0 then
      return M.missing_field("days", "half_days", "evenings")
    end
    if d < 0 then return M.invalid_value("days", "不能为负数") end
    if h < 0 then return M.invalid_value("half_days", "不能为负数") end
    if e < 0 then return M.invalid_value("evenings", "不能为负数") end
    if d > 366 then return M.invalid_value("days", "不能超过366") end
  end,
  credit = function(a, k, P)
    local rate = k.attendance or P.attendance
    local d, h, e = a.days or 0, a.half_days or 0, a.evenings or 0
    local rd, rh, re = rate.day, rate.half_day, rate.evening
    local hours = d * rd + h * rh + e * re
    -- "培训2天+半天：2×10+4=24学时": the words (what) and the arithmetic
    -- (calc) of each term, "+" between terms, "=total" after more than one
    -- term or a count above 1. This is the hot path of a large share of all
    -- records, so the usual shapes, whole days alone or with one half day,
    -- are each written out as one concatenation (the general form below
    -- gives the same text for them).
    if e == 0 and d >= 1 then
      if h == 0 then
        if d == 1 then return credited(a, k, P, hours, k.name .. "1天：" .. num(rd) .. "学时") end
        local dn = count(d)
        return credited(a, k, P, hours,
          k.name .. dn .. "天：" .. dn .. "×" .. num(rd) .. "=" .. num(hours) .. "学时")
      elseif h == 1 then
        if d == 1 then
          return credited(a, k, P, hours,
            k.name .. "1天+半天：" .. num(rd) .. "+" .. num(rh) .. "=" .. num(hours) .. "学时")
        end
        local dn = count(d)
        return credited(a, k, P, hours, k.name .. dn .. "天+半天：" .. dn .. "×" .. num(rd)
          .. "+" .. num(rh) .. "=" .. num(hours) .. "学时")
      end
    end
    local what, calc, sep, n = "", "", "", 0
    if d > 0 then
      if d == 1 then
        what, calc = "1天", num(rd)
      else
        what, calc = d .. "天", d .. "×" .. num(rd)
      end
      sep, n = "+", 1
    end
    if h > 0 then
      if h == 1 then
        what, calc = what .. sep .. "半天", calc .. sep .. num(rh)
      else
        what, calc = what .. sep .. h .. "个半天", calc .. sep .. h .. "×" .. num(rh)
      end
      sep, n = "+", n + 1
    end
    if e > 0 then
      if e == 1 then
        what, calc = what .. sep .. "晚上", calc .. sep .. num(re)
      else
        what, calc = what .. sep .. e .. "个晚上", calc .. sep .. e .. "×" .. num(re)
      end
      n = n + 1
    end
    if n > 1 or d > 1 or h > 1 or e > 1 then calc = calc .. "=" .. num(hours) end
    return credited(a, k, P, hours, k.name .. what .. "：" .. calc .. "学时")
  end,
}

-- 附件1 一.3: a course of so many 学时
rules.hours = {
  check = function(a)
    if a.hours == nil then return M.missing_field("hours") end
    if a.hours <= 0 then return M.invalid_value("hours", "应大于0") end
  end,
  credit = function(a, k, P)
    return credited(a, k, P, a.hours, k.name .. num(a.hours) .. "学时")
  end,
}

-- 附件1 二.2: projects, by role, only of the listed levels
rules.role = {
  check = function(a, k)
    if a.role == nil and a.level == nil then return M.missing_field("role", "level") end
    if a.role == nil then return M.missing_field("role") end
    if a.level == nil then return M.missing_field("level") end
    if k.hours[a.role] == nil then
      return M.invalid_value("role", "应为主持(host)或参与(participant)，实为「" .. tostring(a.role) .. "」")
    end
    local levels, level = k.levels, a.level
    local i, l = 1, levels[1]
    while l ~= nil do   -- ipairs(levels), without the iterator calls
      if l == level then return nil end
      i = i + 1
      l = levels[i]
    end
    return M.not_creditable(fmt("%s级别「%s」不可折算：只认可%s", k.name, label(a.level),
      (function()
        local t = {}
        for i, l in ipairs(k.levels) do t[i] = label(l) end
        return concat(t, "或")
      end)()))
  end,
  credit = function(a, k, P)
    local hours = k.hours[a.role]
    -- "课题(政府，主持)：90学时"
    return credited(a, k, P, hours,
      k.name .. "(" .. label(a.level) .. "，" .. label(a.role) .. ")：" .. num(hours) .. "学时")
  end,
}

-- 附件1 二.3, 二.4: books, papers, patents, by rank; papers need a CN number
rules.rank = {
  check = function(a, k)
    local bad = need_rank(a)
    if bad then return bad end
    if k.cn then
      if a.cn == nil then
        return M.not_creditable(k.name .. "没有国内统一刊号(CN)，不可折算")
      end
      if not a.cn:match(k.cn) then
        return M.not_creditable(fmt("刊号「%s」不是国内统一刊号(如CN43-1234/R)，不可折算", a.cn))
      end
    end
  end,
  credit = function(a, k, P)
    local rank = a.rank
    local hours = M.by_rank(k.hours, rank)
    -- "论文(第一作者，CN43-1234/R)：30学时", "专利(第2完成人)：60学时"
    if k.cn then
      return credited(a, k, P, hours,
        k.name .. "(" .. who(k, rank) .. "，" .. a.cn .. ")：" .. num(hours) .. "学时")
    end
    return credited(a, k, P, hours, k.name .. "(" .. who(k, rank) .. ")：" .. num(hours) .. "学时")
  end,
}

-- 附件1 二.5: awards by level; a level's value is hours or a rank list
rules.award = {
  check = function(a, k)
    if a.level == nil then return M.missing_field("level") end
    local v = k.levels[a.level]
    if v == nil then
      return M.not_creditable(fmt("%s级别「%s」不可折算", k.name, label(a.level)))
    end
    if type(v) == "table" then return need_rank(a) end
  end,
  credit = function(a, k, P)
    local v = k.levels[a.level]
    if type(v) == "table" then
      local hours = M.by_rank(v, a.rank)
      return credited(a, k, P, hours,
        fmt("%s%s排名第%d：%s学时", label(a.level), k.name, a.rank, num(hours)))
    end
    return credited(a, k, P, v, fmt("%s%s：%s学时", label(a.level), k.name, num(v)))
  end,
}

-- 附件1 二.6: so many hours per module
rules.per_module = {
  check = function(a)
    if a.modules == nil then return M.missing_field("modules") end
    if a.modules < 1 then return M.invalid_value("modules", "应不小于1") end
  end,
  credit = function(a, k, P)
    local m = a.modules
    local hours = m * k.per_module
    -- "计算机应用能力考试2个模块：2×20=40学时"; m as %d writes it
    local ms = mtype(m) == "integer" and num(m) or fmt("%d", m)
    if m == 1 then
      return credited(a, k, P, hours, k.name .. ms .. "个模块：" .. num(hours) .. "学时")
    end
    return credited(a, k, P, hours,
      k.name .. ms .. "个模块：" .. ms .. "×" .. num(k.per_module) .. "=" .. num(hours) .. "学时")
  end,
}

-- 附件1 二.7 and SPEC §4: the months a task lasted decide which years are
-- done. end ≥ date + min_months − 1 day: the end year; end ≥ date +
-- all_years_months: every year from date's to end's.
local function task_years(a, k)
  local y, m, d = date.parse(a.date)
  local ey = date.parse(a.end_date)
  local fin = date.days(a.end_date)
  if fin >= date.days(date.add_months(y, m, d, k.all_years_months)) then
    local years = {}
    for yr = y, ey do years[#years + 1] = yr end
    return years, "超过" .. k.all_years_months .. "个月"
  end
  if fin >= date.days(date.add_months(y, m, d, k.min_months)) - 1 then
    return { ey }, "满" .. k.min_months .. "个月"
  end
  return nil
end

rules.whole_year = {
  check = function(a, k)
    if a.end_date == nil then return M.missing_field("end_date") end
    if not task_years(a, k) then
      return M.not_creditable(fmt("%s至%s不足%d个月，不能视为完成当年度继续教育",
        a.date, a.end_date, k.min_months))
    end
  end,
  credit = function(a, k, P)
    local years, span = task_years(a, k)
    local credits, names = {}, {}
    for i, yr in ipairs(years) do
      credits[i] = credit_of(a, k, P, k.hours, nil, yr, "whole_year")
      names[i] = tostring(yr)
    end
    -- the kind as written (援疆) when it says more than the canonical word
    local shown = (a.kind_name and a.kind_name ~= a.kind) and a.kind_name or k.name
    local text = fmt("%s%s至%s%s，考核合格：%s年度%s视为完成%s学时",
      shown, a.date, a.end_date, span, concat(names, "、"),
      #years > 1 and "各" or "", num(k.hours))
    for _, c in ipairs(credits) do c.explanation = text end
    return { status = "credited", credits = credits }
  end,
}

-- 附件1 二.8, 二.9: a fixed number of hours (with the kind's cap)
rules.fixed = {
  credit = function(a, k, P)
    return credited(a, k, P, k.hours,
      k.explanation or fmt("%s：%s学时", k.name, num(k.hours)))
  end,
}

-- 通知 三(二): an earlier 学时认定单 covers its years; it gives no hours
rules.covers = {
  check = function(a)
    if a.from_year == nil and a.to_year == nil then return M.missing_field("from_year", "to_year") end
    if a.from_year == nil then return M.missing_field("from_year") end
    if a.to_year == nil then return M.missing_field("to_year") end
    if a.from_year < 1900 or a.from_year > a.to_year or a.to_year > a.year then
      return M.invalid_value("to_year", fmt("：%d至%d不是有效的年度范围", a.from_year, a.to_year))
    end
  end,
  credit = function(a)
    return {
      status = "credited", credits = {},
      covers = { from = a.from_year, to = a.to_year },
      reason = fmt("以前的学时认定单：%d—%d年度已认定", a.from_year, a.to_year),
    }
  end,
}

---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------

-- The year's topics as a set, built once per topics list (a copy made with
-- policy("2022") that sets its own topics gets its own set): every public
-- record looks its topic up here instead of scanning the list.
local topic_sets = setmetatable({}, { __mode = "k" })

local function topic_set(topics)
  local set = topic_sets[topics]
  if set == nil then
    set = {}
    for _, t in ipairs(topics) do set[t] = true end
    topic_sets[topics] = set
  end
  return set
end

-- Checks every kind shares: subject and topic, passed, extra required fields.
local function check_common(a, k, P)
  if k.category == "subject" then
    local subject = a.subject
    if subject == "public" then
      local topic = a.topic
      if topic == nil then return M.missing_field("topic") end
      local topics = P.topics
      if topics and not (topic_sets[topics] or topic_set(topics))[topic] then
        return rejected("topic_not_in_policy",
          fmt("「%s」不是%d年度公需科目主题（%s）", topic, P.year, concat(topics, "、")))
      end
    elseif subject ~= "professional" then
      if subject == nil then return M.missing_field("subject") end
      return M.invalid_value("subject", "应为公需(public)或专业(professional)，实为「" .. subject .. "」")
    end
  end
  if k.required then
    for _, f in ipairs(k.required) do
      if a[f] == nil then return M.missing_field(f) end
    end
  end
  if a.end_date and a.date and a.end_date < a.date then
    return M.invalid_value("end_date", "早于开始日期" .. a.date)
  end
  if k.must_pass then
    if a.passed == nil then return M.missing_field("passed") end
    if a.passed ~= true then return M.not_creditable(k.name .. "未考核合格(passed=false)，不可折算") end
  end
end

local function rule_of(k)
  local r = k.rule
  if type(r) == "string" then return rules[r] end
  return r
end

-- P:evaluate(a) → result. Order: fields, then materials, then hours.
function M.evaluate(P, a)
  local k = P.kinds[a.kind]
  if k == nil then
    return rejected("unknown_kind",
      fmt("%d年度政策没有「%s」这一继续教育形式", P.year, tostring(a.kind_name or a.kind)))
  end
  -- rule_of(k) without its type() call: a rule named by a string is in
  -- rules, one given as a table is the table itself
  local r = k.rule
  local rule = rules[r]
  if rule == nil and type(r) ~= "string" then rule = r end
  local bad = check_common(a, k, P) or (rule.check and rule.check(a, k, P))
  if bad then return bad end
  local missing = M.missing_materials(P, k.materials, a.evidence)
  if missing then
    return { status = "pending_materials", reason_code = "missing_materials", reason = missing }
  end
  return rule.credit(a, k, P)
end

---------------------------------------------------------------------------
-- Compliance: P.requirements = { total =, minimum = {category = hours},
-- ratio = {category = fraction of public+professional}, whole_year = true }
---------------------------------------------------------------------------

local CATEGORIES = { "public", "professional" }

-- 2/3 → "2/3", 0.5 → "1/2", 0.7 → "70%"
local function fraction(r)
  for q = 2, 12 do
    local p = r * q
    if math.abs(p - floor(p + 0.5)) < 1e-9 then return fmt("%d/%d", floor(p + 0.5), q) end
  end
  return num(r * 100) .. "%"
end

-- a whole number of 学时 still missing (never shows 0 for a tiny gap)
local function gap(x) return num(ceil(x - 1e-9)) end

function M.compliance(P, t, year)
  local req = P.requirements
  if req.whole_year and t.whole_year then return true end
  local have = { public = t.public or 0, professional = t.professional or 0 }
  local sum = have.public + have.professional
  local gaps = {}
  if req.total and sum < req.total then
    gaps[#gaps + 1] = "总学时差" .. gap(req.total - sum) .. "学时"
  end
  for _, cat in ipairs(CATEGORIES) do
    local min = req.minimum and req.minimum[cat]
    if min and have[cat] < min then
      gaps[#gaps + 1] = label(cat) .. "差" .. gap(min - have[cat]) .. "学时"
    end
  end
  for _, cat in ipairs(CATEGORIES) do
    local r = req.ratio and req.ratio[cat]
    if r and have[cat] < r * sum - 1e-9 then
      -- x more hours of cat: have + x ≥ r (sum + x)  ⇔  x ≥ (r sum − have)/(1 − r)
      gaps[#gaps + 1] = fmt("%s应不少于总学时的%s，差%s学时", label(cat), fraction(r),
        gap((r * sum - have[cat]) / (1 - r)))
    end
  end
  if #gaps == 0 then return true end
  return false, fmt("%d年：%s", year, concat(gaps, "，"))
end

---------------------------------------------------------------------------
-- Holiday calendar: P.holidays (dates off, or {from, to} ranges) and
-- P.workdays (weekend days that are worked, 调休)
---------------------------------------------------------------------------

local calendar_cache = setmetatable({}, { __mode = "k" })

local function expand(list)
  local set = {}
  for _, e in ipairs(list or {}) do
    if type(e) == "string" then
      set[e] = true
    else
      for z = date.days(e[1]), date.days(e[2]) do set[date.format(z)] = true end
    end
  end
  return set
end

local function calendar(P)
  local c = calendar_cache[P]
  if c and c.holidays == P.holidays and c.workdays == P.workdays then return c end
  c = { holidays = P.holidays, workdays = P.workdays, off = expand(P.holidays), on = expand(P.workdays) }
  calendar_cache[P] = c
  return c
end

function M.is_workday(P, day)
  local c = calendar(P)
  if c.on[day] then return true end
  if c.off[day] then return false end
  local wd = date.weekday(day)
  return wd ~= 0 and wd ~= 6
end

-- The n-th working day counting from start (start counts if it is one).
function M.workdays_end(P, start, n)
  local z, count = date.days(start), 0
  for _ = 1, 3660 do
    local day = date.format(z)
    if M.is_workday(P, day) then
      count = count + 1
      if count >= n then return day end
    end
    z = z + 1
  end
  error("no " .. n .. " working days after " .. start)
end

-- P.certificate.number: a format with the evaluation year and the sequence.
function M.certificate_number(P, eval_year, seq)
  return fmt(P.certificate.number, eval_year, seq)
end

---------------------------------------------------------------------------
-- Checking a policy's data when it loads (the host calls P:validate())
---------------------------------------------------------------------------

local function check_sets(P, name, sets)
  if sets == nil then return end
  if type(sets) ~= "table" then error(name .. ".materials: a list of sets expected", 0) end
  for i, set in ipairs(sets) do
    for _, code in ipairs(set) do
      if P.material_names[code] == nil then
        error(fmt("kinds.%s.materials[%d]: unknown material '%s'", name, i, tostring(code)), 0)
      end
    end
    for _, code in ipairs(set.one_of or {}) do
      if P.material_names[code] == nil then
        error(fmt("kinds.%s.materials[%d].one_of: unknown material '%s'", name, i, tostring(code)), 0)
      end
    end
  end
end

local function need(cond, msg) if not cond then error(msg, 0) end end

function M.validate(P)
  need(type(P.kinds) == "table", "kinds: a table expected")
  need(type(P.material_names) == "table", "material_names: a table expected")
  need(P.topics == nil or type(P.topics) == "table", "topics: a list or nil expected")
  need(type(P.requirements) == "table", "requirements: a table expected")
  need(type(P.attendance) == "table", "attendance: a table expected")
  for _, f in ipairs({ "day", "half_day", "evening" }) do
    need(type(P.attendance[f]) == "number", "attendance." .. f .. ": a number expected")
  end
  for name, k in pairs(P.kinds) do
    local where = "kinds." .. tostring(name)
    need(type(k) == "table", where .. ": a table expected")
    need(type(k.name) == "string", where .. ".name: the Chinese name is missing")
    local r = rule_of(k)
    need(type(r) == "table" and type(r.credit) == "function",
      where .. ".rule: unknown rule '" .. tostring(k.rule) .. "'")
    need(k.category == nil or k.category == "subject" or k.category == "public"
      or k.category == "professional", where .. ".category: subject, public or professional")
    check_sets(P, tostring(name), k.materials)
    if k.cap then
      need(type(k.cap.key) == "string" and type(k.cap.limit) == "number",
        where .. ".cap: {key =, limit =, note =} expected")
    end
    if k.rule == "whole_year" then
      need(type(k.min_months) == "number" and type(k.all_years_months) == "number"
        and type(k.hours) == "number", where .. ": hours, min_months and all_years_months expected")
    end
  end
  for _, d in ipairs(P.holidays or {}) do
    need(type(d) == "string" or (type(d) == "table" and #d == 2), "holidays: dates or {from, to} expected")
  end
end

---------------------------------------------------------------------------
-- hunan.policy { … }: fills in the functions a policy table needs.
---------------------------------------------------------------------------

function M.policy(t)
  t.evaluate = t.evaluate or M.evaluate
  t.compliance = t.compliance or M.compliance
  t.validate = t.validate or M.validate
  t.workdays_end = t.workdays_end or M.workdays_end
  t.is_workday = t.is_workday or M.is_workday
  t.certificate_number = t.certificate_number or M.certificate_number
  return t
end

return M
