from django.urls import path
from django.views.decorators.http import require_safe

from library import feeds, views

app_name = "library"
urlpatterns = [
    path("papers/<int:pk>/note/", views.edit_note, name="note"),
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
