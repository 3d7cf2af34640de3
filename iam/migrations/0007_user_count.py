from django.db import migrations, models

# The count follows every insert and delete of a user, whichever code (or cascade) runs it.
SQLITE = [
    """CREATE TRIGGER iam_user_counted AFTER INSERT ON iam_user BEGIN
        INSERT INTO iam_usercount (account_id, users) VALUES (NEW.account_id, 1)
        ON CONFLICT (account_id) DO UPDATE SET users = users + 1;
    END""",
    """CREATE TRIGGER iam_user_uncounted AFTER DELETE ON iam_user BEGIN
        UPDATE iam_usercount SET users = users - 1 WHERE account_id = OLD.account_id;
    END""",
]
SQLITE_REVERSE = ["DROP TRIGGER iam_user_counted", "DROP TRIGGER iam_user_uncounted"]

POSTGRESQL = [
    """CREATE FUNCTION iam_user_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO iam_usercount (account_id, users) VALUES (NEW.account_id, 1)
            ON CONFLICT (account_id) DO UPDATE SET users = iam_usercount.users + 1;
        ELSE
            UPDATE iam_usercount SET users = users - 1 WHERE account_id = OLD.account_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER iam_user_counted AFTER INSERT OR DELETE ON iam_user
        FOR EACH ROW EXECUTE FUNCTION iam_user_count()""",
]
POSTGRESQL_REVERSE = ["DROP TRIGGER iam_user_counted ON iam_user", "DROP FUNCTION iam_user_count()"]

BACKFILL = "INSERT INTO iam_usercount (account_id, users) SELECT account_id, COUNT(*) FROM iam_user GROUP BY account_id"


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("iam", "0006_security_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserCount",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=models.deletion.CASCADE, primary_key=True, related_name="+", serialize=False,
                        to="iam.account",
                    ),
                ),
                ("users", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": [*SQLITE, BACKFILL], "postgresql": [*POSTGRESQL, BACKFILL]}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
    ]
