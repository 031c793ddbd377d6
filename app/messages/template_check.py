"""Checking the Notify templates a deployment maps its message types to.

Each ``"{type}.{channel}"`` in ``KPAS_NOTIFY_TEMPLATES`` names a template in the Notify service.
``check_templates`` fetches each one (``GET /v2/template/{id}``) and compares it with the
message type in ``app.messages.templates``:

- the template's type must be the channel (an email template cannot send a letter);
- every placeholder the template uses must be one the message type always sends, or Notify
  refuses every message with "Missing personalisation" (letters' address placeholders
  ``address_line_1..7`` and ``postcode`` are always sent);
- every placeholder the message type expects should appear in the template, or what the
  caller wrote never reaches the recipient.

Placeholder names are compared as Notify compares them: ignoring case, spaces, hyphens and
underscores. ``kpas notify check-templates`` prints every mismatch; ``/readyz`` runs the check
once per process and keeps the answer.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from app.messages.templates import MESSAGE_TYPES, MessageType
from app.models.messages import Channel
from app.notify.client import NotifyClient
from app.notify.errors import NotifyError, NotifyNotFound

__all__ = [
    "TemplateCheckCache",
    "TemplateMismatch",
    "check_templates",
    "expected_placeholders",
    "missing_mappings",
    "placeholders",
]

_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_ADDRESS = frozenset({*(f"addressline{n}" for n in range(1, 8)), "postcode"})


def _key(name: str) -> str:
    return re.sub(r"[\s_-]", "", name).lower()


def placeholders(*texts: str | None) -> dict[str, str]:
    """The placeholders in Notify template text (``((name))`` and ``((name??shown if))``), by
    their comparison key, in order of first use."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _PLACEHOLDER.finditer(text or ""):
            name = match.group(1).split("??", 1)[0].strip()
            if name:
                found.setdefault(_key(name), name)
    return found


def expected_placeholders(spec: MessageType, channel: Channel) -> dict[str, str]:
    """The placeholders the message type's template should have: those of the registry's own
    template body for the channel (every field, or the body the type declares)."""
    subject = None if channel is Channel.SMS else spec.description
    return placeholders(subject, spec.template_body(channel))


def missing_mappings(templates: Mapping[str, uuid.UUID]) -> list[str]:
    """``"{type}.{channel}"`` of every registered type and channel without a template id."""
    return [
        f"{spec.code}.{channel.value}"
        for spec in MESSAGE_TYPES.values()
        for channel in sorted(spec.channels)
        if f"{spec.code}.{channel.value}" not in templates
    ]


@dataclass(frozen=True, slots=True)
class TemplateMismatch:
    """One difference between a mapped Notify template and its message type."""

    key: str  # "{type}.{channel}"
    template_id: uuid.UUID | None
    problem: str

    def __str__(self) -> str:
        where = f" (template {self.template_id})" if self.template_id else ""
        return f"{self.key}{where}: {self.problem}"


async def check_templates(
    notify: NotifyClient, templates: Mapping[str, uuid.UUID]
) -> list[TemplateMismatch]:
    """Every mismatch between the mapped templates and the registry (empty: all match).
    Raises ``NotifyError`` if Notify cannot be asked (other than a template it does not
    have, which is a mismatch)."""
    problems = [
        TemplateMismatch(key, None, "no template mapped in KPAS_NOTIFY_TEMPLATES")
        for key in missing_mappings(templates)
    ]
    for key, template_id in sorted(templates.items()):
        code, _, channel_name = key.rpartition(".")
        spec = MESSAGE_TYPES.get(code)
        channel = next((c for c in Channel if c.value == channel_name), None)
        if spec is None or channel is None or channel not in spec.channels:
            problems.append(
                TemplateMismatch(key, template_id, "not a registered message type and channel")
            )
            continue
        try:
            template = await notify.get_template(template_id)
        except NotifyNotFound:
            problems.append(TemplateMismatch(key, template_id, "Notify has no such template"))
            continue
        except NotifyError:
            raise
        if template.type != channel.value:
            problems.append(
                TemplateMismatch(
                    key,
                    template_id,
                    f"a {template.type} template, but the message goes by {channel.value}",
                )
            )
            continue
        theirs = placeholders(template.subject, template.body)
        ours = expected_placeholders(spec, channel)
        if channel is Channel.LETTER:
            theirs = {k: v for k, v in theirs.items() if k not in _ADDRESS}
        for name_key, name in theirs.items():
            if name_key not in ours:
                problems.append(
                    TemplateMismatch(
                        key,
                        template_id,
                        f"the template uses (({name})), which {spec.code} never sends: Notify "
                        "would refuse every message",
                    )
                )
        for name_key, name in ours.items():
            if name_key not in theirs:
                problems.append(
                    TemplateMismatch(
                        key, template_id, f"the template does not use (({name})), which we send"
                    )
                )
    return problems


class TemplateCheckCache:
    """The answer of one template check per process, for ``/readyz``: the check runs once, on
    the first readiness probe after start, and its answer is kept. Nothing is kept when
    Notify could not be asked (the next probe tries again) or no templates are mapped
    (development, where the fake's own are used)."""

    def __init__(self) -> None:
        self.answer: list[TemplateMismatch] | None = None
        self._lock = asyncio.Lock()

    async def check(
        self, base_url: str, api_key: str, templates: Mapping[str, uuid.UUID]
    ) -> list[TemplateMismatch] | None:
        """The mismatches (empty: all match), or None when not checked."""
        if not templates:
            return None
        async with self._lock:
            if self.answer is None:
                try:
                    async with NotifyClient(
                        base_url, api_key, timeout=httpx.Timeout(5.0)
                    ) as notify:
                        self.answer = await check_templates(notify, templates)
                except NotifyError:
                    return None
            return self.answer
