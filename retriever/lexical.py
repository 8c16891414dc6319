"""Phrase-aware lexical search over descriptor sets, with fuzzy matching for misspellings.

Each document is a descriptor set. Its features are its words (lightly stemmed) and,
for every multi-word descriptor, the whole phrase as one more feature, so a request
that says "steel drum" matches the descriptor "steel drums" both word by word and as
a unit. Query words that are not in the index are mapped to index words: suffix variants
("slowly" -> "slow", "guitarist" -> "guitar"), run-together phrases ("steeldrum" ->
"steel drum") and misspellings within one or two edits, found with rapidfuzz ("guitr" ->
"guitar").

A document's score is the sum of two signals:

- coverage: the mean, over the document's descriptors, of how much of each descriptor
  the query mentions (with the default `phrase_coverage=1`, a multi-word descriptor counts
  only when its whole phrase is there). A descriptor set that the request mentions almost
  entirely beats a long one that merely shares a few words with it.
- similarity: BM25 (default) or tf-idf cosine between the query and the document, over word
  and phrase features; with the default weights it mostly orders documents of equal coverage.

Both are linear in the query's feature vector, so each is one sparse matrix product: a
query touches the postings of its own terms only, never a Python loop over the catalogue.

Example:
    >>> index = LexicalIndex.build(["a", "b"], [("steel drums", "calypso"), ("piano", "calm")])
    >>> index.search("steeldrum music", k=1)
    [(0, ...)]
"""

from __future__ import annotations

import enum
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy import sparse

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:['&+][a-z0-9]+)*")
_PHRASE_PREFIX = "\u00a7"  # marks phrase features so they never collide with words
FUZZY_MIN_LENGTH = 5  # shorter words are too often another real word one edit away ("main" -> "man")
FUZZY_LONG_WORD = 8  # from this length on, two edits are allowed; below it, one
# Query-side suffixes tried when a word is not in the index: "slowly" -> "slow", "drummer" -> "drum".
_SUFFIXES = ("ing", "ist", "ed", "er", "ic", "al", "ly", "y", "ish", "ness", "ive")
# Common English words that are one edit from a descriptor word ("there" -> "theme",
# "while" -> "white"): never fuzzy-matched.
_NOT_FUZZY = frozenset(
    "about above after again along also although among another around because been before being below "
    "between both could does doing during each either every from further having here itself just later "
    "might more most much must never other over perhaps quite rather really same should since some "
    "something sometime still such than that their them then there these they thing think this those "
    "though through throughout together under until very what when where whether which while whose "
    "with within without would your".split()
)


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


class Scoring(str, enum.Enum):
    COSINE = "cosine"  # tf-idf, both sides L2-normalised (length-normalised like sklearn's TfidfVectorizer)
    BM25 = "bm25"


@dataclass(frozen=True)
class LexicalConfig:
    """How documents are weighted and scored. Defaults were chosen on MusicCaps train captions
    (see benchmarks/tune_fusion.py), never on the test split.

    Attributes:
        scoring: The similarity signal, tf-idf cosine or BM25.
        k1: BM25 term-frequency saturation (BM25 only).
        b: BM25 length normalisation (BM25 only).
        phrase_weight: Term frequency given to a multi-word descriptor's phrase feature,
            relative to one word.
        coverage_weight: Weight of the coverage signal (in [0, 1]) added to the similarity (a BM25
            score gains several points per matched term, hence a large weight with BM25).
        phrase_coverage: Share of a multi-word descriptor's coverage that needs the whole
            phrase (the rest is the idf-weighted fraction of its words the query has).
        fuzzy: Match unknown query words to index words within one or two edits (rapidfuzz).
    """

    scoring: Scoring = Scoring.BM25
    k1: float = 1.2
    b: float = 0.0  # no length normalisation here: coverage already normalises by descriptor count
    phrase_weight: float = 1.0
    coverage_weight: float = 24.0
    phrase_coverage: float = 1.0
    fuzzy: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "scoring", Scoring(self.scoring))
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={self.k1}, b={self.b}")
        if self.phrase_weight < 0 or self.coverage_weight < 0:
            raise ValueError(
                "phrase_weight and coverage_weight must be >= 0, "
                f"got {self.phrase_weight} and {self.coverage_weight}"
            )
        if not 0 <= self.phrase_coverage <= 1:
            raise ValueError(f"phrase_coverage must be in [0, 1], got {self.phrase_coverage}")


class LexicalIndex:
    """Similarity and coverage weights, each a (documents x features) sparse matrix."""

    def __init__(
        self,
        doc_ids: list[str],
        features: dict[str, int],
        idf: np.ndarray,
        similarity: sparse.csc_matrix,
        coverage: sparse.csc_matrix,
        config: LexicalConfig,
    ) -> None:
        self.doc_ids = doc_ids
        self.features = features
        self.idf = idf  # (features,)
        self._idf32 = idf.astype(np.float32)
        self.similarity = similarity  # (docs, features)
        self.coverage = coverage  # (docs, features)
        self.config = config
        self._word_list = [f for f in features if not f.startswith(_PHRASE_PREFIX)]
        # run-together forms ("steeldrum") of every multi-word phrase, to split them back.
        self._joined_phrases = {
            f[1:].replace(" ", ""): f[1:] for f in features if f.startswith(_PHRASE_PREFIX)
        }
        self._max_phrase_words = max(
            (f.count(" ") + 1 for f in features if f.startswith(_PHRASE_PREFIX)), default=1
        )
        self._words_by_initial: dict[str, list[str]] = {}
        for word in self._word_list:
            self._words_by_initial.setdefault(word[0], []).append(word)
        self._unknown_word = functools.lru_cache(maxsize=65536)(self._match_unknown_word)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_unknown_word"]  # a per-process cache, rebuilt on load
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._unknown_word = functools.lru_cache(maxsize=65536)(self._match_unknown_word)

    @classmethod
    def build(
        cls,
        doc_ids: Sequence[str],
        descriptor_sets: Sequence[Sequence[str]],
        config: LexicalConfig = LexicalConfig(),
    ) -> LexicalIndex:
        """Index descriptor sets (one per doc id).

        Args:
            doc_ids: One id per document.
            descriptor_sets: Each document's descriptors.
            config: Weighting and scoring.

        Returns:
            The index; score it with :meth:`score_all` or :meth:`search`.

        Raises:
            ValueError: If the two sequences differ in length.
        """
        if len(doc_ids) != len(descriptor_sets):
            raise ValueError(f"{len(doc_ids)} ids but {len(descriptor_sets)} descriptor sets")
        features: dict[str, int] = {}
        descriptor_keys: dict[tuple[str, ...], int] = {}  # descriptor tokens => row of `parts`
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        doc_rows: list[int] = []  # (doc, descriptor) incidence, for coverage
        doc_cols: list[int] = []
        doc_values: list[float] = []
        lengths = np.zeros(len(doc_ids), dtype=np.float64)
        for row, descriptors in enumerate(descriptor_sets):
            bag: dict[int, float] = {}
            seen: set[int] = set()
            for descriptor in descriptors:
                tokens = tuple(words(descriptor))
                if not tokens:
                    continue
                for token in tokens:
                    column = features.setdefault(token, len(features))
                    bag[column] = bag.get(column, 0.0) + 1.0
                if len(tokens) > 1:
                    column = features.setdefault(_PHRASE_PREFIX + " ".join(tokens), len(features))
                    bag[column] = bag.get(column, 0.0) + config.phrase_weight
                lengths[row] += len(tokens)
                seen.add(descriptor_keys.setdefault(tokens, len(descriptor_keys)))
            for column, count in bag.items():
                rows.append(row)
                cols.append(column)
                counts.append(count)
            for key in seen:
                doc_rows.append(row)
                doc_cols.append(key)
                doc_values.append(1.0 / len(seen))
        num_docs = len(doc_ids)
        num_features = max(len(features), 1)
        tf = sparse.csr_matrix((counts, (rows, cols)), shape=(num_docs, num_features), dtype=np.float64)
        doc_freq = np.bincount(np.asarray(cols, dtype=np.int64), minlength=num_features).astype(np.float64)
        if config.scoring is Scoring.BM25:
            idf = np.log1p((num_docs - doc_freq + 0.5) / (doc_freq + 0.5))
            average = lengths.mean() if num_docs else 1.0
            norm = config.k1 * (1 - config.b + config.b * lengths / max(average, 1e-9))  # (docs,)
            tf = tf.tocoo()
            data = tf.data * (config.k1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
            similarity = sparse.csr_matrix((data, (tf.row, tf.col)), shape=tf.shape)
        else:
            idf = np.log((1.0 + num_docs) / (1.0 + doc_freq)) + 1.0  # sklearn's smooth idf
            similarity = tf.multiply(idf[np.newaxis, :]).tocsr()
            row_norms = np.sqrt(np.asarray(similarity.multiply(similarity).sum(axis=1)).ravel())  # (docs,)
            similarity = sparse.diags(1.0 / np.maximum(row_norms, 1e-12)) @ similarity
        parts = cls._descriptor_parts(descriptor_keys, features, idf, config.phrase_coverage)
        incidence = sparse.csr_matrix(
            (doc_values, (doc_rows, doc_cols)), shape=(num_docs, max(len(descriptor_keys), 1))
        )
        coverage = incidence @ parts  # (docs, features): mean over a doc's descriptors
        logger.debug(
            "lexical index: %d docs, %d features, %d descriptors", num_docs, len(features), len(descriptor_keys)
        )
        return cls(
            list(doc_ids),
            features,
            idf,
            # CSC: a query slices only the columns of its own terms
            similarity.astype(np.float32).tocsc(),
            coverage.astype(np.float32).tocsc(),
            config,
        )

    @staticmethod
    def _descriptor_parts(
        descriptor_keys: Mapping[tuple[str, ...], int],
        features: Mapping[str, int],
        idf: np.ndarray,
        phrase_coverage: float,
    ) -> sparse.csr_matrix:
        """(descriptors x features): how much of each descriptor each feature covers (rows sum to 1)."""
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for tokens, row in descriptor_keys.items():
            unique = list(dict.fromkeys(tokens))
            word_share = 1.0 if len(tokens) == 1 else 1.0 - phrase_coverage
            total = sum(idf[features[token]] for token in unique)
            for token in unique:
                rows.append(row)
                cols.append(features[token])
                values.append(word_share * idf[features[token]] / total)
            if len(tokens) > 1 and phrase_coverage > 0:
                rows.append(row)
                cols.append(features[_PHRASE_PREFIX + " ".join(tokens)])
                values.append(phrase_coverage)
        shape = (max(len(descriptor_keys), 1), max(len(features), 1))
        return sparse.csr_matrix((values, (rows, cols)), shape=shape)

    def _match_unknown_word(self, token: str) -> str | None:
        """An index word for a query word the index lacks: a suffix variant, else a close misspelling."""
        for suffix in _SUFFIXES:
            root = token[: -len(suffix)]
            if not token.endswith(suffix) or len(root) < 3:
                continue
            candidates = [root, root + "e", root + "y", root + "a", root + "ion"]
            if len(root) > 3 and root[-1] == root[-2]:
                candidates.append(root[:-1])  # "drummer" -> "drum"
            for candidate in candidates:
                if candidate in self.features:
                    return candidate
        if not self.config.fuzzy or len(token) < FUZZY_MIN_LENGTH or token in _NOT_FUZZY:
            return None
        # Misspellings rarely touch the first letter; bucketing by it also keeps the scan short.
        pool = self._words_by_initial.get(token[0], ())
        max_edits = 1 if len(token) < FUZZY_LONG_WORD else 2
        match = process.extractOne(token, pool, scorer=Levenshtein.distance, score_cutoff=max_edits)
        return match[0] if match else None

    def query_terms(self, text: str, weight: float = 1.0) -> dict[int, float]:
        """Feature columns (and their weights) a query text matches, fuzzy and phrase matches included.

        A feature counts once however often the text repeats it.
        """
        resolved: list[str] = []
        for token in words(text):
            if token in self.features:
                resolved.append(token)
            elif token in self._joined_phrases:
                resolved.extend(self._joined_phrases[token].split())
            else:
                resolved.append(self._unknown_word(token) or token)
        columns: set[int] = set()
        for token in resolved:
            column = self.features.get(token)
            if column is not None:
                columns.add(column)
        for size in range(2, min(self._max_phrase_words, len(resolved)) + 1):
            for start in range(len(resolved) - size + 1):
                column = self.features.get(_PHRASE_PREFIX + " ".join(resolved[start : start + size]))
                if column is not None:
                    columns.add(column)
        return {column: weight for column in columns}

    def _query_vector(self, text: str, weighted_phrases: Mapping[str, float] | None) -> dict[int, float]:
        """Feature column => weight: 1 for each feature of the text, plus each weighted phrase's weight."""
        terms = self.query_terms(text)
        for phrase, weight in (weighted_phrases or {}).items():
            for column, value in self.query_terms(phrase, weight).items():
                terms[column] = terms.get(column, 0.0) + value
        return terms

    def _query_weights(self, columns: np.ndarray, presence: np.ndarray) -> np.ndarray:
        """The similarity side's query weights for one query's feature columns."""
        if self.config.scoring is Scoring.BM25:
            return presence
        weights = presence * self._idf32[columns]
        return weights / max(float(np.linalg.norm(weights)), 1e-12)

    def score_all(self, text: str, weighted_phrases: Mapping[str, float] | None = None) -> np.ndarray:
        """Lexical score of every document: similarity + coverage_weight * coverage.

        Args:
            text: The request.
            weighted_phrases: Extra phrases and their weights; negative ones push the documents
                that have them down.

        Returns:
            Scores of shape (num_docs,), in index order.
        """
        terms = self._query_vector(text, weighted_phrases)
        scores = np.zeros(len(self.doc_ids), dtype=np.float32)
        if not terms:
            return scores
        columns = np.fromiter(terms.keys(), dtype=np.int64)
        presence = np.fromiter(terms.values(), dtype=np.float32)  # (terms,)
        scores += np.asarray(self.similarity[:, columns] @ self._query_weights(columns, presence)).ravel()
        if self.config.coverage_weight:
            coverage = np.asarray(self.coverage[:, columns] @ presence).ravel()
            scores += np.float32(self.config.coverage_weight) * coverage
        return scores

    def components(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The two signals :meth:`score_all` adds up, for many texts at once (evaluation, tuning).

        Args:
            texts: Requests.

        Returns:
            (similarity, coverage), each of shape (num_texts, num_docs).
        """
        rows: list[int] = []
        cols: list[int] = []
        presence: list[float] = []
        weights: list[np.ndarray] = []
        for row, text in enumerate(texts):
            terms = self.query_terms(text)
            columns = np.fromiter(terms.keys(), dtype=np.int64)
            values = np.fromiter(terms.values(), dtype=np.float32)
            rows.extend([row] * len(terms))
            cols.extend(columns.tolist())
            presence.extend(values.tolist())
            weights.append(self._query_weights(columns, values))
        shape = (len(texts), self.similarity.shape[1])
        query_presence = sparse.csr_matrix((presence, (rows, cols)), shape=shape, dtype=np.float32)
        query_weights = sparse.csr_matrix(
            (np.concatenate(weights) if weights else np.zeros(0, np.float32), (rows, cols)), shape=shape
        )
        similarity = (query_weights @ self.similarity.T).toarray()  # (texts, docs)
        coverage = (query_presence @ self.coverage.T).toarray()  # (texts, docs)
        return similarity.astype(np.float32, copy=False), coverage.astype(np.float32, copy=False)

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`score_all` for many texts at once (no weighted phrases), shape (num_texts, num_docs)."""
        similarity, coverage = self.components(texts)
        if self.config.coverage_weight:
            similarity += np.float32(self.config.coverage_weight) * coverage
        return similarity

    def search(
        self, text: str, k: int = 10, weighted_phrases: Mapping[str, float] | None = None
    ) -> list[tuple[int, float]]:
        """The k best (document index, score) pairs with a positive score, best first."""
        scores = self.score_all(text, weighted_phrases)
        positive = int(np.count_nonzero(scores > 0))
        k = min(k, positive)
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]
