"""URL patterns of the IAM console's roles pages (included by iam/urls.py)."""

urlpatterns = []
