-- Tests of rules/2017.lua: 2022's rules, any public topic, spans Y-4..Y-1 / Y-5..Y-1.

test("any public topic; 2022's hours", function()
  local r = evaluate { kind = "培训班", subject = "公需", topic = "专业技术人员创新能力建设", date = "2017-06-01",
    days = 3, evidence = { "notice", "schedule", "sign_in" } }
  eq(r.credits, { { year = 2017, category = "public", hours = 30, explanation = "培训3天：3×10=30学时" } })
end)

test("spans", function()
  eq({ span("intermediate") }, { 2013, 2016 })
  eq({ span("senior") }, { 2012, 2016 })
end)

test("compliance", function()
  eq({ compliance { public = 40, professional = 50 } }, { false, "2017年：专业科目差10学时" })
end)
