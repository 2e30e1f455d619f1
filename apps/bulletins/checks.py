"""The checks a bulletin must pass before it is published. They read the same
content dict that is rendered and frozen, so what passes is what is published."""

from collections import Counter

from django.utils.translation import gettext as _

from apps.platforms.models import ConnectionStatus

from .content import SECTION_KEYS

JOINED = (ConnectionStatus.CONNECTED, ConnectionStatus.UPSTREAM)


def checks_described() -> list[str]:
    """What `bulletin_check` verifies, as the publication page lists it."""
    return [
        _("The document fields are filled: number, title, issuing body, recipients, date."),
        _("Every institution of the attachment stands in exactly one tier section."),
        _("Every count in the text equals the attachment."),
        _("The connection and continuity sections match the attachment."),
        _("Every connected institution has all its figures and a catalogue in force."),
    ]


def bulletin_check(content: dict) -> list[str]:
    """Every reason the content may not be published; empty when it may."""
    failures: list[str] = []
    rows = content["attachment"]
    doc = content["document"]
    for field, label in (
        ("number", _("document number")),
        ("title", _("title")),
        ("issuing_body", _("issuing body")),
        ("recipients", _("recipients")),
        ("issue_date", _("date of issue")),
    ):
        if not doc.get(field):
            failures.append(_("The %(field)s is empty.") % {"field": label})
    if not rows:
        failures.append(_("The region has no active institution: the attachment is empty."))

    # Every institution of the attachment in exactly one tier section.
    listed = Counter(i["org_code"] for s in content["sections"] for i in s["institutions"])
    for row in rows:
        n = listed.pop(row["org_code"], 0)
        if n != 1:
            failures.append(
                _("%(name)s appears in %(n)d tier sections instead of one.")
                % {"name": row["name"], "n": n}
            )
    for code in listed:
        failures.append(
            _("%(code)s is listed in a tier section but not in the attachment.") % {"code": code}
        )

    # Counts in the text equal the attachment.
    by_section = Counter(r["section"] for r in rows)
    for section in content["sections"]:
        if section["key"] not in SECTION_KEYS:
            failures.append(_("Unknown section %(key)s.") % {"key": section["key"]})
        if section["count"] != by_section[section["key"]] or section["count"] != len(
            section["institutions"]
        ):
            failures.append(
                _("%(title)s states %(stated)d institutions, the attachment has %(actual)d.")
                % {
                    "title": section["title"],
                    "stated": section["count"],
                    "actual": by_section[section["key"]],
                }
            )
    access = content["access"]
    due = [r for r in rows if r["section"] != "not_yet_due"]
    expected = {
        "institutions": len(rows),
        "joined": sum(r["connection_status"] in JOINED for r in due),
        "connected": sum(r["connection_status"] == ConnectionStatus.CONNECTED for r in due),
        "upstream": sum(r["connection_status"] == ConnectionStatus.UPSTREAM for r in due),
        "unconnected": sum(r["connection_status"] not in JOINED for r in due),
    }
    for key, actual in expected.items():
        if access[key] != actual:
            failures.append(
                _(
                    "The connection section states %(stated)d for %(key)s, the attachment has %(actual)d."
                )
                % {"stated": access[key], "key": key, "actual": actual}
            )
    if len(access["unconnected_institutions"]) != expected["unconnected"]:
        failures.append(_("The list of unconnected institutions does not match the attachment."))
    continuity = content["continuity"]
    for key in ("good", "interrupted"):
        actual = sum(r["continuity"] == key for r in rows)
        if continuity[f"{key}_count"] != actual or len(continuity[key]) != actual:
            failures.append(
                _("The continuity section does not match the attachment (%(key)s).") % {"key": key}
            )

    # Each ranked unit in one quality band, and only units of the attachment.
    quality = content.get("quality")
    if quality:
        ranked = Counter(
            i["org_code"] for key in ("good", "fair", "poor", "unchecked") for i in quality[key]
        )
        codes = {r["org_code"] for r in rows}
        for code, n in ranked.items():
            if n != 1 or code not in codes:
                failures.append(
                    _("%(code)s is ranked %(n)d times by data quality.") % {"code": code, "n": n}
                )

    # No figure missing.
    for row in due:
        if row["connection_status"] != ConnectionStatus.CONNECTED:
            continue
        if not row["required_tables"]:
            failures.append(
                _("%(name)s has no catalogue of required tables in force for the period.")
                % {"name": row["name"]}
            )
        for field in ("tables_uploaded", "completeness", "records", "interruption_days"):
            if row.get(field) is None:
                failures.append(
                    _("%(name)s lacks the figure %(field)s.")
                    % {"name": row["name"], "field": field}
                )
    return failures
