"""Overdue: not accepted and due before today, today being Asia/Shanghai's."""

import datetime as dt

import time_machine
from django.utils.translation import ngettext

from apps.rectification.models import RectificationTask
from apps.rectification.selectors import overdue_tasks, task_counts_by_region
from apps.rectification.services import task_accept, task_answer

from .conftest import open_task

DUE = dt.date(2023, 7, 10)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_a_task_is_overdue_from_the_day_after_its_due_date_in_shanghai(login, city, users):
    task = open_task(users.bob, city.hc_people, due_date=DUE)
    with time_machine.travel(dt.datetime(2023, 7, 10, 23, 59, tzinfo=SHANGHAI), tick=False):
        assert list(overdue_tasks(users.bob)) == []
    # 00:30 on the 11th in Shanghai is still the 10th in UTC.
    with time_machine.travel(dt.datetime(2023, 7, 11, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert list(overdue_tasks(users.bob)) == [task]
        assert overdue_tasks(users.bob).get().days_overdue() == 1
        page = login(users.bob).get(f"/rectification/{task.pk}/").content.decode()
        overdue = ngettext("Overdue by %(n)s day", "Overdue by %(n)s days", 1) % {"n": 1}
        assert f'id="task-overdue">{overdue}<' in page


def test_an_accepted_task_is_never_overdue(city, users):
    task = open_task(users.bob, city.hc_people, due_date=DUE)
    task_answer(user=users.dana, task=task, text="已整改")
    with time_machine.travel(dt.datetime(2023, 7, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
        assert list(overdue_tasks(users.bob)) == [task]  # answered but not yet accepted
        task_accept(user=users.bob, task=task)
        assert list(overdue_tasks(users.bob)) == []
        counts = {c.label: c.overdue for c in task_counts_by_region(users.bob)}
        assert counts == {"潢川县": 0}


def test_the_overdue_filter_and_counts_agree(login, city, users):
    late = open_task(users.alice, city.hc_people, due_date=DUE)
    open_task(users.alice, city.gs_people, due_date=dt.date(2023, 8, 1))
    open_task(users.alice, city.central, due_date=dt.date(2023, 7, 1))
    with time_machine.travel(dt.datetime(2023, 7, 15, 9, 0, tzinfo=SHANGHAI), tick=False):
        response = login(users.bob).get("/rectification/", {"overdue": "on"})
        rows = response.context["tasks"].rows
        assert [r[3] for r in rows] == ["41152600001"]
        assert rows[0][7] == 5  # days overdue
        assert RectificationTask.objects.overdue().count() == 2
        counts = {c.region.code: c.overdue for c in task_counts_by_region(users.alice)}
        assert counts == {"411500": 1, "411522": 0, "411526": 1}
    assert rows[0][4].url == f"/rectification/{late.pk}/"
