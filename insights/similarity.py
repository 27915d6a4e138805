"""How alike two posts are: character n-grams of each language's words, compared by cosine.

Offline and deterministic: no model, no fitted vocabulary. A post becomes a vector of hashed
character n-grams (3 to 5 characters, inside word boundaries), which catches Swedish compounds
and inflections ("samverkansplattform" ~ "samverkan", "kommunerna" ~ "kommuner") without a
stemmer; each language drops its own small words first, so "i", "för", "the", "of" do not make
two unrelated posts look alike. The workshop's language picks the analyser. Measured against
rapidfuzz's token ratio on tests/data/similar_pairs.tsv: `python -m bench.similarity`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

# Chosen on the labelled pairs (python -m bench.similarity): at or above it, a labber would
# probably merge the two cards.
DUPLICATE_THRESHOLD = 0.75

# Small words that carry no idea of their own. Kept short on purpose: a word that can carry
# the point of a post ("inte", "not", "fler", "more") stays in.
STOP_WORDS = {
    "sv": frozenset(
        [
            "och",
            "i",
            "att",
            "det",
            "som",
            "en",
            "på",
            "är",
            "av",
            "för",
            "med",
            "till",
            "den",
            "har",
            "de",
            "ett",
            "om",
            "så",
            "men",
            "vi",
            "man",
            "kan",
            "ska",
            "skall",
            "vill",
            "bör",
            "borde",
            "måste",
            "behöver",
            "behövs",
            "sig",
            "sina",
            "sin",
            "sitt",
            "från",
            "där",
            "när",
            "hur",
            "vad",
            "vem",
            "alla",
            "andra",
            "även",
            "också",
            "bara",
            "mer",
            "mycket",
            "the",
            "dem",
            "de",
            "detta",
            "denna",
            "dessa",
            "här",
            "eller",
            "än",
            "nu",
            "ju",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "and",
            "or",
            "of",
            "to",
            "in",
            "on",
            "for",
            "with",
            "at",
            "by",
            "from",
            "is",
            "are",
            "be",
            "should",
            "could",
            "would",
            "can",
            "we",
            "our",
            "us",
            "it",
            "its",
            "that",
            "this",
            "these",
            "those",
            "there",
            "their",
            "them",
            "they",
            "need",
            "needs",
            "needed",
            "more",
            "also",
            "just",
            "even",
            "all",
            "other",
            "so",
            "as",
            "into",
            "than",
        ]
    ),
}

_WORD = re.compile(r"[\w-]+", re.UNICODE)


def words(text: str, language: str) -> list[str]:
    stop = STOP_WORDS.get(language, STOP_WORDS["en"])
    found = (w.strip("-") for w in _WORD.findall(text.lower()))
    return [w for w in found if w and w not in stop]


def _analyser(language: str):
    def analyse(text: str) -> list[str]:
        grams: list[str] = []
        for word in words(text, language):
            padded = f" {word} "
            for n in (3, 4, 5):
                grams.extend(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))
        return grams

    return analyse


N_FEATURES = 2**18
# A HashingVectorizer(analyzer=…, n_features=N_FEATURES, alternate_sign=False, norm="l2")
# taken apart: its hasher on each language's n-grams, then each row scaled to length 1. The
# vectoriser's own transform validated its input and its output again on every call: half a
# post's vector (measured: 190 against 90 µs).
_HASHER = FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)
_ANALYSERS: dict[str, Callable[[str], list[str]]] = {}


def _analyser_of(language: str) -> Callable[[str], list[str]]:
    analyse = _ANALYSERS.get(language)
    if analyse is None:
        analyse = _ANALYSERS[language] = _analyser(language)
    return analyse


def vectors(texts: Sequence[str], language: str) -> sparse.csr_matrix:
    analyse = _analyser_of(language)
    # The hasher's parameters are ours and fixed: sklearn's documented switch skips checking
    # them again on every post.
    with sklearn.config_context(skip_parameter_validation=True):
        m = _HASHER.transform([analyse(text) for text in texts])
    # Each row to length 1, as sklearn's normalize(norm="l2") does (an empty row has nothing
    # to scale); normalize itself checks its input again on every call: 100-150 µs against
    # 6-70 µs here (measured in process, a bench post's text).
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    m.data /= np.sqrt(np.bincount(rows, weights=m.data**2, minlength=m.shape[0]))[rows]
    return m


# FeatureHasher's column for the one 32-bit hash whose absolute value is not one.
_MIN_HASH = -(2**31)
_MIN_HASH_COLUMN = (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES


class Row(NamedTuple):
    """One text's vector as the columns that are not zero (sorted) and their values: what an
    index multiplies and stores, without a one-row sparse matrix around it."""

    indices: np.ndarray
    data: np.ndarray

    @property
    def nnz(self) -> int:
        return len(self.data)


@lru_cache(maxsize=256)
def row(text: str, language: str) -> Row:
    """One text's vector, as `vectors` makes it, remembered: a post is vectorised once for
    the phone's offer and again, after commit, for the console's groups; the second time is
    free. Each n-gram is hashed here with the hasher's own murmurhash3_32, to the column
    FeatureHasher(alternate_sign=False) gives it, and counted: for one text, the hasher's
    conversions and checks around that were most of a post's vector (py-spy of the server at
    1,000 phones: the vector was an eighth of a post's handling; 160-200 against 100-140 µs
    in process)."""
    grams = _analyser_of(language)(text)
    hashes = np.fromiter((murmurhash3_32(g, 0) for g in grams), dtype=np.int64, count=len(grams))
    columns = np.where(hashes == _MIN_HASH, _MIN_HASH_COLUMN, np.abs(hashes) % N_FEATURES)
    indices, counts = np.unique(columns, return_counts=True)
    data = counts.astype(np.float64)
    # Scaled to length 1 by the same sum as `vectors`, so the two agree to the last bit.
    data /= np.sqrt(np.bincount(np.zeros(len(data), np.intp), weights=data**2, minlength=1))[0]
    return Row(indices.astype(np.int32), data)


def similarity(a: str, b: str, language: str) -> float:
    m = vectors([a, b], language)
    return float(m[0].multiply(m[1]).sum())


# How many texts' scores an index remembers (posts on their way from the offer to the wall).
SCORED_KEPT = 64
# An index's first buffers: about a hundred posts' n-grams, doubled as the wall grows.
_FIRST_ROWS = 128
_FIRST_NNZ = 8192


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    bigger = np.zeros(size, dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


@dataclass
class Index:
    """One workshop's posts as vectors, grown one post at a time: a new post is compared with
    the rows already here (one sparse product), not re-read or re-vectorised."""

    language: str
    ids: list[int] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)
    # The rows of one CSR matrix, in buffers that double when full: a post writes its row
    # into them (copying the whole wall's arrays for every post grew with the room).
    _data: np.ndarray = field(default_factory=lambda: np.zeros(_FIRST_NNZ))
    _indices: np.ndarray = field(default_factory=lambda: np.zeros(_FIRST_NNZ, dtype=np.int32))
    _indptr: np.ndarray = field(default_factory=lambda: np.zeros(_FIRST_ROWS + 1, np.int32))
    _nnz: int = 0
    # The matrix over those buffers, kept until a row is added: the offer's scores and the
    # post's own comparison after commit use the same one.
    _matrix: sparse.csr_matrix | None = None
    # Each post's probable duplicates among the others (at DUPLICATE_THRESHOLD or more),
    # found once, as the post arrives.
    pairs: dict[int, set[int]] = field(default_factory=dict)
    last_pk: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The rows' columns are numbered as n-grams first appear on this wall (some 70,000 at a
    # thousand posts), not by their hashed column among 2^18: a post's comparison spreads
    # its vector into a dense vector as long as that and reads it at every non-zero of the
    # wall. At 2^18 columns that vector was 2 MB, read at random, and evicted from the CPU's
    # caches what the rest of the post then read again from memory (the server at 1,000
    # phones: a post cost 1.8 ms more with comparisons on, against 1.1 ms measured in them).
    _column: np.ndarray | None = None  # hashed column -> this index's column, -1 if unseen
    _columns: int = 0
    _dense: np.ndarray | None = None  # _times's scratch vector, all zeros between products
    # The latest texts' scores against the rows as they were (text: (rows, scores)): a post
    # is scored for the phone's offer, then again as it joins the index after commit; the
    # second time only the rows added in between are multiplied.
    _scored: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)

    def add_many(self, posts: Sequence[tuple[int, str]]) -> list[int]:
        """Add new posts (id, text) and find their pairs: one sparse product against the rows
        already here and one among themselves. The ids that gained a pair."""
        posts = [(pk, text) for pk, text in posts if pk not in self.texts]
        if not posts:
            return []
        if len(posts) == 1:
            rows = row(posts[0][1], self.language)
        else:
            rows = vectors([text for _, text in posts], self.language)
        with self.lock:
            old = self.matrix()
            old_ids = list(self.ids)
            touched: set[int] = set()
            if len(posts) == 1:
                # One new post (the live path): its scores against the wall, one product of
                # the wall's rows with a dense vector, no transposed copy of the wall.
                if old is not None:
                    found = self._scores_of(posts[0][1], old, rows)
                    for j in np.flatnonzero(found >= DUPLICATE_THRESHOLD):
                        self._pair(posts[0][0], old_ids[j], touched)
                self._append(posts[0][0], posts[0][1], rows)
                self.last_pk = max(self.last_pk, posts[0][0])
                return sorted(touched)
            found = []
            if old is not None:
                found.append((self._in_columns(rows) @ old.T).tocoo())
            among = (rows @ rows.T).tocoo()
            for i, (pk, text) in enumerate(posts):
                self._append(pk, text, rows[i])
                self.last_pk = max(self.last_pk, pk)
            for product, others in ((m, old_ids) for m in found):
                for i, j, v in zip(product.row, product.col, product.data, strict=True):
                    if v >= DUPLICATE_THRESHOLD:
                        self._pair(posts[i][0], others[j], touched)
            for i, j, v in zip(among.row, among.col, among.data, strict=True):
                if i < j and v >= DUPLICATE_THRESHOLD:
                    self._pair(posts[i][0], posts[j][0], touched)
        return sorted(touched)

    def _times(self, m: sparse.csr_matrix, query: Row) -> np.ndarray:
        """Each row of `m` times one row vector `query`: the query spread into a dense vector
        (kept, and cleared after), so the product costs the wall's non-zeros, not a transpose
        of a 2^18-column matrix (profiled: that copy was most of a post's comparison)."""
        columns, data = self._known(query.indices, query.data)
        if m.shape[1] < self._columns:  # a matrix made before columns were added
            columns, data = columns[columns < m.shape[1]], data[columns < m.shape[1]]
        if self._dense is None or len(self._dense) < m.shape[1]:
            # Grown by doubling, as the rows' buffers are; the product reads the part in use.
            known = 0 if self._dense is None else len(self._dense)
            self._dense = np.zeros(max(m.shape[1], 2 * known))
        dense = self._dense[: m.shape[1]]
        dense[columns] = data
        try:
            return m @ dense
        finally:
            dense[columns] = 0.0

    def _known(self, hashed: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A vector's columns (hashed) in this index's numbering, and their values, without
        the columns no row here has (they add nothing to a product with the rows)."""
        if self._column is None:
            return hashed[:0].astype(np.int32), data[:0]
        columns = self._column[hashed]
        seen = columns >= 0
        return columns[seen], data[seen]

    def _numbered(self, hashed: np.ndarray) -> np.ndarray:
        """A new row's columns in this index's numbering, the unseen ones numbered now."""
        if self._column is None:
            self._column = np.full(N_FEATURES, -1, dtype=np.int32)
        columns = self._column[hashed]
        unseen = columns < 0
        if unseen.any():
            count = int(unseen.sum())
            columns[unseen] = np.arange(self._columns, self._columns + count, dtype=np.int32)
            self._column[hashed[unseen]] = columns[unseen]
            self._columns += count
        return columns

    def _in_columns(self, rows: sparse.csr_matrix) -> sparse.csr_matrix:
        """Rows of `vectors` (hashed columns) in this index's numbering, for a product with
        its matrix: the columns no row here has are left out."""
        if self._column is None:
            return sparse.csr_matrix((rows.shape[0], self._columns))
        coo = rows.tocoo()
        columns = self._column[coo.col]
        seen = columns >= 0
        return sparse.csr_matrix(
            (coo.data[seen], (coo.row[seen], columns[seen])),
            shape=(rows.shape[0], self._columns),
        )

    def _scores_of(self, text: str, m: sparse.csr_matrix, query: Row) -> np.ndarray:
        """`_times(m, query)`, from the text's earlier scores where it was scored before."""
        known = self._scored.pop(text, None)
        if known is None or known[0] > m.shape[0]:
            return self._times(m, query)
        rows, found = known
        if rows == m.shape[0]:
            return found
        return np.concatenate([found, self._times(m[rows:], query)])

    def _remember(self, text: str, rows: int, found: np.ndarray) -> None:
        self._scored[text] = (rows, found)
        while len(self._scored) > SCORED_KEPT:
            del self._scored[next(iter(self._scored))]

    def _pair(self, a: int, b: int, touched: set[int]) -> None:
        self.pairs.setdefault(a, set()).add(b)
        self.pairs.setdefault(b, set()).add(a)
        touched.update((a, b))

    def add(self, pk: int, text: str) -> None:
        with self.lock:
            if pk in self.texts:
                if self.texts[pk] == text:
                    return
                self._drop(pk)
            self._append(pk, text, vectors([text], self.language))

    def _append(self, pk: int, text: str, row: Row | sparse.csr_matrix) -> None:
        rows, start = len(self.ids), self._nnz
        end = start + row.nnz
        if end > len(self._data):
            size = max(2 * len(self._data), end)
            self._data = _grown(self._data, size)
            self._indices = _grown(self._indices, size)
        if rows + 2 > len(self._indptr):
            self._indptr = _grown(self._indptr, 2 * len(self._indptr))
        # Past the end of any matrix handed out before: that one stays as it was. In this
        # index's numbering, sorted within the row as a CSR matrix keeps them.
        columns = self._numbered(np.asarray(row.indices))
        order = np.argsort(columns, kind="stable")
        self._data[start:end] = np.asarray(row.data)[order]
        self._indices[start:end] = columns[order]
        self._indptr[rows + 1] = end
        self._nnz = end
        self.ids.append(pk)
        self.texts[pk] = text
        self._matrix = None

    def _drop(self, pk: int) -> None:
        # Rare (a labber's edit of a text): rebuild without it.
        self._scored.clear()
        kept = [(i, self.texts[i]) for i in self.ids if i != pk]
        fresh = Index(self.language)
        self.ids, self.texts, self._matrix = [], {}, None
        self._data, self._indices, self._indptr = fresh._data, fresh._indices, fresh._indptr
        self._nnz, self._column, self._columns, self._dense = 0, None, 0, None
        for i, text in kept:
            self._append(i, text, vectors([text], self.language))

    def matrix(self) -> sparse.csr_matrix | None:
        if not self.ids:
            return None
        if self._matrix is None:
            rows, nnz = len(self.ids), self._nnz
            self._matrix = sparse.csr_matrix(
                (self._data[:nnz], self._indices[:nnz], self._indptr[: rows + 1]),
                shape=(rows, self._columns),
                copy=False,
            )
        return self._matrix

    def scores(self, text: str, limit: int | None = None) -> list[tuple[int, float]]:
        """The posts here most like `text` (all, or the `limit` best), most alike first."""
        query = row(text, self.language)
        with self.lock:
            m = self.matrix()
            if m is None:
                return []
            found = self._times(m, query)
            ids = list(self.ids)
            self._remember(text, len(ids), found)
        order = np.argsort(-found, kind="stable")
        if limit is not None:
            order = order[:limit]
        return [(ids[i], float(found[i])) for i in order if found[i] > 0]


_INDEXES: dict[object, Index] = {}
_INDEXES_LOCK = threading.Lock()


def workshop_index(workshop_id: object, language: str, posts: Iterable[tuple[int, str]]) -> Index:
    """This process's index of a workshop, brought up to date with `posts` (id, text): a
    post it has seen already costs a dictionary look-up, a new one its vector."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(workshop_id)
        if index is None or index.language != language:
            index = _INDEXES[workshop_id] = Index(language)
    for pk, text in posts:
        if index.texts.get(pk) != text:
            index.add(pk, text)
    return index


def forget_indexes() -> None:
    with _INDEXES_LOCK:
        _INDEXES.clear()


def alike(
    text: str,
    candidates: Iterable[tuple[int, str]],
    language: str,
    threshold: float = DUPLICATE_THRESHOLD,
) -> list[tuple[int, float]]:
    """The candidates (id, text) at least `threshold` alike to `text`, most alike first."""
    candidates = list(candidates)
    if not candidates or not text.strip():
        return []
    m = vectors([text] + [t for _, t in candidates], language)
    found = (m[1:] @ m[0].T).toarray().ravel()
    pairs = [(candidates[i][0], float(found[i])) for i in range(len(candidates))]
    return sorted(
        ((pk, s) for pk, s in pairs if s >= threshold), key=lambda pair: (-pair[1], pair[0])
    )
