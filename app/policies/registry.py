"""The purposes and lawful bases registry (UK GDPR Arts 6, 9 and 21; DPA 2018 Sch 1, Sch 2,
Part 3 and Sch 8), as data.

This module is the one place that says why KPAS may process personal data: each purpose, its
wording in the privacy notice, the regime it falls under (UK GDPR, or DPA 2018 Part 3 for law
enforcement processing), its Article 6 bases, and the conditions the council relies on for
special category data (Art 9 with the exact DPA 2018 Schedule 1 paragraphs, or s35 with a
Schedule 8 paragraph), with the appropriate policy document each condition needs. The policy
layer reads it for every decision; ``findings()`` reports what information governance must look
at, including where the privacy notice names a condition the council does not rely on.

Bit positions in ``PURPOSE_BITS`` are stored in records (``purposes_mask``): never reorder or
reuse them; add new purposes at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Purpose(StrEnum):
    # Purposes of the privacy notice ("How we use your personal information").
    ATTENDANCE_DUTY = "attendance_duty"
    INTERVENTION = "intervention"
    PROSECUTION = "prosecution"
    SCHOOL_ATTENDANCE_ORDER = "school_attendance_order"
    EXCLUSION_SUPPORT = "exclusion_support"
    CHILD_EMPLOYMENT_LICENSING = "child_employment_licensing"
    #: Aggregate figures only (DPA 2018 Sch 1 para 8(3)): never a record about a person.
    EQUALITY_MONITORING = "equality_monitoring"
    # Governance purposes.
    SUBJECT_RIGHTS = "subject_rights"
    BREACH_MANAGEMENT = "breach_management"
    RETENTION_MANAGEMENT = "retention_management"
    STATUTORY_INSPECTION = "statutory_inspection"
    COURT_DISCLOSURE = "court_disclosure"
    CRIME_PREVENTION_DISCLOSURE = "crime_prevention_disclosure"


#: Purpose codes no longer in use, and the bit each held (never to be given to another).
RETIRED_PURPOSE_BITS: dict[str, int] = {"legal_disclosure": 1 << 10}


class Regime(StrEnum):
    """The data protection regime the processing falls under."""

    UK_GDPR = "uk_gdpr"
    #: DPA 2018 Part 3: processing by a competent authority for law enforcement (s30, s31).
    LAW_ENFORCEMENT = "dpa2018_part3"


class LawfulBasis(StrEnum):
    """UK GDPR Article 6(1) bases the notice relies on."""

    LEGAL_OBLIGATION = "6(1)(c)"
    PUBLIC_TASK = "6(1)(e)"
    #: Not a UK GDPR basis: law enforcement processing by a competent authority, necessary for
    #: a task it carries out for that purpose (DPA 2018 s35(2)(b)).
    LAW_ENFORCEMENT_TASK = "s35(2)(b)"


class Article9Condition(StrEnum):
    SUBSTANTIAL_PUBLIC_INTEREST = "9(2)(g)"
    LEGAL_CLAIMS = "9(2)(f)"


class RestrictionGround(StrEnum):
    """What may still be done with the data of a subject whose processing is restricted
    (UK GDPR Art 18(2)). Each is recorded in the decision's audit event when relied on."""

    STORAGE = "storage"
    CONSENT = "consent"
    #: A live legal claim for that person: a case at prosecution or SAO stage, or a legal hold.
    LEGAL_CLAIM = "legal_claim"
    #: Protection of the rights of another person (for example safeguarding a child).
    PROTECTION_OF_OTHERS = "protection_of_others"
    IMPORTANT_PUBLIC_INTEREST = "important_public_interest"
    #: Answering the subject's own requests (Arts 15 to 22).
    SUBJECT_RIGHTS = "subject_rights"


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """The appropriate policy document a condition needs (DPA 2018 Sch 1 para 5; s42)."""

    reference: str
    title: str


@dataclass(frozen=True, slots=True)
class ConditionParagraph:
    """A DPA 2018 Schedule 1 or Schedule 8 condition, and whether it may support measures or
    decisions about a person."""

    schedule: int
    paragraph: int
    title: str
    covers_individual_decisions: bool
    policy_document: PolicyDocument
    note: str = ""

    @property
    def label(self) -> str:
        return f"DPA 2018 Sch {self.schedule} para {self.paragraph}"


_SCH1_APD = PolicyDocument(
    "KCC-APD-SCH1",
    "Appropriate policy document: special category data (DPA 2018 Sch 1 Part 4)",
)
_PART3_APD = PolicyDocument(
    "KCC-APD-PART3",
    "Appropriate policy document: sensitive processing for law enforcement (DPA 2018 s42)",
)

#: DPA 2018 Sch 1 Part 2 paragraphs this service may rely on.
SCHEDULE_1: dict[int, ConditionParagraph] = {
    6: ConditionParagraph(1, 6, "Statutory and government purposes", True, _SCH1_APD),
    8: ConditionParagraph(
        1,
        8,
        "Equality of opportunity or treatment",
        False,
        _SCH1_APD,
        "Sch 1 para 8(3): not met where the processing is carried out for measures or "
        "decisions with respect to a particular data subject.",
    ),
    10: ConditionParagraph(1, 10, "Preventing or detecting unlawful acts", True, _SCH1_APD),
    18: ConditionParagraph(
        1, 18, "Safeguarding of children and of individuals at risk", True, _SCH1_APD
    ),
}

#: DPA 2018 Sch 8 paragraphs (sensitive processing for law enforcement, s35(5)).
SCHEDULE_8: dict[int, ConditionParagraph] = {
    1: ConditionParagraph(8, 1, "Statutory purposes", True, _PART3_APD),
}


@dataclass(frozen=True, slots=True)
class PurposeSpec:
    purpose: Purpose
    wording: str
    bases: tuple[LawfulBasis, ...]
    article9: Article9Condition | None
    #: DPA 2018 Sch 1 paragraphs relied on with Art 9(2)(g) (more than one where each is the
    #: reason for some of the processing: para 6 statutory, para 18 safeguarding).
    schedule1: tuple[int, ...]
    #: The purpose involves measures or decisions about an individual (casework, licensing).
    individual_decisions: bool
    governance: bool = False
    regime: Regime = Regime.UK_GDPR
    #: DPA 2018 Sch 8 paragraphs for sensitive processing under Part 3 (s35(5)).
    schedule8: tuple[int, ...] = ()
    #: The DPA 2018 Sch 2 exemption a disclosure under this purpose relies on, if any.
    schedule2_exemption: str | None = None
    #: Art 18(2): the ground on which this purpose may touch a restricted subject. With
    #: ``LEGAL_CLAIM`` only where a live legal claim exists for that person and purpose:
    #: naming the purpose is not enough.
    restriction_ground: RestrictionGround | None = None
    #: Purpose binding: records are never collected for it; it reaches a person only while a
    #: case at a stage that uses it is open for them (a live ``case`` legal claim), so naming
    #: the purpose is not enough.
    case_bound: bool = False
    #: Aggregate figures only: no rule may let anyone read a person's record under it.
    aggregate_only: bool = False
    #: A written notice to stop is honoured without balancing (Sch 1 para 8(5)).
    honours_notice_to_stop: bool = False
    #: Under an upheld objection, what the legal obligation requires continues (Art 21(1)
    #: reaches only the 6(1)(e) part): the resources, by policy resource name, whose
    #: processing for this purpose the obligation itself requires.
    obligation_continues: tuple[str, ...] = ()
    #: What ``obligation_continues`` covers, in words.
    obligation_note: str = ""
    #: Statutory provisions under which the council acts for this purpose.
    legislation: tuple[str, ...] = ()

    @property
    def objection_applies(self) -> bool:
        """Art 21(1): an objection may be lodged against processing on 6(1)(e), also where the
        purpose lists 6(1)(c) as well (the obligation's part continues). Not under Part 3
        (no right to object), nor where a Sch 2 exemption disapplies Art 21."""
        return (
            self.regime is Regime.UK_GDPR
            and LawfulBasis.PUBLIC_TASK in self.bases
            and self.schedule2_exemption is None
        )

    @property
    def basis_label(self) -> str:
        return ", ".join(self.bases)

    @property
    def conditions(self) -> tuple[ConditionParagraph, ...]:
        return tuple(SCHEDULE_1[p] for p in self.schedule1) + tuple(
            SCHEDULE_8[p] for p in self.schedule8
        )

    @property
    def special_category_for_individuals(self) -> bool:
        """Special category data may be served to decide about a person: every recorded
        condition covers measures or decisions about individuals (fail closed: a purpose with
        no condition, or with one that does not, gets none)."""
        if self.aggregate_only:
            return False
        if self.regime is Regime.LAW_ENFORCEMENT:
            return bool(self.schedule8) and all(
                c.covers_individual_decisions for c in self.conditions
            )
        if self.article9 is Article9Condition.LEGAL_CLAIMS:
            return all(c.covers_individual_decisions for c in self.conditions)
        if self.article9 is Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST:
            return bool(self.schedule1) and all(
                c.covers_individual_decisions for c in self.conditions
            )
        return False

    @property
    def rights(self) -> tuple[str, ...]:
        """The data subject's rights for this purpose (UK GDPR Arts 15 to 21; DPA 2018
        ss45 to 48 under Part 3). Portability (Art 20) needs consent or contract: never here."""
        if self.regime is Regime.LAW_ENFORCEMENT:
            return (
                "access (DPA 2018 s45; may be restricted where it would prejudice the "
                "prosecution, s45(4))",
                "rectification (DPA 2018 s46)",
                "erasure or restriction of processing (DPA 2018 s47)",
            )
        out = ["access (Art 15)", "rectification (Art 16)"]
        if LawfulBasis.LEGAL_OBLIGATION not in self.bases:
            out.append("erasure (Art 17)")
        out.append("restriction of processing (Art 18)")
        if self.objection_applies:
            out.append("objection (Art 21)")
        return tuple(out)


#: The notice: "the 'equality of opportunity or treatment' purpose condition" for all of its
#: special category processing.
NOTICE_SCH1 = 8

_PARA_6_18 = (6, 18)

REGISTRY: dict[Purpose, PurposeSpec] = {
    spec.purpose: spec
    for spec in (
        PurposeSpec(
            Purpose.ATTENDANCE_DUTY,
            "undertake our statutory duties around school attendance",
            (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.PUBLIC_TASK),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _PARA_6_18,
            individual_decisions=True,
            obligation_continues=(
                "school_roll",
                "attendance_marks",
                "pupil",
                "carer",
                "pupil_attendance",
                "school_attendance",
            ),
            obligation_note="The statutory duty continues: keeping and reading the roll and "
            "attendance of the pupil and the details of their parents (EA 1996 s436A, s444; "
            "School Attendance (Pupil Registration) (England) Regulations 2024). Alerts, "
            "messages and special category data stop.",
            legislation=("Education Act 1996 s436A, s444",),
        ),
        PurposeSpec(
            Purpose.INTERVENTION,
            "enable us to identify the most appropriate intervention to improve school attendance",
            (LawfulBasis.PUBLIC_TASK,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _PARA_6_18,
            individual_decisions=True,
        ),
        PurposeSpec(
            Purpose.PROSECUTION,
            "investigate and prosecute offences relating to irregular school attendance",
            (LawfulBasis.LAW_ENFORCEMENT_TASK,),
            None,
            (),
            individual_decisions=True,
            regime=Regime.LAW_ENFORCEMENT,
            schedule8=(1,),
            restriction_ground=RestrictionGround.LEGAL_CLAIM,
            case_bound=True,
            legislation=(
                "Education Act 1996 s444, s444A, s446",
                "DPA 2018 s30(1)(b), s31 (competent authority)",
                "DPA 2018 s35 (sensitive processing), s42, s62 (logging)",
            ),
        ),
        PurposeSpec(
            Purpose.SCHOOL_ATTENDANCE_ORDER,
            "issue School Attendance Orders and to investigate and prosecute breaches of "
            "School Attendance Orders",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (6,),
            individual_decisions=True,
            restriction_ground=RestrictionGround.LEGAL_CLAIM,
            case_bound=True,
            legislation=("Education Act 1996 s437 to s442",),
        ),
        PurposeSpec(
            Purpose.EXCLUSION_SUPPORT,
            "inform appropriate intervention and support for cases of repeated suspension or "
            "where there is a risk of exclusion",
            (LawfulBasis.PUBLIC_TASK,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _PARA_6_18,
            individual_decisions=True,
        ),
        PurposeSpec(
            Purpose.CHILD_EMPLOYMENT_LICENSING,
            "issue child work permits, child performance licences, and adult chaperone licences",
            (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.PUBLIC_TASK),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _PARA_6_18,
            individual_decisions=True,
            obligation_continues=("licence", "chaperone", "licence_document", "person"),
            obligation_note="Deciding a licence, permit or approval application already made, "
            "and keeping the licences granted, continues (Children and Young Persons Act 1933 "
            "s18 and the council's byelaws; Children and Young Persons Act 1963 s37; Children "
            "(Performances and Activities) (England) Regulations 2014). Messages stop.",
            legislation=(
                "Children and Young Persons Act 1933 s18, s20",
                "Children and Young Persons Act 1963 s37",
                "Children (Performances and Activities) (England) Regulations 2014",
            ),
        ),
        PurposeSpec(
            Purpose.EQUALITY_MONITORING,
            "identify or keep under review the existence or absence of equality of "
            "opportunity or treatment (aggregate figures only)",
            (LawfulBasis.PUBLIC_TASK,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (8,),
            individual_decisions=False,
            aggregate_only=True,
            honours_notice_to_stop=True,
        ),
        PurposeSpec(
            Purpose.SUBJECT_RIGHTS,
            "respond to requests to exercise data protection rights",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (6,),
            individual_decisions=True,
            governance=True,
            restriction_ground=RestrictionGround.SUBJECT_RIGHTS,
        ),
        PurposeSpec(
            Purpose.BREACH_MANAGEMENT,
            "investigate, record and report personal data breaches",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (6,),
            individual_decisions=True,
            governance=True,
        ),
        PurposeSpec(
            Purpose.RETENTION_MANAGEMENT,
            "keep records for as long as the retention schedule requires, then destroy them",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (6,),
            individual_decisions=False,
            governance=True,
            restriction_ground=RestrictionGround.STORAGE,
        ),
        PurposeSpec(
            Purpose.STATUTORY_INSPECTION,
            "share with Ofsted and HMIP in the event of a statutory local authority inspection",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (6,),
            individual_decisions=False,
            governance=True,
        ),
        PurposeSpec(
            Purpose.COURT_DISCLOSURE,
            "share with His Majesty's Courts and Tribunals Service or others where an enactment "
            "or a court order requires it",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.LEGAL_CLAIMS,
            (),
            individual_decisions=True,
            governance=True,
            schedule2_exemption="DPA 2018 Sch 2 para 5 (required by law or in connection with "
            "legal proceedings)",
            restriction_ground=RestrictionGround.LEGAL_CLAIM,
        ),
        PurposeSpec(
            Purpose.CRIME_PREVENTION_DISCLOSURE,
            "share with law enforcement or other authorities on their request, for the "
            "prevention or detection of crime (decided and recorded per request)",
            (LawfulBasis.PUBLIC_TASK,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            (10,),
            individual_decisions=True,
            governance=True,
            schedule2_exemption="DPA 2018 Sch 2 para 2 (crime and taxation: the prevention or "
            "detection of crime, the apprehension or prosecution of offenders)",
        ),
    )
}

#: Stable bit per purpose, for ``purposes_mask`` columns. Append only; bit 10 was
#: ``legal_disclosure`` (``RETIRED_PURPOSE_BITS``) and is never given to another purpose.
PURPOSE_BITS: dict[Purpose, int] = {
    Purpose.ATTENDANCE_DUTY: 1 << 0,
    Purpose.INTERVENTION: 1 << 1,
    Purpose.PROSECUTION: 1 << 2,
    Purpose.SCHOOL_ATTENDANCE_ORDER: 1 << 3,
    Purpose.EXCLUSION_SUPPORT: 1 << 4,
    Purpose.CHILD_EMPLOYMENT_LICENSING: 1 << 5,
    Purpose.SUBJECT_RIGHTS: 1 << 6,
    Purpose.BREACH_MANAGEMENT: 1 << 7,
    Purpose.RETENTION_MANAGEMENT: 1 << 8,
    Purpose.STATUTORY_INSPECTION: 1 << 9,
    Purpose.EQUALITY_MONITORING: 1 << 11,
    Purpose.COURT_DISCLOSURE: 1 << 12,
    Purpose.CRIME_PREVENTION_DISCLOSURE: 1 << 13,
}

#: Governance purposes apply to every record, whatever it was collected for.
GOVERNANCE_MASK = sum(bit for p, bit in PURPOSE_BITS.items() if REGISTRY[p].governance)


def purposes_mask(purposes: list[Purpose] | tuple[Purpose, ...] | set[Purpose]) -> int:
    """The stored mask for the purposes a record was collected for. Empty is refused."""
    if not purposes:
        raise ValueError("a record must be collected for at least one purpose")
    return sum(PURPOSE_BITS[Purpose(p)] for p in set(purposes))


def purposes_of(mask: int) -> list[Purpose]:
    return [p for p, bit in PURPOSE_BITS.items() if mask & bit]


def continues_under_objection(purpose: Purpose, resource: str | None) -> bool:
    """Processing of ``resource`` for ``purpose`` is required by the legal obligation, so it
    continues under an upheld objection (Art 21(1) reaches the 6(1)(e) part only)."""
    spec = REGISTRY[purpose]
    return (
        resource is not None
        and LawfulBasis.LEGAL_OBLIGATION in spec.bases
        and resource in spec.obligation_continues
    )


def decision_facts(purpose: Purpose | None, case_id: str | None = None) -> dict[str, str | None]:
    """What every decision event under ``purpose`` records besides rule, purpose, basis, actor
    and time: the regime; under Part 3 the justification and the case it serves (DPA 2018
    s62(3)): ``case_id``, where the route is on a case. The Art 18(2) ground is added where it
    is relied on: when the request touched a restricted subject (``Access.touched``)."""
    if purpose is None:
        return {}
    spec = REGISTRY[purpose]
    facts: dict[str, str | None] = {}
    if spec.regime is Regime.LAW_ENFORCEMENT:
        facts["regime"] = spec.regime.value
        facts["justification"] = purpose.value
        facts["case_id"] = case_id
    return facts


@dataclass(frozen=True, slots=True)
class Finding:
    """Something in the registry that information governance should review."""

    code: str
    purpose: Purpose
    detail: str


def findings() -> list[Finding]:
    """Purposes whose recorded conditions do not cover what the purpose does, and where the
    privacy notice names a condition or regime the council does not rely on.

    A finding is reported for information governance to act on: the registry records what the
    council relies on, and the notice is corrected to match, never the other way round.
    """
    out: list[Finding] = []
    notice_paragraph = SCHEDULE_1[NOTICE_SCH1]
    for spec in REGISTRY.values():
        if spec.article9 is Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST and not spec.schedule1:
            out.append(
                Finding(
                    "schedule1_missing",
                    spec.purpose,
                    "Art 9(2)(g) needs a DPA 2018 Schedule 1 Part 2 condition; none is recorded.",
                )
            )
        if spec.individual_decisions:
            for paragraph in spec.conditions:
                if not paragraph.covers_individual_decisions:
                    out.append(
                        Finding(
                            "schedule1_excludes_individual_decisions",
                            spec.purpose,
                            f"Relies on {paragraph.label} ({paragraph.title}) for special "
                            f"category data, but the purpose makes decisions about "
                            f"individuals. {paragraph.note} Consider Sch 1 para 6 (statutory "
                            f"purposes) or para 18 (safeguarding of children).",
                        )
                    )
        if spec.governance or spec.aggregate_only:
            continue
        # The notice relies on Sch 1 para 8 for all its special category processing.
        if spec.regime is Regime.LAW_ENFORCEMENT:
            out.append(
                Finding(
                    "notice_regime_drift",
                    spec.purpose,
                    "The notice presents this purpose under UK GDPR (Art 6(1)(c)/(e), "
                    "Art 9(2)(f)); the council processes for it as a competent authority under "
                    "DPA 2018 Part 3 (s30(1)(b), s31), with sensitive processing under s35 and "
                    "Sch 8 para 1, and Part 3 rights (ss45 to 48; no portability or "
                    "objection). Amend the notice.",
                )
            )
        elif NOTICE_SCH1 not in spec.schedule1 and spec.article9 is not None:
            relied = " / ".join(str(p) for p in spec.schedule1) or "none"
            out.append(
                Finding(
                    "notice_condition_drift",
                    spec.purpose,
                    f"The notice names DPA 2018 Sch 1 para {NOTICE_SCH1} "
                    f"({notice_paragraph.title}) for {spec.purpose.value}; the council relies "
                    f"on Sch 1 para {relied}. Amend the notice.",
                )
            )
    return out
