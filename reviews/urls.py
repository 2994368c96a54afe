from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("papers/<int:pk>/review/", views.review, name="review"),
    path("reviews/<int:review_id>/delete/", views.delete, name="delete"),
    path("reviews/<int:review_id>/helpful/", views.helpful, name="helpful"),
    path("reviews/<int:review_id>/report/", views.report, name="report"),
    path("papers/<int:pk>/resources/ask/", views.ask_resource, name="ask-resource"),
    path("resources/<int:request_id>/", views.resource_request, name="resource-request"),
    path("resources/<int:request_id>/answer/", views.answer_resource, name="answer-resource"),
    path("resources/<int:request_id>/me-too/", views.me_too, name="me-too"),
    path("resources/<int:request_id>/status/", views.resource_status, name="resource-status"),
]
