"""A 2023 second quarter on the shared small city, for the pages:

- 信阳市中心医院 (市直): connected, T1-T3 every day and a table outside the catalogue
  → 第一梯队 (75%), continuity 良好
- 潢川县人民医院: connected, T1 on one day → 第三梯队 (25%), continuity 中断
- 光山县人民医院: never connected → 未联通
- 光山县中医院: connected to the provincial platform → 已联通省平台
"""

import datetime as dt

import pytest

from apps.institutions.models import Institution
from tests.conftest import connect, every_day, upload
from tests.factories import InstitutionFactory

D = dt.date
Q2 = (D(2023, 4, 1), D(2023, 6, 30))


@pytest.fixture
def quarter(city, users):
    gs_tcm = InstitutionFactory(
        org_code="41152200002",
        name="光山县中医院",
        region=city.guangshan,
        category=Institution.Category.TCM,
    )
    connect(city.central, city.platform)
    connect(city.hc_people, city.platform)
    connect(gs_tcm, city.platform, status="upstream")
    rows = []
    for day in every_day(*Q2):
        rows += [(day, "41150000001", code, 100, 1) for code in ("T1", "T2", "T3")]
    rows.append((D(2023, 6, 1), "41150000001", "X_OUTSIDE", 7))
    rows.append((D(2023, 4, 10), "41152600001", "T1", 50, 2))
    upload(city.platform, rows)
    city.gs_tcm = gs_tcm
    return city


@pytest.fixture
def login(client):
    def login_as(user):
        client.force_login(user)
        return client

    return login_as
