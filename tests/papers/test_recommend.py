"""Related-papers lists (papers.recommend) on real recorded Crossref records."""

import importlib.util

import pytest
from django.urls import reverse

from papers.models import Paper, PaperEmbedding, RecommendationRun, RelatedPaper, VectorSpace
from papers.recommend import current_run, place_paper, rebuild_related, related_papers
from tests.factories import CategoryFactory, PaperFactory
from tests.records import FIXTURES, import_record

pytestmark = pytest.mark.django_db

BLOGS = "10.53731_avg2ykg-gdxppcd.json"  # "Do we need to fix science blogs?" (Fenner)
NEWSLETTER = "10.53731_ybhah-9jy85.json"  # "The rise of the (science) newsletter" (Fenner)
# Records on other topics: a PLOS biology paper, plant genetics, stem cells, neurology.
OTHER_TOPICS = [
    "10.1371_journal.pone.0000030.json",
    "10.3389_fpls.2019.00816.json",
    "10.1016_j.neurobiolaging.2010.03.024.json",
    "10.1016_j.pediatrneurol.2015.06.002.json",
    "10.3389_fgene.2017.00147.json",
]


def import_all():
    """Every recorded work (since issue 15 the import refuses none: the one without a
    title gets a made-up one)."""
    return {
        path.name: import_record(path.name)
        for path in sorted((FIXTURES / "crossref").glob("10.*.json"))
    }


def listed(paper):
    return [row.related for row in related_papers(paper.pk)]


def similar(paper):
    """The entries listed for their content (not the cold-start fill)."""
    rows = related_papers(paper.pk)
    return [row.related for row in rows if row.reason == RelatedPaper.Reason.CONTENT]


def test_a_paper_lists_papers_on_its_own_topic_before_unrelated_ones():
    papers = import_all()
    rebuild_related()

    shown = listed(papers[BLOGS])
    assert shown[0] == papers[NEWSLETTER]
    blog_posts = [i for i, p in enumerate(shown) if p.doi.startswith("10.53731/")]
    unrelated = [i for i, p in enumerate(shown) if p in {papers[n] for n in OTHER_TOPICS}]
    assert blog_posts and max(blog_posts) < min(unrelated, default=len(shown))


def test_every_row_says_why_and_a_paper_never_recommends_itself():
    papers = import_all()
    run = rebuild_related()

    rows = list(RelatedPaper.objects.filter(run=run))
    assert run.status == RecommendationRun.Status.FINISHED
    assert run.paper_count == len(papers) and run.row_count == len(rows)
    assert all(row.paper_id != row.related_id for row in rows)
    assert all(row.reason_display for row in rows)
    content = [row for row in rows if row.reason == RelatedPaper.Reason.CONTENT]
    # Most name the words both papers weigh most (the rest share only tags: journal...).
    assert sum(1 for row in content if row.detail) > len(content) / 2


def test_a_retracted_paper_is_never_recommended():
    papers = import_all()
    newsletter = papers[NEWSLETTER]
    Paper.objects.filter(pk=newsletter.pk).update(is_retracted=True)
    run = rebuild_related()

    assert not RelatedPaper.objects.filter(run=run, related=newsletter).exists()
    assert newsletter not in listed(papers[BLOGS])


def test_a_paper_retracted_after_the_rebuild_leaves_the_lists_at_once():
    papers = import_all()
    rebuild_related()
    newsletter = papers[NEWSLETTER]
    assert newsletter in listed(papers[BLOGS])

    Paper.objects.filter(pk=newsletter.pk).update(is_retracted=True)
    assert newsletter not in listed(papers[BLOGS])  # read-time filter
    place_paper(newsletter.pk)
    assert not RelatedPaper.objects.filter(related=newsletter).exists()


class Interrupted(Exception):
    pass


class DyingProgress:
    """A progress bar that kills the rebuild after some papers, as a crash would."""

    def __init__(self, after):
        self.after = after

    def reset(self, total):
        self.total = total

    def update(self, n):
        self.after -= n
        if self.after <= 0:
            raise Interrupted


def test_a_rebuild_that_dies_half_way_leaves_the_previous_lists_in_place(settings):
    papers = import_all()
    first = rebuild_related()
    before = [(row.related_id, row.rank) for row in related_papers(papers[BLOGS].pk)]
    settings.RELATED_REBUILD_CHUNK = 10  # it dies after a few chunks of ten, the rest not done

    with pytest.raises(Interrupted):
        rebuild_related(progress=DyingProgress(after=len(papers) // 2))

    failed = RecommendationRun.objects.exclude(pk=first.pk).get()
    assert failed.status == RecommendationRun.Status.FAILED
    assert "Interrupted" in failed.error
    assert not failed.rows.exists()  # its half-written rows are gone
    assert current_run().pk == first.pk
    assert [(row.related_id, row.rank) for row in related_papers(papers[BLOGS].pk)] == before


def test_a_complete_rebuild_replaces_the_previous_run():
    import_all()
    first = rebuild_related()
    second = rebuild_related()

    assert current_run().pk == second.pk
    assert not RecommendationRun.objects.filter(pk=first.pk).exists()
    assert RelatedPaper.objects.filter(run=first.pk).count() == 0


def test_a_new_paper_gets_its_list_and_joins_its_neighbours_lists():
    papers = import_all()
    blogs = papers.pop(BLOGS)
    blogs.delete()
    rebuild_related()

    blogs = import_record(BLOGS)  # imported after the run: not in its fit
    assert related_papers(blogs.pk) == []
    place_paper(blogs.pk)

    assert listed(blogs)[0] == papers[NEWSLETTER]
    assert blogs in listed(papers[NEWSLETTER])
    ranks = [row.rank for row in related_papers(papers[NEWSLETTER].pk)]
    assert ranks == list(range(1, len(ranks) + 1))


def test_placing_a_paper_without_any_run_builds_every_list():
    papers = import_all()

    place_paper(papers[BLOGS].pk)

    assert current_run() is not None
    assert listed(papers[BLOGS])[0] == papers[NEWSLETTER]


def test_a_paper_without_close_neighbours_shows_its_categorys_best_rated_papers(settings):
    settings.RELATED_PAPERS_SHOWN = 3
    category = CategoryFactory(name="Palaeontology")
    lonely = PaperFactory(title="Zygomorphic xylophages", abstract="Quixotic jabberwocky.")
    lonely.categories.add(category)
    best = PaperFactory(
        title="Sauropod vertebrae", abstract="Air sacs.", rating_average=4.9, rating_count=30
    )
    fair = PaperFactory(
        title="Theropod teeth", abstract="Enamel.", rating_average=3.5, rating_count=30
    )
    for paper in (best, fair):
        paper.categories.add(category)
    PaperFactory(title="Outside", abstract="Elsewhere.", rating_average=5, rating_count=50)

    rebuild_related()

    rows = related_papers(lonely.pk)
    assert [row.related for row in rows[:2]] == [best, fair]
    assert {row.reason for row in rows[:2]} == {RelatedPaper.Reason.CATEGORY_BEST}
    assert rows[0].reason_display == ("Best rated recent paper in the same category: Palaeontology")
    # Then the catalogue's best-rated recent papers fill the list.
    assert rows[2].reason == RelatedPaper.Reason.CATALOGUE_BEST


def test_readers_who_liked_both_papers_lift_a_paper_into_the_list():
    papers = import_all()
    far = papers[OTHER_TOPICS[0]]
    blogs = papers[BLOGS]

    rebuild_related(co_rated={blogs.pk: {far.pk: 3}, far.pk: {blogs.pk: 3}})

    row = next(row for row in related_papers(blogs.pk) if row.related == far)
    assert row.reason == RelatedPaper.Reason.CO_RATED
    assert row.reason_display == "Rated highly by the same readers: 3 readers"


def test_the_paper_page_shows_the_list_with_reasons(client):
    papers = import_all()
    rebuild_related()

    page = client.get(papers[BLOGS].get_absolute_url()).content.decode()

    assert "No Data Available" not in page
    assert papers[NEWSLETTER].title in page
    assert 'data-reason="authors"' in page or 'data-reason="content"' in page


def test_the_paper_page_says_no_data_before_any_run(client):
    paper = PaperFactory()
    page = client.get(reverse("papers:paper", args=[paper.pk])).content.decode()
    assert "No Data Available" in page


@pytest.fixture
def tasks_in_process():
    from portal.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_an_import_places_the_new_paper_once_committed(
    tasks_in_process, django_capture_on_commit_callbacks
):
    papers = import_all()
    papers.pop(BLOGS).delete()
    rebuild_related()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        blogs = import_record(BLOGS)

    assert len(callbacks) == 1
    assert listed(blogs)[0] == papers[NEWSLETTER]
    assert blogs in listed(papers[NEWSLETTER])


def test_an_unchanged_reimport_places_nothing(django_capture_on_commit_callbacks):
    import_record(BLOGS)
    with django_capture_on_commit_callbacks() as callbacks:
        import_record(BLOGS)
    assert callbacks == []


def test_a_curator_edit_of_the_title_places_the_paper_again(
    admin_client, tasks_in_process, django_capture_on_commit_callbacks
):
    from tests.papers.test_admin import form_data

    papers = import_all()
    rebuild_related()
    far = papers[OTHER_TOPICS[0]]  # a PLOS biology paper
    assert papers[BLOGS] not in similar(far)

    url = reverse("admin:papers_paper_change", args=[far.pk])
    data = form_data(admin_client.get(url))
    data["title"] = "Do we need to fix science blogs and science newsletters?"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert papers[BLOGS] in similar(far)


def test_a_stored_model_that_is_a_pickle_runs_nothing_and_a_new_paper_is_still_placed():
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tests.papers.test_similarity import PICKLE_PAYLOAD, RAN

    papers = import_all()
    newest = papers.pop(BLOGS)
    Paper.objects.filter(pk=newest.pk).delete()
    run = rebuild_related()
    # Someone with write access to the storage swaps the model file for a pickle.
    name = default_storage.save("vectors/tampered.npz", ContentFile(PICKLE_PAYLOAD))
    VectorSpace.objects.filter(pk=run.space_id).update(file=name)
    added = import_record(BLOGS)

    assert place_paper(added.pk) >= 1

    assert RAN == []
    assert listed(added)  # the cold-start fill, until the next rebuild stores a good index


def test_a_paper_whose_content_changed_leaves_the_lists_it_no_longer_fits():
    papers = import_all()
    rebuild_related()
    # A book chapter on physical examination, listed beside another for its content.
    chapter = papers["10.1007_978-3-662-46370-3_13.json"]
    book = papers["10.5005_jp_books_12414_3.json"]
    assert book in similar(chapter)

    Paper.objects.filter(pk=book.pk).update(
        title="Sauropod vertebrae and their air sacs", abstract="Pneumatic bones of dinosaurs."
    )
    place_paper(book.pk)

    assert book not in listed(chapter)
    ranks = [row.rank for row in related_papers(chapter.pk)]
    assert ranks == list(range(1, len(ranks) + 1))


def test_placing_a_paper_blends_the_readers_who_liked_it_and_another(alice, bob):
    from reviews.models import Review

    papers = import_all()
    rebuild_related()
    far, blogs = papers[OTHER_TOPICS[0]], papers[BLOGS]
    assert far not in listed(blogs)
    for reader in (alice, bob):
        for paper in (far, blogs):
            Review.objects.create(user=reader, paper=paper, rating=5)

    place_paper(blogs.pk)

    row = next(row for row in related_papers(blogs.pk) if row.related == far)
    assert row.reason_display == "Rated highly by the same readers: 2 readers"


def test_without_the_embedding_extra_a_paper_is_placed_by_content_alone(settings, monkeypatch):
    """The sentence-embedding extra is detected when the portal runs: where its packages
    cannot be found, "auto" blends nothing and encodes nothing."""
    from papers import embeddings

    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name in embeddings.PACKAGES else found(name, *args),
    )
    embeddings.installed.cache_clear()
    monkeypatch.setattr(settings, "RELATED_EMBEDDINGS", "auto")
    try:
        papers = import_all()
        run = rebuild_related()
        paper = PaperFactory(title=papers[BLOGS].title, abstract=papers[BLOGS].abstract)
        place_paper(paper.pk)

        assert not embeddings.enabled()
        assert not PaperEmbedding.objects.exists()
        assert RelatedPaper.objects.filter(run=run, paper=paper, related=papers[BLOGS]).exists()
    finally:
        embeddings.installed.cache_clear()
