-- Tests of rules/2023.lua: 2022's rules, any public topic, the 2023 calendar.

local TRAIN = { "notice", "schedule", "sign_in" }

test("any public topic (no source gives the 2023 list yet)", function()
  local r = evaluate { kind = "training", subject = "public", topic = "专业技术人员职业道德", date = "2023-03-01",
    days = 3, evidence = TRAIN }
  eq(r.credits, { { year = 2023, category = "public", hours = 30, explanation = "培训3天：3×10=30学时" } })
end)

test("2022's hours and materials", function()
  eq(evaluate { kind = "paper", rank = 1, cn = "CN43-1234/R", date = "2023-07-01",
    evidence = { "journal_cover", "journal_number", "toc" } }.hours, 30)
  eq(evaluate { kind = "patent", rank = 1, date = "2023-08-30" }.reason, "缺少材料：专利证书(patent_certificate)")
end)

test("compliance as 2022: professional ≥ 60 and total ≥ 90", function()
  eq({ compliance { public = 0, professional = 90 } }, { true })
  eq({ compliance { public = 46, professional = 16 } }, { false, "2023年：总学时差28学时，专业科目差44学时" })
  eq({ compliance { whole_year = true } }, { true })
end)

test("spans: intermediate 2019–2022, senior 2018–2022", function()
  eq({ span("intermediate") }, { 2019, 2022 })
  eq({ span("senior") }, { 2018, 2022 })
end)

test("the 2023 holiday calendar", function()
  eq(workdays_end("2023-01-01", 1), "2023-01-03")   -- 元旦 2022-12-31..2023-01-02
  eq(workdays_end("2023-01-20", 3), "2023-01-29")   -- 春节 1/21–27; 1/28, 1/29 worked
  eq(workdays_end("2023-04-04", 3), "2023-04-07")   -- 清明 4/5
  eq(workdays_end("2023-04-28", 5), "2023-05-08")   -- 劳动节 4/29–5/3; 5/6 worked
  eq(workdays_end("2023-06-21", 3), "2023-06-26")   -- 端午 6/22–24; 6/25 worked
  eq(workdays_end("2023-09-28", 5), "2023-10-10")   -- 中秋国庆 9/29–10/6; 10/7, 10/8 worked
  eq(P:is_workday("2023-04-23"), true)
  eq(P:is_workday("2023-04-05"), false)
end)

test("certificate numbers as 2022", function()
  eq(P:certificate_number(2023, 7), "潭继教〔2023〕0007号")
end)
