"""The controlled descriptor vocabulary: each descriptor with its facet, synonyms and opposites."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_VOCABULARY = ASSETS_DIR / "vocabulary.json"


@dataclass(frozen=True)
class Descriptor:
    name: str
    facet: str
    synonyms: tuple[str, ...] = ()
    opposites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """Descriptors by name, and every surface form (name or synonym, lowercase) mapped to its name."""

    facets: tuple[str, ...]
    descriptors: dict[str, Descriptor]
    surface_forms: dict[str, str]

    def canonical(self, text: str) -> str | None:
        """The descriptor name a phrase stands for, or None."""
        return self.surface_forms.get(" ".join(text.lower().split()))

    def facet_of(self, name: str) -> str | None:
        descriptor = self.descriptors.get(name)
        return descriptor.facet if descriptor else None

    def in_facet(self, facet: str) -> list[str]:
        return [d.name for d in self.descriptors.values() if d.facet == facet]

    def mood_kin(self, name: str) -> list[str]:
        """The other moods with the same opposites ("melancholic" for "sad": both are the opposite of
        happy and cheerful), so "no sad stuff" leaves out melancholic songs too. Empty for other facets."""
        descriptor = self.descriptors.get(name)
        if descriptor is None or descriptor.facet != "mood" or not descriptor.opposites:
            return []
        opposites = set(descriptor.opposites)
        return [d.name for d in self.descriptors.values()
                if d.name != name and d.facet == "mood" and set(d.opposites) == opposites]

    def comparative_kin(self, name: str) -> list[str]:
        """The moods and energies whose opposites are among this one's ("mellow", "tender", "laid-back" for
        "calm", the opposite of aggressive and high energy): what "calmer" also moves towards. Empty for
        other facets."""
        descriptor = self.descriptors.get(name)
        if descriptor is None or descriptor.facet not in ("mood", "energy") or not descriptor.opposites:
            return []
        opposites = set(descriptor.opposites)
        return [d.name for d in self.descriptors.values() if d.name != name and d.facet in ("mood", "energy")
                and d.opposites and set(d.opposites) <= opposites]


def build_vocabulary(raw: dict) -> Vocabulary:
    """Build a Vocabulary from its JSON form; raise ValueError on conflicting synonyms."""
    facets = tuple(raw.get("facets", ()))
    descriptors: dict[str, Descriptor] = {}
    surface_forms: dict[str, str] = {}
    for item in raw.get("descriptors", ()):
        descriptor = Descriptor(
            name=item["name"],
            facet=item["facet"],
            synonyms=tuple(item.get("synonyms", ())),
            opposites=tuple(item.get("opposites", ())),
        )
        if facets and descriptor.facet not in facets:
            raise ValueError(f"descriptor {descriptor.name!r}: unknown facet {descriptor.facet!r}; expected one of {facets}")
        descriptors[descriptor.name] = descriptor
        for surface in (descriptor.name, *descriptor.synonyms):
            key = " ".join(surface.lower().split())
            if key in surface_forms and surface_forms[key] != descriptor.name:
                raise ValueError(
                    f"vocabulary: {surface!r} is listed for both {surface_forms[key]!r} and {descriptor.name!r}"
                )
            surface_forms[key] = descriptor.name
    for descriptor in descriptors.values():
        for opposite in descriptor.opposites:
            if opposite not in descriptors:
                raise ValueError(f"descriptor {descriptor.name!r}: opposite {opposite!r} is not in the vocabulary")
    return Vocabulary(facets, descriptors, surface_forms)


def load_vocabulary(path: Path = DEFAULT_VOCABULARY) -> Vocabulary:
    """Load the vocabulary JSON (assets/vocabulary.json by default)."""
    with path.open(encoding="utf-8") as handle:
        vocabulary = build_vocabulary(json.load(handle))
    logger.info("vocabulary: %d descriptors, %d surface forms", len(vocabulary.descriptors), len(vocabulary.surface_forms))
    return vocabulary
