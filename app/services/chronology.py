"""A case's chronology as a court bundle needs it: who the case is about (reference, pupil,
date of birth), the parties, and every entry in the order things happened, with who
recorded it and when. Served as JSON, or as one printable HTML page.

The export reads personal data: the people it names are recorded as touched, and the export
itself is an audit change (``case.chronology_exported``) naming the case and the format,
never the content.

The HTML page stands alone (no scripts, no external styles, fonts or images) so it prints
the same anywhere and can be kept with the bundle; every value in it is escaped.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.policies import Access
from app.repositories.case_records import CasePeopleRepository
from app.repositories.cases import CaseRepository
from app.repositories.people import PupilRepository
from app.rules.calendar import LONDON
from app.schemas.case_records import (
    CaseChronology,
    CaseEventRead,
    ChronologyParty,
    ChronologyPupil,
)
from app.services.cases import load_case


class ChronologyFormat(StrEnum):
    JSON = "json"
    HTML = "html"


async def export_chronology(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, output: ChronologyFormat
) -> CaseChronology:
    """The whole chronology of a case the caller may see (a 404 otherwise)."""
    case = await load_case(session, access, case_id)
    pupil = await PupilRepository(session).get(case.pupil_id)
    if pupil is None:  # a case names its pupil (foreign key)
        raise ValueError(f"case {case.id} names no pupil")
    cases = CaseRepository(session)
    # Every party the case ever had: a bundle shows who was involved, and when they ceased.
    parties = await cases.parties(case.id)
    carers = await CasePeopleRepository(session).carers(p.carer_id for p in parties)
    events = await cases.all_events(case.id)
    access.touched(subject_ids=[p.subject_id for p in parties], resource_id=case.id)
    access.record_change(
        "case.chronology_exported",
        resource_id=case.id,
        subject_id=case.subject_id,
        details={"format": output.value, "entries": len(events)},
    )
    return CaseChronology(
        case_id=case.id,
        reference=case.reference,
        case_type=case.case_type,
        stage=case.stage,
        opened_on=case.opened_on,
        closed_at=case.closed_at,
        school_urn=case.school_urn,
        pupil=ChronologyPupil.model_validate(pupil),
        parties=[
            ChronologyParty(
                carer_id=party.carer_id,
                title=carers[party.carer_id].title,
                forename=carers[party.carer_id].forename,
                surname=carers[party.carer_id].surname,
                relationship_type=party.relationship_type,
                parental_responsibility=party.parental_responsibility,
                added_at=party.added_at,
                removed_at=party.removed_at,
            )
            for party in parties
        ],
        entries=[CaseEventRead.of(event) for event in events],
        exported_at=access.now,
        exported_by=access.principal.subject,
    )


# --- the printable page ------------------------------------------------------------------------

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;line-height:1.4;color:#0b0c0c;
margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:16pt;margin:0 0 .5rem}h2{font-size:13pt;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #b1b4b6;padding:.3rem .4rem;text-align:left;vertical-align:top}
th{background:#f3f2f1}
dl.case{display:grid;grid-template-columns:12rem 1fr;gap:.2rem 1rem;margin:0}
dl.case dt{font-weight:bold}dl.case dd{margin:0}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.details{color:#505a5f;font-size:9pt}
.corrects{font-style:italic}
footer{margin-top:1.5rem;font-size:9pt;color:#505a5f}
@page{size:A4;margin:15mm}
@media print{
body{margin:0;max-width:none;padding:0;font-size:10pt}
thead{display:table-header-group}
tr{break-inside:avoid;page-break-inside:avoid}
h2{break-after:avoid;page-break-after:avoid}
}
""".strip()


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(moment: datetime | None) -> str:
    """A time as people in Kent read it (UK local time)."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%b %Y %H:%M}"


def _label(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _details(details: dict[str, Any]) -> str:
    parts = [f"{_e(_label(key))}: {_e(value)}" for key, value in sorted(details.items())]
    return "; ".join(parts)


def _pupil_name(pupil: ChronologyPupil) -> str:
    names = [pupil.legal_forename, pupil.legal_middle_names, pupil.legal_surname]
    legal = " ".join(n for n in names if n)
    preferred = " ".join(n for n in (pupil.preferred_forename, pupil.preferred_surname) if n)
    return f"{legal} (known as {preferred})" if preferred else legal


def _rows(cells: Iterable[Iterable[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)


def render_html(chronology: CaseChronology) -> str:
    """The chronology as one self-contained, printable HTML page (every value escaped)."""
    pupil = chronology.pupil
    numbers = {entry.id: index for index, entry in enumerate(chronology.entries, start=1)}
    case_facts = [
        ("Case reference", chronology.reference),
        ("Case type", _label(chronology.case_type.value)),
        ("Stage", _label(chronology.stage.value)),
        ("Opened", f"{chronology.opened_on.day} {chronology.opened_on:%b %Y}"),
        ("Closed", _when(chronology.closed_at) or "Open"),
        ("School URN", chronology.school_urn),
        ("Pupil", _pupil_name(pupil)),
        ("Date of birth", f"{pupil.date_of_birth.day} {pupil.date_of_birth:%B %Y}"),
        ("UPN", pupil.upn or "Not held"),
        ("Pupil id", pupil.id),
    ]
    facts = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in case_facts)
    parties = _rows(
        (
            _e(" ".join(n for n in (p.title, p.forename, p.surname) if n)),
            _e(_label(p.relationship_type.value)),
            "Yes" if p.parental_responsibility else "No",
            _e(_when(p.added_at)),
            _e(_when(p.removed_at)),
        )
        for p in chronology.parties
    )
    entries = []
    for number, entry in enumerate(chronology.entries, start=1):
        what = []
        if entry.corrects_id is not None:
            corrected = numbers.get(entry.corrects_id)
            target = f"entry {corrected}" if corrected else f"entry {entry.corrects_id}"
            what.append(f'<div class="corrects">Corrects {_e(target)}</div>')
        if entry.text:
            what.append(f'<div class="text">{_e(entry.text)}</div>')
        if entry.details:
            what.append(f'<div class="details">{_details(entry.details)}</div>')
        entries.append(
            (
                str(number),
                _e(_when(entry.occurred_at)),
                _e(_label(entry.kind.value)),
                "".join(what),
                _e(entry.recorded_by),
                _e(_when(entry.recorded_at)),
            )
        )
    title = f"Chronology: case {chronology.reference}"
    body = (
        f"<h1>{_e(title)}</h1>"
        f'<dl class="case">{facts}</dl>'
        "<h2>Parties</h2>"
        + (
            "<table><thead><tr><th>Name</th><th>Relationship</th>"
            "<th>Parental responsibility</th><th>Added</th><th>Removed</th></tr></thead>"
            f"<tbody>{parties}</tbody></table>"
            if chronology.parties
            else "<p>None recorded.</p>"
        )
        + "<h2>Chronology</h2>"
        "<table><thead><tr><th>#</th><th>When</th><th>What</th><th>Detail</th>"
        "<th>Recorded by</th><th>Recorded at</th></tr></thead>"
        f"<tbody>{_rows(entries)}</tbody></table>"
        f"<footer>Exported {_e(_when(chronology.exported_at))} (UK time) by "
        f"{_e(chronology.exported_by)}. Times are UK local time. OFFICIAL-SENSITIVE: "
        "personal data; keep with the case bundle.</footer>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        '<meta name="viewport" content="width=device-width">'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
