"""The purposes and lawful bases registry (UK GDPR Arts 6 and 9; DPA 2018 Sch 1 and Part 3),
as data.

This module is the one place that says why KPAS may process personal data: each purpose, its
wording in the privacy notice, its Article 6 bases, and the Article 9 condition (with the exact
DPA 2018 Schedule 1 paragraph) relied on for special category data. The policy layer reads it
for every decision; ``findings()`` reports entries information governance must look at.

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
    # Governance purposes.
    SUBJECT_RIGHTS = "subject_rights"
    BREACH_MANAGEMENT = "breach_management"
    RETENTION_MANAGEMENT = "retention_management"
    STATUTORY_INSPECTION = "statutory_inspection"
    LEGAL_DISCLOSURE = "legal_disclosure"


class LawfulBasis(StrEnum):
    """UK GDPR Article 6(1) bases the notice relies on."""

    LEGAL_OBLIGATION = "6(1)(c)"
    PUBLIC_TASK = "6(1)(e)"


class Article9Condition(StrEnum):
    SUBSTANTIAL_PUBLIC_INTEREST = "9(2)(g)"
    LEGAL_CLAIMS = "9(2)(f)"


@dataclass(frozen=True, slots=True)
class Schedule1Paragraph:
    """A DPA 2018 Schedule 1 condition, and whether it may support decisions about a person."""

    paragraph: int
    title: str
    covers_individual_decisions: bool
    note: str = ""


#: DPA 2018 Sch 1 Part 2 paragraphs this service may rely on.
SCHEDULE_1: dict[int, Schedule1Paragraph] = {
    6: Schedule1Paragraph(6, "Statutory and government purposes", True),
    8: Schedule1Paragraph(
        8,
        "Equality of opportunity or treatment",
        False,
        "Sch 1 para 8(3): not met where the processing is carried out for measures or "
        "decisions with respect to a particular data subject.",
    ),
    18: Schedule1Paragraph(18, "Safeguarding of children and individuals at risk", True),
}


@dataclass(frozen=True, slots=True)
class PurposeSpec:
    purpose: Purpose
    wording: str
    bases: tuple[LawfulBasis, ...]
    article9: Article9Condition | None
    schedule1: int | None
    #: The purpose involves measures or decisions about an individual (casework, licensing).
    individual_decisions: bool
    governance: bool = False
    #: Art 18(2): processing for legal claims continues under restriction.
    legal_claims: bool = False

    @property
    def objection_applies(self) -> bool:
        """Art 21(1): a right to object exists only where the basis is 6(1)(e) (or (f)).

        Where a purpose also rests on a legal obligation, the obligation continues.
        """
        return LawfulBasis.PUBLIC_TASK in self.bases and LawfulBasis.LEGAL_OBLIGATION not in (
            self.bases
        )

    @property
    def basis_label(self) -> str:
        return ", ".join(self.bases)


_NOTICE_SCH1 = 8  # the notice: "the 'equality of opportunity or treatment' purpose condition"

REGISTRY: dict[Purpose, PurposeSpec] = {
    spec.purpose: spec
    for spec in (
        PurposeSpec(
            Purpose.ATTENDANCE_DUTY,
            "undertake our statutory duties around school attendance",
            (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.PUBLIC_TASK),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _NOTICE_SCH1,
            individual_decisions=True,
        ),
        PurposeSpec(
            Purpose.INTERVENTION,
            "enable us to identify the most appropriate intervention to improve school attendance",
            (LawfulBasis.PUBLIC_TASK,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _NOTICE_SCH1,
            individual_decisions=True,
        ),
        PurposeSpec(
            Purpose.PROSECUTION,
            "investigate and prosecute offences relating to irregular school attendance",
            (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.PUBLIC_TASK),
            Article9Condition.LEGAL_CLAIMS,
            None,
            individual_decisions=True,
            legal_claims=True,
        ),
        PurposeSpec(
            Purpose.SCHOOL_ATTENDANCE_ORDER,
            "issue School Attendance Orders and to investigate and prosecute breaches of "
            "School Attendance Orders",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.LEGAL_CLAIMS,
            None,
            individual_decisions=True,
            legal_claims=True,
        ),
        PurposeSpec(
            Purpose.EXCLUSION_SUPPORT,
            "inform appropriate intervention and support for cases of repeated suspension or "
            "where there is a risk of exclusion",
            (LawfulBasis.PUBLIC_TASK,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _NOTICE_SCH1,
            individual_decisions=True,
        ),
        PurposeSpec(
            Purpose.CHILD_EMPLOYMENT_LICENSING,
            "issue child work permits, child performance licences, and adult chaperone licences",
            (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.PUBLIC_TASK),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            _NOTICE_SCH1,
            individual_decisions=True,
        ),
        PurposeSpec(
            Purpose.SUBJECT_RIGHTS,
            "respond to requests to exercise data protection rights",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            6,
            individual_decisions=True,
            governance=True,
            legal_claims=True,
        ),
        PurposeSpec(
            Purpose.BREACH_MANAGEMENT,
            "investigate, record and report personal data breaches",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            6,
            individual_decisions=True,
            governance=True,
        ),
        PurposeSpec(
            Purpose.RETENTION_MANAGEMENT,
            "keep records for as long as the retention schedule requires, then destroy them",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            6,
            individual_decisions=False,
            governance=True,
            legal_claims=True,
        ),
        PurposeSpec(
            Purpose.STATUTORY_INSPECTION,
            "share with Ofsted and HMIP in the event of a statutory local authority inspection",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST,
            6,
            individual_decisions=False,
            governance=True,
        ),
        PurposeSpec(
            Purpose.LEGAL_DISCLOSURE,
            "share with law enforcement or other authorities if required by applicable law",
            (LawfulBasis.LEGAL_OBLIGATION,),
            Article9Condition.LEGAL_CLAIMS,
            None,
            individual_decisions=True,
            governance=True,
            legal_claims=True,
        ),
    )
}

#: Stable bit per purpose, for ``purposes_mask`` columns. Append only.
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
    Purpose.LEGAL_DISCLOSURE: 1 << 10,
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


@dataclass(frozen=True, slots=True)
class Finding:
    """Something in the registry that information governance should review."""

    code: str
    purpose: Purpose
    detail: str


def findings() -> list[Finding]:
    """Purposes whose recorded Art 9 condition does not cover what the purpose does.

    A finding is reported, not silently allowed and not silently blocked: the decision on the
    right condition belongs to information governance.
    """
    out: list[Finding] = []
    for spec in REGISTRY.values():
        if spec.article9 is Article9Condition.SUBSTANTIAL_PUBLIC_INTEREST:
            if spec.schedule1 is None:
                out.append(
                    Finding(
                        "schedule1_missing",
                        spec.purpose,
                        "Art 9(2)(g) needs a DPA 2018 Schedule 1 Part 2 condition; none is "
                        "recorded.",
                    )
                )
                continue
            paragraph = SCHEDULE_1[spec.schedule1]
            if spec.individual_decisions and not paragraph.covers_individual_decisions:
                out.append(
                    Finding(
                        "schedule1_excludes_individual_decisions",
                        spec.purpose,
                        f"Relies on Sch 1 para {paragraph.paragraph} ({paragraph.title}) for "
                        f"special category data, but the purpose makes decisions about "
                        f"individuals. {paragraph.note} Consider para 6 (statutory purposes) "
                        f"or para 18 (safeguarding of children).",
                    )
                )
    return out
