"""Queries behind finding a data subject's records and answering an access request: the
people a request's identifiers match, the request's matches and item decisions, and every
record in every module about the people confirmed as its subjects.

These queries serve the ``subject_rights`` purpose, whose view is the whole of KPAS: they take
no caller's scope (an officer's cases, a school's roll), only the subject-state filter the
policy layer gives that purpose (``Access.visible_subjects``) where a person is looked for.
Every query is by id or by an indexed key, so the cost of a bundle is the subject's history,
not the size of the tables. Documents are read without their content.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, selectinload

from app.models.attendance import AttendanceMark, AttendanceMarkHistory
from app.models.audit import AuditEvent, AuditEventSubject
from app.models.cases import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseParty,
)
from app.models.disclosures import Disclosure, DisclosureSubject
from app.models.licences import (
    Licence,
    LicenceDocument,
    LicenceKind,
    LicensedAbsence,
    Person,
    Production,
)
from app.models.messages import OutboundMessage
from app.models.people import (
    Carer,
    CarerRelationship,
    Pupil,
    PupilDocument,
)
from app.models.schools import School
from app.models.sharing import Recipient, SharingAgreement
from app.models.subject_requests import MatchStatus, SubjectRequestItem, SubjectRequestMatch
from app.models.subjects import DataSubject, SubjectLegalClaim, SubjectObjection
from app.repositories.pagination import PageRequest, keyset_page

#: Ids per ``IN`` list: well under SQLite's bound-parameter limit.
CHUNK = 500
#: The most records of one kind a search records for one name: a common name must not flood
#: the request with possible matches (the search record says when the limit was reached).
NAME_MATCH_LIMIT = 50

Model = TypeVar("Model")
SubjectFilter = Callable[[Any], ColumnElement[bool]]


def _chunks(ids: Collection[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


#: Stored documents are listed in a bundle by what they are; their content is never read here.
PUPIL_DOCUMENT_METADATA = defer(PupilDocument.ciphertext, raiseload=True)
CASE_DOCUMENT_METADATA = defer(CaseDocument.ciphertext, raiseload=True)
LICENCE_DOCUMENT_METADATA = defer(LicenceDocument.ciphertext, raiseload=True)
#: A pupil's enrolments (the schools a match shows, and the bundle lists).
ENROLMENTS = selectinload(Pupil.enrolments)


@dataclass(frozen=True, slots=True)
class AuditRead:
    """One allowed decision of the policy layer that touched a subject: who, when, what, and
    under which purpose and basis."""

    subject_id: uuid.UUID
    seq: int
    occurred_at: datetime
    action: str
    purpose: str | None
    basis: str | None
    rule: str | None
    actor: str | None
    actor_role: str | None
    resource_type: str | None
    resource_id: str | None


@dataclass(frozen=True, slots=True)
class DisclosureRow:
    """A disclosure about a subject, with its recipient and the agreement that allowed it."""

    subject_id: uuid.UUID
    disclosure: Disclosure
    recipient_name: str
    recipient_kind: str
    agreement_name: str | None


class SubjectRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: object) -> None:
        self.session.add(record)

    async def _all(self, stmt: Select[Any]) -> list[Any]:
        return list((await self.session.scalars(stmt)).all())

    async def _by_chunks(
        self,
        ids: Collection[uuid.UUID],
        build: Callable[[list[uuid.UUID]], Select[Any]],
    ) -> list[Any]:
        found: list[Any] = []
        for chunk in _chunks(ids):
            found += await self._all(build(chunk))
        return found

    # --- finding people by identifiers -----------------------------------------------------

    async def pupils_by_upn(self, upn: str, *, visible: SubjectFilter) -> list[Pupil]:
        return await self._all(
            select(Pupil)
            .where(Pupil.upn == upn, visible(Pupil.subject_id))
            .options(ENROLMENTS)
            .order_by(Pupil.id)
        )

    async def pupils_by_names(
        self, names: Collection[tuple[str, str]], *, visible: SubjectFilter
    ) -> list[Pupil]:
        """Pupils whose legal forename and surname keys are one of ``names`` (an index
        range each)."""
        found: list[Pupil] = []
        for forename, surname in sorted(set(names)):
            found += await self._all(
                select(Pupil)
                .where(
                    Pupil.surname_key == surname,
                    Pupil.forename_key == forename,
                    visible(Pupil.subject_id),
                )
                .options(ENROLMENTS)
                .order_by(Pupil.date_of_birth, Pupil.id)
                .limit(NAME_MATCH_LIMIT)
            )
        return found

    async def carers_by_names(
        self, names: Collection[tuple[str, str]], *, visible: SubjectFilter
    ) -> list[Carer]:
        found: list[Carer] = []
        for forename, surname in sorted(set(names)):
            found += await self._all(
                select(Carer)
                .where(
                    Carer.surname_key == surname,
                    Carer.forename_key == forename,
                    visible(Carer.subject_id),
                )
                .order_by(Carer.id)
                .limit(NAME_MATCH_LIMIT)
            )
        return found

    async def people_by_names(
        self, names: Collection[tuple[str, str]], *, visible: SubjectFilter
    ) -> list[Person]:
        found: list[Person] = []
        for forename, surname in sorted(set(names)):
            found += await self._all(
                select(Person)
                .where(
                    Person.surname_key == surname,
                    Person.forename_key == forename,
                    visible(Person.subject_id),
                )
                .order_by(Person.id)
                .limit(NAME_MATCH_LIMIT)
            )
        return found

    async def by_contact(
        self,
        model: type[Model],
        *,
        email: str | None,
        phone: str | None,
        visible: SubjectFilter,
    ) -> list[Model]:
        """Carers or people on licences (``model``) holding this email address (any case) or
        phone number (E.164)."""
        column: Any = model
        clauses = []
        if email:
            clauses.append(func.lower(column.email) == email.lower())
        if phone:
            clauses.append(column.phone == phone)
        if not clauses:
            return []
        return await self._all(
            select(model)
            .where(or_(*clauses), visible(column.subject_id))
            .order_by(column.id)
            .limit(NAME_MATCH_LIMIT)
        )

    # --- a request's matches ---------------------------------------------------------------

    async def matches(
        self, request_id: uuid.UUID, *, statuses: Collection[MatchStatus] | None = None
    ) -> list[SubjectRequestMatch]:
        stmt = select(SubjectRequestMatch).where(SubjectRequestMatch.request_id == request_id)
        if statuses is not None:
            stmt = stmt.where(SubjectRequestMatch.status.in_(sorted(statuses)))
        return await self._all(
            stmt.order_by(SubjectRequestMatch.record_type, SubjectRequestMatch.id)
        )

    async def match_page(
        self, request_id: uuid.UUID, status: MatchStatus | None, page: PageRequest
    ) -> tuple[list[SubjectRequestMatch], str | None]:
        stmt = select(SubjectRequestMatch).where(SubjectRequestMatch.request_id == request_id)
        if status is not None:
            stmt = stmt.where(SubjectRequestMatch.status == status)
        keys = (SubjectRequestMatch.record_type, SubjectRequestMatch.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def match(
        self, request_id: uuid.UUID, match_id: uuid.UUID, *, for_update: bool = False
    ) -> SubjectRequestMatch | None:
        stmt = select(SubjectRequestMatch).where(
            SubjectRequestMatch.request_id == request_id, SubjectRequestMatch.id == match_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def records_named(
        self,
        pupil_ids: Collection[uuid.UUID],
        carer_ids: Collection[uuid.UUID],
        person_ids: Collection[uuid.UUID],
    ) -> tuple[list[Pupil], list[Carer], list[Person]]:
        """The pupil, carer and person records these ids name (matches show who they are)."""
        pupils = await self._by_chunks(
            pupil_ids, lambda c: select(Pupil).where(Pupil.id.in_(c)).options(ENROLMENTS)
        )
        carers = await self._by_chunks(carer_ids, lambda c: select(Carer).where(Carer.id.in_(c)))
        people = await self._by_chunks(person_ids, lambda c: select(Person).where(Person.id.in_(c)))
        return pupils, carers, people

    # --- item decisions ----------------------------------------------------------------------

    async def items(self, request_id: uuid.UUID) -> list[SubjectRequestItem]:
        return await self._all(
            select(SubjectRequestItem)
            .where(SubjectRequestItem.request_id == request_id)
            .order_by(SubjectRequestItem.resource_type, SubjectRequestItem.resource_id)
        )

    # --- the people confirmed, and their state ---------------------------------------------

    async def visible_subject_ids(
        self, subject_ids: Collection[uuid.UUID], *, visible: SubjectFilter
    ) -> set[uuid.UUID]:
        """Of these data subjects, those ``visible`` lets the purpose reach today."""
        found = await self._by_chunks(
            subject_ids,
            lambda c: select(DataSubject.id).where(DataSubject.id.in_(c), visible(DataSubject.id)),
        )
        return set(found)

    async def subjects(self, subject_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, DataSubject]:
        found = await self._by_chunks(
            subject_ids, lambda c: select(DataSubject).where(DataSubject.id.in_(c))
        )
        return {s.id: s for s in found}

    async def objections(self, subject_ids: Collection[uuid.UUID]) -> list[SubjectObjection]:
        return await self._by_chunks(
            subject_ids,
            lambda c: (
                select(SubjectObjection)
                .where(SubjectObjection.subject_id.in_(c))
                .order_by(SubjectObjection.purpose)
            ),
        )

    async def legal_claims(self, subject_ids: Collection[uuid.UUID]) -> list[SubjectLegalClaim]:
        return await self._by_chunks(
            subject_ids,
            lambda c: (
                select(SubjectLegalClaim)
                .where(SubjectLegalClaim.subject_id.in_(c))
                .order_by(SubjectLegalClaim.opened_at, SubjectLegalClaim.id)
            ),
        )

    async def schools(self, urns: Collection[int]) -> dict[int, str]:
        wanted = sorted({u for u in urns if u is not None})
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(School.urn, School.name).where(School.urn.in_(wanted))
        )
        return {urn: name for urn, name in rows.all()}

    # --- pupils -----------------------------------------------------------------------------

    async def pupils(self, pupil_ids: Collection[uuid.UUID]) -> list[Pupil]:
        return await self._by_chunks(
            pupil_ids,
            lambda c: (
                select(Pupil)
                .where(Pupil.id.in_(c))
                .options(selectinload(Pupil.enrolments))
                .order_by(Pupil.id)
            ),
        )

    async def relationships(
        self, *, pupil_ids: Collection[uuid.UUID], carer_ids: Collection[uuid.UUID]
    ) -> list[CarerRelationship]:
        """Every link between a carer and a pupil that names one of these pupils or carers,
        with both records."""
        loads = (selectinload(CarerRelationship.carer), selectinload(CarerRelationship.pupil))
        found = await self._by_chunks(
            pupil_ids,
            lambda c: (
                select(CarerRelationship).where(CarerRelationship.pupil_id.in_(c)).options(*loads)
            ),
        )
        found += await self._by_chunks(
            carer_ids,
            lambda c: (
                select(CarerRelationship).where(CarerRelationship.carer_id.in_(c)).options(*loads)
            ),
        )
        unique = {r.id: r for r in found}
        return sorted(unique.values(), key=lambda r: (str(r.pupil_id), str(r.carer_id)))

    async def by_pupil(self, model: type[Model], pupil_ids: Collection[uuid.UUID]) -> list[Model]:
        """Rows of ``model`` (a table with an indexed ``pupil_id``) about these pupils."""
        column: Any = model
        options = []
        if model is PupilDocument:
            options.append(PUPIL_DOCUMENT_METADATA)
        return await self._by_chunks(
            pupil_ids,
            lambda c: (
                select(model).where(column.pupil_id.in_(c)).options(*options).order_by(column.id)
            ),
        )

    async def marks(self, pupil_ids: Collection[uuid.UUID]) -> list[AttendanceMark]:
        """Every current attendance mark of these pupils, in date and session order (the
        primary key's leading column is the pupil)."""
        return await self._by_chunks(
            pupil_ids,
            lambda c: (
                select(AttendanceMark)
                .where(AttendanceMark.pupil_id.in_(c))
                .order_by(
                    AttendanceMark.pupil_id,
                    AttendanceMark.school_urn,
                    AttendanceMark.mark_date,
                    AttendanceMark.session,
                )
            ),
        )

    async def mark_history(self, pupil_ids: Collection[uuid.UUID]) -> list[AttendanceMarkHistory]:
        return await self._by_chunks(
            pupil_ids,
            lambda c: (
                select(AttendanceMarkHistory)
                .where(AttendanceMarkHistory.pupil_id.in_(c))
                .order_by(
                    AttendanceMarkHistory.pupil_id,
                    AttendanceMarkHistory.mark_date,
                    AttendanceMarkHistory.session,
                    AttendanceMarkHistory.replaced_at,
                )
            ),
        )

    # --- cases -------------------------------------------------------------------------------

    async def cases(
        self, *, pupil_ids: Collection[uuid.UUID], carer_ids: Collection[uuid.UUID]
    ) -> list[Case]:
        """Cases about these pupils, and cases these carers are (or were) parties to, with
        their parties and the parties' carer records."""
        loads = selectinload(Case.parties).selectinload(CaseParty.carer)
        found = await self._by_chunks(
            pupil_ids, lambda c: select(Case).where(Case.pupil_id.in_(c)).options(loads)
        )
        found += await self._by_chunks(
            carer_ids,
            lambda c: (
                select(Case)
                .where(Case.id.in_(select(CaseParty.case_id).where(CaseParty.carer_id.in_(c))))
                .options(loads)
            ),
        )
        unique = {case.id: case for case in found}
        return sorted(unique.values(), key=lambda case: (case.opened_on, str(case.id)))

    async def case_parts(self, model: type[Model], case_ids: Collection[uuid.UUID]) -> list[Model]:
        """Rows of ``model`` (a table with an indexed ``case_id``) on these cases."""
        column: Any = model
        options = [CASE_DOCUMENT_METADATA] if model is CaseDocument else []
        order = [column.occurred_at, column.id] if model is CaseEvent else [column.id]
        return await self._by_chunks(
            case_ids,
            lambda c: select(model).where(column.case_id.in_(c)).options(*options).order_by(*order),
        )

    # --- licensing ---------------------------------------------------------------------------

    async def licences(
        self, *, pupil_ids: Collection[uuid.UUID], person_ids: Collection[uuid.UUID]
    ) -> list[Licence]:
        """Licences for these pupils; licences these people hold, applied for as a parent, or
        employ a child under; and performance licences they chaperone (through their
        approval). With each licence's schedule."""
        load = selectinload(Licence.days)
        found = await self._by_chunks(
            pupil_ids, lambda c: select(Licence).where(Licence.pupil_id.in_(c)).options(load)
        )
        found += await self._by_chunks(
            person_ids,
            lambda c: (
                select(Licence)
                .where(
                    or_(
                        Licence.person_id.in_(c),
                        Licence.parent_id.in_(c),
                        Licence.employer_id.in_(c),
                    )
                )
                .options(load)
            ),
        )
        found += await self._by_chunks(
            person_ids,
            lambda c: (
                select(Licence)
                .where(
                    Licence.chaperone_id.in_(
                        select(Licence.id).where(
                            Licence.person_id.in_(c),
                            Licence.kind == LicenceKind.CHAPERONE_APPROVAL,
                        )
                    )
                )
                .options(load)
            ),
        )
        unique = {licence.id: licence for licence in found}
        return sorted(unique.values(), key=lambda licence: (licence.received_on, str(licence.id)))

    async def licences_by_id(self, licence_ids: Collection[uuid.UUID]) -> list[Licence]:
        """Licences by id (a chaperone's approval, named on the licences they chaperone)."""
        return await self._by_chunks(
            licence_ids, lambda c: select(Licence).where(Licence.id.in_(c)).order_by(Licence.id)
        )

    async def licence_documents(self, licence_ids: Collection[uuid.UUID]) -> list[LicenceDocument]:
        return await self._by_chunks(
            licence_ids,
            lambda c: (
                select(LicenceDocument)
                .where(LicenceDocument.licence_id.in_(c))
                .options(LICENCE_DOCUMENT_METADATA)
                .order_by(LicenceDocument.id)
            ),
        )

    async def licensed_absences(
        self, licence_ids: Collection[uuid.UUID], pupil_ids: Collection[uuid.UUID]
    ) -> list[LicensedAbsence]:
        found = await self._by_chunks(
            licence_ids,
            lambda c: select(LicensedAbsence).where(LicensedAbsence.licence_id.in_(c)),
        )
        found += await self.by_pupil(LicensedAbsence, pupil_ids)
        unique = {a.id: a for a in found}
        return sorted(unique.values(), key=lambda a: (a.first_day, str(a.id)))

    async def people(self, person_ids: Collection[uuid.UUID]) -> list[Person]:
        return await self._by_chunks(
            person_ids, lambda c: select(Person).where(Person.id.in_(c)).order_by(Person.id)
        )

    async def productions(
        self, production_ids: Collection[uuid.UUID], producer_ids: Collection[uuid.UUID]
    ) -> list[Production]:
        found = await self._by_chunks(
            production_ids, lambda c: select(Production).where(Production.id.in_(c))
        )
        found += await self._by_chunks(
            producer_ids, lambda c: select(Production).where(Production.producer_id.in_(c))
        )
        unique = {p.id: p for p in found}
        return sorted(unique.values(), key=lambda p: str(p.id))

    # --- messages, disclosures and who read the data ------------------------------------

    async def messages(
        self, subject_ids: Collection[uuid.UUID], pupil_ids: Collection[uuid.UUID]
    ) -> list[OutboundMessage]:
        """Messages to these people, and messages about these pupils (to their carers)."""
        found = await self._by_chunks(
            subject_ids,
            lambda c: select(OutboundMessage).where(OutboundMessage.subject_id.in_(c)),
        )
        found += await self._by_chunks(
            pupil_ids, lambda c: select(OutboundMessage).where(OutboundMessage.pupil_id.in_(c))
        )
        unique = {m.id: m for m in found}
        return sorted(unique.values(), key=lambda m: (m.created_at, str(m.id)))

    async def disclosures(self, subject_ids: Collection[uuid.UUID]) -> list[DisclosureRow]:
        """Every release in the disclosure log about these people, oldest first."""
        found: list[DisclosureRow] = []
        for chunk in _chunks(subject_ids):
            rows = await self.session.execute(
                select(
                    DisclosureSubject.subject_id,
                    Disclosure,
                    Recipient.name,
                    Recipient.kind,
                    SharingAgreement.name,
                )
                .join(Disclosure, Disclosure.id == DisclosureSubject.disclosure_id)
                .join(Recipient, Recipient.id == Disclosure.recipient_id)
                .outerjoin(SharingAgreement, SharingAgreement.id == Disclosure.agreement_id)
                .where(DisclosureSubject.subject_id.in_(chunk))
            )
            found += [
                DisclosureRow(subject_id, disclosure, name, str(kind), agreement)
                for subject_id, disclosure, name, kind, agreement in rows.all()
            ]
        return sorted(found, key=lambda r: (r.disclosure.disclosed_at, str(r.disclosure.id)))

    async def reads(self, subject_ids: Collection[uuid.UUID]) -> list[AuditRead]:
        """Every allowed decision that touched these people (the audit trail's subject index,
        one index range per person), in chain order."""
        found: list[AuditRead] = []
        for chunk in _chunks(subject_ids):
            rows = await self.session.execute(
                select(
                    AuditEventSubject.subject_id,
                    AuditEvent.seq,
                    AuditEvent.occurred_at,
                    AuditEvent.action,
                    AuditEvent.purpose,
                    AuditEvent.basis,
                    AuditEvent.rule,
                    AuditEvent.actor,
                    AuditEvent.actor_role,
                    AuditEvent.resource_type,
                    AuditEvent.resource_id,
                )
                .join(AuditEvent, AuditEvent.id == AuditEventSubject.event_id)
                .where(
                    AuditEventSubject.subject_id.in_(chunk),
                    AuditEvent.kind == "decision",
                    AuditEvent.outcome == "allow",
                )
            )
            found += [AuditRead(*row) for row in rows.all()]
        return sorted(found, key=lambda r: (str(r.subject_id), r.seq))

    # --- the release -------------------------------------------------------------------------

    async def recipient(self, code: str) -> Recipient | None:
        return await self.session.scalar(select(Recipient).where(Recipient.code == code))

    async def add_disclosure(
        self, disclosure: Disclosure, subject_ids: Sequence[uuid.UUID]
    ) -> None:
        self.session.add(disclosure)
        self.session.add_all(
            DisclosureSubject(disclosure_id=disclosure.id, subject_id=subject_id)
            for subject_id in sorted(set(subject_ids))
        )
        await self.session.flush()
