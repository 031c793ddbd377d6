"""The problem catalogue: what each problem ``type`` and each ``errors[].code`` means.

Every problem body's ``type`` is a stable URI under ``PROBLEM_BASE``; the service serves the
page it names at ``/problems/{slug}``. Statuses and titles come from the error classes
themselves, so a page cannot disagree with the response that links to it; the words here say
what the problem means and how a client gets past it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import PROBLEM_BASE, ProblemError

VALIDATION = "validation-failed"
CONFLICT = "conflict"
#: Pydantic's own error types (``missing``, ``string_too_long``, ``uuid_parsing``, ...) are
#: the codes of most field errors; they are documented by pydantic, not repeated here.
PYDANTIC_ERRORS_URL = "https://docs.pydantic.dev/latest/errors/validation_errors/"


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One ``code`` that may appear in a problem's ``errors[]`` (a field, a row or a cell)."""

    code: str
    meaning: str
    types: tuple[str, ...] = (VALIDATION,)


@dataclass(frozen=True, slots=True)
class ProblemType:
    """One problem ``type``: its page's content."""

    slug: str
    status: int
    title: str
    meaning: str
    fix: str
    codes: tuple[ErrorCode, ...]

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


#: What each problem type means, and how to fix it, by slug.
_TEXT: dict[str, tuple[str, str]] = {
    "bad-request": (
        "The request could not be handled as sent. This is the general form of a 400; most "
        "refusals use a more specific type.",
        "Read `detail`, correct the request and send it again.",
    ),
    "invalid-request": (
        "The request is malformed as a whole: the body is not valid JSON, a header such as "
        "`Content-Length` or `KPAS-Purpose` is missing, repeated or not understood, or the "
        "purpose is unknown.",
        "Check the body is well-formed JSON (or the media type the operation documents) and "
        "the headers are sent once each. For personal data, send a `KPAS-Purpose` your role "
        "may use: `GET /v1/purposes` lists them.",
    ),
    "unauthenticated": (
        "No valid access token came with the request: it is missing, expired, not signed by a "
        "trusted issuer, or meant for another audience.",
        "Send `Authorization: Bearer <token>`. Machine clients get a token from "
        "`POST /v1/oauth/token` (client credentials); staff sign in through the council "
        "identity provider. Tokens are short-lived: get a new one when this happens.",
    ),
    "forbidden": (
        "You are who you say you are, but the policy does not let your role do this for the "
        "stated purpose, or this record is outside your reach (another school, area team or "
        "agreement). `policy` names the rule that refused and why.",
        "Check the purpose you sent and the role, schools or organisation your token carries. "
        "If you need this access, ask the service owner; retrying will not change the answer.",
    ),
    "not-found": (
        "There is no such resource, or there is one you may not see: the two look the same, "
        "so the answer reveals nothing about records outside your reach.",
        "Check the path and the id. Paths take no trailing slash. If you expected to see the "
        "record, check the purpose you sent and your token's scope.",
    ),
    "method-not-allowed": (
        "The resource exists but does not support this HTTP method.",
        "Use one of the methods in the `Allow` response header.",
    ),
    "not-acceptable": (
        "The service cannot answer in any media type your `Accept` header allows.",
        "Accept `application/json` (or the media types the operation documents).",
    ),
    "conflict": (
        "The request clashes with the current state of the service: a record that must be "
        "unique already exists, the resource is in a state that does not allow this change, "
        "or a change this large must be confirmed first.",
        "Read `detail` and `errors`, fetch the resource's current state, and decide whether to "
        "send the change again (for a roll, with `expected_leavers` set as `detail` says).",
    ),
    "gone": (
        "The resource existed and was destroyed on purpose, for example a document whose key "
        "was erased at the end of its retention period. It will not come back.",
        "Stop asking for it; remove any reference you hold to it.",
    ),
    "precondition-failed": (
        "The resource has changed since you read it: the `If-Match` you sent no longer matches "
        "its `ETag`, or another request changed it at the same moment.",
        "Fetch the resource again, apply your change to what it now holds, and send it with "
        "the new `ETag` in `If-Match`.",
    ),
    "payload-too-large": (
        "The request body is larger than this operation accepts.",
        "Send a smaller body: split a large import or roll into several requests, or check "
        "the file's size before sending it.",
    ),
    "unsupported-media-type": (
        "The request body's `Content-Type` is not one this operation accepts.",
        "Send the body in a media type the operation documents (the `Accept-Post` header, "
        "where present, lists them); usually `application/json`.",
    ),
    VALIDATION: (
        "The request is well-formed, but one or more of its fields, rows or cells are not "
        "valid. Nothing was changed. `errors` lists each one with where it is (`location`, "
        "`pointer`, and for imports `row` and `field`) and a `code` saying what is wrong. "
        "Values you sent are never repeated back, as they may be personal data.",
        "Correct each entry in `errors` and send the whole request again. Codes not listed "
        f"below are pydantic's error types, described at {PYDANTIC_ERRORS_URL}.",
    ),
    "idempotency-key-reused": (
        "The `Idempotency-Key` was already used for a different request (another body, path "
        "or method). Keys identify one request so it can be retried safely.",
        "Use a new key for each new request; reuse a key only to retry the very same request.",
    ),
    "idempotency-key-authority-changed": (
        "The `Idempotency-Key` was first used by you while you held other permissions (a "
        "different purpose, role or scope). Its first response is not replayed, as it may "
        "describe records you can no longer see.",
        "Send the request with a new key.",
    ),
    "precondition-required": (
        "This operation changes a resource and needs `If-Match`, so a change cannot overwrite "
        "one made since you last read the resource.",
        "Read the resource, then send its `ETag` in `If-Match` with your change.",
    ),
    "too-many-requests": (
        "You sent too many requests of this kind in a short time (for example, token requests "
        "for one client id or from one address).",
        "Wait the number of seconds in `Retry-After`, then try again. Reuse a token until it "
        "expires rather than asking for a new one per request.",
    ),
    "internal-error": (
        "Something went wrong inside the service. Nothing about the cause is given, as it may "
        "include personal data; the service has logged it.",
        "Try again later. If it persists, report the `X-Request-ID` of the response to the "
        "service desk.",
    ),
    "service-unavailable": (
        "The service cannot serve requests right now: its database is unreachable, went away "
        "during the request, stayed locked by other work for too long, or is not yet "
        "upgraded. A change the database lost this way took effect whole or not at all.",
        "Wait the seconds in `Retry-After` (when given), then try again, with a growing pause "
        "between attempts. Send changes again with the same `Idempotency-Key` or `If-Match`, so "
        "that one which did take effect is not applied twice.",
    ),
}

_CODES: tuple[ErrorCode, ...] = (
    # Fields and query parameters.
    ErrorCode("missing", "A required field, part or header row is missing."),
    ErrorCode("extra_forbidden", "The field or query parameter is not one the operation takes."),
    ErrorCode("model_type", "The body must be a JSON object."),
    ErrorCode("list_type", "The field must be a list."),
    ErrorCode("too_long", "The value, list or file is longer than the operation allows."),
    ErrorCode("string_unicode", "The text is not valid UTF-8."),
    ErrorCode(
        "formula_like",
        "The text starts like a spreadsheet formula (`=`, `+`, `-`, `@`); it is refused so it "
        "cannot run when opened in a spreadsheet.",
    ),
    ErrorCode("cursor", "The `cursor` was not issued by this service, or was altered."),
    ErrorCode("period_reversed", "The period's `from` is after its `to`."),
    ErrorCode("period_too_long", "The period is longer than the operation allows."),
    ErrorCode("date_order", "The end date is before the start date."),
    ErrorCode("future", "The date and time is in the future."),
    ErrorCode("past", "The date and time has already passed."),
    ErrorCode("too_far_ahead", "The date is further ahead than allowed."),
    ErrorCode("scope", "The client's schools or organisation do not fit its role."),
    # Documents.
    ErrorCode("duplicate", "The multipart field was sent more than once."),
    ErrorCode("empty", "The uploaded file is empty."),
    # Records the request names.
    ErrorCode("unknown_school", "No school has this URN."),
    ErrorCode("unknown_recipient", "No recipient has this id."),
    ErrorCode("inactive_recipient", "The recipient is no longer active."),
    ErrorCode("not_inspectorate", "The recipient is not an inspectorate."),
    ErrorCode("unknown_subject", "No data subject (pupil or carer) has this id."),
    ErrorCode("unknown_agreement", "No sharing agreement with this recipient has this id."),
    ErrorCode("agreement_not_in_force", "The sharing agreement was not in force on the day given."),
    ErrorCode("agreement_purpose", "The sharing agreement does not cover this purpose."),
    ErrorCode("agreement_category", "The sharing agreement does not cover this data category."),
    ErrorCode("purpose_not_recordable", "Your role cannot record a release made for this purpose."),
    ErrorCode(
        "basis_not_allowed", "The purposes registry gives this purpose another lawful basis."
    ),
    ErrorCode(
        "ground_not_allowed",
        "A ground is given for a release that is not decided on request: leave `ground` out.",
    ),
    ErrorCode(
        "ground_required",
        "A release decided on request (a court order or a crime-prevention request) names the "
        "ground it was decided on.",
    ),
    ErrorCode(
        "reference_required",
        "A release decided on request names the request it answers (`request_reference`).",
    ),
    ErrorCode(
        "article9_condition_mismatch",
        "The Article 9 condition does not match the purpose the request was made for.",
    ),
    # Pupils and carers.
    ErrorCode("before_birth", "The pupil is on roll from before their date of birth."),
    ErrorCode("one_carer", "Give either an existing carer's id or a new carer, not both."),
    ErrorCode("same_pupil", "A pupil cannot be merged into itself."),
    ErrorCode("duplicate_mismatch", "The possible duplicate does not name these two pupils."),
    # Messages.
    ErrorCode("message_type", "The message type is not registered."),
    ErrorCode("channel", "The message type is not sent on this channel."),
    ErrorCode("purpose", "The message type is not sent for this purpose."),
    ErrorCode(
        "recipient", "The carer's record has no usable address, phone number or email address."
    ),
    ErrorCode("personalisation", "A personalisation value is missing or not valid."),
    # School rolls.
    ErrorCode("duplicate_upn", "The same UPN appears in more than one row."),
    ErrorCode("duplicate_carer", "The same carer appears twice for one pupil."),
    ErrorCode("impossible_date", "No pupil on a roll can have this date of birth."),
    ErrorCode("after_as_of", "The pupil joins the roll after the roll's `as_of` date."),
    ErrorCode("cell_count", "The CSV row has a different number of cells from the header."),
    ErrorCode("school_closed", "The school is closed: it takes no new roll.", types=(CONFLICT,)),
    ErrorCode(
        "leavers_mismatch",
        "The roll would take a different number of pupils off roll than `expected_leavers`.",
        types=(CONFLICT,),
    ),
    ErrorCode(
        "leavers_unconfirmed",
        "The roll takes many pupils off roll: confirm the number with `expected_leavers`.",
        types=(CONFLICT,),
    ),
    # Attendance imports: header, rows and cells.
    ErrorCode("invalid_import", "The import cannot be read as a whole."),
    ErrorCode("unknown_column", "The header names a column imports do not have."),
    ErrorCode("duplicate_column", "The header names a column twice."),
    ErrorCode("missing_column", "The header lacks a required column."),
    ErrorCode("invalid_row", "The row is not an object of fields."),
    ErrorCode("unknown_field", "The row has a field imports do not have."),
    ErrorCode("required", "The cell is empty but required."),
    ErrorCode("invalid_type", "The cell must be text."),
    ErrorCode("invalid_upn", "The UPN is not a valid unique pupil number."),
    ErrorCode("invalid_urn", "A URN is a six-digit number."),
    ErrorCode("invalid_date", "The date is not a real YYYY-MM-DD calendar date."),
    ErrorCode("future_date", "The date is in the future."),
    ErrorCode("before_code_set", "The date is before the 2024 attendance codes came into force."),
    ErrorCode("invalid_session", "The session is AM or PM."),
    ErrorCode("unknown_code", "The attendance code is not one of the national codes."),
    ErrorCode(
        "retired_code",
        "The attendance code was withdrawn when the 2024 codes came into force; use its "
        "replacement.",
    ),
    ErrorCode("not_on_roll", "No pupil with this UPN is on this school's roll on this date."),
    ErrorCode("not_own_school", "The school is not one of yours."),
    ErrorCode("repeated_row", "Another row has the same pupil, date and session."),
    # Casework.
    ErrorCode("too_early", "The date is before the case opened."),
    ErrorCode("not_a_party", "The carer is not a party to this case."),
    ErrorCode("unknown_entry", "The case's chronology has no entry with this id."),
    ErrorCode("in_future", "The date is after today."),
    ErrorCode("not_linked", "The carer is not linked to the case's pupil."),
    ErrorCode(
        "purpose_mismatch", "The case type is opened under another purpose (`KPAS-Purpose`)."
    ),
    ErrorCode("unknown_alert", "No attendance alert with this id that you may see."),
    ErrorCode("unknown_pupil", "No pupil with this id that you may see."),
    ErrorCode("alert_mismatch", "The alert names another pupil or school: leave them out."),
    ErrorCode("not_yours", "An officer may assign a new case only to themselves."),
    ErrorCode("not_for_this_step", "The field goes with another step of the case."),
    ErrorCode("message_refused", "The letter, text or email cannot be sent to this carer."),
    ErrorCode("offence_after_issue", "The offence period ends after the notice was issued."),
    ErrorCode("before_issue", "The date is before the notice was issued."),
    ErrorCode(
        "no_parental_responsibility",
        "Penalty notices, orders and prosecutions are for parents with parental "
        "responsibility (Education Act 1996 s576).",
    ),
    ErrorCode("not_an_outcome", "Not an outcome this record can take."),
    ErrorCode("wrong_amount", "The amount paid is not the amount due on that date."),
    ErrorCode("out_of_range", "The number is outside the range the rule allows."),
    ErrorCode("not_this_pupil", "The record is about another pupil."),
    ErrorCode(
        "calendar_not_known",
        "The date is outside the years whose bank holidays and term dates KPAS holds.",
    ),
    ErrorCode("unknown_penalty_notice", "No penalty notice with this id on this case."),
    # Suspensions and exclusions, referrals.
    ErrorCode("not_your_school", "A school reports for its own schools only."),
    ErrorCode("not_a_school_day", "The day is not a school day on the school's calendar."),
    ErrorCode(
        "outside_calendar",
        "The school calendar held does not cover these dates, so school days cannot be counted.",
    ),
    ErrorCode(
        "not_for_integrations",
        "This field is for school staff; an information system leaves it out.",
    ),
    # Licensing: the shape of a weekly pattern or a performance schedule.
    ErrorCode("weekday", "The weekday is 0 (Monday) to 6 (Sunday)."),
    ErrorCode("not_whole_minutes", "Times are whole minutes (HH:MM)."),
    ErrorCode(
        "past_midnight_or_reversed",
        "The period ends before it starts: no period may run past midnight.",
    ),
    ErrorCode("overlaps", "The period overlaps another on the same day."),
    ErrorCode("empty_schedule", "A performance licence needs at least one day."),
    ErrorCode("duplicate_day", "The schedule gives the same date twice."),
    ErrorCode("negative_minutes", "Minutes cannot be negative."),
    ErrorCode(
        "performing_exceeds_time_at_venue",
        "Time performing is longer than the time at the place of performance.",
    ),
    ErrorCode(
        "continuous_exceeds_performing",
        "The longest continuous spell is longer than the day's time performing.",
    ),
    # Licensing: what an application names.
    ErrorCode("unknown_person", "No person of that kind with this id that you may see."),
    ErrorCode("not_an_adult_person", "The producer is an adult person you may see."),
    ErrorCode(
        "no_matching_pupil",
        "No pupil on a Kent roll matches the UPN, legal surname and date of birth together.",
    ),
    ErrorCode("school_needed", "The pupil is on more than one Kent roll: name the school to tell."),
    ErrorCode("not_a_pupil", "Only a pupil on a Kent roll has a Kent school to tell."),
    ErrorCode("no_birth_date", "A child's licence needs their date of birth."),
    ErrorCode("unknown_production", "No production with this id."),
    ErrorCode("unknown_chaperone", "No chaperone approval with this id."),
    ErrorCode("wrong_kind", "The block is for another kind of licence."),
    ErrorCode("number_not_boolean", "A number, not true or false."),
    ErrorCode("notice_settled", "The penalty notice was paid or withdrawn."),
    ErrorCode("not_a_parent", "The carer is not a parent with parental responsibility here."),
    ErrorCode("wrong_offence", "The offence does not fit this type of case."),
    ErrorCode("before_breach", "The offence period starts before the order was breached."),
    ErrorCode(
        "notice_period_too_short",
        "A School Attendance Order notice gives at least 15 days beginning with the day of "
        "service (Education Act 1996 s437).",
    ),
    ErrorCode("unchanged", "The change names what the record already holds."),
    ErrorCode("unknown_document", "No document with this id on this case."),
    # Data-subject requests: recording, amending, the clock, closure and reviews.
    ErrorCode(
        "before_uk_gdpr",
        "Received before 25 May 2018: the Data Protection Act 1998 applied, not the UK GDPR.",
    ),
    ErrorCode("school_required", "A request received through a school names the school."),
    ErrorCode("only_for_school", "Only a request received through a school names one."),
    ErrorCode(
        "authority_evidence_required",
        "A request made for someone else needs the evidence of the requester's authority.",
    ),
    ErrorCode("authority_not_needed", "The subject's own request needs no evidence of authority."),
    ErrorCode("no_evidence", "There is no evidence of authority to accept."),
    ErrorCode(
        "child_competence_required",
        "The subject was under 18 when the request was received: record the competence "
        "judgement with its reasons.",
    ),
    ErrorCode(
        "not_a_child", "The subject was 18 or over when the request was received: no judgement."
    ),
    ErrorCode("identity_note_required", "Say what identity information is asked for, and why."),
    ErrorCode(
        "not_with_identity_required",
        "The field goes with the other answer to `identity_required`.",
    ),
    ErrorCode("note_required", "Say what was asked for and why it is needed."),
    ErrorCode("method_required", "Say how identity was confirmed (no document numbers)."),
    ErrorCode("not_for_this_event", "The field goes with another kind of clock event."),
    ErrorCode("before_received", "The date is before the request was received."),
    ErrorCode("before_previous_event", "The date is before the request's previous clock event."),
    ErrorCode("before_clock_start", "The date is before the request's clock started."),
    ErrorCode("no_email_address", "No email address is held for the requester."),
    ErrorCode("no_postal_address", "No postal address is held for the requester."),
    ErrorCode("before_closure", "The date is before the request was closed."),
    ErrorCode("before_review_requested", "The date is before the review was asked for."),
    ErrorCode(
        "requester_message_refused",
        "The letter or email to the requester cannot be sent to the address held.",
    ),
    # Acting on a data-subject request.
    ErrorCode("unknown_match", "No match with this id on this subject request."),
    ErrorCode(
        "not_the_matched_record",
        "The changes are given under another record type than the match's record.",
    ),
    ErrorCode("unknown_record", "The matched person has no record of this type and id."),
    # Answering an access request item by item.
    ErrorCode("unknown_item", "No item with this type and id in the request's access bundle."),
    ErrorCode(
        "not_law_enforcement",
        "Only a record held for law enforcement is restricted under DPA 2018 s45(4).",
    ),
    ErrorCode(
        "part3_restriction",
        "A record held for law enforcement alone is restricted under DPA 2018 s45(4), not "
        "withheld under a UK GDPR exemption.",
    ),
    # Complaints to the council as controller (DPA 2018 s164A).
    ErrorCode("unknown_subject_request", "No subject request with this id that you may see."),
    ErrorCode(
        "complainant_message_refused",
        "The letter or email to the complainant cannot be sent to the address held.",
    ),
    # Retention: the registry and legal holds.
    ErrorCode("unknown_case", "No case has this id."),
    ErrorCode("nothing_to_change", "The change names no field of the retention rule."),
    # The breach register (UK GDPR Arts 33 and 34).
    ErrorCode("unknown_breach", "No breach in the register with this id or reference."),
    ErrorCode(
        "breach_link_mismatch", "The breach id and breach reference name different breaches."
    ),
    ErrorCode(
        "unknown_breach_subject",
        "No pupil, carer or person with this id that you may see for breach management.",
    ),
    ErrorCode(
        "breach_message_refused",
        "The letter or email to a person affected by a breach cannot be sent to the address held.",
    ),
    ErrorCode("before_awareness", "The time is before the council became aware of the breach."),
    ErrorCode("occurred_after_awareness", "The breach cannot happen after it is known about."),
    ErrorCode(
        "ico_late_reasons_required",
        "The Commissioner was told more than 72 hours after awareness: give the reasons for "
        "the delay (UK GDPR Art 33(1)).",
    ),
    ErrorCode(
        "ico_notification_required",
        "A decision not to notify the Commissioner needs a breach assessed as unlikely to result "
        "in a risk (UK GDPR Art 33(1)).",
    ),
)

ERROR_CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _CODES}


def problem_classes() -> list[type[ProblemError]]:
    """Every problem class, the base included, in order of status."""
    found: list[type[ProblemError]] = [ProblemError]
    pending = list(ProblemError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: (cls.status, cls.slug))


def _catalogue() -> dict[str, ProblemType]:
    types: dict[str, ProblemType] = {}
    for cls in problem_classes():
        meaning, fix = _TEXT[cls.slug]
        codes = tuple(entry for entry in _CODES if cls.slug in entry.types)
        types[cls.slug] = ProblemType(cls.slug, cls.status, cls.title, meaning, fix, codes)
    return types


#: Every problem type the service can answer with, by slug.
PROBLEM_TYPES: dict[str, ProblemType] = _catalogue()
