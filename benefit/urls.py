from django.urls import path

from benefit import views

app_name = "benefit"

urlpatterns = [
    path("benefit/<int:project_id>", views.project_page, name="project"),
]
