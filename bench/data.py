"""Where the shared data is, for the benchmarks: found relative to the repository.

The data lives in ``shared/data`` beside the project's folder, so ``../shared/data`` from
the project root (a clone in /x/portal reads /x/shared/data; a worktree beside it reads
the same). ``--data-dir`` on a benchmark's command line, else the environment variable
``PORTAL_SHARED_DATA``, points elsewhere. Never an absolute path in the code.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_VARIABLE = "PORTAL_SHARED_DATA"
CORPUS_FILE = Path("corpus") / "arxiv_cs_listings_74k.jsonl.gz"
OPENALEX_FOLDER = Path("openalex")


def shared_data_dir(override=None):
    """The shared data folder: ``override`` (a ``--data-dir`` value) if given, else
    $PORTAL_SHARED_DATA if set, else ``../shared/data`` from the project root."""
    chosen = override or os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(chosen).expanduser().resolve() if chosen else ROOT.parent / "shared" / "data"


def corpus_path(override=None):
    """The real arXiv listings corpus (74,728 JSON lines, gzip) in the shared data."""
    return shared_data_dir(override) / CORPUS_FILE


def openalex_dir(override=None):
    """The recorded OpenAlex works in the shared data."""
    return shared_data_dir(override) / OPENALEX_FOLDER


def add_argument(parser):
    """Add ``--data-dir`` to an argparse parser (default: see shared_data_dir)."""
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"the shared data folder (default: ${ENVIRONMENT_VARIABLE}, else ../shared/data "
        "from the project root)",
    )
