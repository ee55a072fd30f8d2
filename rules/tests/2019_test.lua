-- Tests of rules/2019.lua (王五 ww-1, ww-2 in xianggang-unit-gbk.csv).

test("ww-1: 1 day + half day + evening = 16 public; 2019 has no topic list", function()
  local r = evaluate { ref = "ww-1", kind = "培训班", subject = "公需", topic = "数字经济与创新驱动",
    title = "2019年公需科目集中培训", date = "2019-04-16", days = 1, half_days = 1, evenings = 1,
    evidence = "通知、课程表、签到表" }
  eq(r.credits, { { year = 2019, category = "public", hours = 16, explanation = "培训1天+半天+晚上：10+4+2=16学时" } })
end)

test("ww-2: a paper without a CN number is not creditable", function()
  local r = evaluate { ref = "ww-2", kind = "论文", title = "高炉炉衬寿命研究", date = "2019-10-01", rank = 1,
    evidence = "刊物封面、刊号、目录" }
  eq(r.status, "rejected")
  eq(r.reason_code, "not_creditable")
end)

test("王五 2019: public 16 is not compliant", function()
  eq({ compliance { public = 16 } }, { false, "2019年：总学时差74学时，专业科目差60学时" })
end)

test("spans", function()
  eq({ span("intermediate") }, { 2015, 2018 })
  eq({ span("senior") }, { 2014, 2018 })
end)
