from django.db import models


class SignInFailure(models.Model):
    """One failed console sign-in, keyed by an HMAC of the principal the attempt named
    (existing or not, so the table reveals nothing) and the throttling bucket."""

    bucket = models.CharField(max_length=64)
    create_date = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["bucket", "create_date"])]
