from django.urls import path

from recommendations import views

app_name = "recommendations"
urlpatterns = [
    path("me/recommendations/", views.recommendations, name="recommendations"),
    path(
        "me/recommendations/<int:paper_pk>/dismiss/",
        views.recommendation_dismiss,
        name="recommendation-dismiss",
    ),
    path("email/not-relevant/<str:token>/", views.email_not_relevant, name="not-relevant"),
]
