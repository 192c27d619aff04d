from rest_framework import serializers

from people.models import Identity, Membership, OrgImport, Person, Team


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "path", "kind", "parent", "member_count"]


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["kind", "value", "is_bot"]


class MembershipSerializer(serializers.ModelSerializer):
    team_path = serializers.CharField(source="team.path", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "person", "person_name", "team", "team_path", "start", "end"]


class PersonSerializer(serializers.ModelSerializer):
    identities = IdentitySerializer(many=True, read_only=True)
    teams = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "email", "identities", "teams"]

    def get_teams(self, person) -> list[str]:
        return [m.team.path for m in getattr(person, "current_memberships", [])]


class OrgImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgImport
        fields = ["id", "filename", "create_teams", "state", "summary", "errors", "created_at"]
        read_only_fields = fields


class OrgImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    create_teams = serializers.BooleanField(default=False)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    person = PersonSerializer(allow_null=True)
