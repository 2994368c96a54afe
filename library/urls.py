from django.urls import path, re_path

from library import exports, views

app_name = "library"
# The file extensions (bib, ris, json, txt) are part of the route: any other is a 404.
EXTENSIONS = "|".join(exports.FORMAT_OF_EXTENSION)

urlpatterns = [
    path("papers/<int:pk>/note/", views.edit_note, name="note"),
    re_path(
        rf"^library/collections/(?P<pk>[0-9]+)/export\.(?P<extension>{EXTENSIONS})$",
        views.collection_export,
        name="collection-export",
    ),
    re_path(
        rf"^library/export\.(?P<extension>{EXTENSIONS})$",
        views.library_export,
        name="library-export",
    ),
    path("library/import/", views.start_import, name="start-import"),
    path("library/imports/<int:pk>/", views.import_progress, name="import"),
]
