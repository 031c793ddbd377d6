"""The record of processing, the privacy notice's lists, and the drift between the notice and
what the service really does.

Everything here is rendered from the live sources, never written by hand: the purposes
registry (``app.policies.registry``), the recipients and the sharing agreements in force
(the database), the retention registry (its current versions, or the schedule the service
ships with where the registry holds no rule), the categories of data the agreements and
records use, and the security measures the service implements. The published notice is the
version in force of ``app.notice``.

- The record of processing activities: UK GDPR Art 30(1); for law enforcement processing
  (DPA 2018 Part 3) the record s61(2) requires, and the logging s62 requires.
- The notice's lists: what the next version of the notice should say, from the same sources.
- The drift report: what the service does that the notice does not say or says wrongly. The
  registry records what the council relies on; a finding is for the notice to be corrected,
  never for the registry to be changed to match it (SPEC section 3).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.retention import RetentionPolicy
from app.models.sharing import (
    DataCategory,
    Recipient,
    RecipientKind,
    SharingAgreement,
    london_today,
)
from app.notice import DataSubjectCategory, NoticeLibrary, NoticeRight, NoticeVersion
from app.policies.registry import (
    REGISTRY,
    SCHEDULE_1,
    Article9Condition,
    ConditionParagraph,
    LawfulBasis,
    Purpose,
    PurposeSpec,
    Regime,
)
from app.repositories.processing_record import ProcessingRecordRepository, Releases
from app.rules.calendar import LONDON
from app.rules.retention_schedule import SCHEDULE, RetentionStart
from app.schemas.processing_record import (
    AgreementSummaryRead,
    ControllerRead,
    DataCategoryRead,
    DataSubjectsRead,
    DriftFindingRead,
    DriftReportRead,
    LawEnforcementRead,
    LoggedOperationRead,
    NoticeListsRead,
    NoticePurposeRead,
    NoticeRecipientRead,
    NoticeRetentionRead,
    NoticeRightsRead,
    ProcessingRecordRead,
    RecordPurposeRead,
    RecordRecipientRead,
    RetentionRead,
    SecurityMeasureRead,
    Severity,
    TransfersRead,
)
from app.schemas.purposes import ConditionRead

#: What each category of data is. Every ``DataCategory`` is collected by some part of the
#: service: sharing agreements, the disclosure log and the special category records name them.
CATEGORY_DESCRIPTIONS: dict[DataCategory, str] = {
    DataCategory.IDENTITY_CONTACT: "Names, addresses, dates of birth, gender, telephone "
    "numbers and email addresses of pupils, their parents and carers, and the people on "
    "licences",
    DataCategory.ATTENDANCE: "Schools attended, attendance marks and figures, reasons for "
    "absence, alerts",
    DataCategory.CASEWORK: "Cases, letters, meeting notes, attendance contracts, notices to "
    "improve, penalty notices, School Attendance Orders, prosecutions and chronologies",
    DataCategory.SPECIAL_CATEGORY_HEALTH: "Health information about a pupil, including medical "
    "reasons for absence",
    DataCategory.SPECIAL_CATEGORY_SEND: "Special educational needs and disabilities",
    DataCategory.SPECIAL_CATEGORY_ETHNICITY: "Ethnicity",
    DataCategory.SOCIAL_CARE: "Involvement of children's social care services",
    DataCategory.IDENTIFICATION_DOCUMENTS: "Photographs and copies of identification documents",
    DataCategory.LICENSING: "Work permit, performance licence and chaperone applications and "
    "decisions, with their documents (contracts, schedules, references, training and DBS "
    "certificates)",
}
SPECIAL_CATEGORIES = frozenset(
    {
        DataCategory.SPECIAL_CATEGORY_HEALTH,
        DataCategory.SPECIAL_CATEGORY_SEND,
        DataCategory.SPECIAL_CATEGORY_ETHNICITY,
    }
)
#: The people the service holds personal data about, and where.
SUBJECT_DESCRIPTIONS: dict[DataSubjectCategory, str] = {
    DataSubjectCategory.PUPIL: "Children and young people on the roll of a Kent school or "
    "provision, and those in the council's attendance and exclusion casework",
    DataSubjectCategory.CARER: "Parents, guardians and carers of those pupils",
    DataSubjectCategory.LICENSED_CHILD: "Children on work permits and performance licences "
    "who are not on a Kent roll",
    DataSubjectCategory.LICENSING_ADULT: "Chaperones, and the adults who apply for children's "
    "work permits and performance licences",
    DataSubjectCategory.REQUESTER: "People who ask to exercise a data protection right or "
    "complain about the council's handling of their data, for themselves or for another",
    DataSubjectCategory.USER: "The council's staff, school staff and partners' users who use "
    "the service, by their identifier in the audit trail",
}
#: People the public notice speaks to; the service's users are not its audience.
NOTICE_AUDIENCE = frozenset(SUBJECT_DESCRIPTIONS) - {DataSubjectCategory.USER}

#: Transfers of personal data outside the United Kingdom: none. Letters and texts go through
#: GOV.UK Notify, a UK government service; nothing else leaves the council.
TRANSFERS: tuple[str, ...] = ()
TRANSFERS_STATEMENT = "No personal data is transferred outside the United Kingdom."

#: What the service does to keep personal data secure (UK GDPR Art 30(1)(g), Art 32; DPA 2018
#: s61(2)(i)): the measures its code implements, each where it is implemented.
SECURITY_MEASURES: tuple[tuple[str, str, str], ...] = (
    (
        "policy_layer",
        "Access decided by a policy layer, deny by default",
        "Every route declares its policy; each request states its purpose, checked against "
        "the purposes registry and rules by role and need to know (area teams, own cases, own "
        "schools, a partner's agreement in force). Special category data is served only under "
        "a purpose whose condition covers decisions about individuals. Restrictions and "
        "upheld objections are enforced on every read.",
    ),
    (
        "document_encryption",
        "Documents encrypted per data subject",
        "Documents and images are encrypted at rest with AES-256-GCM under a data key per "
        "data subject, stored only wrapped by key-encryption keys held outside the database; "
        "each ciphertext is bound to its own row. Destroying a subject's key makes every copy "
        "of their documents, backups included, unreadable (crypto-shredding).",
    ),
    (
        "audit_chain",
        "Tamper-evident audit trail",
        "Every decision of the policy layer (allowed or refused), every change and every read "
        "of personal data is an append-only event written in the same transaction, carrying "
        "the SHA-256 hash of the one before; events hold ids and codes only. Verification "
        "finds any edited, deleted or reordered event, and the chain head is exported signed.",
    ),
    (
        "signed_tokens",
        "Signed short-lived access tokens",
        "Callers present bearer tokens signed RS256 or ES256, checked against the issuer's "
        "published keys (the algorithm must be the key's). Machine clients' secrets are stored "
        "only as Argon2id hashes, and token requests are rate limited.",
    ),
    (
        "transport",
        "Encryption in transit",
        "The service is reached only through a TLS-terminating proxy in front of it.",
    ),
    (
        "data_minimisation_in_logs",
        "No personal data in logs or URLs",
        "Logs carry ids, never names, addresses, dates of birth or free text about people; "
        "URLs carry opaque ids only, and list cursors are sealed with AES-256-GCM.",
    ),
)

#: DPA 2018 s62(1): the processing operations a log is kept of, and how the service keeps it.
PART3_LOGGING: tuple[tuple[str, str], ...] = (
    (
        "collection",
        "Every record created is a change event in the audit trail, under the decision that "
        "allowed it: action, record id, data subject, caller, role, rule and purpose.",
    ),
    (
        "alteration",
        "Every change is a change event of the same form, written in the same transaction as "
        "the change; events hold ids and codes only.",
    ),
    (
        "consultation",
        "Every read is a decision event: the purpose as justification, the case it serves, the "
        "date and time, and the caller's identity; the data subjects whose data was returned "
        "are indexed by id (s62(3)).",
    ),
    (
        "disclosure",
        "Every release outside the service is in the disclosure log with its recipient, "
        "purpose, lawful basis, categories and data subjects, besides its audit event "
        "(s62(3), s62(4)).",
    ),
    (
        "combination",
        "Merging duplicate pupil records is recorded as change events: the merge, and each "
        "case it moves to the surviving record.",
    ),
    (
        "erasure",
        "Erasure on a data subject's request is a change event; destruction under the "
        "retention registry is a destruction record of ids and counts with its own audit "
        "event.",
    ),
)


def _purpose(spec: PurposeSpec) -> RecordPurposeRead:
    return RecordPurposeRead(
        code=spec.purpose.value,
        wording=spec.wording,
        regime=spec.regime.value,
        lawful_bases=[b.value for b in spec.bases],
        article9_condition=spec.article9.value if spec.article9 else None,
        conditions=[ConditionRead.of(c) for c in spec.conditions],
        schedule2_exemption=spec.schedule2_exemption,
        legislation=list(spec.legislation),
        governance=spec.governance,
        aggregate_only=spec.aggregate_only,
        individual_decisions=spec.individual_decisions,
        rights=list(spec.rights),
    )


def _categories() -> list[DataCategoryRead]:
    return [
        DataCategoryRead(
            code=category.value,
            description=CATEGORY_DESCRIPTIONS[category],
            special_category=category in SPECIAL_CATEGORIES,
        )
        for category in DataCategory
    ]


def _subjects() -> list[DataSubjectsRead]:
    return [
        DataSubjectsRead(code=category.value, description=SUBJECT_DESCRIPTIONS[category])
        for category in DataSubjectCategory
    ]


def _controller(notice: NoticeVersion) -> ControllerRead:
    return ControllerRead(
        name=notice.controller,
        data_protection_officer=notice.data_protection_officer,
        contact_email=notice.contact_email,
        notice_version=notice.version,
    )


@dataclass(frozen=True, slots=True)
class Sources:
    """What the record, the notice's lists and the drift report are rendered from."""

    today: date
    generated_at: datetime
    notice: NoticeVersion
    recipients: list[Recipient]
    agreements: list[SharingAgreement]
    retention: list[RetentionRead]
    retention_source: str
    #: Releases in the disclosure log since the notice in force was published, by recipient.
    releases: dict[uuid.UUID, Releases]

    def agreements_of(self, recipient: Recipient) -> list[SharingAgreement]:
        return [a for a in self.agreements if a.recipient_id == recipient.id]

    def recipients_for(self, purpose: Purpose) -> list[str]:
        return sorted({a.recipient.code for a in self.agreements if purpose.value in a.purposes})


def _retention(policies: list[RetentionPolicy]) -> tuple[list[RetentionRead], str]:
    """The current version of each record type's rule in the retention registry; for a type
    the registry does not hold, the schedule's rule (and the source says so)."""
    rows = {row.record_type: row for row in policies}
    out: list[RetentionRead] = []
    from_schedule = False
    for rule in SCHEDULE:
        row = rows.pop(rule.record_type, None)
        if row is not None:
            out.append(_retention_row(row))
            continue
        from_schedule = True
        out.append(
            RetentionRead(
                record_type=rule.record_type,
                description=rule.description,
                starts=rule.starts.value,
                years=rule.years,
                action=rule.action.value,
                reason=rule.reason,
                source=rule.source,
                policy_version=None,
            )
        )
    out.extend(_retention_row(row) for row in sorted(rows.values(), key=lambda r: r.record_type))
    return out, "schedule" if from_schedule else "registry"


def _retention_row(row: RetentionPolicy) -> RetentionRead:
    return RetentionRead(
        record_type=row.record_type,
        description=row.description,
        starts=RetentionStart(row.starts).value,
        years=row.years,
        action=row.action.value,
        reason=row.reason,
        source=row.source,
        policy_version=row.version,
    )


async def load_sources(
    session: AsyncSession, *, notices: NoticeLibrary, now: datetime | None = None
) -> Sources:
    """Everything the record, the notice's lists and the drift report are rendered from, as
    it stands now; the notice is the version of ``notices`` in force today."""
    now = now or datetime.now(UTC)
    today = london_today()
    repository = ProcessingRecordRepository(session)
    retention, source = _retention(await repository.retention_policies())
    notice = notices.in_force(today)
    since = datetime.combine(notice.published_on, time.min, tzinfo=LONDON)
    return Sources(
        today=today,
        generated_at=now,
        notice=notice,
        recipients=await repository.active_recipients(),
        agreements=await repository.agreements_in_force(today),
        retention=retention,
        retention_source=source,
        releases=await repository.releases_since(since),
    )


# --- the record of processing ------------------------------------------------------------------


def _agreement(agreement: SharingAgreement) -> AgreementSummaryRead:
    return AgreementSummaryRead(
        id=agreement.id,
        name=agreement.name,
        reference=agreement.reference,
        purposes=list(agreement.purposes),
        data_categories=list(agreement.data_categories),
        districts=list(agreement.districts),
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
    )


def _law_enforcement(spec: PurposeSpec, sources: Sources) -> LawEnforcementRead:
    return LawEnforcementRead(
        purpose=spec.purpose.value,
        competent_authority=f"{sources.notice.controller} investigates and prosecutes offences "
        "as a competent authority (DPA 2018 s30(1)(b), s31).",
        legal_basis="DPA 2018 s35(2)(b): necessary for the performance of a task carried out "
        "for a law enforcement purpose by a competent authority",
        sensitive_processing=[ConditionRead.of(c) for c in spec.conditions],
        legislation=list(spec.legislation),
        profiling="None: no decision about a person is made by automated means.",
        recipients=sources.recipients_for(spec.purpose),
        # Law enforcement records are casework about pupils and their parents.
        retention=["pupil_linked"],
        logging=[LoggedOperationRead(operation=op, how=how) for op, how in PART3_LOGGING],
    )


def processing_record(sources: Sources) -> ProcessingRecordRead:
    return ProcessingRecordRead(
        controller=_controller(sources.notice),
        generated_at=sources.generated_at,
        purposes=[_purpose(spec) for spec in REGISTRY.values()],
        data_categories=_categories(),
        data_subjects=_subjects(),
        recipients=[
            RecordRecipientRead(
                code=r.code,
                name=r.name,
                kind=r.kind.value,
                notice_wording=r.notice_wording,
                agreements=[_agreement(a) for a in sources.agreements_of(r)],
            )
            for r in sources.recipients
        ],
        retention_source=sources.retention_source,
        retention=sources.retention,
        international_transfers=TransfersRead(
            transfers=list(TRANSFERS), statement=TRANSFERS_STATEMENT
        ),
        security_measures=[
            SecurityMeasureRead(code=code, measure=measure, detail=detail)
            for code, measure, detail in SECURITY_MEASURES
        ],
        law_enforcement=[
            _law_enforcement(spec, sources)
            for spec in REGISTRY.values()
            if spec.regime is Regime.LAW_ENFORCEMENT
        ],
    )


# --- the notice's lists ------------------------------------------------------------------------

BASIS_WORDS: dict[LawfulBasis, str] = {
    LawfulBasis.LEGAL_OBLIGATION: "UK GDPR Article 6(1)(c): a legal obligation",
    LawfulBasis.PUBLIC_TASK: "UK GDPR Article 6(1)(e): a task in the public interest",
    LawfulBasis.LAW_ENFORCEMENT_TASK: "Data Protection Act 2018 Part 3, section 35(2)(b): a "
    "law enforcement task of the council as a competent authority",
}


def _paragraphs(conditions: Iterable[ConditionParagraph]) -> str:
    return " and ".join(f"para {c.paragraph} ({c.title})" for c in conditions)


def special_category_words(spec: PurposeSpec) -> str | None:
    """The condition for special category data, in the notice's words."""
    if spec.regime is Regime.LAW_ENFORCEMENT:
        return (
            f"Sensitive processing under DPA 2018 section 35, with Sch 8 "
            f"{_paragraphs(spec.conditions)}"
            if spec.conditions
            else None
        )
    if spec.article9 is Article9Condition.LEGAL_CLAIMS:
        return "UK GDPR Article 9(2)(f): legal claims or judicial acts"
    if spec.article9 is Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST:
        return f"UK GDPR Article 9(2)(g), with DPA 2018 Sch 1 {_paragraphs(spec.conditions)}"
    return None


def _retention_words(rule: RetentionRead) -> str:
    then = "then destroyed" if rule.action == "delete" else "then anonymised"
    if rule.starts == RetentionStart.DATE_OF_BIRTH.value:
        kept = f"kept until the {_ordinal(rule.years)} birthday"
    else:
        start = {
            RetentionStart.LAST_LICENCE_ENDS.value: "the last licence or approval ends",
            RetentionStart.CLOSED.value: "the record is closed",
            RetentionStart.CREATED.value: "the record is made",
        }.get(rule.starts, rule.starts)
        kept = f"kept for {rule.years} years after {start}"
    return f"{rule.description}: {kept}, {then}."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def notice_lists(sources: Sources) -> NoticeListsRead:
    """What the notice should list, from the same sources as the record."""
    shared = {a.recipient_id for a in sources.agreements}
    rights: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for spec in REGISTRY.values():
        if spec.governance:
            continue
        rights.setdefault((spec.regime.value, spec.rights), []).append(spec.purpose.value)
    return NoticeListsRead(
        controller=_controller(sources.notice),
        generated_at=sources.generated_at,
        purposes=[
            NoticePurposeRead(
                code=spec.purpose.value,
                wording=spec.wording,
                lawful_basis="; ".join(BASIS_WORDS[b] for b in spec.bases),
                special_category=special_category_words(spec),
            )
            for spec in REGISTRY.values()
        ],
        data_categories=_categories(),
        data_subjects=[s for s in _subjects() if DataSubjectCategory(s.code) in NOTICE_AUDIENCE],
        recipients=[
            NoticeRecipientRead(
                code=r.code, wording=r.notice_wording, under_agreement=r.id in shared
            )
            for r in sources.recipients
        ],
        retention=[
            NoticeRetentionRead(record_type=r.record_type, wording=_retention_words(r))
            for r in sources.retention
        ],
        international_transfers=TRANSFERS_STATEMENT,
        rights=[
            NoticeRightsRead(regime=regime, purposes=purposes, rights=list(said))
            for (regime, said), purposes in rights.items()
        ],
    )


# --- drift -------------------------------------------------------------------------------------


def _finding(
    code: str,
    severity: Severity,
    about: str,
    notice_says: str,
    processing_does: str,
    source: str,
) -> DriftFindingRead:
    return DriftFindingRead(
        code=code,
        severity=severity,
        about=about,
        notice_says=notice_says,
        processing_does=processing_does,
        source=source,
    )


def _listing(paragraphs: Iterable[int]) -> str:
    found = sorted(set(paragraphs))
    return " / ".join(str(p) for p in found) if found else "none"


def _purpose_drift(notice: NoticeVersion) -> list[DriftFindingRead]:
    out: list[DriftFindingRead] = []
    registry = "purposes registry"
    for spec in REGISTRY.values():
        code = spec.purpose.value
        claim = notice.purpose(spec.purpose)
        if claim is None:
            if not spec.governance:
                out.append(
                    _finding(
                        "purpose_not_stated",
                        Severity.MEDIUM,
                        code,
                        "Nothing: the notice does not list this purpose.",
                        f"The service processes personal data to {spec.wording}.",
                        registry,
                    )
                )
        elif claim.wording.casefold() != spec.wording.casefold():
            out.append(
                _finding(
                    "purpose_wording_differs",
                    Severity.LOW,
                    code,
                    claim.wording,
                    spec.wording,
                    registry,
                )
            )
        if spec.regime is Regime.LAW_ENFORCEMENT:
            said = notice.regime_for(claim) if claim is not None else notice.regimes[0]
            if said is not Regime.LAW_ENFORCEMENT:
                bases = ", ".join(notice.bases_for(claim) if claim else notice.lawful_bases)
                article9 = ", ".join(notice.article9_conditions) or "none"
                out.append(
                    _finding(
                        "notice_regime_drift",
                        Severity.HIGH,
                        code,
                        f"UK GDPR processing on Art {bases}, with special category data under "
                        f"Art {article9}; UK GDPR rights (including portability and "
                        f"objection). Nothing about law enforcement processing.",
                        "The council processes for this purpose as a competent authority under "
                        "DPA 2018 Part 3 (s30(1)(b), s31) on s35(2)(b), with sensitive "
                        f"processing under s35 and Sch 8 para {_listing(spec.schedule8)} "
                        "(appropriate policy document, s42), logging under s62, and Part 3 "
                        "rights (ss45 to 48; no portability or objection).",
                        registry,
                    )
                )
                continue
            said8 = notice.schedule8_for(claim) if claim else notice.schedule8_paragraphs
            if set(said8) != set(spec.schedule8):
                out.append(
                    _finding(
                        "notice_condition_drift",
                        Severity.HIGH,
                        code,
                        f"DPA 2018 Sch 8 para {_listing(said8)}.",
                        f"The council relies on DPA 2018 Sch 8 para {_listing(spec.schedule8)}.",
                        registry,
                    )
                )
            continue
        if claim is not None:
            missing = [b.value for b in spec.bases if b not in notice.bases_for(claim)]
            if missing:
                out.append(
                    _finding(
                        "notice_basis_drift",
                        Severity.HIGH,
                        code,
                        f"Art {', '.join(notice.bases_for(claim))}.",
                        f"The council relies on Art {', '.join(b.value for b in spec.bases)}.",
                        registry,
                    )
                )
        if spec.article9 is not None and spec.article9 not in notice.article9_conditions:
            out.append(
                _finding(
                    "notice_condition_drift",
                    Severity.HIGH,
                    code,
                    f"Special category data under Art {', '.join(notice.article9_conditions)}.",
                    f"The council relies on Art {spec.article9.value}.",
                    registry,
                )
            )
        if spec.article9 is Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST and not (
            spec.aggregate_only and claim is None
        ):
            said1 = notice.schedule1_for(claim) if claim else notice.schedule1_paragraphs
            if set(said1) != set(spec.schedule1):
                named = "; ".join(
                    f"para {p} ({SCHEDULE_1[p].title})"
                    for p in sorted(set(said1))
                    if p in SCHEDULE_1
                )
                relied = "; ".join(f"para {c.paragraph} ({c.title})" for c in spec.conditions)
                excluded = [
                    SCHEDULE_1[p]
                    for p in said1
                    if p in SCHEDULE_1
                    and spec.individual_decisions
                    and not SCHEDULE_1[p].covers_individual_decisions
                ]
                note = f" {excluded[0].note}" if excluded else ""
                out.append(
                    _finding(
                        "notice_condition_drift",
                        Severity.HIGH,
                        code,
                        f"Art 9(2)(g) with DPA 2018 Sch 1 {named or 'no paragraph'}.",
                        f"The council relies on Art 9(2)(g) with DPA 2018 Sch 1 "
                        f"{relied or 'no paragraph'}.{note}",
                        registry,
                    )
                )
    return out


def _recipient_drift(sources: Sources) -> list[DriftFindingRead]:
    """Recipients the notice does not name that data may go to (an agreement in force) or
    went to (the disclosure log since the notice was published)."""
    named = {claim.code for claim in sources.notice.recipients}
    access_told = any(r.code is NoticeRight.ACCESS for r in sources.notice.rights)
    by_id = {r.id: r for r in sources.recipients}
    for releases in sources.releases.values():
        by_id.setdefault(releases.recipient.id, releases.recipient)
    out: list[DriftFindingRead] = []
    for recipient in sorted(by_id.values(), key=lambda r: r.code):
        agreements = sources.agreements_of(recipient)
        released = sources.releases.get(recipient.id)
        if (not agreements and released is None) or recipient.code in named:
            continue
        if recipient.kind is RecipientKind.DATA_SUBJECT and access_told:
            continue  # the right of access the notice describes
        does: list[str] = []
        origin: list[str] = []
        if agreements:
            terms = "; ".join(
                f"{', '.join(a.data_categories)} for {', '.join(a.purposes)} under the "
                f"agreement '{a.name}' in force since {a.starts_on.isoformat()}"
                for a in agreements
            )
            does.append(f"{recipient.name} may receive {terms}.")
            origin.append("sharing agreements")
        if released is not None:
            does.append(
                f"{recipient.name} received personal data {released.count} time(s) since "
                f"{sources.notice.published_on.isoformat()}, the last on "
                f"{released.last.astimezone(LONDON).date().isoformat()}, for "
                f"{', '.join(released.purposes)}."
            )
            origin.append("disclosure log")
        out.append(
            _finding(
                "recipient_not_named",
                Severity.HIGH,
                recipient.code,
                f"Nothing: the notice does not name {recipient.name}.",
                " ".join(does),
                "; ".join(origin),
            )
        )
    return out


def _category_drift(notice: NoticeVersion) -> list[DriftFindingRead]:
    listed = {claim.code for claim in notice.categories}
    out = [
        _finding(
            "category_not_listed",
            Severity.MEDIUM,
            category.value,
            "Nothing: the notice does not list this kind of information.",
            f"The service collects: {CATEGORY_DESCRIPTIONS[category]}.",
            "data categories",
        )
        for category in DataCategory
        if category not in listed
    ]
    subjects = {claim.code for claim in notice.data_subjects}
    out.extend(
        _finding(
            "data_subjects_not_listed",
            Severity.MEDIUM,
            category.value,
            "Nothing: the notice does not say it holds information about these people.",
            f"The service holds personal data about: {SUBJECT_DESCRIPTIONS[category]}.",
            "data subject categories",
        )
        for category in DataSubjectCategory
        if category in NOTICE_AUDIENCE and category not in subjects
    )
    return out


def _retention_drift(sources: Sources) -> list[DriftFindingRead]:
    claims = {t: claim for claim in sources.notice.retention for t in claim.record_types}
    source = (
        "retention registry" if sources.retention_source == "registry" else "retention schedule"
    )
    out: list[DriftFindingRead] = []
    for rule in sources.retention:
        claim = claims.get(rule.record_type)
        if claim is None:
            out.append(
                _finding(
                    "retention_not_stated",
                    Severity.MEDIUM,
                    rule.record_type,
                    "Nothing: the notice gives no period for these records.",
                    _retention_words(rule),
                    source,
                )
            )
        elif claim.starts.value != rule.starts or claim.years != rule.years:
            out.append(
                _finding(
                    "retention_differs",
                    Severity.HIGH,
                    rule.record_type,
                    claim.wording,
                    _retention_words(rule),
                    source,
                )
            )
    return out


def _transfer_drift(notice: NoticeVersion) -> list[DriftFindingRead]:
    if notice.international_transfers is not None and not TRANSFERS:
        return []
    if notice.international_transfers is None:
        return [
            _finding(
                "notice_silent_on_transfers",
                Severity.LOW,
                "international_transfers",
                "Nothing: the notice does not say whether personal data is transferred "
                "outside the United Kingdom (UK GDPR Art 13(1)(f)).",
                TRANSFERS_STATEMENT
                if not TRANSFERS
                else "Transfers outside the United Kingdom: " + "; ".join(TRANSFERS),
                "record of processing",
            )
        ]
    return [
        _finding(
            "transfers_differ",
            Severity.HIGH,
            "international_transfers",
            notice.international_transfers,
            "Transfers outside the United Kingdom: " + "; ".join(TRANSFERS),
            "record of processing",
        )
    ]


def _rights_drift(notice: NoticeVersion) -> list[DriftFindingRead]:
    portable = any("portability" in right for spec in REGISTRY.values() for right in spec.rights)
    claim = next((r for r in notice.rights if r.code is NoticeRight.PORTABILITY), None)
    if claim is None or portable:
        return []
    return [
        _finding(
            "notice_right_drift",
            Severity.LOW,
            NoticeRight.PORTABILITY.value,
            claim.wording,
            "Data portability (UK GDPR Art 20) applies only to processing on consent or a "
            "contract; no purpose of the service rests on either, so it never applies.",
            "purposes registry",
        )
    ]


def drift_report(sources: Sources) -> DriftReportRead:
    notice = sources.notice
    items = [
        *_purpose_drift(notice),
        *_recipient_drift(sources),
        *_category_drift(notice),
        *_retention_drift(sources),
        *_transfer_drift(notice),
        *_rights_drift(notice),
    ]
    return DriftReportRead(
        notice_version=notice.version,
        notice_published_on=notice.published_on,
        generated_at=sources.generated_at,
        items=items,
    )
