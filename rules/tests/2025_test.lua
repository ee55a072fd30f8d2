-- Tests of rules/2025.lua (湘人社办函〔2025〕37号): the 2025 topics, public ≥ 30
-- and professional ≥ 60, spans senior 2020–2024 and intermediate 2021–2024,
-- the 2025 calendar.

local TRAIN = { "notice", "schedule", "sign_in" }

test("every 2025 topic is accepted", function()
  for _, topic in ipairs({ "紧紧围绕推进中国式现代化进一步全面深化改革", "人工智能大模型技术及应用",
    "加强应急处突能力建设" }) do
    local r = evaluate { kind = "online", subject = "public", topic = topic, date = "2025-03-10",
      hours = 12, evidence = { "syllabus", "progress" } }
    eq(r.credits, { { year = 2025, category = "public", hours = 12, explanation = "网络课程12学时" } }, topic)
  end
end)

test("a 2024 topic is not a 2025 topic", function()
  local r = evaluate { kind = "training", subject = "public", topic = "创新驱动发展", date = "2025-03-10",
    days = 1, evidence = TRAIN }
  eq(r.reason_code, "topic_not_in_policy")
end)

test("compliance: public ≥ 30 and professional ≥ 60 (as 2024)", function()
  eq({ compliance { public = 30, professional = 60 } }, { true })
  eq({ compliance { public = 29, professional = 100 } }, { false, "2025年：公需科目差1学时" })
  eq({ compliance { whole_year = true } }, { true })
end)

test("spans: senior 2020–2024, intermediate 2021–2024", function()
  eq({ span("senior") }, { 2020, 2024 })
  eq({ span("intermediate") }, { 2021, 2024 })
end)

test("the 2025 holiday calendar", function()
  eq(workdays_end("2025-01-01", 1), "2025-01-02")   -- 元旦 1/1 only
  eq(workdays_end("2025-01-24", 3), "2025-01-27")   -- 1/26 worked
  eq(workdays_end("2025-01-24", 4), "2025-02-05")   -- 春节 1/28–2/4
  eq(workdays_end("2025-04-30", 3), "2025-05-07")   -- 劳动节 5/1–5
  eq(workdays_end("2025-09-26", 5), "2025-10-09")   -- 9/28 worked, 国庆中秋 10/1–8
  eq(P:is_workday("2025-02-08"), true)
  eq(P:is_workday("2025-06-02"), false)
end)
