-- Tests of rules/2024.lua (湘人社办函〔2024〕21号): the 2024 topics, public ≥ 30
-- and professional ≥ 60, senior span 2019–2023, the 2024 calendar.

local TRAIN = { "notice", "schedule", "sign_in" }

test("every 2024 topic is accepted", function()
  for _, topic in ipairs({ "数字产业化和产业数字化", "守好安全生产底线", "创新驱动发展" }) do
    local r = evaluate { kind = "training", subject = "public", topic = topic, date = "2024-04-10",
      days = 3, evidence = TRAIN }
    eq(r.credits, { { year = 2024, category = "public", hours = 30, explanation = "培训3天：3×10=30学时" } }, topic)
  end
end)

test("a topic of another year is not a 2024 topic", function()
  local r = evaluate { kind = "training", subject = "public", topic = "区块链技术与应用", date = "2024-04-10",
    days = 1, evidence = TRAIN }
  eq(r.status, "rejected")
  eq(r.reason_code, "topic_not_in_policy")
  eq(r.reason, "「区块链技术与应用」不是2024年度公需科目主题（数字产业化和产业数字化、守好安全生产底线、创新驱动发展）")
end)

test("compliance: public ≥ 30 and professional ≥ 60", function()
  eq({ compliance { public = 30, professional = 60 } }, { true })
  eq({ compliance { public = 20, professional = 90 } }, { false, "2024年：公需科目差10学时" })
  eq({ compliance { public = 0, professional = 120 } }, { false, "2024年：公需科目差30学时" })
  eq({ compliance { public = 40, professional = 50 } }, { false, "2024年：专业科目差10学时" })
  eq({ compliance { public = 20, professional = 50 } },
    { false, "2024年：总学时差20学时，公需科目差10学时，专业科目差10学时" })
  eq({ compliance { whole_year = true } }, { true })
end)

test("2023 keeps its own requirement", function()
  local p = policy("2023")
  eq({ p:compliance({ public = 0, professional = 90 }, 2023) }, { true })
end)

test("spans: senior 2019–2023 (the notice), intermediate 2020–2023", function()
  eq({ span("senior") }, { 2019, 2023 })
  eq({ span("intermediate") }, { 2020, 2023 })
end)

test("the 2024 holiday calendar", function()
  eq(workdays_end("2024-01-01", 1), "2024-01-02")   -- 元旦 1/1 (a Monday)
  eq(workdays_end("2024-02-08", 3), "2024-02-18")   -- 春节 2/10–17; 2/9 除夕 is a working day; 2/18 worked
  eq(workdays_end("2024-04-30", 5), "2024-05-09")   -- 劳动节 5/1–5
  eq(workdays_end("2024-06-07", 2), "2024-06-11")   -- 端午 6/10
  eq(workdays_end("2024-09-27", 5), "2024-10-09")   -- 9/29 worked, 国庆 10/1–7
  eq(P:is_workday("2024-09-14"), true)
  eq(P:is_workday("2024-01-01"), false)
  eq(P:is_workday("2024-10-12"), true)
end)

test("certificate numbers as before", function()
  eq(P:certificate_number(2024, 12), "潭继教〔2024〕0012号")
end)
