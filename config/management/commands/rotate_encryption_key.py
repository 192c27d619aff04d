"""Re-encrypt every stored credential under the primary (first) FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart,
run this command, then drop the old keys. It runs in one transaction per model, reads and
writes the raw column (so it never sees or logs the plain text), and says how many values it
re-encrypted. Values written under the old key decrypt until the old key is dropped.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, router, transaction

from config import crypto


class Command(BaseCommand):
    help = "Re-encrypt every stored credential under the primary FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Check that every value decrypts; write nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        total = 0
        for model, name in crypto.encrypted_fields():
            try:
                count = rotate_field(model, name, dry_run=dry_run)
            except crypto.DecryptionError as exc:
                raise CommandError(f"{model._meta.label}.{name}: {exc}") from None
            total += count
            self.stdout.write(f"{model._meta.label}.{name}: {count} value(s)")
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {total} value(s) under the primary key"))


def rotate_field(model, name: str, *, dry_run: bool = False) -> int:
    db = router.db_for_write(model)
    conn = connections[db]
    table = conn.ops.quote_name(model._meta.db_table)
    pk = conn.ops.quote_name(model._meta.pk.column)
    column = conn.ops.quote_name(model._meta.get_field(name).column)
    count = 0
    with transaction.atomic(using=db), conn.cursor() as cur:
        cur.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        for row_pk, token in cur.fetchall():
            if token is None:
                continue
            fresh = crypto.rotate(token)
            count += 1
            if not dry_run:
                cur.execute(
                    f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                    [fresh, row_pk],
                )
    return count
