"""The record of processing as one readable HTML page.

The page stands alone (no scripts, no external styles, fonts or images) and prints on A4. It
renders the JSON document it is given (``ProcessingRecordRead``) and nothing else, so the page
and the JSON say the same. Every value is escaped: recipients, agreements and retention rules
are written by administrators, and none of it may become markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from app.rules.calendar import LONDON
from app.schemas.processing_record import ProcessingRecordRead, RecordPurposeRead
from app.schemas.purposes import ConditionRead
from app.services.subject_bundle_page import PAGE_POLICY

__all__ = ["PAGE_POLICY", "render_html"]

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;line-height:1.4;color:#0b0c0c;
margin:2rem auto;max-width:64rem;padding:0 1rem}
h1{font-size:18pt;margin:0 0 .5rem}h2{font-size:14pt;margin:2rem 0 .5rem}
h3{font-size:12pt;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0}
th,td{border:1px solid #b1b4b6;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#f3f2f1}
dl{display:grid;grid-template-columns:14rem 1fr;gap:.15rem 1rem;margin:.3rem 0}
dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere}
.note{color:#505a5f}
footer{margin-top:2rem;font-size:9pt;color:#505a5f}
@page{size:A4;margin:15mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}
thead{display:table-header-group}section{break-inside:avoid-page}}
""".strip()


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _list(values: Iterable[object]) -> str:
    items = "".join(f"<li>{_e(v)}</li>" for v in values)
    return f"<ul>{items}</ul>" if items else '<span class="note">None</span>'


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of already-escaped cells under escaped headings."""
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _conditions(conditions: Sequence[ConditionRead]) -> str:
    return _list(
        f"DPA 2018 Sch {c.schedule} para {c.paragraph} ({c.title}); appropriate policy "
        f"document {c.policy_document.reference}: {c.policy_document.title}"
        for c in conditions
    )


def _purpose(purpose: RecordPurposeRead) -> str:
    regime = "DPA 2018 Part 3 (law enforcement)" if purpose.regime == "dpa2018_part3" else "UK GDPR"
    return (
        f"<section><h3>{_e(purpose.code)}: {_e(purpose.wording)}</h3>"
        + _facts(
            [
                ("Regime", _e(regime)),
                ("Lawful bases", _e(", ".join(purpose.lawful_bases))),
                ("Article 9 condition", _e(purpose.article9_condition or "None")),
                ("Schedule conditions", _conditions(purpose.conditions)),
                ("Schedule 2 exemption", _e(purpose.schedule2_exemption or "None")),
                ("Legislation", _list(purpose.legislation)),
                ("Governance purpose", "Yes" if purpose.governance else "No"),
                ("Aggregate figures only", "Yes" if purpose.aggregate_only else "No"),
                ("Rights", _list(purpose.rights)),
            ]
        )
        + "</section>"
    )


def render_html(record: ProcessingRecordRead) -> str:
    """The record as one self-contained page."""
    title = f"Record of processing activities: {record.controller.name}"
    generated = record.generated_at.astimezone(LONDON)
    controller = _facts(
        [
            ("Controller", _e(record.controller.name)),
            ("Data Protection Officer", _e(record.controller.data_protection_officer)),
            ("Contact", _e(record.controller.contact_email)),
            ("Privacy notice in force", f"Version {_e(record.controller.notice_version)}"),
            ("Generated", _e(f"{generated.day} {generated:%B %Y %H:%M}")),
        ]
    )
    purposes = "".join(_purpose(p) for p in record.purposes)
    categories = _table(
        ("Code", "What it is", "Special category"),
        (
            (_e(c.code), _e(c.description), "Yes" if c.special_category else "No")
            for c in record.data_categories
        ),
    )
    subjects = _table(
        ("Code", "Who"), ((_e(s.code), _e(s.description)) for s in record.data_subjects)
    )
    recipients = _table(
        ("Recipient", "Kind", "As the notice names it", "Agreements in force"),
        (
            (
                f'{_e(r.name)} <span class="note">({_e(r.code)})</span>',
                _e(r.kind),
                _e(r.notice_wording),
                _list(
                    f"{a.name}: {', '.join(a.data_categories)} for {', '.join(a.purposes)}, "
                    f"from {a.starts_on.isoformat()}"
                    + (f" to {a.ends_on.isoformat()}" if a.ends_on else "")
                    + (f", districts {', '.join(a.districts)}" if a.districts else "")
                    for a in r.agreements
                ),
            )
            for r in record.recipients
        ),
    )
    retention = _table(
        ("Record type", "What", "Kept", "Then", "Why", "Source", "Version"),
        (
            (
                _e(r.record_type),
                _e(r.description),
                _e(f"{r.years} years from {r.starts.replace('_', ' ')}"),
                _e(r.action),
                _e(r.reason),
                _e(r.source),
                _e(r.policy_version if r.policy_version is not None else "schedule"),
            )
            for r in record.retention
        ),
    )
    security = _table(
        ("Measure", "How"), ((_e(m.measure), _e(m.detail)) for m in record.security_measures)
    )
    law_enforcement = "".join(
        f"<section><h3>{_e(le.purpose)}</h3>"
        + _facts(
            [
                ("Competent authority", _e(le.competent_authority)),
                ("Legal basis", _e(le.legal_basis)),
                ("Sensitive processing", _conditions(le.sensitive_processing)),
                ("Legislation", _list(le.legislation)),
                ("Profiling", _e(le.profiling)),
                ("Recipients under agreement", _list(le.recipients)),
                ("Retention", _list(le.retention)),
            ]
        )
        + "<h3>Logging (DPA 2018 s62)</h3>"
        + _table(
            ("Operation", "How it is logged"), ((_e(x.operation), _e(x.how)) for x in le.logging)
        )
        + "</section>"
        for le in record.law_enforcement
    )
    transfers = record.international_transfers
    listed = _list(transfers.transfers) if transfers.transfers else ""
    part3 = law_enforcement or "<p>None.</p>"
    body = (
        f"<h1>{_e(title)}</h1>"
        "<p>UK GDPR Article 30(1); for law enforcement processing, Data Protection Act 2018 "
        "section 61. Rendered from the service's registry.</p>"
        f"{controller}"
        f"<h2>Purposes, regimes and conditions</h2>{purposes}"
        f"<h2>Categories of personal data</h2>{categories}"
        f"<h2>Categories of data subjects</h2>{subjects}"
        f"<h2>Recipients</h2>{recipients}"
        f"<h2>Retention</h2><p>From the {_e(record.retention_source)}.</p>{retention}"
        "<h2>International transfers</h2>"
        f"<p>{_e(transfers.statement)}</p>{listed}"
        f"<h2>Security measures</h2>{security}"
        f"<h2>Law enforcement processing (DPA 2018 Part 3)</h2>{part3}"
        "<footer>OFFICIAL. Holds no personal data. Times are UK local time.</footer>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        '<meta name="viewport" content="width=device-width">'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
