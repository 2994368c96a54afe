from django.urls import path

from library import views

app_name = "library"
urlpatterns = [
    path("papers/<int:pk>/note/", views.edit_note, name="note"),
    path("library/", views.my_library, name="library"),
    path("library/save/<int:pk>/", views.save_paper, name="save"),
    path("library/collections/", views.collection_list, name="collections"),
    path("library/collections/<int:pk>/", views.collection_detail, name="collection"),
    path("library/collections/<int:pk>/edit/", views.describe_collection, name="describe"),
    path("library/collections/<int:pk>/publish/", views.publish_collection, name="publish"),
    path("library/collections/<int:pk>/delete/", views.delete_collection, name="delete"),
    path("library/collections/<int:pk>/share/", views.share_collection, name="share"),
    path(
        "library/collections/<int:pk>/unshare/<int:user_id>/",
        views.unshare_collection,
        name="unshare",
    ),
    path(
        "library/collections/<int:pk>/entries/<int:entry_id>/",
        views.change_entry,
        name="entry",
    ),
]
