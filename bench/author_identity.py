"""Author identity: how well does ingest tell one person from another without ORCIDs?

    .venv/bin/python bench/author_identity.py [--batch-size 500] [--json FILE]

The 1,805 real Crossref list items of ``../shared/data/crossref-lists/
crossref_work_list_items.jsonl.gz`` (see bench/data.py for finding it): 5,437 authorships,
of which those with an ORCID are the truth (two authorships are one person when they carry
the same ORCID). Every ORCID is hidden, and the records are imported through the portal's
own ingest path (``papers.ingest.import_works``, the bulk path, ``--batch-size`` records a
transaction) into a throwaway SQLite database; the authors ingest picked are then compared
with the truth over every pair of ORCID-bearing authorships on different papers:

- precision: pairs put on one author that are one person / pairs put on one author;
- recall: pairs that are one person put on one author / pairs that are one person.

Beside the portal's conservative match (``papers.authors``), the same figures for two
baselines on the same pairs: "one author per paper" (what ingest did before: no pair is
ever joined) and "same normalised name" (every namesake joined). Targets: precision
>= 0.99, recall >= 0.80. Prints the figures, asserts nothing.
"""

import argparse
import dataclasses
import itertools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data as shared_data  # noqa: E402

LIST_ITEMS = Path("crossref-lists") / "crossref_work_list_items.jsonl.gz"
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.80


def setup_django(database):
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def hidden_works(path):
    """(works with every ORCID hidden, {(DOI, position): ORCID} the truth)."""
    from papers import crossref
    from papers.ingest import read_records

    works, truth, seen = [], {}, set()
    for _, record in read_records(path):
        if isinstance(record, Exception):
            continue
        try:
            work = crossref.parse_work(record)
        except ValueError:
            continue
        if work.doi in seen:
            continue
        seen.add(work.doi)
        for contributor in work.authors:
            if contributor.orcid:
                truth[(work.doi, contributor.position)] = contributor.orcid
        hidden = tuple(dataclasses.replace(c, orcid=None) for c in work.authors)
        works.append(dataclasses.replace(work, authors=hidden))
    return works, truth


def pair_scores(labels, truth):
    """Precision and recall of same-person pairs: ``labels`` and ``truth`` map each
    authorship (DOI, position) to a cluster; pairs on one paper are left out."""
    keys = sorted(truth)
    true_pairs = predicted = both = 0
    by_truth, by_label = defaultdict(list), defaultdict(list)
    for key in keys:
        by_truth[truth[key]].append(key)
        by_label[labels[key]].append(key)

    def pairs(groups):
        return {
            (a, b)
            for members in groups.values()
            for a, b in itertools.combinations(sorted(members), 2)
            if a[0] != b[0]
        }

    true_set, predicted_set = pairs(by_truth), pairs(by_label)
    true_pairs, predicted, both = len(true_set), len(predicted_set), len(true_set & predicted_set)
    return {
        "true_pairs": true_pairs,
        "joined_pairs": predicted,
        "correct_pairs": both,
        "precision": both / predicted if predicted else 1.0,
        "recall": both / true_pairs if true_pairs else 1.0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--json", help="also write the figures to this file")
    shared_data.add_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "authors.sqlite3")
        figures = run(shared_data.shared_data_dir(args.data_dir) / LIST_ITEMS, args.batch_size)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


def run(path, batch_size):
    from papers import authors
    from papers.ingest import ImportReport, import_works
    from papers.models import Authorship

    works, truth = hidden_works(path)
    print(
        f"{len(works):,} records, {sum(len(w.authors) for w in works):,} authorships, "
        f"{len(truth):,} with an ORCID ({len(set(truth.values())):,} people)"
    )
    started = time.perf_counter()
    report = import_works(
        [(w.doi, w) for w in works], report=ImportReport(), source="crossref", batch_size=batch_size
    )
    seconds = time.perf_counter() - started
    rows = Authorship.objects.values_list("paper__doi", "position", "author_id", "author__name")
    picked = {(doi, position): author for doi, position, author, _ in rows}
    names = {(doi, position): authors.name_key(name) for doi, position, _, name in rows}
    per_paper = {key: key for key in truth}

    figures = {
        "records": len(works),
        "rejected": len(report.rejected),
        "import_seconds": round(seconds, 1),
        "portal": pair_scores(picked, truth),
        "one_author_per_paper": pair_scores(per_paper, truth),
        "same_normalised_name": pair_scores(names, truth),
    }
    print(f"imported in {seconds:.1f} s, {len(report.rejected)} rejected")
    print(f"{'method':<24} {'precision':>9} {'recall':>7} {'joined':>7} {'correct':>7} {'true':>6}")
    for method in ("portal", "one_author_per_paper", "same_normalised_name"):
        row = figures[method]
        print(
            f"{method:<24} {row['precision']:>9.3f} {row['recall']:>7.3f} "
            f"{row['joined_pairs']:>7} {row['correct_pairs']:>7} {row['true_pairs']:>6}"
        )
    print(f"targets: precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}")
    return figures


if __name__ == "__main__":
    main()
