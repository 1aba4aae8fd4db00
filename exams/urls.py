from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sittings/<int:sitting_id>/register/", views.register, name="register"),
    path("registrations/<int:registration_id>/start/", views.start, name="start"),
    path("registrations/<int:registration_id>/ticket.pdf", views.admission_ticket, name="ticket"),
    path("attempts/<int:attempt_id>/", views.take, name="take"),
    path("attempts/<int:attempt_id>/result/", views.result, name="result"),
    path("attempts/<int:attempt_id>/report.pdf", views.score_report, name="score_report"),
    path("api/registrations/<int:registration_id>/start/", views.api_start, name="api_start"),
    path("api/attempts/<int:attempt_id>/state/", views.api_state, name="api_state"),
    path("api/attempts/<int:attempt_id>/save/", views.api_save, name="api_save"),
    path("api/attempts/<int:attempt_id>/submit/", views.api_submit, name="api_submit"),
]
