"""Phrase-aware BM25 over descriptor sets, with fuzzy matching for misspellings.

Each document is a descriptor set. Its features are its words (lightly stemmed) and,
for every multi-word descriptor, the whole phrase as one more feature, so a request
that says "steel drum" matches the descriptor "steel drums" both word by word and as
a unit. Query words that are not in the index are matched with rapidfuzz against the
index's words ("guitr" -> "guitar") and run-together phrases are split back
("steeldrum" -> "steel drum"). Scoring is a sparse matrix product: a query touches the
postings of its own terms only, never a Python loop over the catalogue.

Example:
    >>> index = LexicalIndex.build(["a", "b"], [("steel drums", "calypso"), ("piano", "calm")])
    >>> index.search("steeldrum music", k=1)
    [(0, ...)]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:['&+][a-z0-9]+)*")
_PHRASE_PREFIX = "\u00a7"  # marks phrase features so they never collide with words
MAX_PHRASE_WORDS = 5
FUZZY_MIN_SCORE = 84.0
FUZZY_MIN_LENGTH = 4


def stem(word: str) -> str:
    """A light, predictable stemmer: plural and a few suffixes; enough for descriptor words."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lowercase, stemmed word tokens of a text."""
    return [stem(w) for w in _WORD.findall(text.lower())]


def phrase_key(descriptor: str) -> str:
    return " ".join(words(descriptor))


@dataclass(frozen=True)
class LexicalConfig:
    k1: float = 1.2
    b: float = 0.75
    phrase_weight: float = 1.0
    fuzzy: bool = True

    def __post_init__(self) -> None:
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={self.k1}, b={self.b}")


class LexicalIndex:
    """BM25 weights in a (documents x features) sparse matrix, column-sliced per query."""

    def __init__(
        self,
        doc_ids: list[str],
        features: dict[str, int],
        weights: sparse.csc_matrix,
        config: LexicalConfig,
    ) -> None:
        self.doc_ids = doc_ids
        self.features = features
        self.weights = weights
        self.config = config
        self._word_list = [f for f in features if not f.startswith(_PHRASE_PREFIX)]
        # run-together forms ("steeldrum") of every multi-word phrase, to split them back.
        self._joined_phrases = {
            f[1:].replace(" ", ""): f[1:] for f in features if f.startswith(_PHRASE_PREFIX)
        }
        self._max_phrase_words = max((f.count(" ") + 1 for f in features if f.startswith(_PHRASE_PREFIX)), default=1)

    @classmethod
    def build(
        cls,
        doc_ids: Sequence[str],
        descriptor_sets: Sequence[Sequence[str]],
        config: LexicalConfig = LexicalConfig(),
    ) -> LexicalIndex:
        """Index descriptor sets (one per doc id)."""
        if len(doc_ids) != len(descriptor_sets):
            raise ValueError(f"{len(doc_ids)} ids but {len(descriptor_sets)} descriptor sets")
        features: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths = np.zeros(len(doc_ids), dtype=np.float64)
        for row, descriptors in enumerate(descriptor_sets):
            bag: dict[int, float] = {}
            for descriptor in descriptors:
                tokens = words(descriptor)
                for token in tokens:
                    column = features.setdefault(token, len(features))
                    bag[column] = bag.get(column, 0.0) + 1.0
                if len(tokens) > 1:
                    column = features.setdefault(_PHRASE_PREFIX + " ".join(tokens), len(features))
                    bag[column] = bag.get(column, 0.0) + config.phrase_weight
                lengths[row] += len(tokens)
            for column, count in bag.items():
                rows.append(row)
                cols.append(column)
                counts.append(count)
        num_docs = len(doc_ids)
        tf = sparse.csr_matrix((counts, (rows, cols)), shape=(num_docs, max(len(features), 1)), dtype=np.float64)
        doc_freq = np.bincount(np.asarray(cols, dtype=np.int64), minlength=tf.shape[1]).astype(np.float64)
        idf = np.log1p((num_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        average = lengths.mean() if num_docs else 1.0
        norm = config.k1 * (1 - config.b + config.b * lengths / max(average, 1e-9))  # (docs,)
        tf = tf.tocoo()
        data = tf.data * (config.k1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
        weights = sparse.csc_matrix((data, (tf.row, tf.col)), shape=tf.shape, dtype=np.float32)
        logger.debug("lexical index: %d docs, %d features", num_docs, len(features))
        return cls(list(doc_ids), features, weights, config)

    def _fuzzy_word(self, token: str) -> str | None:
        if not self.config.fuzzy or len(token) < FUZZY_MIN_LENGTH or not self._word_list:
            return None
        match = process.extractOne(token, self._word_list, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        return match[0] if match else None

    def query_terms(self, text: str, weight: float = 1.0) -> dict[int, float]:
        """Feature columns (and their weights) a query text matches, fuzzy and phrase matches included."""
        tokens = words(text)
        resolved: list[str] = []
        for token in tokens:
            if token in self.features:
                resolved.append(token)
            elif token in self._joined_phrases:
                resolved.extend(self._joined_phrases[token].split())
            elif stem(token) in self._joined_phrases:
                resolved.extend(self._joined_phrases[stem(token)].split())
            else:
                resolved.append(self._fuzzy_word(token) or token)
        terms: dict[int, float] = {}
        for token in resolved:
            column = self.features.get(token)
            if column is not None:
                terms[column] = terms.get(column, 0.0) + weight
        for size in range(2, min(self._max_phrase_words, len(resolved)) + 1):
            for start in range(len(resolved) - size + 1):
                column = self.features.get(_PHRASE_PREFIX + " ".join(resolved[start : start + size]))
                if column is not None:
                    terms[column] = terms.get(column, 0.0) + weight
        return terms

    def score_all(self, text: str, weighted_phrases: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 score of every document, shape (num_docs,)."""
        terms = self.query_terms(text)
        for phrase, weight in (weighted_phrases or {}).items():
            for column, value in self.query_terms(phrase, weight).items():
                terms[column] = terms.get(column, 0.0) + value
        scores = np.zeros(len(self.doc_ids), dtype=np.float32)
        if not terms:
            return scores
        columns = np.fromiter(terms.keys(), dtype=np.int64)
        query_weights = np.fromiter(terms.values(), dtype=np.float32)
        scores += np.asarray(self.weights[:, columns] @ query_weights).ravel()
        return scores

    def search(
        self, text: str, k: int = 10, weighted_phrases: Mapping[str, float] | None = None
    ) -> list[tuple[int, float]]:
        """The k best (document index, score) pairs with a positive score, best first."""
        scores = self.score_all(text, weighted_phrases)
        positive = int(np.count_nonzero(scores))
        k = min(k, positive)
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]
