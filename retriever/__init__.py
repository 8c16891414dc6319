"""The base layer: catalogue records and loaders, the encoder, the Chroma store, lexical and hybrid search."""

from __future__ import annotations

from retriever.artists import (
    ArtistDirectory,
    ArtistProfile,
    GenreMap,
    load_artist_knowledge,
    load_genre_map,
    normalise_name,
    load_profiles,
    profiles_from_tracks,
)
from retriever.catalog import (
    CatalogError,
    CatalogFormat,
    CsvColumns,
    LoadResult,
    SkippedRow,
    Track,
    TrackId,
    search_url,
)
from retriever.ingest import load_catalog
from retriever.deploy import (
    activate_generation,
    active_generation,
    build_generation,
    generation_dir,
    resolve_index_dir,
)
from retriever.encoder import (
    DEFAULT_ENCODER,
    Encoder,
    EncoderError,
    EncoderInfo,
    MemoEncoder,
    SentenceEncoder,
    load_encoder,
    load_encoder_backend,
    load_onnx_encoder,
)
from retriever.interactions import EventKind, FeedbackEvent, Interaction, InteractionLog, TurnEvent, read_interactions
from retriever.indexing import (
    BUILTIN_CATALOGUE,
    IndexConfig,
    IndexReport,
    builtin_index_dir,
    builtin_trained_dir,
    index_tracks,
)
from retriever.lexical import LexicalConfig, LexicalIndex
from retriever.fusion import (
    Fusion,
    RetrievalConfig,
    SearchMode,
    fuse,
    retrieval_config_for,
    save_retrieval_config,
)
from retriever.search import HybridSearcher, SearchQuery, SearchTimings
from retriever.spotify import FEATURE_RULES, FeatureRule, load_spotify
from retriever.store import Hit, StoreError, TrackStore
from retriever.vocabulary import Descriptor, Vocabulary, load_vocabulary

__all__ = [
    "ArtistDirectory",
    "ArtistProfile",
    "GenreMap",
    "load_artist_knowledge",
    "load_genre_map",
    "normalise_name",
    "load_profiles",
    "profiles_from_tracks",
    "BUILTIN_CATALOGUE",
    "builtin_trained_dir",
    "DEFAULT_ENCODER",
    "MemoEncoder",
    "CatalogError",
    "CatalogFormat",
    "CsvColumns",
    "Descriptor",
    "Encoder",
    "FEATURE_RULES",
    "FeatureRule",
    "EncoderError",
    "EncoderInfo",
    "Fusion",
    "Hit",
    "HybridSearcher",
    "IndexConfig",
    "EventKind",
    "FeedbackEvent",
    "Interaction",
    "TurnEvent",
    "InteractionLog",
    "IndexReport",
    "LexicalConfig",
    "LexicalIndex",
    "LoadResult",
    "RetrievalConfig",
    "retrieval_config_for",
    "save_retrieval_config",
    "SearchMode",
    "SearchQuery",
    "SearchTimings",
    "SentenceEncoder",
    "SkippedRow",
    "StoreError",
    "Track",
    "TrackId",
    "TrackStore",
    "activate_generation",
    "active_generation",
    "build_generation",
    "Vocabulary",
    "builtin_index_dir",
    "fuse",
    "generation_dir",
    "index_tracks",
    "load_catalog",
    "load_encoder",
    "load_encoder_backend",
    "load_onnx_encoder",
    "load_spotify",
    "load_vocabulary",
    "read_interactions",
    "resolve_index_dir",
    "search_url",
]
