"""The index the clash check reads on PostgreSQL: a GiST index of the time ranges of the
activities that can clash (published or pending, asking more than "inform"), carrying the columns
the clash rules read (``engagement.calendar.clash._ASK_COLUMNS``) so that the check is an
index-only scan. SQLite, the embedded default, has no GiST and keeps the btree on (status,
starts_at, ends_at); its calendars are small."""

from django.db import migrations

NAME = "activity_asks_envelope"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {NAME} ON calendar_activity USING gist "
            "(tstzrange(starts_at, ends_at)) "
            "INCLUDE (id, title, ask_level, starts_at, ends_at, weekdays, opens, closes, "
            "repeat_until) "
            "WHERE status IN ('published', 'pending') AND ask_level <> 'inform'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("calendar", "0002_following_digests_idempotency")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
