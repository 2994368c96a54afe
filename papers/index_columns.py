"""What "find papers like this" filters by, for every paper of a nearest-neighbour index:
its year, whether it is retracted, its categories.

Read from the catalogue when the index is built (``papers.vectors.build_index``), saved
beside the index file in the storage and loaded with it, so that a search filtered by
category or year tests its candidates in memory, not by reading their rows, scattered over
the catalogue (at 1,000,000 papers that read was most of a filtered search's time,
bench/README.md). The test is a pre-filter: the few candidates it keeps are checked again
in the database (``papers.similar``), so a paper whose year or categories changed since the
build is never shown against a filter; it may be missed until the next build (hourly).
"""

import io

import numpy as np

from papers.models import Paper, PaperCategory

# The year of a paper without one: fails every year bound, as NULL does in SQL.
NO_YEAR = -1
READ_CHUNK = 50_000


class IndexColumns:
    """Per indexed paper (``ids``, ascending): ``years``, ``retracted``, and its categories
    (``category_ids`` of the links, ``link_rows`` the row of each link)."""

    def __init__(self, ids, years, retracted, link_rows, category_ids):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.years = np.asarray(years, dtype=np.int16)
        self.retracted = np.asarray(retracted, dtype=bool)
        self.link_rows = np.asarray(link_rows, dtype=np.int32)
        self.category_ids = np.asarray(category_ids, dtype=np.int32)

    def __len__(self):
        return len(self.ids)

    @classmethod
    def read(cls, paper_ids):
        """The columns of these papers, from the catalogue (two streamed queries)."""
        ids = np.unique(np.asarray(list(paper_ids), dtype=np.int64))
        years = np.full(len(ids), NO_YEAR, dtype=np.int16)
        retracted = np.zeros(len(ids), dtype=bool)
        rows = Paper.objects.order_by().values_list("pk", "published_year", "is_retracted")
        for chunk in _chunks(rows.iterator(chunk_size=READ_CHUNK)):
            pks = np.array([pk for pk, _, _ in chunk], dtype=np.int64)
            at, found = _rows_of(ids, pks)
            years[at] = [chunk[i][1] if chunk[i][1] is not None else NO_YEAR for i in found]
            retracted[at] = [chunk[i][2] for i in found]
        link_rows, category_ids = [], []
        links = PaperCategory.objects.order_by().values_list("paper_id", "category_id")
        for chunk in _chunks(links.iterator(chunk_size=READ_CHUNK)):
            pairs = np.array(chunk, dtype=np.int64).reshape(-1, 2)
            at, found = _rows_of(ids, pairs[:, 0])
            link_rows.append(at)
            category_ids.append(pairs[found, 1])
        return cls(
            ids,
            years,
            retracted,
            np.concatenate(link_rows) if link_rows else [],
            np.concatenate(category_ids) if category_ids else [],
        )

    def passing(self, *, year_min=None, year_max=None, category_id=None):
        """The ids of the papers that pass these filters and are not retracted."""
        keep = ~self.retracted
        if year_min is not None:
            keep &= self.years >= year_min
        if year_max is not None:
            keep &= (self.years != NO_YEAR) & (self.years <= year_max)
        if category_id is not None:
            in_category = np.zeros(len(self.ids), dtype=bool)
            in_category[self.link_rows[self.category_ids == category_id]] = True
            keep &= in_category
        return self.ids[keep]

    def to_bytes(self):
        buffer = io.BytesIO()
        np.savez(
            buffer,
            ids=self.ids,
            years=self.years,
            retracted=self.retracted,
            link_rows=self.link_rows,
            category_ids=self.category_ids,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data):
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                arrays["ids"],
                arrays["years"],
                arrays["retracted"],
                arrays["link_rows"],
                arrays["category_ids"],
            )


def _chunks(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == READ_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows_of(ids, wanted):
    """(rows in ``ids`` of the values of ``wanted`` found there, their positions in
    ``wanted``)."""
    at = np.searchsorted(ids, wanted)
    at_clipped = np.minimum(at, len(ids) - 1) if len(ids) else at
    found = np.flatnonzero((at < len(ids)) & (ids[at_clipped] == wanted)) if len(ids) else at[:0]
    return at[found], found
