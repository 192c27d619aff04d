"""API shapes of the review app. Input serializers only parse; the services decide."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.models import Project
from review.models import (
    AuditEntry,
    Disclosure,
    Finding,
    Lane,
    PatentDecision,
    Screening,
    Waiver,
)


class ScreeningSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Screening
        fields = [
            "id", "kind", "sha", "base_sha", "mode", "state", "progress_done", "progress_total",
            "progress_phase", "percent", "versions", "summary", "stale", "error", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    check = serializers.CharField(source="check_name")
    waived = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id", "check", "rule", "severity", "path", "line", "commit", "message",
            "fingerprint", "blocking", "waived",
        ]  # fmt: skip
        read_only_fields = fields

    def get_waived(self, finding) -> bool:
        return finding.fingerprint in self.context.get("waived", ())


class LaneStatusSerializer(serializers.Serializer):
    lane = serializers.ChoiceField(choices=Lane.choices)
    decision = serializers.CharField(allow_null=True, help_text="signed_off, sent_back or null")
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class DisclosureSerializer(serializers.ModelSerializer):
    project_path = serializers.CharField(source="project.path", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lanes = serializers.SerializerMethodField()
    screening = serializers.SerializerMethodField()

    class Meta:
        model = Disclosure
        fields = [
            "id", "project", "project_path", "state", "state_reason", "sha", "mode",
            "outbound_license", "purpose", "target_repo", "maintainers",
            "expected_contributions", "round", "submitted_by", "submitted_at", "approved_sha",
            "approved_by", "approved_at", "released_at", "public_url", "lanes", "screening",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(LaneStatusSerializer(many=True))
    def get_lanes(self, d):
        from review.selectors import lane_status

        out = []
        for lane, vote in lane_status(d).items():
            out.append(
                {
                    "lane": lane,
                    "decision": vote.decision if vote else None,
                    "by": vote.by.get_username() if vote else None,
                    "at": vote.created_at if vote else None,
                }
            )
        return LaneStatusSerializer(out, many=True).data

    @extend_schema_field(ScreeningSerializer(allow_null=True))
    def get_screening(self, d):
        from review.selectors import latest_screening

        s = latest_screening(d)
        return ScreeningSerializer(s).data if s else None


class PlanSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Disclosure.Mode.choices)
    outbound_license = serializers.CharField(max_length=200, help_text="SPDX expression")
    purpose = serializers.CharField()
    target_repo = serializers.CharField(max_length=100, help_text="GitHub repository name")
    maintainers = serializers.ListField(
        child=serializers.CharField(max_length=39), help_text="GitHub logins"
    )
    expected_contributions = serializers.ChoiceField(choices=Disclosure.Contributions.choices)


class DisclosureRequestSerializer(PlanSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    sha = serializers.CharField(max_length=64, help_text="Full sha on the default branch")


class ResubmitSerializer(PlanSerializer):
    sha = serializers.CharField(max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PlanSerializer._declared_fields:
            self.fields[name].required = False


class VoteSerializer(serializers.Serializer):
    lane = serializers.ChoiceField(choices=Lane.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField()


class WaiverCreateSerializer(serializers.Serializer):
    finding = serializers.IntegerField(help_text="Id of a finding of the current screening")
    lane = serializers.ChoiceField(choices=Lane.choices)
    reason = serializers.CharField()
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    expires_on = serializers.DateField()


class WaiverSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    check = serializers.CharField(source="check_name", read_only=True)

    class Meta:
        model = Waiver
        fields = [
            "id", "project", "fingerprint", "check", "rule", "summary", "lane", "reason",
            "owner", "expires_on", "created_by", "created_at", "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields


class PatentDecisionCreateSerializer(serializers.Serializer):
    patent = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=PatentDecision.Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PatentDecisionSerializer(serializers.ModelSerializer):
    patent_number = serializers.CharField(source="patent.number", read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PatentDecision
        fields = ["id", "patent", "patent_number", "sha", "decision", "by", "note", "created_at"]
        read_only_fields = fields


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id", "at", "actor_name", "action", "from_state", "to_state", "sha", "lane", "detail",
        ]  # fmt: skip
        read_only_fields = fields
