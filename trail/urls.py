from django.urls import path

from trail import views

app_name = "trail"
urlpatterns = [
    path("events", views.event_history, name="event-history"),
    path("events/download.<str:file_format>", views.download, name="download"),
    path("events/<uuid:event_id>", views.event_detail, name="event-detail"),
]
