from django.urls import path

from library import views

app_name = "library"
urlpatterns = [
    path("papers/<int:pk>/note/", views.edit_note, name="note"),
]
