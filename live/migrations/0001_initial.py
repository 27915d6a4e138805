# LiveEvent moved here from insights with its table (insights_liveevent): this creates the
# model in Django's state only; insights 0004 deletes it there, also in state only. The table,
# its rows and its constraint stay as they are.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """The admin's history and permissions of live events follow the model to its new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="live", model="liveevent").exists():
        ContentType.objects.filter(app_label="insights", model="liveevent").update(
            app_label="live"
        )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="insights", model="liveevent").exists():
        ContentType.objects.filter(app_label="live", model="liveevent").update(
            app_label="insights"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('insights', '0003_counts_indexes'),
        # The stream's model (workshops.Workshop): its app's first migration creates it.
        migrations.swappable_dependency(settings.LABBET_LIVE_STREAM),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LiveEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField()),
                        ('kind', models.CharField(max_length=40)),
                        ('fragments', models.JSONField(default=dict)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('workshop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='live_events', to=settings.LABBET_LIVE_STREAM)),
                    ],
                    options={
                        'db_table': 'insights_liveevent',
                        'ordering': ['workshop', 'seq'],
                        'constraints': [models.UniqueConstraint(fields=('workshop', 'seq'), name='live_event_seq_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
