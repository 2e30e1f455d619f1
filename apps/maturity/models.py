"""Maturity levels (测评等级): the grade each unit holds in an assessment scheme —
the national 医疗健康信息互联互通标准化成熟度测评 for hospitals and for regions, or a
province's grading of its regional platforms — with the year, the certificate or
notice, and the level the commission wants it to reach by a deadline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NATIONAL_LEVELS = [
    ("1", _("Level 1")),
    ("2", _("Level 2")),
    ("3", _("Level 3")),
    ("4b", _("Level 4 B")),
    ("4a", _("Level 4 A")),
    ("5b", _("Level 5 B")),
    ("5a", _("Level 5 A")),
]
PROVINCIAL_LEVELS = [
    ("p1", _("Provincial grade 1")),
    ("p2", _("Provincial grade 2")),
    ("p3", _("Provincial grade 3")),
    ("p4", _("Provincial grade 4")),
    ("p5", _("Provincial grade 5")),
]


class Scheme(models.TextChoices):
    HOSPITAL = "hospital", _("National interoperability maturity assessment (hospitals)")
    REGION = "region", _("National interoperability maturity assessment (regions)")
    PROVINCIAL = "provincial", _("Provincial grading of regional platforms")


LEVELS = {
    Scheme.HOSPITAL: NATIONAL_LEVELS,
    Scheme.REGION: NATIONAL_LEVELS,
    Scheme.PROVINCIAL: PROVINCIAL_LEVELS,
}
ALL_LEVELS = NATIONAL_LEVELS + PROVINCIAL_LEVELS


def level_rank(scheme: str, level: str) -> int | None:
    """The level's place in its scheme (higher is better), None if not of it."""
    codes = [code for code, _label in LEVELS.get(scheme, [])]
    return codes.index(level) if level in codes else None


class Assessment(models.Model):
    """One unit's result in one scheme and year, and its target."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    scheme = models.CharField(_("scheme"), max_length=16, choices=Scheme.choices)
    level = models.CharField(_("level"), max_length=4, choices=ALL_LEVELS)
    year = models.PositiveSmallIntegerField(_("year"))
    certificate = models.CharField(_("certificate or notice number"), max_length=100, blank=True)
    target_level = models.CharField(_("target level"), max_length=4, choices=ALL_LEVELS, blank=True)
    target_deadline = models.DateField(_("target deadline"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("maturity assessment")
        verbose_name_plural = _("maturity assessments")
        ordering = ["institution", "scheme", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "scheme", "year"], name="assessment_unique_year"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.institution} {self.get_scheme_display()} {self.year} {self.get_level_display()}"
        )

    @property
    def rank(self) -> int | None:
        return level_rank(self.scheme, self.level)

    @property
    def below_target(self) -> bool:
        if not self.target_level:
            return False
        target = level_rank(self.scheme, self.target_level)
        return target is not None and (self.rank is None or self.rank < target)
