"""URL patterns of the IAM console's policies pages (included by iam/urls.py)."""

urlpatterns = []
