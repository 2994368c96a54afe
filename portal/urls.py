from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import router as accounts_api
from accounts.urls import urlpatterns as accounts_urlpatterns
from library.api import router as library_api
from papers import urls as papers_urls
from papers.api import router as papers_api
from portal import catalogue_pages, paper_api, paper_page, profile_page, views
from recommendations.api import router as recommendations_api
from reviews.api import router as reviews_api

# Pages that combine apps are composed in portal, and keep their names in the namespace of
# the app they belong to (reverse("papers:paper"), reverse("accounts:profile")).
paper_pages = [
    path("papers/<int:pk>/", paper_page.paper_detail, name="paper"),
    path("doi/<doi:doi>", paper_page.paper_by_doi, name="paper-by-doi"),
    path("papers/", catalogue_pages.paper_list, name="list"),
    path("journals/<int:pk>/", catalogue_pages.journal_detail, name="journal"),
    path("authors/<int:pk>/", catalogue_pages.author_detail, name="author"),
    path("categories/<str:slug>/", catalogue_pages.category_detail, name="category"),
    path("keywords/<str:slug>/", catalogue_pages.keyword_detail, name="keyword"),
]
accounts_pages = [
    path("researchers/<int:pk>/", profile_page.profile_detail, name="profile"),
    *accounts_urlpatterns,
]

drf_auth = [
    path("login/", account_views.login, name="login"),
    path("logout/", account_views.logout, name="logout"),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # The names every template links to ("login", "logout"), served by allauth's views.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("", include((accounts_pages, "accounts"))),
    path("", include("recommendations.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own, not inline,
    # as the Content-Security-Policy requires.
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="portal/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # The browsable API's log-in link, served by allauth too: DRF's own log-in view would
    # let an unverified address in.
    path("api/v1/auth/", include((drf_auth, "rest_framework"))),
    path("api/v1/", include(accounts_api.urls)),
    path("api/v1/", include(recommendations_api.urls)),
    path("api/v1/", include(paper_api.router.urls)),
    path("api/v1/", include(papers_api.urls)),
    path("api/v1/", include(reviews_api.urls)),
    path("api/v1/", include(library_api.urls)),
    path("", include("reviews.urls")),
    path("", include("library.urls")),
    path("", include((papers_urls.urlpatterns + paper_pages, papers_urls.app_name))),
]

# Under /api/ these answer JSON; elsewhere Django's own pages (portal/views.py).
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
