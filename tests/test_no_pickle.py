"""No module of ours pickles or unpickles anything (issues 13 and 16): stored bytes are
NumPy arrays read with allow_pickle=False, JSON, or an index library's own file format."""

import re

from tests.conftest import ROOT

FOLDERS = [
    "portal",
    "papers",
    "reviews",
    "accounts",
    "recommendations",
    "bench",
    "scripts",
    "tests",
]
UNSAFE = re.compile(
    r"^\s*(import|from)\s+(pickle|cPickle|_pickle|dill|joblib|cloudpickle|shelve)\b"
    r"|\b(pickle|joblib)\.(dumps?|loads?)\("
    r"|allow_pickle\s*=\s*True",
    re.MULTILINE,
)
# The one deliberate exception: the test that proves a stored pickle is refused shows first
# that its payload is live, by loading it the unsafe way.
ALLOWED = {"tests/papers/test_similarity.py": 1}


def test_no_module_imports_pickle_or_loads_with_allow_pickle():
    found = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            hits = UNSAFE.findall(path.read_text(encoding="utf-8"))
            if hits:
                found[str(path.relative_to(ROOT))] = len(hits)

    assert found == ALLOWED
