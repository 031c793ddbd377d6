"""The retention periods in force: the retention registry's current version of a rule, or,
where the registry has no row for it, the default the service ships with
(``app.rules.retention_schedule``).

Retention dates counted from a date of birth or from the last licence
(``DataSubject.retain_until``) are computed with these periods when records are written, and
recomputed for everyone the rule covers when information governance changes one of them
(``recompute_retention``), in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.retention import RetentionPolicy
from app.models.subjects import DataSubject
from app.rules.retention_schedule import BY_TYPE

PUPIL_LINKED: Final = "pupil_linked"
LICENSED_CHILD: Final = "licensed_child"
LICENSING_ADULT: Final = "licensing_adult"

#: Rules whose periods set ``DataSubject.retain_until``.
DATED_RULES: Final = frozenset({PUPIL_LINKED, LICENSED_CHILD, LICENSING_ADULT})


async def years_in_force(session: AsyncSession, record_type: str) -> int:
    """The period of the registry's current version of the rule (the shipped default where
    the registry has none)."""
    found = await session.scalar(
        select(RetentionPolicy.years).where(RetentionPolicy.record_type == record_type)
    )
    return int(found) if found is not None else BY_TYPE[record_type].years


async def set_retention_dates(session: AsyncSession, changes: list[dict[str, Any]]) -> int:
    """Set ``retain_until`` of data subjects (``{"id": ..., "retain_until": ...}`` each),
    each a new version of the row; how many."""
    if not changes:
        return 0
    table = cast(Table, DataSubject.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("subject"))
        .values(retain_until=bindparam("until"), version=table.c.version + 1),
        [{"subject": change["id"], "until": change["retain_until"]} for change in changes],
    )
    return len(changes)


async def recompute_retention(session: AsyncSession, record_type: str, years: int) -> int:
    """Recompute the retention dates the rule governs with its new period; how many data
    subjects' dates moved. Pupils from their date of birth, then their carers from their
    pupils; children on licences from their date of birth; adults on licences from the last
    licence they are on."""
    from app.services.licences import recompute_adult_retention
    from app.services.licensing_people import recompute_child_retention
    from app.services.pupils import recompute_pupil_retention

    moved: int = 0
    if record_type == PUPIL_LINKED:
        moved = await recompute_pupil_retention(session, years)
    elif record_type == LICENSED_CHILD:
        moved = await recompute_child_retention(session, years)
    elif record_type == LICENSING_ADULT:
        moved = await recompute_adult_retention(session, years)
    return moved
