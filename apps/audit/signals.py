"""Receivers that feed the audit log: sign-ins, users and their scopes, and the
catalogue and registry edits made in the admin (which logs them as LogEntry)."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import AuditEvent
from .services import audit_record

User = get_user_model()
Action = AuditEvent.Action

SCOPE_FIELDS = ("role", "region_id", "institution_id")
ACCOUNT_FIELDS = ("is_active", "is_staff", "is_superuser", "display_name", "phone", "email")
CATALOGUE_MODELS = {"platforms.tableedition", "platforms.cataloguetable"}
REGISTRY_MODELS = {
    "regions.region",
    "institutions.institution",
    "platforms.platform",
    "platforms.connection",
}


def user_region(user):
    """The region an event about `user` belongs to: their supervised region, or
    their institution's."""
    if user.region_id:
        return user.region
    if user.institution_id:
        return user.institution.region
    return None


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, actor=user, request=request, region=user_region(user))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=Action.LOGOUT, actor=user, request=request, region=user_region(user))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    known = User.objects.filter(username=username).first()
    audit_record(
        action=Action.LOGIN_FAILED,
        actor=known,
        actor_label=username or "?",
        request=request,
        region=user_region(known) if known else None,
    )


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    known = User.objects.filter(username=username or "").first()
    audit_record(
        action=Action.LOCKED_OUT,
        actor=known,
        actor_label=username or "?",
        request=request,
        region=user_region(known) if known else None,
    )


try:  # django-axes, when installed, says when it locks a user out
    from axes.signals import user_locked_out
except ImportError:  # pragma: no cover
    pass
else:
    user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")


@receiver(pre_save, sender=User)
def _remember_user(sender, instance, update_fields=None, **kwargs):
    watched = set(SCOPE_FIELDS + ACCOUNT_FIELDS) | {"role", "region", "institution"}
    if instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        instance._audit_before = None
        return
    instance._audit_before = (
        User.objects.filter(pk=instance.pk).values(*SCOPE_FIELDS, *ACCOUNT_FIELDS).first()
    )


@receiver(post_save, sender=User)
def _user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        audit_record(
            action=Action.USER_CREATED,
            obj=instance,
            region=user_region(instance),
            details={
                "role": instance.role,
                "region": instance.region_id,
                "institution": instance.institution.org_code if instance.institution_id else None,
                "is_superuser": instance.is_superuser,
                "display_name": instance.display_name,
            },
        )
        return
    before = getattr(instance, "_audit_before", None)
    if not before:
        return
    changed = {
        name.removesuffix("_id"): [before[name], getattr(instance, name)]
        for name in (*SCOPE_FIELDS, *ACCOUNT_FIELDS)
        if before[name] != getattr(instance, name)
    }
    instance._audit_before = None
    if not changed:
        return
    scope = any(name.removesuffix("_id") in changed for name in SCOPE_FIELDS)
    audit_record(
        action=Action.SCOPE_CHANGED if scope else Action.USER_CHANGED,
        obj=instance,
        region=user_region(instance) or _old_region(before),
        details={name: {"old": old, "new": new} for name, (old, new) in changed.items()},
    )


def _old_region(before):
    from apps.institutions.models import Institution
    from apps.regions.models import Region

    if before["region_id"]:
        return Region.objects.filter(pk=before["region_id"]).first()
    if before["institution_id"]:
        institution = Institution.objects.filter(pk=before["institution_id"]).first()
        return institution.region if institution else None
    return None


@receiver(post_save, sender=LogEntry)
def _admin_edit(sender, instance, created, **kwargs):
    """Catalogue and registry edits in the admin (the admin logs each as a LogEntry)."""
    if not created or instance.content_type is None:
        return
    if instance.action_flag == CHANGE and instance.change_message in ("", "[]"):
        return  # saved unchanged: nothing happened
    label = f"{instance.content_type.app_label}.{instance.content_type.model}"
    if label in CATALOGUE_MODELS:
        action = Action.CATALOGUE_CHANGED
    elif label in REGISTRY_MODELS:
        action = Action.REGISTRY_CHANGED
    else:
        return
    verb = {ADDITION: "added", DELETION: "deleted"}.get(instance.action_flag, "changed")
    audit_record(
        action=action,
        actor=instance.user,
        object_type=label,
        object_id=instance.object_id or "",
        object_label=instance.object_repr,
        details={"change": verb, "message": instance.get_change_message()},
    )
