"""Forms of the review pages. They only parse input; the services check everything else."""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.forms import StyledForm
from review.models import Disclosure, Lane, PatentDecision


class PlanForm(StyledForm):
    mode = forms.ChoiceField(choices=Disclosure.Mode.choices, label=_("Publish mode"))
    outbound_license = forms.CharField(
        max_length=200, label=_("Outbound license"), help_text=_("An SPDX id, e.g. Apache-2.0")
    )
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Purpose"))
    target_repo = forms.CharField(
        max_length=100,
        label=_("Target GitHub repository name"),
        help_text=_("Letters, digits, '-', '_' and '.'"),
    )
    maintainers = forms.CharField(
        max_length=1000, label=_("Maintainers"), help_text=_("GitHub logins, comma-separated")
    )
    expected_contributions = forms.ChoiceField(
        choices=Disclosure.Contributions.choices, label=_("Expected outside contributions")
    )


class RequestReleaseForm(PlanForm):
    sha = forms.CharField(
        max_length=64,
        label=_("Commit sha"),
        help_text=_("The full sha of a commit on the default branch"),
    )

    field_order = ["sha", "mode", "outbound_license", "purpose", "target_repo", "maintainers"]


class ResubmitForm(RequestReleaseForm):
    pass


class NoteForm(StyledForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note")
    )


class VoteForm(NoteForm):
    lane = forms.ChoiceField(choices=Lane.choices, label=_("Lane"))


class ReasonForm(StyledForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Reason")
    )


class CommentForm(StyledForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Comment"))


def default_expiry():
    return timezone.localdate() + dt.timedelta(days=180)


class WaiverForm(StyledForm):
    finding = forms.IntegerField(widget=forms.HiddenInput)
    lane = forms.ChoiceField(choices=Lane.choices, label=_("Lane"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        label=_("Owner"),
        help_text=_("Who answers for the accepted risk"),
    )
    expires_on = forms.DateField(
        initial=default_expiry, widget=forms.DateInput(attrs={"type": "date"}), label=_("Expires")
    )


class PatentDecisionForm(StyledForm):
    patent = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=PatentDecision.Decision.choices, label=_("IP decision"))
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note")
    )
