"""The base layer: catalogue records and loaders, the encoder, the Chroma store, lexical and hybrid search."""

from __future__ import annotations

from retriever.catalog import (
    CatalogError,
    CatalogFormat,
    CsvColumns,
    LoadResult,
    SkippedRow,
    Track,
    TrackId,
    load_catalog,
    search_url,
)
from retriever.encoder import DEFAULT_ENCODER, Encoder, EncoderError, EncoderInfo, SentenceEncoder, load_encoder
from retriever.interactions import Interaction, InteractionLog, read_interactions
from retriever.indexing import BUILTIN_CATALOGUE, IndexConfig, IndexReport, builtin_index_dir, index_tracks
from retriever.lexical import LexicalConfig, LexicalIndex
from retriever.search import Fusion, HybridSearcher, RetrievalConfig, SearchMode, SearchQuery, fuse
from retriever.store import Hit, StoreError, TrackStore
from retriever.vocabulary import Descriptor, Vocabulary, load_vocabulary, vocabulary_from_descriptors

__all__ = [
    "BUILTIN_CATALOGUE",
    "DEFAULT_ENCODER",
    "CatalogError",
    "CatalogFormat",
    "CsvColumns",
    "Descriptor",
    "Encoder",
    "EncoderError",
    "EncoderInfo",
    "Fusion",
    "Hit",
    "HybridSearcher",
    "IndexConfig",
    "Interaction",
    "InteractionLog",
    "IndexReport",
    "LexicalConfig",
    "LexicalIndex",
    "LoadResult",
    "RetrievalConfig",
    "SearchMode",
    "SearchQuery",
    "SentenceEncoder",
    "SkippedRow",
    "StoreError",
    "Track",
    "TrackId",
    "TrackStore",
    "Vocabulary",
    "builtin_index_dir",
    "fuse",
    "index_tracks",
    "load_catalog",
    "load_encoder",
    "load_vocabulary",
    "read_interactions",
    "search_url",
    "vocabulary_from_descriptors",
]
