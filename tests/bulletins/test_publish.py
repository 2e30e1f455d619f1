import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.bulletins.checks import bulletin_check
from apps.bulletins.content import bulletin_build, bulletin_content
from apps.bulletins.models import Bulletin
from apps.bulletins.selectors import bulletins_for
from apps.bulletins.services import (
    BulletinRefused,
    bulletin_delete,
    bulletin_publish,
    bulletin_update,
)
from apps.institutions.models import Institution
from apps.platforms.models import TableEdition
from apps.uploads.services import UploadRow, uploads_store
from tests.conftest import make_bulletin


def test_checks_pass_on_generated_content(draft):
    assert bulletin_check(bulletin_build(draft)) == []


def test_checks_name_what_fails(draft):
    content = bulletin_build(draft)
    tier2 = next(s for s in content["sections"] if s["key"] == "tier2")
    moved = tier2["institutions"].pop()
    content["access"]["joined"] += 1
    content["document"]["number"] = ""
    failures = bulletin_check(content)
    assert any(moved["name"] in f and "0" in f for f in failures)
    assert any("第二梯队" in f for f in failures)
    assert any("joined" in f for f in failures)
    assert len(failures) >= 4


def test_missing_catalogue_blocks_publication(draft, officer):
    TableEdition.objects.all().delete()
    with pytest.raises(BulletinRefused) as refused:
        bulletin_publish(bulletin=draft, user=officer)
    assert any("信阳市中心医院" in p for p in refused.value.problems)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.snapshot is None


def test_publish_freezes_every_figure(draft, officer, demo):
    published = bulletin_publish(bulletin=draft, user=officer)
    assert published.status == "published"
    assert published.published_by == officer and published.published_at
    before = bulletin_content(published)
    assert before["definitions"]["tier1_min"] == "60"
    # New data for the period after publication changes nothing in the bulletin.
    central = Institution.objects.get(name="信阳市人民医院")
    uploads_store(
        platform=demo,
        rows=[UploadRow(dt.date(2023, 6, 30), central.org_code, "TB_HIS_MZ_Reg", 999, 0)],
        institution_ids={central.org_code: central.pk},
    )
    published.refresh_from_db()
    assert bulletin_content(published) == before
    assert bulletin_build(published)["attachment"] != before["attachment"]


def test_published_cannot_be_edited_or_deleted(draft, officer):
    published = bulletin_publish(bulletin=draft, user=officer)
    with pytest.raises(BulletinRefused):
        bulletin_update(bulletin=published, user=officer, title="改")
    with pytest.raises(BulletinRefused):
        bulletin_delete(bulletin=published, user=officer)
    published.title = "改"
    with pytest.raises(ValidationError):
        published.save()
    with pytest.raises(ValidationError):
        published.delete()
    with pytest.raises(BulletinRefused):
        bulletin_publish(bulletin=published, user=officer)


def test_a_correction_references_the_original_and_both_stay(draft, officer, demo):
    published = bulletin_publish(bulletin=draft, user=officer)
    correction = make_bulletin(officer, demo, number="信卫信息函〔2023〕5号", corrects=published)
    assert correction.corrects == published
    assert bulletin_build(correction)["document"]["corrects"] == published.number
    assert set(bulletins_for(officer)) == {published, correction}


def test_correcting_a_draft_is_refused(draft, officer, demo):
    with pytest.raises(BulletinRefused):
        make_bulletin(officer, demo, number="x-2", corrects=draft)


def test_thresholds_are_per_bulletin(draft, officer):
    bulletin_update(
        bulletin=draft,
        user=officer,
        definitions={**draft.definitions, "tier2_min": "50", "tier1_min": "55"},
    )
    content = bulletin_build(Bulletin.objects.get(pk=draft.pk))
    tiers = {s["key"]: s["count"] for s in content["sections"]}
    assert tiers["tier1"] == 2  # 58.8% now clears the first tier
    assert content["definitions"]["tier2_min"] == "50"


def test_bad_thresholds_are_refused(draft, officer):
    with pytest.raises(BulletinRefused):
        bulletin_update(bulletin=draft, user=officer, definitions={"tier1_min": "30"})


def test_document_numbers_are_unique(draft, officer, demo):
    with pytest.raises(BulletinRefused):
        make_bulletin(officer, demo)


def test_only_city_officers_create_and_publish(draft, county, hospital, demo):
    for user in (county, hospital):
        with pytest.raises(BulletinRefused):
            make_bulletin(user, demo, number=f"n-{user.username}")
        with pytest.raises(BulletinRefused):
            bulletin_publish(bulletin=draft, user=user)


def test_drafts_are_seen_by_city_officers_only(draft, officer, county, hospital):
    assert list(bulletins_for(officer)) == [draft]
    assert list(bulletins_for(county)) == []
    assert list(bulletins_for(hospital)) == []
    bulletin_publish(bulletin=draft, user=officer)
    assert list(bulletins_for(county)) == [draft]
    assert list(bulletins_for(hospital)) == [draft]


def test_concurrent_publication_claims_once(draft, officer):
    """The conditional update: a second publisher finds the row already taken."""
    bulletin_publish(bulletin=draft, user=officer)
    stale = Bulletin(pk=draft.pk, region=draft.region)
    with pytest.raises(BulletinRefused):
        bulletin_publish(bulletin=stale, user=officer)
    assert Bulletin.objects.get(pk=draft.pk).published_by == officer


def test_the_published_pdf_is_rendered_once_and_kept(
    draft, officer, client, django_capture_on_commit_callbacks, celery_in_process
):
    with django_capture_on_commit_callbacks(execute=True):
        published = bulletin_publish(bulletin=draft, user=officer)
    published.refresh_from_db()
    assert (published.pdf_progress, published.typesetting) == (100, False)
    stored = bytes(published.pdf)
    assert stored.startswith(b"%PDF")
    client.force_login(officer)
    response = client.get(f"/bulletins/{published.pk}/pdf/")
    assert response.content == stored
    # Served from storage: no re-render that a template change could alter.
    Bulletin.objects.filter(pk=published.pk).update(pdf=b"%PDF-stored")
    assert client.get(f"/bulletins/{published.pk}/pdf/").content == b"%PDF-stored"


def test_publishing_typesets_the_pdf_after_the_commit_and_says_so_meanwhile(
    draft, officer, client, django_capture_on_commit_callbacks, celery_in_process
):
    """The publication commits first (its snapshot is the document); the PDF is
    typeset after it, by a worker (here, eagerly). Until then the page says 排版中
    with the progress, and the PDF is rendered from the snapshot on request."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        published = bulletin_publish(bulletin=draft, user=officer)
    assert len(queued) == 1
    published.refresh_from_db()
    assert published.typesetting and published.pdf is None
    client.force_login(officer)
    page = client.get(f"/bulletins/{published.pk}/").content.decode()
    assert 'id="typesetting"' in page and 'http-equiv="refresh"' in page
    on_request = client.get(f"/bulletins/{published.pk}/pdf/").content
    assert on_request.startswith(b"%PDF")
    queued[0]()  # the commit's callback: hands the typesetting to the worker
    published.refresh_from_db()
    assert not published.typesetting and bytes(published.pdf).startswith(b"%PDF")
    page = client.get(f"/bulletins/{published.pk}/").content.decode()
    assert 'id="typesetting"' not in page and 'http-equiv="refresh"' not in page
    # A second delivery of the task keeps the stored PDF.
    from apps.bulletins.services import bulletin_typeset

    assert bulletin_typeset(bulletin_id=published.pk) is False


def test_a_failed_typesetting_is_recorded_and_the_pdf_still_served(
    draft, officer, client, monkeypatch
):
    from apps.bulletins.services import bulletin_typeset

    published = bulletin_publish(bulletin=draft, user=officer)

    def broken(content, progress=None):
        raise RuntimeError("font missing")

    monkeypatch.setattr("apps.bulletins.services.bulletin_pdf", broken)
    assert bulletin_typeset(bulletin_id=published.pk) is False
    published.refresh_from_db()
    assert published.pdf_error == "RuntimeError: font missing" and not published.typesetting
    monkeypatch.undo()
    client.force_login(officer)
    assert 'id="typesetting-failed"' in client.get(f"/bulletins/{published.pk}/").content.decode()
    assert client.get(f"/bulletins/{published.pk}/pdf/").content.startswith(b"%PDF")
