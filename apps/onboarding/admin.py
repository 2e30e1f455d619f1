from django.contrib import admin

from .models import OnboardingPlan, OnboardingStep, StepCompletion
from .services import plan_add_steps


class OnboardingStepInline(admin.TabularInline):
    model = OnboardingStep
    extra = 0


@admin.register(OnboardingPlan)
class OnboardingPlanAdmin(admin.ModelAdmin):
    list_display = ("platform", "deadline")
    inlines = [OnboardingStepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        plan_add_steps(plan=form.instance)


@admin.register(StepCompletion)
class StepCompletionAdmin(admin.ModelAdmin):
    list_display = ("institution", "step", "done_on", "entered_by", "entered_at")
    list_filter = ("step__plan", "step")
    search_fields = ("institution__name", "institution__org_code")
    raw_id_fields = ("institution",)
    # Who entered a date and when is a record, not a value to edit (and a
    # time shown to the second would lose its microseconds on every save).
    readonly_fields = ("entered_by", "entered_at")
