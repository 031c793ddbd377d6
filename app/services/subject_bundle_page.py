"""The access bundle as one readable HTML page: what the requester is sent, in words.

The page stands alone (no scripts, no external styles, fonts or images) and prints on A4.
Every value in it is escaped: a bundle is personal data written by schools, officers and
the public, and none of it may become markup. It renders the JSON document it is given
(``BundleRead``) and nothing else, so the page and the JSON say the same; a released page
names the SHA-256 of the JSON document the disclosure log records.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from app.models.subject_requests import ItemDecision
from app.rules.calendar import LONDON
from app.schemas.subject_request_answers import BundleItemRead, BundleRead, RightRead

#: The page loads nothing and runs nothing: its own inline styles only.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;line-height:1.4;color:#0b0c0c;
margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:18pt;margin:0 0 .5rem}h2{font-size:14pt;margin:2rem 0 .5rem}
h3{font-size:12pt;margin:1.5rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0}
th,td{border:1px solid #b1b4b6;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#f3f2f1}
dl{display:grid;grid-template-columns:14rem 1fr;gap:.15rem 1rem;margin:.3rem 0}
dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}
section.item{border-top:2px solid #b1b4b6;margin-top:1rem}
.note{color:#505a5f}
footer{margin-top:2rem;font-size:9pt;color:#505a5f}
@page{size:A4;margin:15mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}
section.item{break-inside:avoid-page}thead{display:table-header-group}}
""".strip()

RIGHT_NAMES = {
    "access": "See a copy of your information",
    "rectification": "Have it corrected",
    "erasure": "Have it erased",
    "restriction": "Limit what we do with it",
    "objection": "Object to our use of it",
    "portability": "Have it transferred (data portability)",
    "automated_decisions": "Not be subject to decisions made solely by computer",
}
DECISION_WORDS = {
    ItemDecision.RELEASED: "Released",
    ItemDecision.WITHHELD: "Withheld",
    ItemDecision.RESTRICTED: "Restricted",
    ItemDecision.THIRD_PARTY_REVIEW: "Awaiting third-party review",
}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _label(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _when(value: Any) -> str:
    """A time as people in Kent read it (UK local time); a date as a date."""
    if isinstance(value, datetime):
        local = value.astimezone(LONDON)
        return f"{local.day} {local:%B %Y %H:%M}"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return "" if value is None else str(value)


def _scalar(value: Any) -> str:
    if value is None:
        return '<span class="note">Not recorded</span>'
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return _e(_when(datetime.fromisoformat(value)))
        except ValueError:
            pass
    return _e(value)


def _value(value: Any) -> str:
    """Any JSON value, as markup: a mapping as a definition list, a list of mappings as a
    table, any other list as a list; every text escaped."""
    if isinstance(value, Mapping):
        if not value:
            return '<span class="note">None</span>'
        rows = "".join(
            f"<dt>{_e(_label(str(k)))}</dt><dd>{_value(v)}</dd>" for k, v in value.items()
        )
        return f"<dl>{rows}</dl>"
    if isinstance(value, list):
        if not value:
            return '<span class="note">None</span>'
        if all(isinstance(v, Mapping) for v in value):
            keys = list(dict.fromkeys(k for v in value for k in v))
            head = "".join(f"<th>{_e(_label(str(k)))}</th>" for k in keys)
            body = "".join(
                "<tr>" + "".join(f"<td>{_value(row.get(k))}</td>" for k in keys) + "</tr>"
                for row in value
            )
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return "<ul>" + "".join(f"<li>{_value(v)}</li>" for v in value) + "</ul>"
    return _scalar(value)


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def _rights_by_basis(items: Sequence[BundleItemRead]) -> dict[str, list[RightRead]]:
    found: dict[str, list[RightRead]] = {}
    for item in items:
        for right in item.rights:
            found.setdefault(right.basis, [])
            if all(r.right is not right.right for r in found[right.basis]):
                found[right.basis].append(right)
    return found


def _applies(answer: RightRead) -> str:
    if answer.conditional:
        return "In some cases"
    return "Yes" if answer.applies else "No"


def _basis_words(basis: str) -> str:
    words = {
        "6(1)(c)": "UK GDPR Art 6(1)(c): a legal obligation",
        "6(1)(e)": "UK GDPR Art 6(1)(e): a task in the public interest",
        "6(1)(c),6(1)(e)": "UK GDPR Art 6(1)(c) and (e): a legal obligation and a public task",
        "s35(2)(b)": "Data Protection Act 2018 Part 3 (s35(2)(b)): law enforcement",
    }
    return words.get(basis, basis)


def _item(item: BundleItemRead, preview: bool) -> str:
    kept = _e(item.retention.period)
    if item.retention.retain_until:
        kept += f" (until {_e(_when(item.retention.retain_until))})"
    facts = [
        ("What it is", _e(_label(item.resource_type.value))),
        ("Recorded", _e(_when(item.recorded_at)) or "Not recorded"),
        ("Why we hold it", _e("; ".join(p.wording for p in item.purposes)) or "Accountability"),
        ("Lawful basis", _e("; ".join(_basis_words(b) for b in item.lawful_basis))),
        ("Kinds of data", _e(", ".join(_label(c) for c in item.categories)) or "None"),
        ("Where it came from", _e(item.source)),
        ("How long we keep it", kept),
    ]
    if item.law_enforcement:
        facts.append(
            (
                "Law enforcement",
                "Held to investigate or prosecute an offence: your rights are those of the Data "
                "Protection Act 2018 Part 3 (sections 45 to 48).",
            )
        )
    if preview:
        decision = item.decision
        said = DECISION_WORDS[decision.decision]
        if decision.provision:
            said += f" ({decision.provision})"
        if decision.reason:
            said += f": {decision.reason}"
        facts.append(("Answer", _e(said)))
        if item.third_party.present:
            facts.append(("Third-party data", _e("; ".join(item.third_party.reasons))))
    return (
        '<section class="item">'
        f"<h3>{_e(item.title)}</h3>"
        f"{_facts(facts)}"
        f"{_value(item.data)}"
        "</section>"
    )


def render_html(bundle: BundleRead, *, sha256: str | None = None) -> str:
    """The bundle as one self-contained page; ``sha256``: the SHA-256 of the released JSON
    document, named at its foot."""
    preview = bundle.status != "released"
    title = f"Your information: request {bundle.reference}"
    people = "".join(
        f"<li>{_e(s.name)} ({_e(_label(s.record_type.value))} record)</li>" for s in bundle.subjects
    )
    intro = _facts(
        [
            ("Controller", _e(bundle.controller)),
            ("Request received", _e(_when(bundle.received_on))),
            ("Due", _e(_when(bundle.due_on)) or "Not yet set"),
            ("Prepared", _e(_when(bundle.generated_at))),
            ("Status", "Working copy, not released" if preview else "Released"),
        ]
    )
    rights = "".join(
        f"<h3>Information held on {_e(_basis_words(basis))}</h3>"
        "<table><thead><tr><th>Your right</th><th>Applies</th><th>Why</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>{_e(RIGHT_NAMES.get(r.right.value, r.right.value))}</td>"
            f"<td>{_applies(r)} ({_e(r.provision)})</td><td>{_e(r.reason)}</td></tr>"
            for r in answers
        )
        + "</tbody></table>"
        for basis, answers in _rights_by_basis(bundle.items).items()
    )
    recipients = (
        "<table><thead><tr><th>Who</th><th>Times</th><th>First</th><th>Last</th>"
        "<th>Why</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>{_e(r.name)}</td><td>{r.disclosures}</td>"
            f"<td>{_e(_when(r.first_disclosed_at))}</td><td>{_e(_when(r.last_disclosed_at))}</td>"
            f"<td>{_e(', '.join(_label(p) for p in r.purposes))}</td></tr>"
            for r in bundle.recipients
        )
        + "</tbody></table>"
        if bundle.recipients
        else "<p>We have not shared this information with anyone outside the council's "
        "attendance and licensing services.</p>"
    )
    held_back = (
        "<table><thead><tr><th>What</th><th>Answer</th><th>Why</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>{_e(_label(n.resource_type.value))}</td>"
            f"<td>{_e(DECISION_WORDS[n.decision])}"
            f"{' (' + _e(n.provision) + ')' if n.provision else ''}</td>"
            f"<td>{_e(n.reason)}</td></tr>"
            for n in bundle.not_released
        )
        + "</tbody></table>"
        if bundle.not_released
        else "<p>Nothing has been held back.</p>"
    )
    items = "".join(_item(item, preview) for item in bundle.items) or "<p>None.</p>"
    complaints = bundle.complaints
    footer = (
        f"SHA-256 of the JSON form of this bundle, as recorded in the council's disclosure "
        f"log: {_e(sha256)}."
        if sha256
        else "Working copy: not released, and not to be sent."
    )
    body = (
        f"<h1>{_e(title)}</h1>"
        f"{intro}"
        f"<h2>Whom this is about</h2><ul>{people}</ul>"
        f"<h2>Your rights</h2>{rights or '<p>None recorded.</p>'}"
        f"<h2>Who we have shared your information with</h2>{recipients}"
        f"<h2>What we have not released</h2>{held_back}"
        + (
            f"<p>{bundle.awaiting_review} item(s) await review for other people's information.</p>"
            if preview and bundle.awaiting_review
            else ""
        )
        + f"<h2>The information we hold</h2>{items}"
        "<h2>How to complain</h2>"
        f"<p>{_e(complaints.council)}</p><p>{_e(complaints.ico)}</p>"
        f"<p>Our Data Protection Officer is {_e(complaints.data_protection_officer)}.</p>"
        f"<footer>{footer} Times are UK local time. OFFICIAL-SENSITIVE: personal data.</footer>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        '<meta name="viewport" content="width=device-width">'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
