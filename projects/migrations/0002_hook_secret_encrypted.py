"""Webhook secrets encrypted at rest: the column becomes a Fernet token (config.crypto).

The data step reads and writes the raw column, so it never goes through the field (which would
try to decrypt the old plain text). Rows that already hold a token are left alone; the reverse
step puts the plain text back.
"""

import config.crypto
import projects.models
from django.db import migrations


def _convert(apps, schema_editor, change, wanted):
    Project = apps.get_model("projects", "Project")
    conn = schema_editor.connection
    table = conn.ops.quote_name(Project._meta.db_table)
    with conn.cursor() as cur:
        cur.execute(f"SELECT id, hook_secret FROM {table}")  # noqa: S608
        rows = cur.fetchall()
        for pk, value in rows:
            if value and wanted(value):
                cur.execute(
                    f"UPDATE {table} SET hook_secret = %s WHERE id = %s",  # noqa: S608
                    [change(value), pk],
                )


def encrypt_secrets(apps, schema_editor):
    _convert(apps, schema_editor, config.crypto.encrypt, lambda v: not config.crypto.is_token(v))


def decrypt_secrets(apps, schema_editor):
    _convert(apps, schema_editor, config.crypto.decrypt, config.crypto.is_token)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="project",
            name="hook_secret",
            field=config.crypto.EncryptedTextField(
                default=projects.models.new_secret, editable=False
            ),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
