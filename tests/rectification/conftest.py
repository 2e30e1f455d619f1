import datetime as dt

import pytest

from apps.rectification.services import task_open


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def login(client):
    def login_as(user):
        client.force_login(user)
        return client

    return login_as


def open_task(user, institution, due_date=dt.date(2023, 7, 31), **extra):
    fields = {
        "problem": "2023年第二季度数据完整率仅25%",
        "requirement": "补传缺失的数据表",
    }
    fields.update(extra)
    return task_open(user=user, institution=institution, due_date=due_date, **fields)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
