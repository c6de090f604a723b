"""Scorecards, their sections and scores: creation and the one lookup by id, key,
externalId or exact name."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..configs import validate_configuration
from ..errors import AmbiguousReferenceError, ConflictError, NotFoundError
from ..models import RecordList, Score, Scorecard, ScorecardSection
from . import _validate as check
from ._records import Records, is_uuid

R = TypeVar("R", Scorecard, Score)


def close_matches(text: str, names: list[str]) -> list[str]:
    """Names close to ``text`` (else the first ten), for NotFoundError candidates."""
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    return close or sorted(set(names))[:10]


class Catalog:
    def __init__(self, records: Records) -> None:
        self.records = records

    # --- the one lookup ------------------------------------------------------------

    def _find(self, cls: type[R], ref: str, what: str, describe: Callable[[R], str],
              scope: Callable[[], list[R]] | None = None, candidate: Callable[[R], str] = lambda r: r.name) -> R:
        """By id, then ``key``, then ``externalId`` (a unique hit), then exact name;
        ``scope`` (read only when the id misses) limits key, externalId and name hits to
        its records. ``describe`` tells ambiguous hits apart; ``candidate`` names near misses.

        Text that is one record's id and another's key, externalId or name is ambiguous
        (ids are chosen by whoever writes to a shared store), unless it is UUID-shaped.
        """
        check.require_text(ref, what)
        found = self.records.get(cls, ref)
        if found and is_uuid(ref):
            return found
        pool = scope() if scope is not None and not found else None
        allowed = None if pool is None else {r.id for r in pool}

        def within(hits: list[R]) -> list[R]:
            return hits if allowed is None else [h for h in hits if h.id in allowed]

        if found:
            others = {h.id: h for field in ("key", "externalId") for h in self.records.list(cls, index=(field, ref))}
            others.update({h.id: h for h in self.records.named(cls, ref)})
            others.pop(found.id, None)
            if others:
                raise AmbiguousReferenceError(f"{ref!r} is the id of one {what} and the key, externalId or name of "
                                              "another; use the other's id.",
                                              [describe(found), *(describe(h) for h in others.values())])
            return found
        for field in ("key", "externalId"):
            hits = within(self.records.list(cls, index=(field, ref)))
            if len(hits) == 1:
                return hits[0]
        hits = within(self.records.named(cls, ref))
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise AmbiguousReferenceError(f"More than one {what} {ref!r}; use its id or key.",
                                          [describe(h) for h in hits])
        everything = pool if pool is not None else self.records.list(cls)
        raise NotFoundError(f"No {what} {ref!r}.", close_matches(ref, [candidate(r) for r in everything]))

    # --- scorecards ----------------------------------------------------------------

    def create_scorecard(self, name: str, key: str | None, *, description: str | None, external_id: str | None,
                         account_id: str, id: str | None) -> Scorecard:
        name = check.name(name, "Scorecard name")
        key = check.name(key, "Scorecard key") if key is not None else check.slug(name)
        if self.records.list(Scorecard, index=("key", key)):
            raise ConflictError(f"A scorecard with key {key!r} already exists; choose another key.")
        return self.records.new(Scorecard, {
            "id": check.record_id(id, "scorecard id"), "name": name, "key": key, "description": description,
            "externalId": check.optional_text(external_id, "externalId"),
            "accountId": check.name(account_id, "accountId"),
        })

    def list_scorecards(self) -> RecordList[Scorecard]:
        return RecordList(sorted(self.records.list(Scorecard), key=lambda s: (s.name.lower(), s.id)))

    def scorecard(self, ref: Scorecard | str) -> Scorecard:
        if isinstance(ref, Scorecard):
            return ref
        return self._find(Scorecard, ref, "scorecard", lambda s: f"{s.name} ({s.key}, id {s.id})",
                          candidate=lambda s: f"{s.name} ({s.key})")

    # --- sections and scores -------------------------------------------------------

    def create_section(self, card: Scorecard, name: str, order: int | None) -> ScorecardSection:
        name = check.name(name, "Section name")
        if order is None:
            order = len(self.list_sections(card))
        return self.records.new(ScorecardSection, {"name": name, "order": check.integer(order, "order"),
                                                   "scorecardId": card.id})

    def list_sections(self, card: Scorecard) -> RecordList[ScorecardSection]:
        sections = self.records.list(ScorecardSection, index=("scorecardId", card.id))
        return RecordList(sorted(sections, key=lambda s: (s.order, s.name)))

    def section(self, ref: ScorecardSection | str) -> ScorecardSection:
        found = ref if isinstance(ref, ScorecardSection) else self.records.get(ScorecardSection, ref)
        if found is None:
            raise NotFoundError(f"No scorecard section with id {ref!r}; list them with list_sections(scorecard).")
        return found

    def create_score(self, section: ScorecardSection, name: str, fields: Mapping[str, Any]) -> Score:
        name = check.name(name, "Score name")
        order = fields["order"]
        if order is None:
            order = len(self.records.list(Score, index=("sectionId", section.id)))
        metadata = fields["metadata"]
        return self.records.new(Score, {
            "id": check.record_id(fields["id"], "score id"), "name": name,
            "key": check.optional_name(fields["key"], "Score key"),
            "type": check.name(fields["type"], "Score type"), "order": check.integer(order, "order"),
            "externalId": check.optional_text(fields["external_id"], "externalId"), "sectionId": section.id,
            "description": fields["description"],
            "metadata": validate_configuration(metadata) if metadata is not None else None,
        })

    def list_scores(self, card: Scorecard | None) -> RecordList[Score]:
        if card is None:
            return RecordList(sorted(self.records.list(Score), key=lambda s: (s.name.lower(), s.id)))
        scores: list[Score] = []
        for section in self.list_sections(card):
            in_section = self.records.list(Score, index=("sectionId", section.id))
            scores.extend(sorted(in_section, key=lambda s: (s.order, s.name)))
        return RecordList(scores)

    def score(self, ref: Score | str, scorecard: Scorecard | str | None = None) -> Score:
        """A score by id, key, externalId or name; ``scorecard`` (resolved only when
        needed) limits the key and name lookups to its scores."""
        if isinstance(ref, Score):
            return ref
        scope = (lambda: self.list_scores(self.scorecard(scorecard))) if scorecard is not None else None
        return self._find(Score, ref, "score", lambda s: f"{s.name} (id {s.id})", scope)

    def scorecard_of_score(self, score: Score) -> Scorecard:
        section = self.records.get(ScorecardSection, score.section_id)
        if section is None:
            raise NotFoundError(f"Score {score.name!r} points at a missing section {score.section_id!r}.")
        return self.scorecard(section.scorecard_id)
