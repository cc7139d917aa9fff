from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    path("batches/<int:batch_id>/certificates/<int:certificate_id>.png",
         views.certificate_label, name="label"),
]
