from django.urls import path, re_path
from django.views.decorators.http import require_safe

from library import exports, feeds, views

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
    path("library/follows/", views.follow_list, name="follows"),
    path("library/follows/new/", views.follow, name="follow"),
    path("library/follows/<int:pk>/unfollow/", views.unfollow, name="unfollow"),
    path("library/follows/<int:pk>/rename/", views.rename_search, name="rename-search"),
    # Read by feed readers without a session: the token is the secret (library.feeds). The
    # syndication view answers any method; a feed is read only.
    path(
        "library/follows/<str:token>/feed.atom",
        require_safe(feeds.FollowFeed()),
        name="follow-feed",
    ),
    path(
        "library/collections/<int:pk>/feed.atom",
        require_safe(feeds.CollectionFeed()),
        name="collection-feed",
    ),
]
