"""Re-review triggers from the registry: a released project whose license changes goes back
to re-review. (Scope changes come through `services.disclosures_re_review_for_project`.)"""

from django.db.models.signals import post_save, pre_save

_UID = "review.project-license-re-review"


def _remember_license(sender, instance, **kwargs):
    if instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("license", flat=True).first()
    instance._review_old_license = old


def _license_changed(sender, instance, created, **kwargs):
    old = getattr(instance, "_review_old_license", None)
    if created or old is None or old == instance.license:
        return
    from review.services import disclosures_re_review_for_project

    disclosures_re_review_for_project(
        project=instance, reason=f"license changed from {old or '—'} to {instance.license or '—'}"
    )


def connect() -> None:
    from projects.models import Project

    pre_save.connect(_remember_license, sender=Project, dispatch_uid=_UID + "-pre")
    post_save.connect(_license_changed, sender=Project, dispatch_uid=_UID + "-post")
