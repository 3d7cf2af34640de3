import django.db.models.deletion
from django.db import migrations, models

# Dropped by name, not by AlterField: on SQLite that would copy iam_user into a new
# table, and the copy would lose migration 0007's triggers that count the users.
DROP = [
    "DROP INDEX IF EXISTS iam_user_account_id_a66652e9",
    "DROP INDEX IF EXISTS iam_user_permissions_boundary_id_2b9b1730",
]
RECREATE = [
    "CREATE INDEX iam_user_account_id_a66652e9 ON iam_user (account_id)",
    "CREATE INDEX iam_user_permissions_boundary_id_2b9b1730 ON iam_user (permissions_boundary_id)",
]


class Migration(migrations.Migration):
    """A CreateUser writes two index pages fewer: the account's index is the unique
    (account, user_name_key) index's prefix, and only users with a permissions boundary
    are in the boundary's index."""

    dependencies = [
        ("iam", "0007_user_count"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="account",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="users", to="iam.account"),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="permissions_boundary",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="bounded_users", to="iam.managedpolicy"),
                ),
            ],
            database_operations=[migrations.RunSQL(DROP, RECREATE)],
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(condition=models.Q(("permissions_boundary__isnull", False)),
                               fields=["permissions_boundary"], name="iam_user_boundary"),
        ),
    ]
