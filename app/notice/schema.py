"""What a published privacy notice claims, as data.

A notice is prose; this is the record of its claims that the service compares with what it
really does (``app.services.processing_record``): the purposes it lists, the lawful bases and
special category conditions it names, the kinds of information and of people it says are
involved, whom it says the council shares with, how long it says records are kept, what it
says about transfers abroad, and the rights it describes. Each claim keeps the notice's own
words next to the code it corresponds to, so a reader can check the transcription.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.models.sharing import DataCategory
from app.policies.registry import Article9Condition, LawfulBasis, Purpose, Regime
from app.rules.retention_schedule import BY_TYPE, RetentionStart

Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class DataSubjectCategory(StrEnum):
    """The kinds of people the service holds personal data about."""

    PUPIL = "pupil"
    CARER = "carer"
    #: A child on a work permit or performance licence who is not on a Kent roll.
    LICENSED_CHILD = "licensed_child"
    #: Chaperones, and the adults who apply for children's licences and permits.
    LICENSING_ADULT = "licensing_adult"
    #: People who ask to exercise a data protection right, or complain, for themselves or for
    #: someone else.
    REQUESTER = "requester"
    #: The council's staff, schools' staff and partners' users, by their identifier.
    USER = "user"


class NoticeRight(StrEnum):
    """The rights a notice may describe."""

    INFORMED = "informed"
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    OBJECT_DIRECT_MARKETING = "object_direct_marketing"
    PORTABILITY = "portability"
    AUTOMATED_DECISIONS = "automated_decisions"
    COMPLAINT_TO_ICO = "complaint_to_ico"


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PurposeClaim(Claim):
    """A purpose the notice lists, with what it says about it where that differs from its
    general statements (``None``: the general statement applies)."""

    code: Purpose
    wording: Words
    regime: Regime | None = None
    lawful_bases: tuple[LawfulBasis, ...] | None = None
    schedule1_paragraphs: tuple[int, ...] | None = None
    schedule8_paragraphs: tuple[int, ...] | None = None


class CategoryClaim(Claim):
    code: DataCategory
    wording: Words


class SubjectClaim(Claim):
    code: DataSubjectCategory
    wording: Words


class RecipientClaim(Claim):
    """A recipient the notice names: ``code`` is its code in the recipients register."""

    code: Code
    wording: Words


class RetentionClaim(Claim):
    """How long the notice says records are kept: ``years`` from ``starts`` (for
    ``date_of_birth``, until that birthday), for the record types its words describe."""

    record_types: tuple[Code, ...] = Field(min_length=1)
    starts: RetentionStart
    years: int = Field(ge=0, le=100)
    wording: Words

    @field_validator("record_types")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(BY_TYPE))
        if unknown:
            raise ValueError(f"unknown record types in the retention schedule: {unknown}")
        return value


class RightClaim(Claim):
    code: NoticeRight
    wording: Words
    #: The notice says the right applies only depending on the reason for the processing.
    conditional: bool = False


class NoticeVersion(Claim):
    """One published version of the privacy notice, as the claims it makes."""

    version: int = Field(ge=1)
    title: Words
    #: When the version was published (the first day of the month it gives).
    published_on: date
    controller: Words
    data_protection_officer: Words
    contact_email: Words
    #: The regimes the notice says the processing falls under.
    regimes: tuple[Regime, ...] = Field(min_length=1)
    lawful_bases: tuple[LawfulBasis, ...]
    article9_conditions: tuple[Article9Condition, ...]
    #: DPA 2018 Sch 1 paragraphs the notice names for Art 9(2)(g).
    schedule1_paragraphs: tuple[int, ...]
    #: DPA 2018 Sch 8 paragraphs the notice names for sensitive law enforcement processing.
    schedule8_paragraphs: tuple[int, ...] = ()
    purposes: tuple[PurposeClaim, ...] = Field(min_length=1)
    legislation: tuple[Words, ...] = ()
    data_subjects: tuple[SubjectClaim, ...]
    categories: tuple[CategoryClaim, ...]
    recipients: tuple[RecipientClaim, ...]
    retention: tuple[RetentionClaim, ...]
    #: What the notice says about transfers outside the UK; ``None`` when it says nothing.
    international_transfers: Words | None = None
    rights: tuple[RightClaim, ...]

    @field_validator("purposes", "data_subjects", "categories", "recipients", "rights")
    @classmethod
    def _unique(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        codes = [claim.code for claim in value]
        if len(codes) != len(set(codes)):
            raise ValueError("each code may be claimed once")
        return value

    def regime_for(self, claim: PurposeClaim) -> Regime:
        """The regime the notice puts a purpose under (its general statement names the first)."""
        return claim.regime if claim.regime is not None else self.regimes[0]

    def bases_for(self, claim: PurposeClaim) -> tuple[LawfulBasis, ...]:
        return claim.lawful_bases if claim.lawful_bases is not None else self.lawful_bases

    def schedule1_for(self, claim: PurposeClaim) -> tuple[int, ...]:
        if claim.schedule1_paragraphs is not None:
            return claim.schedule1_paragraphs
        return self.schedule1_paragraphs

    def schedule8_for(self, claim: PurposeClaim) -> tuple[int, ...]:
        if claim.schedule8_paragraphs is not None:
            return claim.schedule8_paragraphs
        return self.schedule8_paragraphs

    def purpose(self, code: Purpose) -> PurposeClaim | None:
        return next((claim for claim in self.purposes if claim.code is code), None)
