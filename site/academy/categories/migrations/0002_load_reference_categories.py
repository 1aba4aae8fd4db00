from django.db import migrations


def load(apps, schema_editor):
    from academy.categories.reference import load_reference_categories

    load_reference_categories(apps.get_model("categories", "PracticeCategory"))


class Migration(migrations.Migration):
    dependencies = [("categories", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
