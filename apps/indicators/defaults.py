"""The default indicator catalogue of metrics.md (the codes are fixed): code, name,
unit, kind, group. Migration 0002 created them with its own frozen copy;
`indicator_defaults_ensure` restores any that are missing (a flushed database)."""

DEFAULTS = [
    ("outpatient_visits", "门急诊上传人次", "人次", "flow", "诊疗服务"),
    ("discharges", "出院上传人次", "人次", "flow", "诊疗服务"),
    ("lab_exam_reports", "检验检查上传量", "份", "flow", "诊疗服务"),
    ("ehr_basic", "健康档案（基本信息）", "份", "stock", "健康档案"),
    ("ehr_hypertension", "健康档案（高血压）", "份", "stock", "健康档案"),
    ("ehr_diabetes", "健康档案（糖尿病）", "份", "stock", "健康档案"),
    ("appt_online", "预约挂号：12320在线", "人次", "flow", "预约挂号"),
    ("appt_phone", "预约挂号：电话", "人次", "flow", "预约挂号"),
    ("appt_clinic", "预约挂号：诊间", "人次", "flow", "预约挂号"),
    ("appt_third_party", "预约挂号：第三方", "人次", "flow", "预约挂号"),
    ("tele_consultations", "远程会诊", "例", "flow", "远程医疗"),
    ("tele_ecg", "远程心电", "例", "flow", "远程医疗"),
    ("tele_lab", "远程检验", "例", "flow", "远程医疗"),
    ("tele_imaging", "远程影像", "例", "flow", "远程医疗"),
]
