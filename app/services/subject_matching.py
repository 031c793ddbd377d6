"""Finding the person a data-subject request is about: a search of every module's people by
the identifiers the request holds, recorded as possible matches for a person to confirm or
reject.

The search compares like with like, as the duplicate checks do (``app.services.duplicates``):
names as name keys (``app.rules.names.name_key``), postcodes, UPNs, email addresses and phone
numbers in the normal forms the schemas store. What matched is recorded with each match
(``matched_on``). No match is ever confirmed by the search: a UPN can be mistyped, and two
children share a name and a birthday more often than one would think, so a person decides
(UK GDPR Art 12(2) and (6): the council must be sure whose data it releases).

The search is the subject-rights purpose's, over the whole of KPAS; it finds every record the
purpose may reach today (``Access.visible_subjects``: not those past their retention date).
Records it finds, possible or not, are personal data read under that purpose: the audit event
names each one's data subject.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.licences import Person
from app.models.people import Carer, Pupil
from app.models.subject_requests import (
    MatchStatus,
    RequesterKind,
    SubjectRequest,
    SubjectRequestMatch,
)
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.subject_records import NAME_MATCH_LIMIT, SubjectRecordRepository
from app.rules.names import name_key
from app.schemas.subject_request_answers import (
    MatchDecisionCreate,
    MatchRecordType,
    MatchStrength,
    SubjectSearchCreate,
)
from app.services.subject_requests import _open, load_request

MATCH_NOT_FOUND = "No match with that id on this request."

#: The people modules a search reads; every other module is reached through the person.
SEARCHED_MODULES = ("pupils", "carers", "people on licences")
SEARCH_REASON = (
    "KPAS is the system of record for attendance, casework and licensing. Its pupils, carers "
    "and people on licences were searched by every identifier the request gives; attendance, "
    "cases, documents, licences, disclosures, messages and the audit trail are found through "
    "each person confirmed."
)
SEARCH_PROPORTIONALITY = (
    "Every record KPAS holds about a person hangs from their pupil, carer or licensing "
    "record, so searching those by identifier finds all of it; possible matches are checked "
    "by a person before anything is released."
)
#: How each identifier is named in the search record (never its value).
IDENTIFIER_WORDS = {
    "upn": "UPN",
    "legal_names": "legal name",
    "other_names": "other names",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "school_urn": "school",
    "email": "email address",
    "phone": "phone number",
}
NAMES = frozenset({"legal_names", "other_names"})


@dataclass(frozen=True, slots=True)
class Identifiers:
    """What the request gives to find its subject, in the stored normal forms."""

    names: tuple[str, str] | None
    other_names: frozenset[tuple[str, str]]
    date_of_birth: date | None
    upn: str | None
    postcode: str | None
    school_urn: int | None
    email: str | None
    phone: str | None

    @property
    def all_names(self) -> set[tuple[str, str]]:
        return ({self.names} if self.names else set()) | set(self.other_names)

    def searched_keys(self) -> list[str]:
        """The identifiers given (their names in ``IDENTIFIER_WORDS``), never their values."""
        given = {
            "upn": self.upn,
            "legal_names": self.names,
            "other_names": self.other_names,
            "date_of_birth": self.date_of_birth,
            "postcode": self.postcode,
            "school_urn": self.school_urn,
            "email": self.email,
            "phone": self.phone,
        }
        return [key for key, value in given.items() if value]

    def searched_by(self) -> list[str]:
        return [IDENTIFIER_WORDS[key] for key in self.searched_keys()]


def _other_names(forename: str, others: Iterable[str]) -> frozenset[tuple[str, str]]:
    """Name keys for former or preferred names given as whole names ("Morgan Price": forename
    ``morgan``, surname ``price``; a surname may be several words). A single word is a former
    surname with the subject's forename."""
    pairs: set[tuple[str, str]] = set()
    for other in others:
        words = name_key(other).split()
        if len(words) == 1:
            pairs.add((forename, words[0]))
        elif words:
            pairs.add((words[0], " ".join(words[1:])))
            pairs.add((" ".join(words[:-1]), words[-1]))
    return frozenset(pairs)


def identifiers_of(request: SubjectRequest, search: SubjectSearchCreate) -> Identifiers:
    """The identifiers a request gives: its subject details, the requester's own contact
    details where the subject asks for themselves, and the contact details given here."""
    details: Mapping[str, Any] = request.subject_details or {}
    forename = name_key(str(details.get("forename") or ""))
    surname = name_key(str(details.get("surname") or ""))
    born = details.get("date_of_birth")
    own = request.requester_kind is RequesterKind.SUBJECT
    email = search.email or (request.requester_email if own else None)
    phone = search.phone or (request.requester_phone if own else None)
    return Identifiers(
        names=(forename, surname) if forename and surname else None,
        other_names=_other_names(forename, details.get("other_names") or []),
        date_of_birth=date.fromisoformat(str(born)) if born else None,
        upn=str(details["upn"]).upper() if details.get("upn") else None,
        postcode=str(details["postcode"]) if details.get("postcode") else None,
        school_urn=int(details["school_urn"]) if details.get("school_urn") else None,
        email=email.lower() if email else None,
        phone=phone or None,
    )


def _names_matched(ids: Identifiers, forename_key: str, surname_key: str) -> list[str]:
    pair = (forename_key, surname_key)
    if ids.names == pair:
        return ["legal_names"]
    return ["other_names"] if pair in ids.other_names else []


def pupil_matched_on(ids: Identifiers, pupil: Pupil) -> list[str]:
    """The identifiers a pupil's record agrees with (empty: not a match)."""
    matched = []
    if ids.upn and pupil.upn and pupil.upn.upper() == ids.upn:
        matched.append("upn")
    matched += _names_matched(ids, pupil.forename_key, pupil.surname_key)
    if not matched:
        return []
    if ids.date_of_birth and pupil.date_of_birth == ids.date_of_birth:
        matched.append("date_of_birth")
    if ids.postcode and pupil.postcode == ids.postcode:
        matched.append("postcode")
    if ids.school_urn and any(e.school_urn == ids.school_urn for e in pupil.enrolments):
        matched.append("school_urn")
    return matched


def _contact_matched(ids: Identifiers, record: Carer | Person) -> list[str]:
    matched = []
    if ids.postcode and record.postcode == ids.postcode:
        matched.append("postcode")
    if ids.email and record.email and record.email.lower() == ids.email:
        matched.append("email")
    if ids.phone and record.phone == ids.phone:
        matched.append("phone")
    return matched


def carer_matched_on(ids: Identifiers, carer: Carer) -> list[str]:
    names = _names_matched(ids, carer.forename_key, carer.surname_key)
    contact = _contact_matched(ids, carer)
    if not names and not ({"email", "phone"} & set(contact)):
        return []
    return names + contact


def person_matched_on(ids: Identifiers, person: Person) -> list[str]:
    names = _names_matched(ids, person.forename_key, person.surname_key)
    contact = _contact_matched(ids, person)
    if not names and not ({"email", "phone"} & set(contact)):
        return []
    born = (
        ["date_of_birth"]
        if names and ids.date_of_birth and person.date_of_birth == ids.date_of_birth
        else []
    )
    return names + born + contact


def strength(matched_on: Sequence[str]) -> MatchStrength:
    """How strongly the identifiers agree (the order ``MatchStrength`` documents)."""
    found = set(matched_on)
    named = bool(found & NAMES)
    if "upn" in found:
        return MatchStrength.IDENTIFIER
    if named and "date_of_birth" in found:
        return MatchStrength.NAME_AND_DATE_OF_BIRTH
    if found & {"email", "phone"}:
        return MatchStrength.CONTACT_DETAILS
    if named and "postcode" in found:
        return MatchStrength.NAME_AND_POSTCODE
    return MatchStrength.NAME_ONLY


@dataclass(frozen=True, slots=True)
class Candidate:
    record_type: MatchRecordType
    record: Pupil | Carer | Person
    matched_on: list[str]


@dataclass(slots=True)
class MatchView:
    """A match with the record it names (None once that record is gone)."""

    match: SubjectRequestMatch
    record: Pupil | Carer | Person | None


@dataclass(slots=True)
class SearchView:
    request: SubjectRequest
    searched_on: date
    searched_by: list[str]
    found: int
    added: int
    limit_reached: bool
    search_record_written: bool
    matches: list[MatchView]


async def _candidates(
    repository: SubjectRecordRepository, access: Access, ids: Identifiers
) -> tuple[list[Candidate], bool]:
    """Every record the identifiers match, and whether a name matched more records of one
    kind than are recorded."""
    visible = access.visible_subjects
    names = ids.all_names
    pupils = await repository.pupils_by_names(names, visible=visible) if names else []
    limit_reached = len(pupils) >= NAME_MATCH_LIMIT
    if ids.upn:
        pupils += await repository.pupils_by_upn(ids.upn, visible=visible)
    carers = await repository.carers_by_names(names, visible=visible) if names else []
    people = await repository.people_by_names(names, visible=visible) if names else []
    limit_reached = limit_reached or NAME_MATCH_LIMIT in (len(carers), len(people))
    carers += await repository.by_contact(Carer, email=ids.email, phone=ids.phone, visible=visible)
    people += await repository.by_contact(Person, email=ids.email, phone=ids.phone, visible=visible)
    found: dict[uuid.UUID, Candidate] = {}
    for pupil in pupils:
        matched = pupil_matched_on(ids, pupil)
        if matched:
            found[pupil.subject_id] = Candidate(MatchRecordType.PUPIL, pupil, matched)
    for carer in carers:
        matched = carer_matched_on(ids, carer)
        if matched:
            found[carer.subject_id] = Candidate(MatchRecordType.CARER, carer, matched)
    for person in people:
        matched = person_matched_on(ids, person)
        if matched:
            found[person.subject_id] = Candidate(MatchRecordType.PERSON, person, matched)
    return list(found.values()), limit_reached


def _search_record(access: Access, searched_by: list[str]) -> dict[str, Any]:
    """The search, as the request's search record holds it (``SearchRecord``)."""
    return {
        "searched": [
            {
                "system": "KPAS",
                "modules": list(SEARCHED_MODULES),
                "searched_by": searched_by,
                "from_date": None,
                "to_date": None,
                "searched_on": access.today.isoformat(),
                "reason": SEARCH_REASON,
            }
        ],
        "not_searched": [],
        "proportionality": SEARCH_PROPORTIONALITY,
        "recorded_by": access.principal.subject,
        "recorded_at": access.now.isoformat(),
    }


async def search(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, data: SubjectSearchCreate
) -> SearchView:
    """Search every module's people by the request's identifiers and record each record that
    matches as a possible match, with what matched. A record already matched keeps its
    match (and any decision on it): only what it agrees with is brought up to date while it
    is still possible. Writes the request's search record when it has none."""
    request = await load_request(session, access, request_id, for_update=True)
    _open(request)
    repository = SubjectRecordRepository(session)
    ids = identifiers_of(request, data)
    searched_by = ids.searched_by()
    candidates, limit_reached = await _candidates(repository, access, ids)
    existing = {m.subject_id: m for m in await repository.matches(request.id)}
    added = 0
    for candidate in candidates:
        record = candidate.record
        held = existing.get(record.subject_id)
        if held is not None:
            if held.status is MatchStatus.POSSIBLE:
                held.matched_on = candidate.matched_on
            continue
        match = SubjectRequestMatch(
            id=uuid.uuid4(),
            request_id=request.id,
            subject_id=record.subject_id,
            record_type=candidate.record_type.value,
            record_id=record.id,
            status=MatchStatus.POSSIBLE,
            matched_on=candidate.matched_on,
        )
        repository.add(match)
        existing[record.subject_id] = match
        added += 1
    written = request.search_record is None
    if written:
        request.search_record = _search_record(access, searched_by)
        request.updated_at = access.now
    await session.flush()
    access.touched(subject_ids=[c.record.subject_id for c in candidates], resource_id=request.id)
    access.record_change(
        "subject_request.searched",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={
            "identifiers": ",".join(ids.searched_keys()),
            "found": len(candidates),
            "added": added,
            "limit_reached": limit_reached,
            "search_record_written": written,
        },
    )
    matches = await _views(repository, list(existing.values()))
    return SearchView(
        request=request,
        searched_on=access.today,
        searched_by=searched_by,
        found=len(candidates),
        added=added,
        limit_reached=limit_reached,
        search_record_written=written,
        matches=sorted(matches, key=lambda v: (v.match.record_type, str(v.match.id))),
    )


async def _views(
    repository: SubjectRecordRepository, matches: Sequence[SubjectRequestMatch]
) -> list[MatchView]:
    by_type: dict[str, set[uuid.UUID]] = {t.value: set() for t in MatchRecordType}
    for match in matches:
        by_type.setdefault(match.record_type, set()).add(match.record_id)
    pupils, carers, people = await repository.records_named(
        by_type[MatchRecordType.PUPIL],
        by_type[MatchRecordType.CARER],
        by_type[MatchRecordType.PERSON],
    )
    records: dict[uuid.UUID, Pupil | Carer | Person] = {}
    for found in (pupils, carers, people):
        records.update((r.id, r) for r in found)
    return [MatchView(match, records.get(match.record_id)) for match in matches]


async def list_matches(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    status: MatchStatus | None,
    page: PageRequest,
) -> tuple[list[MatchView], str | None]:
    """A request's matches by kind of record; each names its record's data subject in the
    audit trail (the list shows who they are)."""
    request = await load_request(session, access, request_id)
    repository = SubjectRecordRepository(session)
    found, next_cursor = await repository.match_page(request.id, status, page)
    access.touched(subject_ids=[m.subject_id for m in found], resource_id=request.id)
    return await _views(repository, found), next_cursor


async def decide_match(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    match_id: uuid.UUID,
    data: MatchDecisionCreate,
) -> MatchView:
    """Confirm or reject a match (who and when are recorded). A decision may be changed
    while the request is open; a bundle released before the change stays as it was sent (the
    disclosure log holds its hash), and a new release reflects the change."""
    request = await load_request(session, access, request_id, for_update=True)
    _open(request)
    repository = SubjectRecordRepository(session)
    match = await repository.match(request.id, match_id, for_update=True)
    if match is None:
        raise access.not_found(match_id, MATCH_NOT_FOUND)
    match.status = MatchStatus(data.decision.value)
    match.decided_by = access.principal.subject
    match.decided_at = access.now
    await session.flush()
    access.touched(subject_ids=[match.subject_id], resource_id=request.id)
    access.record_change(
        f"subject_request.match_{data.decision.value}",
        resource_id=request.id,
        subject_id=match.subject_id,
        details={
            "match_id": str(match.id),
            "record_type": match.record_type,
            "record_id": str(match.record_id),
        },
    )
    return (await _views(repository, [match]))[0]
