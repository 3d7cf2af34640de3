"""URL patterns of the IAM console's groups pages (included by iam/urls.py)."""

urlpatterns = []
