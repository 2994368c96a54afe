"""Write papers.jsonl.gz, the demo's arXiv papers, from the shared listing corpus.

Run from the repository root (the corpus is found at ../shared/data, or PORTAL_SHARED_DATA):
    python papers/demo/arxiv/make_bundle.py
See README.md in this folder.
"""

import gzip
import json
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("PORTAL_SHARED_DATA", HERE.parents[2] / ".." / "shared" / "data"))
CORPUS = SHARED / "corpus" / "arxiv_cs_listings_74k.jsonl.gz"
WANTED = 2000
KEPT_FIELDS = ("id", "title", "summary", "authors", "categories", "listing_date")
# Language papers on the same subjects as the IR and DL ones.
ON_TOPIC = re.compile(
    r"retriev|recommend|search engine|citation|scientific|scholarly|\bRAG\b|question answering",
    re.IGNORECASE,
)


def main():
    with gzip.open(CORPUS, "rt", encoding="utf-8") as file:
        records = [json.loads(line) for line in file]
    # Not a paper naming two authors alike ("L. Wang", "L. Wang"): the single ingest path
    # makes them one author on a second import, so load_demo would not be idempotent.
    records = [r for r in records if len(set(r["authors"])) == len(r["authors"])]
    chosen = [r for r in records if {"cs.IR", "cs.DL"} & set(r["categories"])]
    ids = {r["id"] for r in chosen}
    for record in records:
        if len(chosen) >= WANTED:
            break
        if record["id"] not in ids and record["categories"][0] == "cs.CL":
            if ON_TOPIC.search(record["title"]):
                chosen.append(record)
    chosen.sort(key=lambda r: r["id"])
    with gzip.open(HERE / "papers.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        for record in chosen:
            line = {name: record[name] for name in KEPT_FIELDS}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} papers")


if __name__ == "__main__":
    main()
