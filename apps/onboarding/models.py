"""Onboarding (对接) to a platform in build-out phases (建设分期: 一期, 二期 …): each
phase is a plan with its steps, its target institutions and the go-live deadline
(应接入日期) by which they must be connected; the day each step was done. A target's
go-live date counts in the figures (metrics.md, 建设分期): before it, the institution
is 未到期 (not yet due)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What a plan holds when it is created without steps.
DEFAULT_STEPS = ["领取前置机", "网络联调", "接口改造", "审查通过"]


class OnboardingPlan(models.Model):
    """One build-out phase of a platform. A phase without targets is the platform's
    plan for every institution in scope, and gives nobody a go-live date."""

    platform = models.ForeignKey(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        related_name="onboarding_plans",
    )
    name = models.CharField(_("phase"), max_length=32)
    deadline = models.DateField(_("go-live deadline"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("build-out phase")
        verbose_name_plural = _("build-out phases")
        ordering = ["platform", "deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "name"], name="onboarding_plan_name"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.name}"


class PhaseTarget(models.Model):
    """An institution a phase must connect, with its go-live date (应接入日期): its
    own where the file gives one, else the phase's deadline. An institution is the
    target of at most one phase of a platform."""

    plan = models.ForeignKey(
        OnboardingPlan, verbose_name=_("phase"), on_delete=models.CASCADE, related_name="targets"
    )
    # The plan's platform, kept here so the database holds one phase per institution
    # and platform.
    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="phase_targets",
    )
    go_live = models.DateField(_("go-live date"), null=True, blank=True)

    class Meta:
        verbose_name = _("phase target")
        verbose_name_plural = _("phase targets")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution"], name="onboarding_target_one_phase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.institution}"

    @property
    def go_live_date(self):
        return self.go_live or self.plan.deadline


class OnboardingStep(models.Model):
    plan = models.ForeignKey(
        OnboardingPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("step"), max_length=64)

    class Meta:
        verbose_name = _("onboarding step")
        verbose_name_plural = _("onboarding steps")
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="onboarding_step_position"),
        ]

    def __str__(self) -> str:
        return self.name


class StepCompletion(models.Model):
    """The day an institution completed a step, and who entered it."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="onboarding_completions",
    )
    step = models.ForeignKey(
        OnboardingStep,
        verbose_name=_("step"),
        on_delete=models.CASCADE,
        related_name="completions",
    )
    done_on = models.DateField(_("completed on"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("step completion")
        verbose_name_plural = _("step completions")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "step"], name="onboarding_completion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.step} · {self.done_on}"
