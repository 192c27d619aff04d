from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.forms import StyledForm
from people.models import Team
from projects import services
from projects.models import Project


class ProjectDetailsForm(StyledForm):
    summary = forms.CharField(max_length=200, label=_("One-line summary"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, label=_("Description")
    )
    topics = forms.CharField(
        required=False, label=_("Topics"), help_text=_("Comma-separated, e.g. vision, pytorch")
    )
    license = forms.CharField(
        required=False, label=_("Intended license"), help_text=_("An SPDX id, e.g. Apache-2.0")
    )
    contact = forms.CharField(max_length=200, required=False, label=_("Contact"))
    sharing = forms.ChoiceField(
        choices=Project.Sharing.choices, initial=Project.Sharing.INTERNAL, label=_("Sharing")
    )

    def clean_topics(self):
        try:
            return services.topics_normalise(self.cleaned_data["topics"])
        except services.RegistryError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_license(self):
        try:
            return services.license_normalise(self.cleaned_data["license"])
        except services.RegistryError as exc:
            raise forms.ValidationError(str(exc)) from None


class RegisterForm(ProjectDetailsForm):
    gitlab_project = forms.CharField(
        label=_("GitLab project"), help_text=_("Its path (group/name), id, or web address")
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.exclude(path=""), label=_("Owning team"), empty_label=None
    )

    field_order = ["gitlab_project", "team", "summary", "description", "topics", "license"]


class TransferForm(StyledForm):
    team = forms.ModelChoiceField(queryset=Team.objects.exclude(path=""), label=_("New owner team"))
    start = forms.DateField(
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("From"),
    )
    note = forms.CharField(max_length=300, required=False, label=_("Note"))
