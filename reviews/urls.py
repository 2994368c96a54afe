from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("papers/<int:pk>/review/", views.review, name="review"),
    path("reviews/<int:review_id>/delete/", views.delete, name="delete"),
    path("reviews/<int:review_id>/helpful/", views.helpful, name="helpful"),
    path("reviews/<int:review_id>/report/", views.report, name="report"),
]
