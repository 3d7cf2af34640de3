import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A PutObject writes one index page fewer: the bucket's index is the unique
    (bucket, key) index's prefix. Dropped by name: AlterField would copy s3_object
    into a new table on SQLite."""

    dependencies = [
        ("s3", "0005_object_inline"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="object",
                    name="bucket",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="stored_objects", to="s3.bucket"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS s3_object_bucket_id_08715cef",
                    "CREATE INDEX s3_object_bucket_id_08715cef ON s3_object (bucket_id)",
                ),
            ],
        ),
    ]
