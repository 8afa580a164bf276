# The kept findings are compared by a digest and ordered by content, so that a refresh only
# deletes and inserts the findings that changed instead of rewriting them all.

from django.db import migrations, models


def forget_kept_findings(apps, schema_editor):
    """The kept findings have no key yet: drop them with their summary, so the next look at
    the checks computes them again."""
    apps.get_model("planning", "EstateViolation").objects.all().delete()
    apps.get_model("planning", "EstateSummary").objects.filter(kind="checks").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0010_matrix_export"),
    ]

    operations = [
        migrations.RunPython(forget_kept_findings, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="estateviolation", name="estateviolation_check_pos"),
        migrations.AlterModelOptions(
            name="estateviolation", options={"ordering": ["rank", "object", "id"]}
        ),
        migrations.RemoveField(model_name="estateviolation", name="position"),
        migrations.AddField(
            model_name="estateviolation",
            name="rank",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Errors first, in check order."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="estateviolation",
            name="key",
            field=models.CharField(
                default="",
                help_text="Digest of every other field: equal, unchanged.",
                max_length=32,
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="estateviolation",
            index=models.Index(fields=["rank", "object", "id"], name="estateviolation_order"),
        ),
    ]
