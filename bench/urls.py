"""The portal's URLs, plus the ceilings the benchmark compares the real pages with."""

from django.urls import path

from bench import views
from portal.urls import urlpatterns as portal_urlpatterns  # also registers the doi converter

urlpatterns = [
    path("bench/static-page/", views.static_page),
    path("bench/signed-in-static-page/", views.signed_in_static_page),
    path("bench/plain-papers/", views.plain_papers),
    *portal_urlpatterns,
]
