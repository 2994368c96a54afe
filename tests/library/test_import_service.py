"""An import run by a real `celery worker` on the real Redis, whose new DOIs are fetched by
that worker from the local replay server, as in a deployment.

The worker reads the file, links what the catalogue has, inserts the new DOIs as pending
papers in the collection and enqueues their fetches; with METADATA_REFRESH_BATCH at 1 only
one is enqueued at once, and the others wait, due, for the beat sweep (played here by the
test), so that an import never floods the queue and no paper is lost on the way.
"""

import json
import time

import pytest

from library import imports
from library.models import Entry, ImportJob
from papers.models import Paper
from tests.conftest import ROOT, wait_for
from tests.records import FIXTURES, import_record
from tests.replay import Reply

pytestmark = pytest.mark.service

CROSSREF = ROOT / "tests" / "fixtures" / "crossref"
NEW_DOIS = {
    "10.3389/fgene.2017.00147": "10.3389_fgene.2017.00147.json",
    "10.1016/j.ffa.2015.10.008": "10.1016_j.ffa.2015.10.008.json",
    "10.1038/srep16696": "10.1038_srep16696.json",
}


def title_of(name):
    return json.loads((CROSSREF / name).read_text())["message"]["title"][0]


def test_a_worker_imports_a_file_and_fetches_its_new_dois(
    start_worker, redis_url, replay_server, alice
):
    for doi, name in NEW_DOIS.items():
        replay_server.reply(f"/crossref/works/{doi}", Reply(200, (CROSSREF / name).read_bytes()))
    # In the catalogue: the two references without a DOI match them on title.
    import_record("10.1136_jclinpath-2020-206745.json")
    import_record("10.4000_dms.865.json")
    queue = f"test-import-{time.monotonic_ns()}"
    worker = start_worker(
        broker_url=redis_url,
        queue=queue,
        env={
            "CROSSREF_API_URL": replay_server.url + "/crossref",
            "DATACITE_API_URL": replay_server.url + "/datacite",
            "OPENALEX_API_URL": replay_server.url + "/openalex",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "METADATA_REFRESH_BATCH": "1",
        },
    )
    job = ImportJob.objects.create(
        owner=alice,
        collection_name="Zotero",
        new_collection=True,
        file_name="zotero.bib",
        format=imports.detect_format("zotero.bib", b"@"),
        content=(FIXTURES / "library" / "zotero.bib").read_bytes(),
    )

    worker.send("library.imports.import_library", job.pk)

    def done():
        job.refresh_from_db()
        return job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)

    assert wait_for(done, timeout=60), worker.output()
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.queued_for_fetch, job.matched_by_title, job.unmatched, job.added) == (3, 2, 1, 5)

    def fetched_all():
        worker.send("papers.metadata.refresh_due_metadata")  # beat, every minute
        statuses = Paper.objects.filter(doi__in=NEW_DOIS).values_list("metadata_status", flat=True)
        return set(statuses) == {Paper.MetadataStatus.FETCHED}

    assert wait_for(fetched_all, timeout=60, interval=1), worker.output()
    titles = list(
        Entry.objects.filter(collection=job.collection)
        .order_by("position")
        .values_list("paper__title", flat=True)
    )
    assert titles[0] == title_of("10.3389_fgene.2017.00147.json")
    assert titles[-1] == title_of("10.1038_srep16696.json")
    assert len(titles) == 5
    assert imports.jobs_of(alice).get().fetched == 3
    assert sorted(path for path, _ in replay_server.requests) == sorted(
        f"/crossref/works/{doi}" for doi in NEW_DOIS
    )
