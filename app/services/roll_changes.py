"""What a roll row changes about a pupil and their carers, and how those changes are written.

One code path for both ways a roll's changes reach a record: a push applies them to the
school's own pupils at once; for a pupil on another school's roll too, the push holds them in a
roll review (``held_*``), and accepting the review decodes and applies them here the same way.

Changes are computed before they are written, and only fields that differ are written, so an
unchanged record keeps its version (and ETag).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Carer, CarerRelationship, Pupil
from app.repositories.roll import CarerLink, RollRepository
from app.rules.names import name_key
from app.schemas.roll import RollCarer, RollPupil
from app.services.changes import set_changed
from app.services.people import new_carer, rename_carer, rename_pupil

#: Pupil fields a roll sets directly (legal names go through ``rename_pupil``).
PUPIL_FIELDS = (
    "legal_middle_names",
    "preferred_forename",
    "preferred_surname",
    "date_of_birth",
    "gender",
    "address_lines",
    "postcode",
    "phone",
    "email",
)
LEGAL_NAMES = ("legal_forename", "legal_surname")
CARER_FIELDS = ("title", "address_lines", "postcode", "phone", "email")
CARER_NAMES = ("forename", "surname")
#: How a carer is related to the pupil, by the relationship's own field names.
RELATIONSHIP_FIELDS = (
    "relationship_type",
    "parental_responsibility",
    "lives_with",
    "contact_priority",
)
#: The roll's name for each carer change (the roll calls ``relationship_type`` ``relationship``).
CARER_ROLL_FIELDS = {
    **{name: name for name in (*CARER_NAMES, *CARER_FIELDS)},
    "relationship_type": "relationship",
    "parental_responsibility": "parental_responsibility",
    "lives_with": "lives_with",
    "contact_priority": "contact_priority",
}


def given(model: RollPupil | RollCarer, names: Iterable[str]) -> dict[str, Any]:
    """The fields the roll gave (a field left out keeps its stored value)."""
    return {name: getattr(model, name) for name in names if name in model.model_fields_set}


# --- pupils ---------------------------------------------------------------------------------


def pupil_changes(pupil: Pupil, row: RollPupil) -> dict[str, Any]:
    """The pupil's fields the row would change, with the row's values."""
    wanted = {
        "legal_forename": row.legal_forename,
        "legal_surname": row.legal_surname,
        **given(row, PUPIL_FIELDS),
    }
    return {name: value for name, value in wanted.items() if getattr(pupil, name) != value}


def apply_pupil_changes(pupil: Pupil, changes: Mapping[str, Any]) -> bool:
    """Write ``changes`` (from ``pupil_changes``) to the pupil; True when anything changed."""
    if any(name in changes for name in LEGAL_NAMES):
        rename_pupil(
            pupil,
            legal_forename=changes.get("legal_forename", pupil.legal_forename),
            legal_surname=changes.get("legal_surname", pupil.legal_surname),
        )
    set_changed(pupil, {name: changes[name] for name in PUPIL_FIELDS if name in changes})
    return bool(changes)


# --- carers ---------------------------------------------------------------------------------


def carer_value(link: CarerLink, field: str) -> Any:
    """A carer change's current value: on the carer, or on their relationship to the pupil."""
    owner: Carer | CarerRelationship = (
        link.relationship if field in RELATIONSHIP_FIELDS else link.carer
    )
    return getattr(owner, field)


def carer_changes(link: CarerLink, carer: RollCarer) -> dict[str, Any]:
    """The carer's and relationship's fields the roll's carer would change."""
    wanted = {
        "forename": carer.forename,
        "surname": carer.surname,
        **given(carer, CARER_FIELDS),
        "relationship_type": carer.relationship,
        "parental_responsibility": carer.parental_responsibility,
        "lives_with": carer.lives_with,
    }
    if "contact_priority" in carer.model_fields_set:
        wanted["contact_priority"] = carer.contact_priority
    return {name: value for name, value in wanted.items() if carer_value(link, name) != value}


def apply_carer_changes(link: CarerLink, changes: Mapping[str, Any]) -> bool:
    """Write ``changes`` (from ``carer_changes``); True when anything changed."""
    carer = link.carer
    if any(name in changes for name in CARER_NAMES):
        rename_carer(
            carer,
            forename=changes.get("forename", carer.forename),
            surname=changes.get("surname", carer.surname),
        )
    set_changed(carer, {name: changes[name] for name in CARER_FIELDS if name in changes})
    set_changed(
        link.relationship,
        {name: changes[name] for name in RELATIONSHIP_FIELDS if name in changes},
    )
    return bool(changes)


def carers_by_name(links: Iterable[CarerLink]) -> dict[tuple[str, str], CarerLink]:
    """A pupil's carers by name key: the roll matches carers by name (the first contact
    first, where two share a name)."""
    found: dict[tuple[str, str], CarerLink] = {}
    for link in links:
        found.setdefault((link.carer.forename_key, link.carer.surname_key), link)
    return found


def carer_key(carer: RollCarer) -> tuple[str, str]:
    return (name_key(carer.forename), name_key(carer.surname))


def link_new_carer(
    session: AsyncSession, pupil: Pupil, carer: RollCarer, retain_until: date | None
) -> None:
    """A new carer, linked to the pupil (kept at least as long as the pupil)."""
    record = new_carer(
        session,
        forename=carer.forename,
        surname=carer.surname,
        retain_until=retain_until,
        **{name: getattr(carer, name) for name in CARER_FIELDS},
    )
    session.add(
        CarerRelationship(
            id=uuid.uuid4(),
            pupil_id=pupil.id,
            carer_id=record.id,
            relationship_type=carer.relationship,
            parental_responsibility=carer.parental_responsibility,
            lives_with=carer.lives_with,
            contact_priority=carer.contact_priority,
        )
    )


# --- retention ------------------------------------------------------------------------------


async def move_retention(
    repo: RollRepository,
    moved: Iterable[tuple[Pupil, date]],
    links: Mapping[uuid.UUID, list[CarerLink]],
) -> None:
    """A corrected date of birth moves the pupil's retention date; their carers are kept at
    least as long."""
    pupil_until = {pupil.subject_id: until for pupil, until in moved}
    if not pupil_until:
        return
    carer_until: dict[uuid.UUID, date] = {}
    for pupil, until in moved:
        for link in links.get(pupil.id, []):
            kept = link.retain_until
            if link.processable and kept is not None and kept < until:
                carer = link.carer.subject_id
                carer_until[carer] = max(until, carer_until.get(carer, until))
    for subject in await repo.subjects({*pupil_until, *carer_until}):
        until = pupil_until.get(subject.id) or carer_until[subject.id]
        set_changed(subject, {"retain_until": until})


# --- held for review ------------------------------------------------------------------------
#
# A roll review keeps each change as ``{"sent": value, "held": value}`` in JSON: what the roll
# sent, and what KPAS held when it was pushed (so accepting can tell whether the record
# changed since). A carer KPAS does not hold is kept as the roll sent them.


def as_json(value: Any) -> Any:
    return to_jsonable_python(value)


def held(changes: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` with the values they would replace, as a roll review keeps them."""
    return {
        name: {"sent": as_json(value), "held": as_json(current[name])}
        for name, value in changes.items()
    }


def held_pupil(pupil: Pupil, changes: Mapping[str, Any]) -> dict[str, Any]:
    return held(changes, {name: getattr(pupil, name) for name in changes})


def held_carer(link: CarerLink, changes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "carer_id": str(link.carer.id),
        "changes": held(changes, {name: carer_value(link, name) for name in changes}),
    }


def held_new_carer(carer: RollCarer) -> dict[str, Any]:
    return {"carer_id": None, "new_carer": carer.model_dump(mode="json", exclude_unset=True)}


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    return TypeAdapter(model.model_fields[name].rebuild_annotation())


def sent_pupil_value(field: str, value: Any) -> Any:
    """A held pupil change's sent value, read back as the roll would have read it."""
    return _adapter(RollPupil, field).validate_python(value)


def sent_carer_value(field: str, value: Any) -> Any:
    """A held carer change's sent value, read back as the roll would have read it."""
    return _adapter(RollCarer, CARER_ROLL_FIELDS[field]).validate_python(value)


def sent_new_carer(document: Mapping[str, Any]) -> RollCarer:
    return RollCarer.model_validate(document)
