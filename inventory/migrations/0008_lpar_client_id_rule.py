"""Client LPAR ids unique across the estate become a rule of the edit paths
(`Lpar.rule_constraints`), no longer a database constraint: an HMC numbers LPARs per frame, and
discovery records what it reports (the estate check `lpar_id_reused` lists the reuse). The
per-frame uniqueness stays in the database; a partial index keeps the client ids quick to find."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_frame_evacuation_target"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="lpar",
            name="lpar_unique_client_id_in_estate",
        ),
        migrations.AddIndex(
            model_name="lpar",
            index=models.Index(
                condition=models.Q(("kind", "vios"), _negated=True),
                fields=["lpar_id"],
                name="lpar_client_id_idx",
            ),
        ),
    ]
