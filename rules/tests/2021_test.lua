-- Tests of rules/2021.lua (李四 lisi-2021.json).

test("ls-1: 援疆 2020-08-01..2021-10-31 is whole_year 2020 and 2021", function()
  local r = evaluate { ref = "ls-1", kind = "援疆", title = "援疆支教", date = "2020-08-01",
    end_date = "2021-10-31", passed = true, evidence = { "dispatch_notice", "assessment_form" } }
  local text = "援疆2020-08-01至2021-10-31超过12个月，考核合格：2020、2021年度各视为完成90学时"
  eq(r.credits, {
    { year = 2020, category = "whole_year", hours = 90, explanation = text },
    { year = 2021, category = "whole_year", hours = 90, explanation = text },
  })
end)

test("ls-2, ls-3: both degree courses declare the once-a-year cap", function()
  local cap = { key = "degree_course", limit = 90, note = "学历教育当年度已计90学时，本项不再计" }
  local r = evaluate { ref = "ls-2", kind = "degree_course", title = "博士课程：高等代数", date = "2021-01-10",
    passed = true, evidence = { "transcript" } }
  eq(r.credits, { { year = 2021, category = "professional", hours = 90,
    explanation = "学历教育课程考核通过：90学时", cap = cap } })
  -- the store keeps the earliest (date, title) and cuts this one to 0
  r = evaluate { ref = "ls-3", kind = "degree_course", title = "博士课程：泛函分析", date = "2021-06-20",
    passed = true, evidence = { "transcript" } }
  eq(r.credits[1].cap, cap)
end)

test("ls-4: prefecture award, rank 6 = 30", function()
  local r = evaluate { ref = "ls-4", kind = "award", level = "prefecture", rank = 6, title = "湘潭市科技进步奖",
    date = "2021-12-01", evidence = { "award_certificate" } }
  eq(r.credits, { { year = 2021, category = "professional", hours = 30, explanation = "地厅级奖项排名第6：30学时" } })
end)

test("李四: 2020 and 2021 compliant by whole_year", function()
  eq({ compliance({ whole_year = true }, 2020) }, { true })
  eq({ compliance { professional = 120, whole_year = true } }, { true })
end)

test("spans", function()
  eq({ span("intermediate") }, { 2017, 2020 })
  eq({ span("senior") }, { 2016, 2020 })
end)
