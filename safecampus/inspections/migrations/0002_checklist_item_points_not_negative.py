"""Checklist item points are never negative.

Scoring always used the magnitude of an item's points (``abs``), so a negative value already
counted as its positive; rows stored before this rule are turned positive, which changes no
score, and a check constraint keeps new ones from coming in by any path.
"""

from django.db import migrations, models


def points_to_magnitude(apps, schema_editor):
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")
    ChecklistItem.objects.filter(points__lt=0).update(points=-models.F("points"))


class Migration(migrations.Migration):

    dependencies = [
        ("inspections", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(points_to_magnitude, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="checklistitem",
            constraint=models.CheckConstraint(condition=models.Q(("points__gte", 0)),
                                              name="checklist_item_points_not_negative"),
        ),
    ]
