from django.urls import path, register_converter

from papers import catalogue, views


class DoiConverter:
    """A DOI as it appears after /doi/: "10.", a registrant code, a slash, then anything."""

    regex = r"10\.[^/]+/.+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(DoiConverter, "doi")

# The paper page itself ("papers:paper", "papers:paper-by-doi") combines every app, and the
# list, journal, author, category and keyword pages carry the reader's follow buttons, so
# portal/urls.py adds them to this namespace (portal.paper_page, portal.catalogue_pages).
app_name = "papers"
urlpatterns = [
    path("", catalogue.home, name="home"),
    path("papers/add/", views.add_paper, name="add"),
    path("papers/similar/", catalogue.similar_papers, name="similar"),
    path("papers/<int:pk>/cite.bib", views.paper_export, {"fmt": "bibtex"}, name="paper-bibtex"),
    path("papers/<int:pk>/cite.ris", views.paper_export, {"fmt": "ris"}, name="paper-ris"),
    path(
        "papers/<int:pk>/cite.json", views.paper_export, {"fmt": "csl-json"}, name="paper-csl-json"
    ),
]
