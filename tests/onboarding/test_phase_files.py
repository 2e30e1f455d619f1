"""Phases from the command line and step dates from a file: `add_phase` creates a
phase (audited), `import_phase_steps` and the web import load the days the steps were
done, refusing the whole file for any bad row."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.imports.models import ImportJob
from apps.onboarding.models import OnboardingPlan, PhaseTarget, StepCompletion

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def phase(city):
    run("add_phase", city.platform.code, "二期", "--deadline", "2023-12-31")
    plan = OnboardingPlan.objects.get(platform=city.platform, name="二期")
    PhaseTarget.objects.create(plan=plan, platform=city.platform, institution=city.central)
    PhaseTarget.objects.create(plan=plan, platform=city.platform, institution=city.hc_people)
    return plan


def test_add_phase_creates_an_audited_phase(city):
    text = run(
        "add_phase", city.platform.code, "三期", "--deadline", "2024-06-30", "--steps", "领机,联调"
    )
    plan = OnboardingPlan.objects.get(name="三期")
    assert plan.deadline == dt.date(2024, 6, 30)
    assert [s.name for s in plan.steps.all()] == ["领机", "联调"]
    assert "三期" in text and "领机 → 联调" in text
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PHASE_CREATED).count() == 1
    with pytest.raises(CommandError):
        run("add_phase", city.platform.code, "三期", "--deadline", "2024-06-30")
    with pytest.raises(CommandError, match="2000"):
        run("add_phase", city.platform.code, "四期", "--deadline", "1900-01-01")
    with pytest.raises(CommandError):
        run("add_phase", "nope", "四期", "--deadline", "2024-06-30")


def test_step_dates_from_a_file(city, phase, tmp_path):
    good = tmp_path / "steps.csv"
    good.write_text(
        "机构代码,步骤,完成日期\n"
        "41150000001,领取前置机,2023-03-01\n"
        "41150000001,网络联调,2023-03-15\n"
        "41152600001,领取前置机,2023-04-02\n",
        encoding="utf-8",
    )
    assert "新增 3 条" in run(
        "import_phase_steps", str(good), "--platform", "city", "--phase", "二期"
    )
    stored = set(
        StepCompletion.objects.values_list("institution__org_code", "step__name", "done_on")
    )
    assert stored == {
        ("41150000001", "领取前置机", dt.date(2023, 3, 1)),
        ("41150000001", "网络联调", dt.date(2023, 3, 15)),
        ("41152600001", "领取前置机", dt.date(2023, 4, 2)),
    }
    # The same file again changes nothing; a row with no day clears its step.
    assert "新增 0 条，更新 0 条" in run(
        "import_phase_steps", str(good), "--platform", "city", "--phase", "二期"
    )
    clear = tmp_path / "clear.csv"
    clear.write_text("机构代码,步骤,完成日期\n41152600001,领取前置机,\n", encoding="utf-8")
    run("import_phase_steps", str(clear), "--platform", "city", "--phase", "二期")
    assert not StepCompletion.objects.filter(institution=city.hc_people).exists()


def test_a_bad_row_refuses_the_whole_file(city, phase, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "机构代码,步骤,完成日期\n"
        "41150000001,领取前置机,2023-03-01\n"  # fine, but not written
        "41150000001,喝茶,2023-03-01\n"  # no such step
        "41152600001,网络联调,2099-01-01\n"  # in the future
        "41152600001,接口改造,9999-12-31\n"  # outside 2000–2099
        "41150000001,领取前置机,2023-03-02\n"  # repeats row 2
        "41152200001,领取前置机,2023-03-02\n",  # no target of 二期
        encoding="utf-8",
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_phase_steps", str(bad), "--platform", "city", "--phase", "二期", stderr=out
        )
    problems = out.getvalue()
    for row in ("第 3 行", "第 4 行", "第 5 行", "第 6 行"):
        assert row in problems
    assert "喝茶" in problems and "9999-12-31" in problems
    assert not StepCompletion.objects.exists()
    only_target = tmp_path / "outside.csv"
    only_target.write_text("机构代码,步骤,完成日期\n41152200001,领取前置机,2023-03-02\n")
    with pytest.raises(CommandError):
        call_command(
            "import_phase_steps",
            str(only_target),
            "--platform",
            "city",
            "--phase",
            "二期",
            stderr=out,
        )
    assert "41152200001" in out.getvalue()


def test_the_web_imports_step_dates_too(client, city, users, phase, celery_in_process):
    client.force_login(users.alice)
    page = client.get("/imports/phase_steps/new/?platform=city&phase=二期")
    assert page.status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "steps.csv", "机构代码,步骤,完成日期\n41152600001,领取前置机,2023-04-02\n".encode()
    )
    response = client.post(
        "/imports/phase_steps/new/",
        {"platform": city.platform.code, "phase": "二期", "file": upload},
    )
    job = ImportJob.objects.get(kind="phase_steps")
    assert response.status_code == 302 and job.state == ImportJob.State.READY
    client.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert StepCompletion.objects.get().done_on == dt.date(2023, 4, 2)
