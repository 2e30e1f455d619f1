"""Onboarding (对接) to a platform: the steps every institution goes through, the
day each step was done, and the deadline by which all must be."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What a plan holds when it is created without steps.
DEFAULT_STEPS = ["领取前置机", "网络联调", "接口改造", "审查通过"]


class OnboardingPlan(models.Model):
    platform = models.OneToOneField(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        related_name="onboarding_plan",
    )
    deadline = models.DateField(_("deadline"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("onboarding plan")
        verbose_name_plural = _("onboarding plans")

    def __str__(self) -> str:
        return str(self.platform)


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
