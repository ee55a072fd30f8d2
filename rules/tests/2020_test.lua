-- Tests of rules/2020.lua: the SPEC's month-end example for special tasks.

local TASK = { "dispatch_notice", "assessment_form" }

test("2019-08-31 + 6 months = 2020-02-29: ..2020-02-28 is 6 months", function()
  -- end ≥ date + 6 months − 1 day = 2020-02-28
  local r = evaluate { kind = "援外", date = "2019-08-31", end_date = "2020-02-28", passed = true, evidence = TASK }
  eq(r.credits, { { year = 2020, category = "whole_year", hours = 90,
    explanation = "援外2019-08-31至2020-02-28满6个月，考核合格：2020年度视为完成90学时" } })
  eq(evaluate { kind = "援外", date = "2019-08-31", end_date = "2020-02-29", passed = true, evidence = TASK }.hours, 90)
  eq(evaluate { kind = "援外", date = "2019-08-31", end_date = "2020-02-27", passed = true,
    evidence = TASK }.reason_code, "not_creditable")
end)

test("2019-08-31..2020-08-31 spreads over 2019 and 2020", function()
  local r = evaluate { kind = "防控一线", date = "2019-08-31", end_date = "2020-08-31", passed = true, evidence = TASK }
  eq(#r.credits, 2)
  eq(r.credits[1].year, 2019)
  eq(r.credits[2].year, 2020)
  eq(evaluate { kind = "防控一线", date = "2019-08-31", end_date = "2020-08-30", passed = true,
    evidence = TASK }.credits[1].year, 2020)
end)

test("spans", function()
  eq({ span("intermediate") }, { 2016, 2019 })
  eq({ span("senior") }, { 2015, 2019 })
end)
