from django.apps import AppConfig


class S3Config(AppConfig):
    name = "s3"
    verbose_name = "S3"
