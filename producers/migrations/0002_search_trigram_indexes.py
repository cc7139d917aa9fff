"""pg_trgm GIN indexes on the search keys, so that `q` (a substring match on the lower-cased
search_text) is served by an index on PostgreSQL. Other databases: nothing to do."""

from django.db import migrations

INDEXES = [
    ("producers_listing_search_trgm", "producers_listing"),
    ("producers_producer_search_trgm", "producers_producer"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("producers", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
