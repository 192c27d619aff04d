from rest_framework import serializers

from people.models import Team
from projects.models import Ownership, Project
from projects.selectors import current_owner


class OwnershipSerializer(serializers.ModelSerializer):
    team_path = serializers.CharField(source="team.path", read_only=True)

    class Meta:
        model = Ownership
        fields = ["team", "team_path", "start", "end", "note"]


class ProjectSerializer(serializers.ModelSerializer):
    owner_team = serializers.SerializerMethodField()
    ownerships = OwnershipSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id", "gitlab_id", "path", "name", "web_url", "clone_url", "default_branch",
            "summary", "description", "topics", "license", "contact", "sharing", "language",
            "owner_team", "ownerships", "activity_score", "recent_commits", "contributors",
            "cross_team_contributors", "last_commit_at", "has_readme", "has_contributing",
            "public_url", "hook_state", "registered_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_owner_team(self, project) -> str | None:
        team = current_owner(project)
        return team.path if team else None


class ProjectUpdateSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    topics = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    license = serializers.CharField(required=False, allow_blank=True)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sharing = serializers.ChoiceField(choices=Project.Sharing.choices, required=False)


class ProjectRegisterSerializer(ProjectUpdateSerializer):
    gitlab_project = serializers.CharField(help_text="Path (group/name), id, or web address")
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.exclude(path=""))
    summary = serializers.CharField(max_length=200)


class TransferSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.exclude(path=""))
    start = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    path = serializers.CharField()
    name = serializers.CharField()
    registered = serializers.BooleanField()
