-- Tests of rules/2026.lua: 2025's rules, any public topic (no source yet), the
-- 2026 calendar. Activities go in through evaluate_raw: a 2026 date may still
-- lie in the future for the normaliser when these tests run.

test("any public topic", function()
  local r = evaluate_raw { kind = "training", subject = "public", topic = "任意主题", date = "2026-03-02",
    days = 3, evidence = { "notice", "schedule", "sign_in" } }
  eq(r.status, "credited")
  eq(r.credits[1].hours, 30)
  eq(r.credits[1].category, "public")
end)

test("compliance: public ≥ 30 and professional ≥ 60 (as 2024, 2025)", function()
  eq({ compliance { public = 30, professional = 60 } }, { true })
  eq({ compliance { public = 10, professional = 80 } }, { false, "2026年：公需科目差20学时" })
end)

test("spans: senior 2021–2025, intermediate 2022–2025", function()
  eq({ span("senior") }, { 2021, 2025 })
  eq({ span("intermediate") }, { 2022, 2025 })
end)

test("the 2026 holiday calendar", function()
  eq(workdays_end("2026-01-01", 1), "2026-01-04")   -- 元旦 1/1–3; 1/4 worked
  eq(workdays_end("2026-02-13", 3), "2026-02-24")   -- 2/14 worked, 春节 2/15–23
  eq(workdays_end("2026-09-30", 3), "2026-10-09")   -- 国庆 10/1–7
  eq(workdays_end("2026-09-30", 4), "2026-10-10")   -- 10/10 worked
  eq(P:is_workday("2026-09-20"), true)
  eq(P:is_workday("2026-06-19"), false)
end)
