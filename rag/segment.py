"""jieba's word segmentation and part-of-speech tags, without loading its dictionary for a question.

jieba reads its whole dictionary before the first word: ~500k prefix entries from its cache plus
~350k part-of-speech tags from dict.txt, ~1.7 s on a 2-core laptop — most of the time a one-shot
`rag ask` needs before it can show evidence. jieba's algorithm only ever looks up substrings of the
text it cuts, so for a short text the dictionary entries it can touch are found all at once in a
compact lexicon (one sorted array per word length, converted once into ``cache_dir``) and jieba runs
on that small dictionary: the same words and tags, ~1,000 times less to load. Once the texts cut add
up to what loading the whole dictionary would have cost (an ingest, a long session), the whole
dictionary is loaded and used from then on.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from rag.private import PRIVATE_DIR

# Characters cut through the lexicon before the whole dictionary pays for itself: the lexicon costs
# ~10 µs a character, loading the dictionary ~1.7 s.
FULL_LOAD_AFTER_CHARS = 150_000
LEXICON_VERSION = 1

_lock = threading.RLock()
_state: dict[str, Any] = {"cache_dir": None, "lexicon": None, "full": False, "chars": 0}


def use_cache(cache_dir: Path | None) -> None:
    """Where the compact lexicon is kept (``None``: always load jieba's whole dictionary)."""
    with _lock:
        if _state["cache_dir"] != cache_dir:
            _state.update(cache_dir=cache_dir, lexicon=None)


def cut_for_search(text: str) -> list[str]:
    """``jieba.lcut_for_search(text)``."""
    tokenizer = _tokenizer(text)
    return list(tokenizer.lcut_for_search(text)) if tokenizer is not None else _jieba().dt.lcut_for_search(text)


def cut(text: str) -> list[str]:
    """``jieba.lcut(text)``."""
    tokenizer = _tokenizer(text)
    return list(tokenizer.lcut(text)) if tokenizer is not None else _jieba().dt.lcut(text)


def tagged(text: str) -> list[tuple[str, str]]:
    """``jieba.posseg.lcut(text)`` as (word, tag) pairs."""
    posseg = _posseg()
    tokenizer = _tokenizer(text)
    if tokenizer is None:
        return [(p.word, p.flag) for p in posseg.dt.lcut(text)]
    tagger = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
    tagger.tokenizer, tagger.word_tag_tab = tokenizer, tokenizer.word_tags
    return [(p.word, p.flag) for p in tagger.lcut(text)]


def dictionary_words(text: str, longest: int = 8) -> set[str]:
    """The words of jieba's dictionary in ``text`` (not the ones its HMM guesses: 率有, 部到)."""
    tokenizer = _tokenizer(text)
    if tokenizer is None:
        tokenizer = _jieba().dt
        tokenizer.check_initialized()
    freq = tokenizer.FREQ
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)
            if freq.get(text[i:j])}


def _tokenizer(text: str) -> Any:
    """A jieba tokenizer holding only the dictionary entries that are substrings of ``text``, or
    ``None`` when the whole dictionary is (now) the cheaper way."""
    with _lock:
        if not _state["full"]:
            _state["chars"] += len(text)
            lexicon = _lexicon() if _state["chars"] <= FULL_LOAD_AFTER_CHARS else None
            if lexicon is not None:
                return lexicon.tokenizer_for(text)
            _state["full"] = True
        return None


class Lexicon:
    """jieba's dictionary as sorted arrays by word length: frequency (0 for a mere prefix) and tag."""

    def __init__(self, keys: list[np.ndarray], freqs: list[np.ndarray], tags: list[np.ndarray],
                 tag_names: list[str], total: int) -> None:
        self.keys, self.freqs, self.tags, self.tag_names, self.total = keys, freqs, tags, tag_names, total

    @classmethod
    def from_jieba(cls) -> Lexicon:
        jb = _jieba()
        jb.dt.check_initialized()
        word_tags = _read_tags(jb.dt.get_dict_file())
        tag_names = sorted(set(word_tags.values()))
        tag_code = {t: i for i, t in enumerate(tag_names)}
        max_len = max(map(len, jb.dt.FREQ))
        by_len: list[list[str]] = [[] for _ in range(max_len)]
        for word in jb.dt.FREQ:
            by_len[len(word) - 1].append(word)
        keys, freqs, tags = [], [], []
        for length, words in enumerate(by_len, start=1):
            arr = np.array(sorted(words), dtype=f"U{length}")
            keys.append(arr)
            freqs.append(np.array([jb.dt.FREQ[w] for w in arr.tolist()], dtype=np.int64))
            tags.append(np.array([tag_code.get(word_tags.get(w, ""), -1) for w in arr.tolist()], dtype=np.int16))
        return cls(keys, freqs, tags, tag_names, int(jb.dt.total))

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {"total": np.asarray(self.total, dtype=np.int64),
                                         "tag_names": np.asarray(self.tag_names, dtype=np.str_)}
        for i, (k, f, t) in enumerate(zip(self.keys, self.freqs, self.tags, strict=True)):
            arrays.update({f"k{i}": k, f"f{i}": f, f"t{i}": t})
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        with np.load(path, allow_pickle=False) as z:
            n = sum(1 for name in z.files if name.startswith("k"))
            return cls([z[f"k{i}"] for i in range(n)], [z[f"f{i}"] for i in range(n)],
                       [z[f"t{i}"] for i in range(n)], [str(t) for t in z["tag_names"]], int(z["total"]))

    def entries(self, text: str) -> tuple[dict[str, int], dict[str, str]]:
        """Every dictionary entry that occurs in ``text``: frequencies and tags."""
        freq: dict[str, int] = {}
        tags: dict[str, str] = {}
        for length in range(1, min(len(text), len(self.keys)) + 1):
            keys = self.keys[length - 1]
            if not len(keys):
                continue
            subs = [text[i:i + length] for i in range(len(text) - length + 1)]
            arr = np.array(subs, dtype=keys.dtype)
            pos = np.minimum(np.searchsorted(keys, arr), len(keys) - 1)
            for i in np.flatnonzero(keys[pos] == arr).tolist():
                word, p = subs[i], pos[i]
                freq[word] = int(self.freqs[length - 1][p])
                code = int(self.tags[length - 1][p])
                if code >= 0:
                    tags[word] = self.tag_names[code]
        return freq, tags

    def tokenizer_for(self, text: str) -> Any:
        jb = _jieba()
        tokenizer = jb.Tokenizer()
        tokenizer.FREQ, tokenizer.word_tags = self.entries(text)
        tokenizer.total, tokenizer.initialized = self.total, True
        return tokenizer


def _lexicon() -> Lexicon | None:
    if _state["lexicon"] is None and _state["cache_dir"] is not None:
        path = Path(_state["cache_dir"]) / f"jieba-lexicon-{_dictionary_key()}.npz"
        with contextlib.suppress(OSError, ValueError, KeyError):
            _state["lexicon"] = Lexicon.load(path)
        if _state["lexicon"] is None:  # the first time: build it from the whole dictionary, loaded anyway
            lexicon = Lexicon.from_jieba()
            with contextlib.suppress(OSError):  # a read-only home only costs the whole dictionary next time
                path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
                lexicon.save(path)
            _state["full"] = True
            return None
    return _state["lexicon"]


def _dictionary_key() -> str:
    jb = _jieba()
    dict_file = Path(jb.__file__).parent / "dict.txt"
    st = dict_file.stat()
    return hashlib.sha256(f"{LEXICON_VERSION}|{jb.__version__}|{dict_file}|{st.st_size}|{st.st_mtime_ns}"
                          .encode()).hexdigest()[:16]


def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


class _LazyTags(dict):  # type: ignore[type-arg]
    """jieba.posseg's module tagger's tag table, read from dict.txt when first used."""

    def _fill(self) -> None:
        if not self:
            jb = _jieba()
            super().update(_read_tags(jb.dt.get_dict_file()))

    def get(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._fill()
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._fill()
        super().update(*args, **kwargs)


def _read_tags(fh: Any) -> dict[str, str]:
    tags = {}
    with fh:
        for line in fh:
            parts = line.strip().decode("utf-8").split(" ")
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


def _posseg() -> Any:
    """jieba.posseg, imported without its module tagger reading dict.txt (its table fills on use)."""
    import sys

    with _lock:
        if "jieba.posseg" not in sys.modules:
            jb = _jieba()
            saved = jb.dt.dictionary
            jb.dt.dictionary = os.devnull
            try:
                import jieba.posseg
            finally:
                jb.dt.dictionary = saved
            jieba.posseg.dt.word_tag_tab = _LazyTags()
        return sys.modules["jieba.posseg"]
