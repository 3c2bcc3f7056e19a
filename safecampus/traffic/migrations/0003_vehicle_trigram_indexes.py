"""Trigram indexes for the partial-plate lookup on PostgreSQL (``LIKE '%12345%'``).

``pg_trgm`` ships with PostgreSQL; creating the extension needs a role allowed to create
extensions. When the role may not, the migration leaves a warning and the lookup falls back
to a scan of the vehicles table (correct, slower). SQLite needs nothing here.
"""

import warnings

from django.db import DatabaseError, migrations, transaction

INDEXES = (
    ("traffic_vehicle_plate_trgm", "plate"),
    ("traffic_vehicle_tag_trgm", "tag_number"),
    ("traffic_vehicle_owner_trgm", "owner_name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        warnings.warn(f"pg_trgm is not available ({error}); partial plate lookups will scan "
                      "the vehicles table", stacklevel=1)
        return
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON traffic_vehicle "
            f"USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("traffic", "0002_abandoned_gates_posts_charging")]

    operations = [migrations.RunPython(create, drop)]
