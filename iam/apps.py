from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_aws_managed_policies(sender, using="default", **kwargs):
    from iam.managed_policies import sync_aws_managed_policies

    sync_aws_managed_policies(using=using)


class IamConfig(AppConfig):
    name = "iam"
    verbose_name = "IAM"

    def ready(self):
        # After every migrate, AWS's managed policies exist and match the shipped files.
        post_migrate.connect(_sync_aws_managed_policies, sender=self, dispatch_uid="iam.sync_aws_managed_policies")
