"""URL patterns of the IAM console's simulator pages (included by iam/urls.py)."""

urlpatterns = []
