"""The records of an access bundle: every record in every module about the people confirmed
as a request's subjects, each as an item with what the council must tell them about it.

``Collector`` reads them through ``SubjectRecordRepository`` (one query per kind of record, by
the people's and their cases' keys) and turns each into an ``Item``: its content as held
(``fields_of``: every column but search keys, row versions, encryption material and the
footing, which is given in words), its purposes and basis (``Footing``), data categories,
source, retention period and whose retention date applies, and the other people it links by
its structure. It also gathers the people KPAS knows around the subjects (their carers, the
other children of those carers, the parties of their cases, the people on their licences),
whose names ``named`` looks for in each item's words. What each item's answer is, and the
bundle as a document, is ``app.services.subject_bundle``'s.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import inspect as sa_inspect

from app.models.attendance import AttendanceAlert, AttendanceMark, AttendanceMarkHistory
from app.models.cases import (
    RECORDED_KINDS,
    AttendanceContract,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMeeting,
    NoticeToImprove,
    PenaltyNotice,
    Prosecution,
    ReferralSource,
    SchoolAttendanceOrder,
)
from app.models.disclosures import DisclosureChannel
from app.models.exclusions import Exclusion
from app.models.licences import Licence, LicenceKind, Person, PersonType
from app.models.messages import OutboundMessage
from app.models.people import (
    Carer,
    CarerRelationship,
    Pupil,
    PupilDocument,
    SensitiveCategory,
    SensitiveEntry,
)
from app.models.roll_reviews import RollReview
from app.models.sharing import DataCategory
from app.models.subject_requests import SubjectRequestMatch
from app.policies.registry import PURPOSE_BITS, REGISTRY, Purpose, purposes_of
from app.repositories.subject_records import AuditRead, DisclosureRow, SubjectRecordRepository
from app.rules import casework
from app.rules.attendance import ATTENDANCE_CODES, POSSIBLE_CATEGORIES, CodeCategory
from app.rules.attendance import school_year_start as school_year_of
from app.rules.names import name_key
from app.rules.retention import LICENSING_ADULT_YEARS
from app.rules.subject_rights import BASES, LAW_ENFORCEMENT
from app.schemas.subject_request_answers import BundleResourceType, MatchRecordType
from app.services.subject_requests import REQUESTER_BASIS

R = BundleResourceType

#: Columns a bundle never shows: search keys, row versions, encryption material, and the
#: lawful footing (shown for every item in words instead).
HIDDEN_COLUMNS = frozenset(
    {
        "surname_key",
        "forename_key",
        "title_key",
        "version",
        "ciphertext",
        "nonce",
        "subject_id",
        "purposes_mask",
        "lawful_basis",
    }
)
#: The outbox's own machinery: how and when it tried to send, not what was sent.
MESSAGE_MACHINERY = frozenset(
    {
        "template_id",
        "reference",
        "notify_id",
        "claimed_by",
        "claimed_until",
        "outcome_unknown",
        "next_attempt_at",
        "attempts",
        "last_error",
        "first_attempt_at",
    }
)

PUPIL_PERIOD = (
    "Until the day before the 25th birthday of the child it is about (KPAS privacy notice), "
    "then made inaccessible and destroyed."
)
CARER_PERIOD = (
    "As long as the records of the children it is linked to: until the day before the "
    "youngest child's 25th birthday."
)
ADULT_PERIOD = (
    f"{LICENSING_ADULT_YEARS} years after the last licence the person is on ends (Limitation "
    "Act 1980 ss2, 5; council retention schedule)."
)
MESSAGE_PERIOD = (
    "The address and content are cleared a short holding period after the message is "
    "final; the record that it was sent is kept with the person's other records."
)
AUDIT_PERIOD = (
    "Kept as the council's tamper-evident audit trail (UK GDPR Art 5(2); DPA 2018 s62); it "
    "names people by id only."
)
AUDIT_SOURCE = "The KPAS audit trail: every decision to allow a read of the person's records."

SENSITIVE_CATEGORIES = {
    SensitiveCategory.ETHNICITY: DataCategory.SPECIAL_CATEGORY_ETHNICITY,
    SensitiveCategory.HEALTH: DataCategory.SPECIAL_CATEGORY_HEALTH,
    SensitiveCategory.SEND: DataCategory.SPECIAL_CATEGORY_SEND,
    SensitiveCategory.SOCIAL_CARE: DataCategory.SOCIAL_CARE,
}
REFERRAL_SOURCES = {
    ReferralSource.SCHOOL: "Referred to the council by the pupil's school; recorded by council "
    "officers.",
    ReferralSource.ALERT: "Opened by the council from an attendance alert; recorded by council "
    "officers.",
    ReferralSource.COUNCIL: "Opened by the council; recorded by council officers.",
}
#: Titles that, before a surname, name a particular adult.
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr")
_WORDS = re.compile(r"[\w'\-]+")


@dataclass(frozen=True, slots=True)
class Footing:
    """The purposes and basis a record is held on. ``law_enforcement``: also held for
    ``prosecution`` (DPA 2018 Part 3, basis s35(2)(b))."""

    mask: int
    basis: str
    extra_purposes: frozenset[Purpose] = frozenset()

    @property
    def purposes(self) -> list[Purpose]:
        held = set(purposes_of(self.mask)) | self.extra_purposes
        return [p for p in PURPOSE_BITS if p in held]

    @property
    def law_enforcement(self) -> bool:
        return self.basis == LAW_ENFORCEMENT or Purpose.PROSECUTION in self.purposes

    @property
    def bases(self) -> list[str]:
        found = [self.basis.replace(" ", "")] if self.basis else []
        if self.law_enforcement and LAW_ENFORCEMENT not in found:
            found.append(LAW_ENFORCEMENT)
        return [b for b in found if b in BASES]

    @property
    def only_law_enforcement(self) -> bool:
        return self.bases == [LAW_ENFORCEMENT]


@dataclass(slots=True)
class Item:
    """One record of the bundle before its answer is known."""

    resource_type: BundleResourceType
    resource_id: str
    subject_id: uuid.UUID
    title: str
    recorded_at: datetime | None
    data: dict[str, Any]
    footing: Footing
    categories: list[str]
    source: str
    period: str
    #: Whose retention date applies (the row's own data subject).
    retention_subject: uuid.UUID | None
    #: Other people the record links by its structure, with what they are to it.
    linked: dict[uuid.UUID, str] = field(default_factory=dict)
    special_category: bool = False
    #: Look for names of people around the subject in its words.
    scan: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_type.value, self.resource_id)


def _plain(value: Any) -> Any:
    return to_jsonable_python(value)


def fields_of(record: Any, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A record's columns as held (JSON values), less what a bundle never shows and any not
    loaded (a document's content)."""
    state = sa_inspect(record)
    skipped = HIDDEN_COLUMNS | set(exclude) | set(state.unloaded)
    return {
        attr.key: _plain(getattr(record, attr.key))
        for attr in state.mapper.column_attrs
        if attr.key not in skipped
    }


def _label(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _full_name(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _purpose(code: str | None) -> Purpose | None:
    try:
        return Purpose(code) if code else None
    except ValueError:
        return None


def _bit(code: str | None) -> int:
    purpose = _purpose(code)
    return 0 if purpose is None else PURPOSE_BITS[purpose]


# --- the people around the subject (for the third-party check) ----------------------------


@dataclass(frozen=True, slots=True)
class Known:
    """Someone KPAS holds who may appear in a subject's records."""

    subject_id: uuid.UUID
    forename: str
    surname: str
    what: str


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner)


def named(
    data: Mapping[str, Any], people: Sequence[Known], own_surnames: frozenset[str]
) -> dict[uuid.UUID, str]:
    """The people ``data``'s words name: by forename, by title and surname, or by a surname
    the subjects do not share."""
    if not people:
        return {}
    words = " ".join(_WORDS.findall(name_key(" ".join(_strings(data)))))
    padded = f" {words} "
    found: dict[uuid.UUID, str] = {}
    for person in people:
        hit = (
            (len(person.forename) > 1 and f" {person.forename} " in padded)
            or (person.surname not in own_surnames and f" {person.surname} " in padded)
            or any(f" {title} {person.surname} " in padded for title in TITLES)
        )
        if hit and person.surname:
            found.setdefault(person.subject_id, f"names another person: {person.what}")
    return found


# --- building ---------------------------------------------------------------------------------


class Collector:
    """Gathers a request's items from the records the repository loads."""

    def __init__(
        self,
        repository: SubjectRecordRepository,
        matches: Sequence[SubjectRequestMatch],
    ) -> None:
        self.repository = repository
        self.matches = list(matches)
        self.subjects = {m.subject_id for m in matches}
        self.ids: dict[MatchRecordType, set[uuid.UUID]] = defaultdict(set)
        for m in matches:
            self.ids[MatchRecordType(m.record_type)].add(m.record_id)
        self.items: list[Item] = []
        self.known: dict[uuid.UUID, Known] = {}
        self.schools: dict[int, str] = {}
        self.names: dict[uuid.UUID, str] = {}
        self.surnames: set[str] = set()

    def know(self, subject_id: uuid.UUID, forename: str, surname: str, what: str) -> None:
        if subject_id not in self.subjects and subject_id not in self.known:
            self.known[subject_id] = Known(subject_id, name_key(forename), name_key(surname), what)

    def others(self, *pairs: tuple[uuid.UUID | None, str]) -> dict[uuid.UUID, str]:
        return {
            s: f"links another person: {what}" for s, what in pairs if s and s not in self.subjects
        }

    def about(self, *candidates: uuid.UUID | None) -> uuid.UUID:
        """The confirmed subject a record is about: the first of ``candidates`` confirmed."""
        for candidate in candidates:
            if candidate in self.subjects:
                return candidate
        return self.matches[0].subject_id

    def school(self, urn: int | None) -> str | None:
        return None if urn is None else self.schools.get(urn)

    async def collect(self) -> None:
        repo = self.repository
        pupil_ids = self.ids[MatchRecordType.PUPIL]
        carer_ids = self.ids[MatchRecordType.CARER]
        person_ids = self.ids[MatchRecordType.PERSON]
        pupils = await repo.pupils(pupil_ids)
        _, carers, people = await repo.records_named((), carer_ids, person_ids)
        for pupil in pupils:
            self.names[pupil.subject_id] = _full_name(pupil.legal_forename, pupil.legal_surname)
            self.surnames.add(pupil.surname_key)
        for carer in carers:
            self.names[carer.subject_id] = _full_name(carer.forename, carer.surname)
            self.surnames.add(carer.surname_key)
        for person in people:
            self.names[person.subject_id] = _full_name(person.legal_forename, person.legal_surname)
            self.surnames.add(person.surname_key)
        relationships = await repo.relationships(pupil_ids=pupil_ids, carer_ids=carer_ids)
        # Brothers and sisters: the other children of the subject's carers (names only).
        family = await repo.relationships(
            pupil_ids=(), carer_ids={r.carer_id for r in relationships} - carer_ids
        )
        for r in (*relationships, *family):
            self.know(r.carer.subject_id, r.carer.forename, r.carer.surname, "a parent or carer")
            self.know(r.pupil.subject_id, r.pupil.legal_forename, r.pupil.legal_surname, "a child")
        cases = await repo.cases(pupil_ids=pupil_ids, carer_ids=carer_ids)
        case_ids = [c.id for c in cases]
        for case in cases:
            for party in case.parties:
                self.know(party.subject_id, party.carer.forename, party.carer.surname, "a parent")
        case_pupils = {c.pupil_id for c in cases} - pupil_ids
        licences = await repo.licences(pupil_ids=pupil_ids, person_ids=person_ids)
        licence_pupils = {lic.pupil_id for lic in licences if lic.pupil_id} - pupil_ids
        other_pupils, _, _ = await repo.records_named(case_pupils | licence_pupils, (), ())
        for pupil in other_pupils:
            self.know(pupil.subject_id, pupil.legal_forename, pupil.legal_surname, "a child")
        licence_people = {
            p
            for lic in licences
            for p in (lic.person_id, lic.parent_id, lic.employer_id)
            if p is not None
        } - person_ids
        linked_people = await repo.people(licence_people)
        for person in linked_people:
            self.know(
                person.subject_id,
                person.legal_forename,
                person.legal_surname,
                "a person on a licence",
            )
        approvals = await repo.licences_by_id(
            {lic.chaperone_id for lic in licences if lic.chaperone_id}
        )
        for approval in approvals:
            self.know(approval.subject_id, approval.forename, approval.surname, "a chaperone")
        urns: set[int] = set()
        for pupil in pupils:
            urns |= {e.school_urn for e in pupil.enrolments}
        marks = await repo.marks(pupil_ids)
        urns |= {m.school_urn for m in marks}
        urns |= {c.school_urn for c in cases}
        urns |= {lic.school_urn for lic in licences if lic.school_urn}
        alerts = await repo.by_pupil(AttendanceAlert, pupil_ids)
        exclusions = await repo.by_pupil(Exclusion, pupil_ids)
        urns |= {a.school_urn for a in alerts} | {e.school_urn for e in exclusions}
        self.schools = await repo.schools(urns)

        states = await self._states()
        for pupil in pupils:
            self._pupil(pupil, states)
        for carer in carers:
            self._carer(carer, states)
        for person in people:
            self._person(person, states)
        pupil_footings = {p.id: Footing(p.purposes_mask, p.lawful_basis) for p in pupils}
        carer_footings = {c.id: Footing(c.purposes_mask, c.lawful_basis) for c in carers}
        for r in relationships:
            self._relationship(r, pupil_footings, carer_footings)
        for entry in await repo.by_pupil(SensitiveEntry, pupil_ids):
            self._sensitive(entry)
        for document in await repo.by_pupil(PupilDocument, pupil_ids):
            self._pupil_document(document)
        history = await repo.mark_history(pupil_ids)
        self._attendance(pupils, marks, history)
        for alert in alerts:
            self._alert(alert)
        for exclusion in exclusions:
            self._exclusion(exclusion)
        for review in await repo.by_pupil(RollReview, pupil_ids):
            self._roll_review(review)
        await self._cases(cases, case_ids)
        await self._licences(licences, linked_people, approvals, person_ids)
        subject_ids = sorted(self.subjects)
        for message in await repo.messages(subject_ids, pupil_ids):
            self._message(message)
        for row in await repo.disclosures(subject_ids):
            self._disclosure(row)
        reads = await repo.reads(subject_ids)
        self._access_logs(reads)

    async def _states(self) -> dict[uuid.UUID, dict[str, Any]]:
        """Each confirmed subject's state: restriction, objections and legal claims."""
        repo = self.repository
        subjects = await repo.subjects(self.subjects)
        state: dict[uuid.UUID, dict[str, Any]] = {
            s: {
                "restricted_since": _plain(subjects[s].restricted_since) if s in subjects else None,
                "objections": [],
                "legal_claims": [],
            }
            for s in self.subjects
        }
        for objection in await repo.objections(self.subjects):
            state[objection.subject_id]["objections"].append(fields_of(objection, exclude=("id",)))
        for claim in await repo.legal_claims(self.subjects):
            state[claim.subject_id]["legal_claims"].append(fields_of(claim, exclude=("id",)))
        return state

    # --- the people themselves --------------------------------------------------------------

    def _pupil(self, pupil: Pupil, states: Mapping[uuid.UUID, Any]) -> None:
        data = fields_of(pupil)
        data["enrolments"] = [
            {
                "school_urn": e.school_urn,
                "school_name": self.school(e.school_urn),
                "on_roll_from": _plain(e.on_roll_from),
                "off_roll_on": _plain(e.off_roll_on),
                "source": e.source.value,
            }
            for e in pupil.enrolments
        ]
        data["processing"] = states[pupil.subject_id]
        self.items.append(
            Item(
                R.PUPIL,
                str(pupil.id),
                pupil.subject_id,
                f"Pupil record: {_full_name(pupil.legal_forename, pupil.legal_surname)}",
                pupil.updated_at,
                data,
                Footing(pupil.purposes_mask, pupil.lawful_basis),
                [DataCategory.IDENTITY_CONTACT.value],
                "The roll of the pupil's school, sent by its information system, or entered by "
                "council staff.",
                PUPIL_PERIOD,
                pupil.subject_id,
                scan=False,
            )
        )

    def _carer(self, carer: Carer, states: Mapping[uuid.UUID, Any]) -> None:
        data = fields_of(carer)
        data["processing"] = states[carer.subject_id]
        self.items.append(
            Item(
                R.CARER,
                str(carer.id),
                carer.subject_id,
                f"Parent or carer record: {_full_name(carer.forename, carer.surname)}",
                carer.updated_at,
                data,
                Footing(carer.purposes_mask, carer.lawful_basis),
                [DataCategory.IDENTITY_CONTACT.value],
                "A school's contact record for the children in the person's care, sent with its "
                "roll, or entered by council staff.",
                CARER_PERIOD,
                carer.subject_id,
                scan=False,
            )
        )

    def _person(self, person: Person, states: Mapping[uuid.UUID, Any]) -> None:
        data = fields_of(person)
        data["processing"] = states[person.subject_id]
        child = person.person_type is PersonType.CHILD
        self.items.append(
            Item(
                R.PERSON,
                str(person.id),
                person.subject_id,
                f"Licensing record: {_full_name(person.legal_forename, person.legal_surname)}",
                person.updated_at,
                data,
                Footing(person.purposes_mask, person.lawful_basis),
                [DataCategory.IDENTITY_CONTACT.value, DataCategory.LICENSING.value],
                "An application for a child's work permit or performance licence, or a "
                "chaperone approval, made to the council.",
                PUPIL_PERIOD if child else ADULT_PERIOD,
                person.subject_id,
                scan=False,
            )
        )

    def _relationship(
        self,
        r: CarerRelationship,
        pupil_footings: Mapping[uuid.UUID, Footing],
        carer_footings: Mapping[uuid.UUID, Footing],
    ) -> None:
        subject = self.about(r.pupil.subject_id, r.carer.subject_id)
        footing = pupil_footings.get(r.pupil_id) or carer_footings[r.carer_id]
        pupil_name = _full_name(r.pupil.legal_forename, r.pupil.legal_surname)
        carer_name = _full_name(r.carer.title, r.carer.forename, r.carer.surname)
        data: dict[str, Any] = {
            "pupil": {"id": str(r.pupil_id), "name": pupil_name},
            "carer": {"id": str(r.carer_id), "name": carer_name},
            "relationship_type": r.relationship_type.value,
            "parental_responsibility": r.parental_responsibility,
            "lives_with": r.lives_with,
            "contact_priority": r.contact_priority,
        }
        self.items.append(
            Item(
                R.CARER_RELATIONSHIP,
                str(r.id),
                subject,
                f"Family link: {carer_name} and {pupil_name}",
                r.updated_at,
                data,
                footing,
                [DataCategory.IDENTITY_CONTACT.value],
                "A school's contact record, sent with its roll, or entered by council staff.",
                PUPIL_PERIOD,
                r.pupil.subject_id,
                linked=self.others(
                    (r.carer.subject_id, "a parent or carer"), (r.pupil.subject_id, "a child")
                ),
                scan=False,
            )
        )

    def _sensitive(self, entry: SensitiveEntry) -> None:
        self.items.append(
            Item(
                R.SENSITIVE_ENTRY,
                str(entry.id),
                entry.subject_id,
                f"Special category data: {_label(entry.category.value)}",
                entry.updated_at,
                fields_of(entry),
                Footing(entry.purposes_mask, entry.lawful_basis),
                [SENSITIVE_CATEGORIES[entry.category].value],
                entry.source,
                PUPIL_PERIOD,
                entry.subject_id,
                special_category=True,
            )
        )

    def _pupil_document(self, document: PupilDocument) -> None:
        data = fields_of(document)
        data["content"] = "Held encrypted; listed here by what it is."
        self.items.append(
            Item(
                R.PUPIL_DOCUMENT,
                str(document.id),
                document.subject_id,
                f"Document: {_label(document.kind.value)}",
                document.created_at,
                data,
                Footing(document.purposes_mask, document.lawful_basis),
                [DataCategory.IDENTIFICATION_DOCUMENTS.value],
                document.source,
                PUPIL_PERIOD,
                document.subject_id,
                special_category=True,
                scan=False,
            )
        )

    # --- attendance -------------------------------------------------------------------------

    def _attendance(
        self,
        pupils: Sequence[Pupil],
        marks: Sequence[AttendanceMark],
        history: Sequence[AttendanceMarkHistory],
    ) -> None:
        """One item per pupil and school: every mark, the figures by school year, and every
        mark a later one corrected."""
        by_pupil = {p.id: p for p in pupils}
        grouped: dict[tuple[uuid.UUID, int], list[AttendanceMark]] = defaultdict(list)
        for mark in marks:
            grouped[(mark.pupil_id, mark.school_urn)].append(mark)
        corrections: dict[tuple[uuid.UUID, int], list[AttendanceMarkHistory]] = defaultdict(list)
        for old in history:
            corrections[(old.pupil_id, old.school_urn)].append(old)
            grouped.setdefault((old.pupil_id, old.school_urn), [])
        for (pupil_id, urn), rows in sorted(
            grouped.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])
        ):
            pupil = by_pupil[pupil_id]
            years: dict[date, dict[str, int]] = {}
            listed = []
            for mark in rows:
                code = ATTENDANCE_CODES.get(mark.code)
                listed.append(
                    {
                        "date": mark.mark_date.isoformat(),
                        "session": mark.session,
                        "mark": mark.code,
                        "meaning": code.meaning if code else "a code no longer in use",
                    }
                )
                counts = years.setdefault(
                    school_year_of(mark.mark_date), dict.fromkeys(CodeCategory, 0)
                )
                if code is not None:
                    counts[code.category] += 1
            figures = []
            for start, counts in sorted(years.items()):
                possible = sum(counts[c] for c in POSSIBLE_CATEGORIES)
                attended = (
                    counts[CodeCategory.PRESENT]
                    + counts[CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY]
                )
                figures.append(
                    {
                        "school_year": f"{start.year}/{(start.year + 1) % 100:02d}",
                        "possible_sessions": possible,
                        "present": counts[CodeCategory.PRESENT],
                        "approved_activity": counts[CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY],
                        "authorised_absence": counts[CodeCategory.AUTHORISED_ABSENCE],
                        "unauthorised_absence": counts[CodeCategory.UNAUTHORISED_ABSENCE],
                        "attendance_percent": round(100 * attended / possible, 1)
                        if possible
                        else None,
                    }
                )
            data = {
                "school_urn": urn,
                "school_name": self.school(urn),
                "marks": listed,
                "figures": figures,
                "corrections": [
                    {
                        "date": old.mark_date.isoformat(),
                        "session": old.session,
                        "mark": old.code,
                        "recorded_at": _plain(old.recorded_at),
                        "replaced_at": _plain(old.replaced_at),
                    }
                    for old in corrections[(pupil_id, urn)]
                ],
            }
            self.items.append(
                Item(
                    R.ATTENDANCE,
                    f"{pupil_id}:{urn}",
                    pupil.subject_id,
                    f"Attendance at {self.school(urn) or f'school {urn}'}",
                    max((m.recorded_at for m in rows), default=None),
                    data,
                    Footing(pupil.purposes_mask, pupil.lawful_basis),
                    [DataCategory.ATTENDANCE.value],
                    "The school's attendance register, sent by its information system (School "
                    "Attendance (Pupil Registration) (England) Regulations 2024).",
                    PUPIL_PERIOD,
                    pupil.subject_id,
                    scan=False,
                )
            )

    def _alert(self, alert: AttendanceAlert) -> None:
        self.items.append(
            Item(
                R.ATTENDANCE_ALERT,
                str(alert.id),
                alert.subject_id,
                f"Attendance alert: {_label(alert.kind.value)}",
                alert.raised_at,
                {**fields_of(alert), "school_name": self.school(alert.school_urn)},
                Footing(alert.purposes_mask, alert.lawful_basis),
                [DataCategory.ATTENDANCE.value],
                "Worked out by KPAS from the attendance marks, against the thresholds in DfE "
                "guidance; an officer decides what follows.",
                PUPIL_PERIOD,
                alert.subject_id,
                scan=False,
            )
        )

    def _exclusion(self, exclusion: Exclusion) -> None:
        self.items.append(
            Item(
                R.EXCLUSION,
                str(exclusion.id),
                exclusion.subject_id,
                f"{_label(exclusion.kind.value)}: {self.school(exclusion.school_urn) or 'school'}",
                exclusion.reported_at,
                {**fields_of(exclusion), "school_name": self.school(exclusion.school_urn)},
                Footing(exclusion.purposes_mask, exclusion.lawful_basis),
                [DataCategory.CASEWORK.value],
                "Reported to the council by the school.",
                PUPIL_PERIOD,
                exclusion.subject_id,
            )
        )

    def _roll_review(self, review: RollReview) -> None:
        self.items.append(
            Item(
                R.ROLL_REVIEW,
                str(review.id),
                review.subject_id,
                "A change from a school's roll held for review",
                review.detected_at,
                fields_of(review),
                Footing(review.purposes_mask, review.lawful_basis),
                [DataCategory.IDENTITY_CONTACT.value],
                "The roll of the pupil's school, sent by its information system.",
                PUPIL_PERIOD,
                review.subject_id,
            )
        )

    # --- casework ---------------------------------------------------------------------------

    async def _cases(self, cases: Sequence[Case], case_ids: Sequence[uuid.UUID]) -> None:
        repo = self.repository
        footings: dict[uuid.UUID, Footing] = {}
        about: dict[uuid.UUID, uuid.UUID] = {}
        case_subjects: dict[uuid.UUID, uuid.UUID] = {}
        refs: dict[uuid.UUID, str] = {}
        party_subjects: dict[uuid.UUID, uuid.UUID] = {}
        for case in cases:
            bound = (
                casework.bound_purposes(case.case_type, case.stage)
                if case.closed_at is None
                else frozenset()
            )
            footing = Footing(case.purposes_mask, case.lawful_basis, frozenset(bound))
            footings[case.id] = footing
            refs[case.id] = case.reference
            parties = {p.subject_id for p in case.parties}
            about[case.id] = self.about(case.subject_id, *sorted(parties, key=str))
            case_subjects[case.id] = case.subject_id
            for party in case.parties:
                party_subjects[party.carer_id] = party.subject_id
            data = fields_of(case)
            data["school_name"] = self.school(case.school_urn)
            data["parties"] = [
                {
                    "carer_id": str(p.carer_id),
                    "name": _full_name(p.carer.title, p.carer.forename, p.carer.surname),
                    "relationship_type": p.relationship_type.value,
                    "parental_responsibility": p.parental_responsibility,
                    "added_at": _plain(p.added_at),
                    "removed_at": _plain(p.removed_at),
                }
                for p in case.parties
            ]
            linked = self.others(
                (case.subject_id, "the child the case is about"),
                *((p.subject_id, "a parent on the case") for p in case.parties),
            )
            self.items.append(
                Item(
                    R.CASE,
                    str(case.id),
                    about[case.id],
                    f"{_label(case.case_type.value)} case {case.reference}",
                    case.updated_at,
                    data,
                    footing,
                    [DataCategory.CASEWORK.value],
                    REFERRAL_SOURCES[case.referral_source],
                    PUPIL_PERIOD,
                    case.subject_id,
                    linked=linked,
                )
            )

        def carer_links(ids: Iterable[Any], what: str) -> dict[uuid.UUID, str]:
            pairs = []
            for raw in ids:
                try:
                    subject = party_subjects.get(uuid.UUID(str(raw)))
                except ValueError:
                    subject = None
                pairs.append((subject, what))
            return self.others(*pairs)

        def part(
            resource_type: BundleResourceType,
            record: Any,
            title: str,
            recorded_at: datetime | None,
            data: dict[str, Any],
            *,
            footing: Footing | None = None,
            linked: dict[uuid.UUID, str] | None = None,
            subject: uuid.UUID | None = None,
            source: str = "Recorded on the case by council officers.",
        ) -> None:
            case_id = record.case_id
            self.items.append(
                Item(
                    resource_type,
                    str(record.id),
                    subject or about[case_id],
                    f"Case {refs[case_id]}: {title}",
                    recorded_at,
                    data,
                    footing or footings[case_id],
                    [DataCategory.CASEWORK.value],
                    source,
                    PUPIL_PERIOD,
                    getattr(record, "subject_id", None) or case_subjects[case_id],
                    linked=linked or {},
                )
            )

        for event in await repo.case_parts(CaseEvent, case_ids):
            details = event.details or {}
            part(
                R.CASE_EVENT,
                event,
                _label(event.kind.value).lower(),
                event.occurred_at,
                fields_of(event),
                linked=carer_links([details[k] for k in ("carer_id",) if k in details], "a parent"),
                source="Recorded on the case by council officers."
                if event.kind in RECORDED_KINDS
                else "Written by KPAS as the case changed.",
            )
        for document in await repo.case_parts(CaseDocument, case_ids):
            data = fields_of(document)
            data["content"] = "Held encrypted; listed here by what it is."
            part(
                R.CASE_DOCUMENT,
                document,
                f"document: {document.title}",
                document.created_at,
                data,
                footing=Footing(
                    document.purposes_mask,
                    document.lawful_basis,
                    footings[document.case_id].extra_purposes,
                ),
            )
        for meeting in await repo.case_parts(CaseMeeting, case_ids):
            part(
                R.CASE_MEETING,
                meeting,
                f"{_label(meeting.kind.value).lower()} meeting",
                meeting.scheduled_for,
                fields_of(meeting),
                linked=carer_links(
                    [*meeting.invited_carer_ids, *(meeting.attended_carer_ids or [])],
                    "a parent invited to the meeting",
                ),
            )
        for contract in await repo.case_parts(AttendanceContract, case_ids):
            part(
                R.ATTENDANCE_CONTRACT,
                contract,
                "attendance contract",
                contract.created_at,
                fields_of(contract),
                linked=carer_links(contract.carer_ids, "a parent who agreed the contract"),
            )
        for notice in await repo.case_parts(NoticeToImprove, case_ids):
            part(
                R.NOTICE_TO_IMPROVE,
                notice,
                "notice to improve",
                notice.created_at,
                fields_of(notice),
                linked=carer_links([notice.carer_id], "the parent given the notice"),
            )
        for penalty in await repo.case_parts(PenaltyNotice, case_ids):
            part(
                R.PENALTY_NOTICE,
                penalty,
                f"penalty notice {penalty.reference}",
                penalty.created_at,
                fields_of(penalty),
                footing=Footing(penalty.purposes_mask, penalty.lawful_basis),
                subject=self.about(penalty.pupil_subject_id, penalty.subject_id),
                linked=self.others(
                    (penalty.subject_id, "the parent given the notice"),
                    (penalty.pupil_subject_id, "the child the notice is for"),
                ),
            )
        for order in await repo.case_parts(SchoolAttendanceOrder, case_ids):
            part(
                R.SCHOOL_ATTENDANCE_ORDER,
                order,
                "School Attendance Order",
                order.created_at,
                fields_of(order),
                linked=carer_links([order.carer_id], "the parent served"),
            )
        prosecution = Footing(PURPOSE_BITS[Purpose.PROSECUTION], LAW_ENFORCEMENT)
        for case_prosecution in await repo.case_parts(Prosecution, case_ids):
            part(
                R.PROSECUTION,
                case_prosecution,
                f"prosecution ({case_prosecution.offence.value})",
                case_prosecution.created_at,
                fields_of(case_prosecution),
                footing=prosecution,
                linked=carer_links([case_prosecution.carer_id], "the parent prosecuted"),
            )

    # --- licensing --------------------------------------------------------------------------

    async def _licences(
        self,
        licences: Sequence[Licence],
        people: Sequence[Person],
        approvals: Sequence[Licence],
        person_ids: set[uuid.UUID],
    ) -> None:
        repo = self.repository
        person_subjects = {p.id: p.subject_id for p in people}
        approval_subjects = {a.id: a.subject_id for a in approvals}
        matched_people = await repo.people(person_ids)
        for p in matched_people:
            person_subjects[p.id] = p.subject_id
        licence_subjects: dict[uuid.UUID, uuid.UUID] = {}
        periods: dict[uuid.UUID, str] = {}
        for licence in licences:
            parent = person_subjects.get(licence.parent_id) if licence.parent_id else None
            employer = person_subjects.get(licence.employer_id) if licence.employer_id else None
            chaperone = (
                approval_subjects.get(licence.chaperone_id) if licence.chaperone_id else None
            )
            subject = self.about(licence.subject_id, parent, employer, chaperone)
            licence_subjects[licence.id] = subject
            data = fields_of(licence)
            data["school_name"] = self.school(licence.school_urn)
            data["days"] = [fields_of(day, exclude=("id", "licence_id")) for day in licence.days]
            categories = [DataCategory.LICENSING.value]
            if licence.health_needs:
                categories.append(DataCategory.SPECIAL_CATEGORY_HEALTH.value)
            adult = licence.date_of_birth is None or licence.kind is LicenceKind.CHAPERONE_APPROVAL
            periods[licence.id] = ADULT_PERIOD if adult else PUPIL_PERIOD
            self.items.append(
                Item(
                    R.LICENCE,
                    str(licence.id),
                    subject,
                    f"{_label(licence.kind.value)} {licence.reference}",
                    licence.updated_at,
                    data,
                    Footing(licence.purposes_mask, licence.lawful_basis),
                    categories,
                    "An application made to the council, and the licensing officer's checks "
                    "and decision.",
                    periods[licence.id],
                    licence.subject_id,
                    linked=self.others(
                        (licence.subject_id, "the person the licence is for"),
                        (parent, "the parent who applied"),
                        (employer, "the employer"),
                        (chaperone, "the chaperone"),
                    ),
                    special_category=bool(licence.health_needs),
                )
            )
        ids = [lic.id for lic in licences]
        for document in await repo.licence_documents(ids):
            data = fields_of(document)
            data["content"] = "Held encrypted; listed here by what it is."
            self.items.append(
                Item(
                    R.LICENCE_DOCUMENT,
                    str(document.id),
                    licence_subjects[document.licence_id],
                    f"Licence document: {document.title}",
                    document.created_at,
                    data,
                    Footing(document.purposes_mask, document.lawful_basis),
                    [DataCategory.LICENSING.value],
                    "Sent to the council with the licence application.",
                    periods[document.licence_id],
                    document.subject_id,
                )
            )
        for absence in await repo.licensed_absences(ids, self.ids[MatchRecordType.PUPIL]):
            self.items.append(
                Item(
                    R.LICENSED_ABSENCE,
                    str(absence.id),
                    self.about(absence.subject_id, licence_subjects.get(absence.licence_id)),
                    "School days away under a licence",
                    absence.notified_at,
                    {**fields_of(absence), "school_name": self.school(absence.school_urn)},
                    Footing(absence.purposes_mask, absence.lawful_basis),
                    [DataCategory.LICENSING.value, DataCategory.ATTENDANCE.value],
                    "Sent by the council to the child's school when the licence was granted.",
                    PUPIL_PERIOD,
                    absence.subject_id,
                    linked=self.others((absence.subject_id, "the child away from school")),
                )
            )
        productions = await repo.productions(
            {lic.production_id for lic in licences if lic.production_id}, person_ids
        )
        licensing = Footing(PURPOSE_BITS[Purpose.CHILD_EMPLOYMENT_LICENSING], "6(1)(c),6(1)(e)")
        for production in productions:
            producer = person_subjects.get(production.producer_id)
            if producer is None or producer not in self.subjects:
                continue  # a production is the producer's data, not the child's
            self.items.append(
                Item(
                    R.PRODUCTION,
                    str(production.id),
                    producer,
                    f"Production: {production.title}",
                    production.updated_at,
                    fields_of(production),
                    licensing,
                    [DataCategory.LICENSING.value],
                    "Given to the council by the producer with licence applications.",
                    ADULT_PERIOD,
                    producer,
                )
            )

    # --- messages, disclosures, and who read the data ---------------------------------------

    def _message(self, message: OutboundMessage) -> None:
        self.items.append(
            Item(
                R.MESSAGE,
                str(message.id),
                self.about(message.subject_id),
                f"{_label(message.channel.value)}: {_label(message.message_type).lower()}",
                message.created_at,
                fields_of(message, exclude=MESSAGE_MACHINERY),
                Footing(message.purposes_mask, message.lawful_basis),
                [DataCategory.IDENTITY_CONTACT.value],
                "Sent by the council through GOV.UK Notify.",
                MESSAGE_PERIOD,
                message.subject_id,
                linked=self.others((message.subject_id, "the person the message was sent to")),
            )
        )

    def _disclosure(self, row: DisclosureRow) -> None:
        d = row.disclosure
        basis = (d.lawful_basis or "").replace(" ", "")
        purpose = _purpose(d.purpose)
        spec = REGISTRY[purpose] if purpose is not None else None
        data = {
            "recipient_id": str(d.recipient_id),
            "recipient": row.recipient_name,
            "recipient_kind": row.recipient_kind,
            "disclosed_at": _plain(d.disclosed_at),
            "purpose": d.purpose,
            "purpose_wording": spec.wording if spec else None,
            "lawful_basis": d.lawful_basis,
            "ground": d.ground,
            "data_categories": list(d.data_categories),
            "channel": d.channel.value,
            "through_the_api": d.automatic and d.channel is DisclosureChannel.API,
            "agreement": row.agreement_name,
            "request_reference": d.request_reference,
            "what_was_read": d.resource_type,
            "content_sha256": d.content_sha256,
        }
        self.items.append(
            Item(
                R.DISCLOSURE,
                f"{d.id}:{row.subject_id}",
                row.subject_id,
                f"Disclosed to {row.recipient_name}",
                d.disclosed_at,
                data,
                Footing(_bit(d.purpose), basis if basis in BASES else REQUESTER_BASIS),
                sorted(d.data_categories),
                "The council's disclosure log: written automatically when a partner or "
                "inspector read the data through the API, or recorded by the member of staff "
                "who made or approved the release.",
                AUDIT_PERIOD,
                row.subject_id,
                scan=False,
            )
        )

    def _access_logs(self, reads: Sequence[AuditRead]) -> None:
        by_subject: dict[uuid.UUID, list[AuditRead]] = defaultdict(list)
        for read in reads:
            by_subject[read.subject_id].append(read)
        for match in self.matches:
            entries = by_subject.get(match.subject_id, [])
            name = self.names.get(match.subject_id, "the subject")
            self.items.append(
                Item(
                    R.ACCESS_LOG,
                    str(match.subject_id),
                    match.subject_id,
                    f"Who has read {name}'s records",
                    entries[-1].occurred_at if entries else None,
                    {
                        "reads": [
                            {
                                "occurred_at": _plain(r.occurred_at),
                                "who": r.actor,
                                "role": r.actor_role,
                                "action": r.action,
                                "purpose": r.purpose,
                                "basis": r.basis,
                                "rule": r.rule,
                                "record_type": r.resource_type,
                                "record_id": r.resource_id,
                            }
                            for r in entries
                        ],
                    },
                    Footing(0, REQUESTER_BASIS),
                    [],
                    AUDIT_SOURCE,
                    AUDIT_PERIOD,
                    None,
                    scan=False,
                )
            )
