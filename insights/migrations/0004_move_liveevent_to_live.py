# LiveEvent moved to the live app with its table: live 0001 takes it over in Django's state,
# and this removes it from insights' state only; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0003_counts_indexes'),
        ('live', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='LiveEvent')],
            database_operations=[],
        ),
    ]
