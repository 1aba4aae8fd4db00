from django.urls import path

from . import views

app_name = "question_bank_admin"

urlpatterns = [
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/<uuid:pk>/", views.ImportJobView.as_view(), name="import_job"),
    path("import/template.<str:fmt>", views.template_download_view, name="template"),
    path("export/", views.ExportView.as_view(), name="export"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
]
