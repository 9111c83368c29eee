"""BM25 over jieba tokens and character pairs of the simplified search form, as a sparse term-frequency matrix.

The matrix (rows = chunks, columns = vocabulary) is saved with the store as ``.npz`` (no pickle) and
updated incrementally: new chunks append rows, removed chunks drop rows. Document frequencies and
lengths are derived from it on load, so they can never disagree with it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from scipy import sparse

from rag.segment import cut_for_search

_STOPWORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "等", "对", "为", "以", "将", "把", "被", "从", "中", "上", "下", "也", "都", "就", "而", "或", "其", "之", "于", "这", "那", "有", "个", "年", "月", "日", "哪些", "什么", "多少", "怎样", "如何", "哪", "吗", "呢", "么", "是否", "进行", "一", "二", "三"])
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")


def tokenize(search_text: str) -> list[str]:
    """Tokens of an already normalized (simplified, NFKC) text."""
    tokens = []
    for tok in cut_for_search(search_text.lower()):
        tok = tok.strip()
        if tok and tok not in _STOPWORDS and _TOKEN_OK.search(tok):
            tokens.append(tok)
    return tokens


PAIR = "|"  # marks a character pair: jieba's tokens never hold it
QUESTION_WORDS = "什么|哪些|哪个|哪家|哪里|哪|如何|怎么|怎样|多少|几|是否|有何|为何|吗|呢|请问"
_PAIR_BREAK_RE = re.compile(rf"[^\w\u4e00-\u9fff]+|{QUESTION_WORDS}")


def runs(search_text: str) -> list[str]:
    """The runs of letters, digits and Chinese characters, lower-cased, that question words and
    punctuation leave."""
    return [run for run in _PAIR_BREAK_RE.split(search_text.lower()) if run]


def char_pairs(search_text: str) -> list[str]:
    """The character pairs of each run (:func:`runs`). Indexed beside jieba's tokens, they match where
    jieba cuts the question and the passage apart differently ("网上申报率" / "网上 申报"), searched as a
    list of their own."""
    return [PAIR + run[i:i + 2] for run in runs(search_text) for i in range(len(run) - 1)]


class BM25Index:
    def __init__(self, vocab: list[str], matrix: sparse.csr_matrix, row_ids: np.ndarray,
                 k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab = vocab
        self.term_index = {t: i for i, t in enumerate(vocab)}
        self._csr: sparse.csr_matrix | None = matrix.tocsr()
        self.row_ids = row_ids.astype(np.int64)
        self.k1, self.b = k1, b
        self._csc: sparse.csc_matrix | None = None

    @property
    def matrix(self) -> sparse.csr_matrix:
        """The rows (chunks); after the first search only the columns are kept in memory (search reads
        them; character pairs make the matrix the store's largest), and the rows are derived again
        for a commit or a save."""
        if self._csr is None:
            assert self._csc is not None
            self._csr = self._csc.tocsr()
        return self._csr

    @classmethod
    def empty(cls) -> BM25Index:
        return cls([], sparse.csr_matrix((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.row_ids.shape[0])

    # -- updates -----------------------------------------------------------------------------
    def with_changes(self, remove_ids: set[int], add: list[tuple[int, list[str]]]) -> BM25Index:
        """A new index with rows of ``remove_ids`` dropped and ``add`` (id, tokens) appended."""
        vocab = list(self.vocab)
        index = dict(self.term_index)
        rows, cols, vals = [], [], []
        for r, (_, tokens) in enumerate(add):
            counts: dict[int, int] = {}
            for tok in tokens:
                col = index.get(tok)
                if col is None:
                    col = index[tok] = len(vocab)
                    vocab.append(tok)
                counts[col] = counts.get(col, 0) + 1
            for col, n in counts.items():
                rows.append(r)
                cols.append(col)
                vals.append(n)
        keep = ~np.isin(self.row_ids, np.fromiter(remove_ids, dtype=np.int64)) if remove_ids else \
            np.ones(len(self.row_ids), dtype=bool)
        old = self.matrix[keep] if self.matrix.shape[0] else self.matrix
        old = sparse.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], len(vocab)))
        new = sparse.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(add), len(vocab)))
        matrix = sparse.vstack([old, new], format="csr")
        row_ids = np.concatenate([self.row_ids[keep], np.asarray([i for i, _ in add], dtype=np.int64)])
        return BM25Index(vocab, matrix, row_ids, self.k1, self.b)

    # -- persistence ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        m = self.matrix
        buf = io.BytesIO()
        np.savez(buf, data=m.data.astype(np.float32), indices=m.indices, indptr=m.indptr,
                 shape=np.asarray(m.shape, dtype=np.int64), row_ids=self.row_ids,
                 vocab=np.asarray(self.vocab, dtype=np.str_))
        return buf.getvalue()

    @classmethod
    def load(cls, path: Path, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        with np.load(path, allow_pickle=False) as z:
            shape = tuple(int(x) for x in z["shape"])
            matrix = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
            return cls([str(t) for t in z["vocab"]], matrix, z["row_ids"], k1, b)

    # -- search --------------------------------------------------------------------------------
    def _prepare(self) -> sparse.csc_matrix:
        if self._csc is None:
            rows = self.matrix
            self._csc = rows.tocsc()
            self._df = np.diff(self._csc.indptr).astype(np.float32)
            self._dl = np.asarray(rows.sum(axis=1)).reshape(-1).astype(np.float32)
            self._avgdl = float(self._dl.mean()) if len(self._dl) else 1.0
            self._norm = (self.k1 * (1 - self.b + self.b * self._dl / self._avgdl)).astype(np.float32)
            self._csr = None
        return self._csc

    def df(self, token: str) -> float:
        """Number of chunks containing ``token``."""
        col = self.term_index.get(token)
        if col is None:
            return 0.0
        self._prepare()
        return float(self._df[col])

    def search(self, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, score); ``allowed`` is a boolean row mask for filters."""
        if not len(self) or not tokens:
            return []
        csc = self._prepare()
        n = len(self)
        scores = np.zeros(n, dtype=np.float32)
        for tok in set(tokens):
            col = self.term_index.get(tok)
            if col is None:
                continue
            start, end = csc.indptr[col], csc.indptr[col + 1]
            rows, tf = csc.indices[start:end], csc.data[start:end]
            df = self._df[col]
            idf = np.log1p((n - df + 0.5) / (df + 0.5))
            scores[rows] += (idf * (self.k1 + 1)) * tf / (tf + self._norm[rows])
        if allowed is not None:
            scores[~allowed] = 0.0
        nonzero = np.flatnonzero(scores > 0)
        if not len(nonzero):
            return []
        if len(nonzero) > k:
            nonzero = nonzero[np.argpartition(-scores[nonzero], k - 1)[:k]]
        top = nonzero[np.lexsort((nonzero, -scores[nonzero]))]
        return [(int(self.row_ids[i]), float(scores[i])) for i in top]
