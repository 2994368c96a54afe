from django.urls import path

from library import views

app_name = "library"
urlpatterns = [
    path("papers/<int:pk>/note/", views.edit_note, name="note"),
    path("library/import/", views.start_import, name="start-import"),
    path("library/imports/<int:pk>/", views.import_progress, name="import"),
]
