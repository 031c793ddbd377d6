"""What the policy layer knows about each kind of resource.

A binding says whether the resource holds personal data, how conditions read its attributes
(in Python and SQL), which column names its data subject, which column records the purposes
it was collected for, and which purpose a route on it defaults to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, cast, exists, or_, select

from app.models.attendance import AttendanceAlert, AttendanceImport
from app.models.audit import AuditEvent
from app.models.base import json_list_elements
from app.models.cases import Case, CaseParty
from app.models.disclosures import Disclosure
from app.models.exclusions import Exclusion
from app.models.licences import Licence, LicensedAbsence, Person
from app.models.messages import OutboundMessage
from app.models.people import Carer, CarerRelationship, Enrolment, Pupil
from app.models.roll_reviews import RollReview
from app.models.schools import School
from app.models.sharing import DataCategory
from app.models.subject_requests import Complaint, SubjectRequest
from app.policies.conditions import Attribute, column_attribute, split_case_reach
from app.policies.registry import Purpose


@dataclass(frozen=True, slots=True)
class ResourceBinding:
    name: str
    personal_data: bool
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    #: Column holding the record's data-subject id (personal data only).
    subject_column: Any = None
    #: Column holding the bit mask of purposes the record was collected for.
    purposes_column: Any = None
    #: The purpose a route on this resource uses when the request names none.
    default_purpose: Purpose | None = None
    #: Names of fields that hold special category data.
    special_category_fields: frozenset[str] = frozenset()
    #: Every field is special category data: only purposes with an Article 9 condition, under
    #: rules that grant special category access, may reach it at all.
    special_category_only: bool = False
    #: Categories of data (``DataCategory``) the resource holds: a partner's agreement or an
    #: inspection grant must cover one of them before anything is released.
    data_categories: frozenset[str] = frozenset()
    #: For a resource made of parts that schools recorded (a pupil's attendance marks): how a
    #: rule's ``parts`` condition reads the school that recorded a part.
    parts: ResourceBinding | None = None

    def attribute(self, name: str) -> Attribute:
        try:
            return self.attributes[name]
        except KeyError:
            raise KeyError(f"resource {self.name!r} has no policy attribute {name!r}") from None

    def collected_for(self, mask_bit: int) -> ColumnElement[bool] | None:
        if self.purposes_column is None:
            return None
        clause: ColumnElement[bool] = self.purposes_column.op("&")(mask_bit) != 0
        return clause


# Where a pupil is on roll now. Conditions read these in Python (from loaded enrolments) and
# in SQL (as EXISTS over the open enrolments), so lists filter inside the query.


def _open_enrolment(pupil_id: Any) -> Any:
    return select(Enrolment.id).where(
        Enrolment.pupil_id == pupil_id, Enrolment.off_roll_on.is_(None)
    )


def _pupil_attribute(get: str, school_column: Any = None, pupil_id: Any = Pupil.id) -> Attribute:
    def within(values: frozenset[Any]) -> ColumnElement[bool]:
        query = _open_enrolment(pupil_id)
        if school_column is None:
            query = query.where(Enrolment.school_urn.in_(values))
        else:
            query = query.join(School, School.urn == Enrolment.school_urn).where(
                school_column.in_(values)
            )
        return exists(query)

    return Attribute(get=lambda pupil: getattr(pupil, get), within=within)


def _carer_attribute(get: str, school_column: Any = None) -> Attribute:
    def within(values: frozenset[Any]) -> ColumnElement[bool]:
        query = (
            select(CarerRelationship.id)
            .join(Enrolment, Enrolment.pupil_id == CarerRelationship.pupil_id)
            .where(CarerRelationship.carer_id == Carer.id, Enrolment.off_roll_on.is_(None))
        )
        if school_column is None:
            query = query.where(Enrolment.school_urn.in_(values))
        else:
            query = query.join(School, School.urn == Enrolment.school_urn).where(
                school_column.in_(values)
            )
        return exists(query)

    return Attribute(get=lambda carer: getattr(carer, get), within=within)


# Need-to-know through casework: the cases a caller works on (assigned to them, or unassigned
# in their area team), and the pupils and carers of those cases while the case is open.


def _case_reach_clause(keys: frozenset[str]) -> ColumnElement[bool]:
    officers, teams = split_case_reach(keys)
    return or_(
        Case.assigned_officer.in_(sorted(officers)),
        and_(
            Case.assigned_officer.is_(None),
            Case.closed_at.is_(None),
            Case.area_team.in_(sorted(teams)),
        ),
    )


def _case_keys(record: Any) -> frozenset[str]:
    """A record's own case reach keys, where a service loaded them (``case_reach_keys``);
    otherwise none, so the Python face never allows more than the SQL face."""
    keys: frozenset[str] = getattr(record, "case_reach_keys", frozenset())
    return keys


def _pupil_case_reach(pupil_id: Any) -> Attribute:
    def within(keys: frozenset[str]) -> ColumnElement[bool]:
        return exists(
            select(Case.id).where(
                Case.pupil_id == pupil_id, Case.closed_at.is_(None), _case_reach_clause(keys)
            )
        )

    return Attribute(get=_case_keys, within=within)


def _carer_case_reach(keys: frozenset[str]) -> ColumnElement[bool]:
    return exists(
        select(CaseParty.id)
        .join(Case, Case.id == CaseParty.case_id)
        .where(
            CaseParty.carer_id == Carer.id,
            CaseParty.removed_at.is_(None),
            Case.closed_at.is_(None),
            _case_reach_clause(keys),
        )
    )


#: A case: who works on it, where it is, which school referred it.
CASE_ATTRIBUTES: Mapping[str, Attribute] = {
    "case_reach": Attribute(get=lambda case: case.reach_keys, within=_case_reach_clause),
    "area_team": column_attribute(Case.area_team),
    "district": column_attribute(Case.district),
    "school_urn": column_attribute(Case.school_urn),
    "referred_by": column_attribute(Case.referred_by),
}

PUPIL_ATTRIBUTES: Mapping[str, Attribute] = {
    "case_reach": _pupil_case_reach(Pupil.id),
    "school_urn": _pupil_attribute("current_school_urns"),
    "area_team": _pupil_attribute("current_area_teams", School.area_team),
    "district": _pupil_attribute("current_districts", School.district),
}

CARER_ATTRIBUTES: Mapping[str, Attribute] = {
    "case_reach": Attribute(get=_case_keys, within=_carer_case_reach),
    "school_urn": _carer_attribute("school_urns"),
    "area_team": _carer_attribute("area_teams", School.area_team),
    "district": _carer_attribute("districts", School.district),
}

#: Records about a pupil (a message, later a case) reach need-to-know through the pupil.
MESSAGE_ATTRIBUTES: Mapping[str, Attribute] = {
    "case_reach": _pupil_case_reach(OutboundMessage.pupil_id),
    "school_urn": _pupil_attribute("current_school_urns", pupil_id=OutboundMessage.pupil_id),
    "area_team": _pupil_attribute(
        "current_area_teams", School.area_team, pupil_id=OutboundMessage.pupil_id
    ),
    "district": _pupil_attribute(
        "current_districts", School.district, pupil_id=OutboundMessage.pupil_id
    ),
}


def _school_attribute(urn_column: Any, school_column: Any, get: str) -> Attribute:
    """An attribute of the school a record names in ``urn_column``: the school whose marks
    raised an alert (not wherever the pupil is on roll now), the school whose roll sent a
    roll review."""

    def within(values: frozenset[Any]) -> ColumnElement[bool]:
        return exists(select(School.urn).where(School.urn == urn_column, school_column.in_(values)))

    return Attribute(get=lambda record: getattr(record, get), within=within)


#: Alerts reach need-to-know through the school whose marks raised them.
ALERT_ATTRIBUTES: Mapping[str, Attribute] = {
    "school_urn": column_attribute(AttendanceAlert.school_urn),
    "area_team": _school_attribute(
        AttendanceAlert.school_urn, School.area_team, "school_area_team"
    ),
    "district": _school_attribute(AttendanceAlert.school_urn, School.district, "school_district"),
}

#: A suspension or exclusion reaches need-to-know through the school that reported it, and an
#: officer through a case about its pupil.
EXCLUSION_ATTRIBUTES: Mapping[str, Attribute] = {
    "school_urn": column_attribute(Exclusion.school_urn),
    "area_team": _school_attribute(Exclusion.school_urn, School.area_team, "school_area_team"),
    "district": _school_attribute(Exclusion.school_urn, School.district, "school_district"),
    "case_reach": _pupil_case_reach(Exclusion.pupil_id),
}

#: The absence a granted licence gives a pupil's Kent school reaches need-to-know through that
#: school, and an attendance officer through a case about its pupil.
LICENSED_ABSENCE_ATTRIBUTES: Mapping[str, Attribute] = {
    "school_urn": column_attribute(LicensedAbsence.school_urn),
    "area_team": _school_attribute(
        LicensedAbsence.school_urn, School.area_team, "school_area_team"
    ),
    "district": _school_attribute(LicensedAbsence.school_urn, School.district, "school_district"),
    "case_reach": _pupil_case_reach(LicensedAbsence.pupil_id),
}

#: Roll reviews reach need-to-know through the school whose roll sent them.
ROLL_REVIEW_ATTRIBUTES: Mapping[str, Attribute] = {
    "school_urn": column_attribute(RollReview.school_urn),
    "area_team": _school_attribute(RollReview.school_urn, School.area_team, "school_area_team"),
    "district": _school_attribute(RollReview.school_urn, School.district, "school_district"),
}


def _import_schools_within(values: frozenset[Any]) -> ColumnElement[bool]:
    listed = json_list_elements(AttendanceImport.school_urns).table_valued("value")
    return exists(
        select(1).select_from(listed).where(cast(listed.c.value, Integer).in_(sorted(values)))
    )


def _import_school_column_within(school_column: Any) -> Any:
    def within(values: frozenset[Any]) -> ColumnElement[bool]:
        listed = json_list_elements(AttendanceImport.school_urns).table_valued("value")
        return exists(
            select(1)
            .select_from(listed)
            .join(School, School.urn == cast(listed.c.value, Integer))
            .where(school_column.in_(sorted(values)))
        )

    return within


#: An import's report reaches need-to-know through the client that sent it and the schools
#: its rows named (an import may name several of a client's schools). Read in SQL: a report
#: does not carry its schools' area teams, so the Python face of ``area_team`` finds none.
ATTENDANCE_IMPORT_ATTRIBUTES: Mapping[str, Attribute] = {
    "submitted_by": column_attribute(AttendanceImport.submitted_by),
    "school_urn": Attribute(get=lambda record: record.school_urns, within=_import_schools_within),
    "area_team": Attribute(
        get=lambda record: getattr(record, "school_area_teams", ()),
        within=_import_school_column_within(School.area_team),
    ),
}


def _push_school_within(school_column: Any) -> Any:
    def within(values: frozenset[Any]) -> ColumnElement[bool]:
        # The event names its school as text; the school's URN is cast to match, never the
        # other way (other events' resource ids are not numbers).
        return exists(
            select(School.urn).where(
                cast(School.urn, String) == AuditEvent.resource_id,
                school_column.in_(sorted(values)),
            )
        )

    return within


#: A roll push is the audit trail's ``school_roll.replaced`` change event: it reaches
#: need-to-know through the school whose roll it replaced (the event's resource id).
ROLL_PUSH_ATTRIBUTES: Mapping[str, Attribute] = {
    "school_urn": Attribute(
        get=lambda push: push.school_urn,
        within=lambda values: AuditEvent.resource_id.in_(sorted(str(v) for v in values)),
    ),
    "area_team": Attribute(
        get=lambda push: getattr(push, "school_area_team", None),
        within=_push_school_within(School.area_team),
    ),
}

#: A school's attendance summary is about the school: who may see it is decided on the school.
SCHOOL_ATTRIBUTES: Mapping[str, Attribute] = {
    "school_urn": column_attribute(School.urn, "urn"),
    "area_team": column_attribute(School.area_team),
    "district": column_attribute(School.district),
}

#: The school that recorded a part of a record (a mark), for rules that narrow a record to the
#: parts the caller's own schools recorded. Parts filters are SQL over the schools table.
RECORDING_SCHOOL = ResourceBinding(
    "recording_school", personal_data=False, attributes=SCHOOL_ATTRIBUTES
)

IDENTITY = frozenset({DataCategory.IDENTITY_CONTACT.value})
ATTENDANCE = frozenset({DataCategory.ATTENDANCE.value})

#: Special category data about a pupil, by the data category a sharing agreement names.
SPECIAL_CATEGORIES = frozenset(
    {
        DataCategory.SPECIAL_CATEGORY_ETHNICITY.value,
        DataCategory.SPECIAL_CATEGORY_HEALTH.value,
        DataCategory.SPECIAL_CATEGORY_SEND.value,
        DataCategory.SOCIAL_CARE.value,
        DataCategory.IDENTIFICATION_DOCUMENTS.value,
    }
)


LICENSING = frozenset({DataCategory.LICENSING.value})


def _licence_family(name: str) -> ResourceBinding:
    """A resource of the licence family, decided on the licence row (its subject is the
    child, or the adult a chaperone approval is for)."""
    return ResourceBinding(
        name,
        personal_data=True,
        subject_column=Licence.subject_id,
        purposes_column=Licence.purposes_mask,
        default_purpose=Purpose.CHILD_EMPLOYMENT_LICENSING,
        special_category_fields=frozenset({"health_needs"}),
        data_categories=LICENSING,
    )


def _case_family(name: str, default_purpose: Purpose | None = None) -> ResourceBinding:
    """A resource of the case family, decided on the case row: its services load the case
    through the decision's filter, then its parts."""
    return ResourceBinding(
        name,
        personal_data=True,
        attributes=CASE_ATTRIBUTES,
        subject_column=Case.subject_id,
        purposes_column=Case.purposes_mask,
        default_purpose=default_purpose,
        data_categories=IDENTITY | ATTENDANCE,
    )


RESOURCES: dict[str, ResourceBinding] = {
    binding.name: binding
    for binding in (
        ResourceBinding(
            "school",
            personal_data=False,
            attributes={
                "school_urn": column_attribute(School.urn, "urn"),
                "area_team": column_attribute(School.area_team),
            },
        ),
        ResourceBinding("api_client", personal_data=False),
        ResourceBinding("audit_event", personal_data=False),
        ResourceBinding("purpose_registry", personal_data=False),
        ResourceBinding("processing_record", personal_data=False),
        ResourceBinding("recipient", personal_data=False),
        ResourceBinding("sharing_agreement", personal_data=False),
        ResourceBinding(
            "pupil",
            personal_data=True,
            attributes=PUPIL_ATTRIBUTES,
            subject_column=Pupil.subject_id,
            purposes_column=Pupil.purposes_mask,
            data_categories=IDENTITY,
        ),
        # A pupil's special category data and identity documents. Decisions are about the
        # pupil (the same attributes), and reach nothing without an Article 9 condition.
        ResourceBinding(
            "pupil_sensitive",
            personal_data=True,
            attributes=PUPIL_ATTRIBUTES,
            subject_column=Pupil.subject_id,
            purposes_column=Pupil.purposes_mask,
            special_category_only=True,
            data_categories=SPECIAL_CATEGORIES,
        ),
        ResourceBinding(
            "carer",
            personal_data=True,
            attributes=CARER_ATTRIBUTES,
            subject_column=Carer.subject_id,
            purposes_column=Carer.purposes_mask,
            data_categories=IDENTITY,
        ),
        # A school's whole roll, pushed by its information system: the record is the school.
        ResourceBinding(
            "school_roll",
            personal_data=True,
            attributes={"school_urn": column_attribute(School.urn, "urn")},
            default_purpose=Purpose.ATTENDANCE_DUTY,
        ),
        # Possible duplicates: two pupils' (or two carers') record ids and why they may be one
        # person. Who sees a pair is decided on its records (see app.services.duplicates);
        # merging is a pupil action.
        ResourceBinding("possible_duplicate", personal_data=True),
        # What a school's roll sent about a pupil on another school's roll too, held for a
        # person: decided on the school whose roll sent it, and on the pupil's data subject.
        ResourceBinding(
            "roll_review",
            personal_data=True,
            attributes=ROLL_REVIEW_ATTRIBUTES,
            subject_column=RollReview.subject_id,
            purposes_column=RollReview.purposes_mask,
            data_categories=IDENTITY,
        ),
        ResourceBinding(
            "disclosure",
            personal_data=False,
            attributes={"recorded_by": column_attribute(Disclosure.recorded_by)},
        ),
        ResourceBinding("inspection_grant", personal_data=False),
        # Retention: the registry, legal holds and runs name people by id only.
        ResourceBinding("retention_policy", personal_data=False),
        ResourceBinding("legal_hold", personal_data=False),
        ResourceBinding("retention_run", personal_data=False),
        # Attendance marks sent by a school's information system: decided per school.
        ResourceBinding(
            "attendance_marks",
            personal_data=True,
            attributes={"school_urn": column_attribute(School.urn, "urn")},
            default_purpose=Purpose.ATTENDANCE_DUTY,
        ),
        # An import's report: counts and row problems, never a value from a row.
        ResourceBinding(
            "attendance_import", personal_data=False, attributes=ATTENDANCE_IMPORT_ATTRIBUTES
        ),
        # A school's roll pushes, as the audit trail recorded them: when, by which client,
        # and the counts; never a pupil.
        ResourceBinding("roll_push", personal_data=False, attributes=ROLL_PUSH_ATTRIBUTES),
        # A pupil's attendance figures and marks: decided on the pupil; each mark's part of it
        # on the school that recorded the mark.
        ResourceBinding(
            "pupil_attendance",
            personal_data=True,
            attributes=PUPIL_ATTRIBUTES,
            subject_column=Pupil.subject_id,
            purposes_column=Pupil.purposes_mask,
            data_categories=ATTENDANCE,
            parts=RECORDING_SCHOOL,
        ),
        # A school's figures and its lists of persistent and severe absentees.
        ResourceBinding(
            "school_attendance",
            personal_data=True,
            attributes=SCHOOL_ATTRIBUTES,
            data_categories=ATTENDANCE,
        ),
        ResourceBinding(
            "attendance_alert",
            personal_data=True,
            attributes=ALERT_ATTRIBUTES,
            subject_column=AttendanceAlert.subject_id,
            purposes_column=AttendanceAlert.purposes_mask,
            default_purpose=Purpose.ATTENDANCE_DUTY,
            data_categories=ATTENDANCE,
        ),
        # Casework. Every resource of the case family is decided on the case row: services
        # load the case through the decision's filter, then its parts. A case's purposes
        # are its type's; ``prosecution`` and ``school_attendance_order`` reach its people
        # only while it is at a stage that uses them (purpose binding).
        _case_family("case"),
        # What the referring school sees of a case: its referral's stage and outcome.
        _case_family("referral", Purpose.ATTENDANCE_DUTY),
        _case_family("penalty_notice", Purpose.PROSECUTION),
        _case_family("school_attendance_order", Purpose.SCHOOL_ATTENDANCE_ORDER),
        _case_family("prosecution", Purpose.PROSECUTION),
        # Suspensions and permanent exclusions a school reported.
        ResourceBinding(
            "exclusion",
            personal_data=True,
            attributes=EXCLUSION_ATTRIBUTES,
            subject_column=Exclusion.subject_id,
            purposes_column=Exclusion.purposes_mask,
            default_purpose=Purpose.EXCLUSION_SUPPORT,
            data_categories=IDENTITY,
        ),
        # Children in employment and entertainment. Licences (work permits, performance
        # licences, chaperone approvals), the approved chaperones, and documents on a licence
        # are decided on the licence row; the people on licences who are not pupils on their
        # own row; productions hold no personal data.
        _licence_family("licence"),
        _licence_family("chaperone"),
        _licence_family("licence_document"),
        ResourceBinding(
            "person",
            personal_data=True,
            subject_column=Person.subject_id,
            purposes_column=Person.purposes_mask,
            default_purpose=Purpose.CHILD_EMPLOYMENT_LICENSING,
            data_categories=IDENTITY | LICENSING,
        ),
        ResourceBinding("production", personal_data=False),
        # What a granted licence tells the child's Kent school: the days to record as C1.
        ResourceBinding(
            "licensed_absence",
            personal_data=True,
            attributes=LICENSED_ABSENCE_ATTRIBUTES,
            subject_column=LicensedAbsence.subject_id,
            purposes_column=LicensedAbsence.purposes_mask,
            data_categories=ATTENDANCE | LICENSING,
        ),
        # Data-subject requests and complaints: the row's data subject is the requester or
        # complainant; the people a request is about are its confirmed matches.
        ResourceBinding(
            "subject_request",
            personal_data=True,
            subject_column=SubjectRequest.subject_id,
            purposes_column=SubjectRequest.purposes_mask,
            default_purpose=Purpose.SUBJECT_RIGHTS,
            data_categories=IDENTITY,
        ),
        ResourceBinding(
            "complaint",
            personal_data=True,
            subject_column=Complaint.subject_id,
            purposes_column=Complaint.purposes_mask,
            default_purpose=Purpose.SUBJECT_RIGHTS,
            data_categories=IDENTITY,
        ),
        # The breach register: the row names no one; the people affected are its
        # ``BreachSubject`` rows, named in the audit event of every read.
        ResourceBinding(
            "breach",
            personal_data=True,
            default_purpose=Purpose.BREACH_MANAGEMENT,
            data_categories=IDENTITY,
        ),
        # Letters, texts and emails to a pupil's carers, through the Notify outbox.
        ResourceBinding(
            "message",
            personal_data=True,
            attributes=MESSAGE_ATTRIBUTES,
            subject_column=OutboundMessage.subject_id,
            purposes_column=OutboundMessage.purposes_mask,
            data_categories=IDENTITY,
        ),
    )
}
