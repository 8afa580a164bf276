"""The default enumeration scheme: Ethernet 10–100, vSCSI 200–400, vFC 600–800, VIOS ids 1 and 2,
stubs at LPAR id +100 and vSCSI/vFC slots +100 with the suffix -stub."""

from django.db import migrations


def default_scheme_create(apps, schema_editor):
    scheme_model = apps.get_model("planning", "EnumerationScheme")
    if not scheme_model.objects.filter(is_default=True).exists():
        scheme_model.objects.create(name="Default", is_default=True, vios_lpar_ids=[1, 2])


class Migration(migrations.Migration):
    dependencies = [("planning", "0001_initial")]

    operations = [migrations.RunPython(default_scheme_create, migrations.RunPython.noop)]
