"""Rows are dated from 2000 to 2099. A row dated 9999-12-31, 0001-01-01 or
1900-01-01 is a problem of its row like an unreadable date, and refuses the file
with every such row listed, whatever the importer; nothing is written. (A
statistics row dated 9999-12-31 used to fail the import with an OverflowError, and
the others were stored.)"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext

from apps.core.tabular import FileRefused
from apps.imports.models import ImportJob
from apps.indicators.models import DailyIndicator
from apps.indicators.services import indicators_import
from apps.platforms.models import ConnectionChange
from apps.platforms.services import connections_import
from apps.quality.models import DailyQuality
from apps.quality.services import quality_import, quality_rules_import
from apps.uploads.models import DailyTotal, DailyUpload
from tests.conftest import connect

OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1900-01-01"]


def outside(row: int, value: str) -> str:
    return gettext("Row %(row)d: ") % {"row": row} + gettext(
        "Date “%(value)s” is outside the years %(first)d–%(last)d."
    ) % {"value": value, "first": 2000, "last": 2099}


def test_a_statistics_file_with_dates_outside_the_years_is_refused_row_by_row(
    client, city, users, celery_in_process
):
    connect(city.central, city.platform)
    rows = [
        "2023-06-29,41150000001,T1,10,0",  # row 2
        "9999-12-31,41150000001,T1,10,0",  # row 3
        "2000-01-01,41150000001,T2,10,0",  # row 4: the first day
        "0001-01-01,41150000001,T1,10,0",  # row 5
        "2099-12-31,41150000001,T3,10,0",  # row 6: the last day
        "1900-01-01,41150000001,T1,10,0",  # row 7
        "2023-06-30,41150000001,T1,10,0",  # row 8
    ]
    text = "日期,机构代码,表代码,上传记录数,校验未通过数\n" + "\n".join(rows) + "\n"
    client.force_login(users.alice)
    response = client.post(
        reverse("import-new", args=["uploads"]),
        {"file": SimpleUploadedFile("统计.csv", text.encode()), "platform": city.platform.code},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REFUSED, job.error
    assert job.problems == [
        outside(3, "9999-12-31"),
        outside(5, "0001-01-01"),
        outside(7, "1900-01-01"),
    ]
    assert not DailyUpload.objects.exists() and not DailyTotal.objects.exists()
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'id="job-refused"' in page and "9999-12-31" in page


def import_indicators(city, day):
    indicators_import(
        source=f"date,org_code,indicator,value\n2023-06-30,41150000001,outpatient_visits,5\n"
        f"{day},41150000001,discharges,5\n".encode(),
        platform=city.platform,
    )


def import_quality(city, day):
    quality_rules_import(
        source=b"code,name,dimension\nR1,rule one,completeness\n", platform=city.platform
    )
    quality_import(
        source=f"date,org_code,rule,checked,failed\n2023-06-30,41150000001,R1,9,1\n"
        f"{day},41152600001,R1,9,1\n".encode(),
        platform=city.platform,
    )


def import_connections(city, day):
    connections_import(
        source=f"org_code,status,since\n41150000001,connected,2023-01-01\n"
        f"41152600001,connected,{day}\n".encode(),
        platform=city.platform,
    )


@pytest.mark.parametrize("day", OUT_OF_RANGE)
@pytest.mark.parametrize("load", [import_indicators, import_quality, import_connections])
def test_every_importer_refuses_a_row_dated_outside_the_years(city, load, day):
    with pytest.raises(FileRefused) as refused:
        load(city, day)
    assert refused.value.problems == [outside(3, day)]
    assert not DailyIndicator.objects.exists()
    assert not DailyQuality.objects.exists()
    assert not ConnectionChange.objects.exists()
