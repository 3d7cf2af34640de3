from django.db import models

from iam.models import Account


class Bucket(models.Model):
    """An S3 bucket. Names are global across the installation, as on AWS."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="buckets")
    name = models.CharField(max_length=63, unique=True)
    region = models.CharField(max_length=32)
    create_date = models.DateTimeField()

    @property
    def arn(self):
        return f"arn:aws:s3:::{self.name}"
