-- Tests of rules/2018.lua (王五 ww-3 in xianggang-unit-gbk.csv).

test("ww-3: government research project, host = 90", function()
  local r = evaluate { ref = "ww-3", kind = "课题研究", title = "湖南省重点研发计划：钢渣综合利用",
    date = "2018-12-20", level = "政府", role = "主持", evidence = "结题证明" }
  eq(r.credits, { { year = 2018, category = "professional", hours = 90, explanation = "课题(政府，主持)：90学时" } })
end)

test("王五 2018 is compliant with professional 90", function()
  eq({ compliance { professional = 90 } }, { true })
end)

test("spans", function()
  eq({ span("intermediate") }, { 2014, 2017 })
  eq({ span("senior") }, { 2013, 2017 })
end)
