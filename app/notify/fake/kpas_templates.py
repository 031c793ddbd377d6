"""The KPAS templates the fake Notify holds, declared as a Notify service holds its templates:
an id, a type, a name, a subject (emails and letters) and a body with ((placeholders)).

They are data, written out here, not derived from the message registry: a template that
drifts from its message type is what ``kpas notify check-templates`` exists to find, and the
tests change a copy of these to show it does. The ids are the defaults the outbox uses when
``KPAS_NOTIFY_TEMPLATES`` names none (development and tests only).
"""

from __future__ import annotations

from app.notify.fake.config import FakeTemplate

__all__ = ["KPAS_TEMPLATES"]


def _lines(*lines: str) -> str:
    return "\n".join(lines)


KPAS_TEMPLATES: tuple[FakeTemplate, ...] = (
    FakeTemplate(
        id="21e94ee5-705e-548d-b9aa-985ff7588beb",
        name="attendance_concern (email)",
        type="email",
        subject="We are concerned about your child's attendance at school",
        body=_lines(
            "We are concerned about your child's attendance at school.",
            "pupil_first_name: ((pupil_first_name))",
            "school_name: ((school_name))",
            "contact_number: ((contact_number))",
        ),
    ),
    FakeTemplate(
        id="a5aae301-78b5-520f-b968-6444c88900e5",
        name="attendance_concern (letter)",
        type="letter",
        subject="We are concerned about your child's attendance at school",
        body=_lines(
            "We are concerned about your child's attendance at school.",
            "pupil_first_name: ((pupil_first_name))",
            "school_name: ((school_name))",
            "contact_number: ((contact_number))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="6935670a-1ce3-5d18-a0df-34f255da5e24",
        name="attendance_concern (sms)",
        type="sms",
        body=_lines(
            "We are concerned about your child's attendance at school.",
            "pupil_first_name: ((pupil_first_name))",
            "school_name: ((school_name))",
            "contact_number: ((contact_number))",
        ),
    ),
    FakeTemplate(
        id="77f66067-9163-5ab1-89d7-c11644e069ed",
        name="meeting_invitation (email)",
        type="email",
        subject="You are invited to a meeting about your child's attendance",
        body=_lines(
            "You are invited to a meeting about your child's attendance.",
            "pupil_first_name: ((pupil_first_name))",
            "meeting_date: ((meeting_date))",
            "meeting_time: ((meeting_time))",
            "venue: ((venue))",
        ),
    ),
    FakeTemplate(
        id="ce07886a-4af5-5761-91f7-dddd3dd888dc",
        name="meeting_invitation (letter)",
        type="letter",
        subject="You are invited to a meeting about your child's attendance",
        body=_lines(
            "You are invited to a meeting about your child's attendance.",
            "pupil_first_name: ((pupil_first_name))",
            "meeting_date: ((meeting_date))",
            "meeting_time: ((meeting_time))",
            "venue: ((venue))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="e91fa1ed-c511-52fe-8104-fca031d1ca93",
        name="meeting_invitation (sms)",
        type="sms",
        body=_lines(
            "You are invited to a meeting about your child's attendance.",
            "pupil_first_name: ((pupil_first_name))",
            "meeting_date: ((meeting_date))",
            "meeting_time: ((meeting_time))",
            "venue: ((venue))",
        ),
    ),
    FakeTemplate(
        id="7b77c52e-533e-5cf0-9db1-088b283d11f6",
        name="notice_to_improve (letter)",
        type="letter",
        subject="Notice to improve your child's attendance",
        body=_lines(
            "Notice to improve your child's attendance.",
            "pupil_name: ((pupil_name))",
            "school_name: ((school_name))",
            "improvement_period_ends: ((improvement_period_ends))",
            "case_reference: ((case_reference))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="2bf44b1b-0891-5eb6-8807-62c8b7534468",
        name="penalty_notice_letter (letter)",
        type="letter",
        subject="Penalty notice for your child's absence from school",
        body=_lines(
            "Penalty notice for your child's absence from school.",
            "Child: ((pupil_name))",
            "Notice number: ((notice_number))",
            (
                "((first_notice??If you pay within 21 days of receiving this notice, the "
                "penalty is £80.00. If you do not, the penalty is £160.00, payable within 28 "
                "days of receiving this notice.))"
            ),
            (
                "((second_notice??This is a second penalty notice for your child within 3 years"
                " of a first, so there is no reduced rate: the penalty is £160.00, payable "
                "within 28 days of receiving this notice.))"
            ),
            "Pay ((full_amount)) by ((full_by)).",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="64a841c4-bbc2-51b2-8e99-b9dc1102d906",
        name="sao_notice (letter)",
        type="letter",
        subject="Notice to satisfy the council that your child is receiving a suitable education",
        body=_lines(
            "Notice to satisfy the council that your child is receiving a suitable education.",
            "pupil_name: ((pupil_name))",
            "satisfy_by: ((satisfy_by))",
            "case_reference: ((case_reference))",
        ),
        postage="first",
    ),
    FakeTemplate(
        id="3e4bb0d7-949f-56c4-a3ce-568f1b220bae",
        name="sao_intention (letter)",
        type="letter",
        subject="Notice of intention to serve a School Attendance Order",
        body=_lines(
            "Notice of intention to serve a School Attendance Order.",
            "pupil_name: ((pupil_name))",
            "school_name: ((school_name))",
            "choose_by: ((choose_by))",
            "case_reference: ((case_reference))",
        ),
        postage="first",
    ),
    FakeTemplate(
        id="948d9337-6464-5ffc-bcfa-76237f4e8a04",
        name="sao_order (letter)",
        type="letter",
        subject="School Attendance Order",
        body=_lines(
            "School Attendance Order.",
            "pupil_name: ((pupil_name))",
            "school_name: ((school_name))",
            "order_date: ((order_date))",
            "case_reference: ((case_reference))",
        ),
        postage="first",
    ),
    FakeTemplate(
        id="1c3ccd7b-5143-555a-aa79-76d556270b86",
        name="sar_acknowledgement (email)",
        type="email",
        subject="We have received your request for your personal information",
        body=_lines(
            "We have received your request for your personal information.",
            "request_reference: ((request_reference))",
            "due_date: ((due_date))",
        ),
    ),
    FakeTemplate(
        id="1b266cc3-3986-5396-9089-6cd32d7c13e9",
        name="sar_acknowledgement (letter)",
        type="letter",
        subject="We have received your request for your personal information",
        body=_lines(
            "We have received your request for your personal information.",
            "request_reference: ((request_reference))",
            "due_date: ((due_date))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="2feb8f8f-67fa-5951-8cab-c1144618f5b2",
        name="licence_decision (email)",
        type="email",
        subject="A decision on your licence application",
        body=_lines(
            "A decision on your licence application.",
            "licence_reference: ((licence_reference))",
            "decision: ((decision))",
        ),
    ),
    FakeTemplate(
        id="91840c89-ea1e-5ffa-9494-4e55feefd893",
        name="licence_decision (letter)",
        type="letter",
        subject="A decision on your licence application",
        body=_lines(
            "A decision on your licence application.",
            "licence_reference: ((licence_reference))",
            "decision: ((decision))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="5ba5369e-6c74-54fc-bd2e-5827a603aaef",
        name="chaperone_expiry_reminder (email)",
        type="email",
        subject="Your chaperone approval is due to expire",
        body=_lines(
            "Your chaperone approval is due to expire.",
            "expiry_date: ((expiry_date))",
        ),
    ),
    FakeTemplate(
        id="441ffc93-6c7f-5b48-993b-b7d6989d9eee",
        name="chaperone_expiry_reminder (sms)",
        type="sms",
        body=_lines(
            "Your chaperone approval is due to expire.",
            "expiry_date: ((expiry_date))",
        ),
    ),
    FakeTemplate(
        id="908d129b-67e1-5230-b359-c6e4f2e91270",
        name="subject_request_identity (email)",
        type="email",
        subject="We need to confirm your identity before we can answer your request",
        body=_lines(
            "We need to confirm your identity before we can answer your request.",
            "request_reference: ((request_reference))",
        ),
    ),
    FakeTemplate(
        id="18229a68-d6f0-5e90-a1cf-617f64a052a3",
        name="subject_request_identity (letter)",
        type="letter",
        subject="We need to confirm your identity before we can answer your request",
        body=_lines(
            "We need to confirm your identity before we can answer your request.",
            "request_reference: ((request_reference))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="8cac151d-9c1b-5d7a-b87a-75e80400db0c",
        name="subject_request_clarification (email)",
        type="email",
        subject="We need more information to answer your request",
        body=_lines(
            "We need more information to answer your request.",
            "request_reference: ((request_reference))",
        ),
    ),
    FakeTemplate(
        id="6f551a2a-2594-5025-9f0f-77f8ff1597d6",
        name="subject_request_clarification (letter)",
        type="letter",
        subject="We need more information to answer your request",
        body=_lines(
            "We need more information to answer your request.",
            "request_reference: ((request_reference))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="1c2709a8-b5eb-54bc-b7fd-b813cbae4deb",
        name="subject_request_extension (email)",
        type="email",
        subject="We need more time to answer your request",
        body=_lines(
            "We need more time to answer your request.",
            "request_reference: ((request_reference))",
            "due_date: ((due_date))",
            "reasons: ((reasons))",
        ),
    ),
    FakeTemplate(
        id="ee534ad2-4207-51ab-bc05-250864fb0bdc",
        name="subject_request_extension (letter)",
        type="letter",
        subject="We need more time to answer your request",
        body=_lines(
            "We need more time to answer your request.",
            "request_reference: ((request_reference))",
            "due_date: ((due_date))",
            "reasons: ((reasons))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="b654c599-8a95-5725-adef-6ede9ec5759c",
        name="subject_request_response (email)",
        type="email",
        subject="Our response to your request",
        body=_lines(
            "Our response to your request.",
            "request_reference: ((request_reference))",
            "outcome: ((outcome))",
        ),
    ),
    FakeTemplate(
        id="9734201e-2479-553b-ae06-b255864a4ad3",
        name="subject_request_response (letter)",
        type="letter",
        subject="Our response to your request",
        body=_lines(
            "Our response to your request.",
            "request_reference: ((request_reference))",
            "outcome: ((outcome))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="0c6506bf-3ef8-550b-862f-3a7b31c7d81f",
        name="complaint_acknowledgement (email)",
        type="email",
        subject="We have received your data protection complaint",
        body=_lines(
            "We have received your data protection complaint.",
            "complaint_reference: ((complaint_reference))",
        ),
    ),
    FakeTemplate(
        id="6690f9b7-ba8a-5c6e-91c1-1d23568d8cb3",
        name="complaint_acknowledgement (letter)",
        type="letter",
        subject="We have received your data protection complaint",
        body=_lines(
            "We have received your data protection complaint.",
            "complaint_reference: ((complaint_reference))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="3dd1604a-4042-5d23-a9b9-4f3aa726e3d4",
        name="complaint_progress (email)",
        type="email",
        subject="An update on your data protection complaint",
        body=_lines(
            "An update on your data protection complaint.",
            "complaint_reference: ((complaint_reference))",
            "update: ((update))",
        ),
    ),
    FakeTemplate(
        id="46d6f22f-1713-5f1f-98d2-5e0b02951640",
        name="complaint_progress (letter)",
        type="letter",
        subject="An update on your data protection complaint",
        body=_lines(
            "An update on your data protection complaint.",
            "complaint_reference: ((complaint_reference))",
            "update: ((update))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="4e3f2b2f-3d69-50ac-bbc7-c33ebb111da3",
        name="complaint_outcome (email)",
        type="email",
        subject="The outcome of your data protection complaint",
        body=_lines(
            "The outcome of your data protection complaint.",
            "complaint_reference: ((complaint_reference))",
            "outcome: ((outcome))",
        ),
    ),
    FakeTemplate(
        id="89cfcf12-9196-5bc5-baf8-48d685f65649",
        name="complaint_outcome (letter)",
        type="letter",
        subject="The outcome of your data protection complaint",
        body=_lines(
            "The outcome of your data protection complaint.",
            "complaint_reference: ((complaint_reference))",
            "outcome: ((outcome))",
        ),
        postage="second",
    ),
    FakeTemplate(
        id="f3f28ef0-8680-5e8b-91f3-62eee555a6c4",
        name="breach_notification (email)",
        type="email",
        subject="A data protection incident affecting your personal information",
        body=_lines(
            "We are writing to tell you about a data protection incident that affects your "
            "personal information.",
            "Our reference: ((breach_reference))",
            "What happened: ((what_happened))",
            "What this could mean for you: ((likely_consequences))",
            "What we have done and will do: ((measures_taken))",
            "If you have any questions, contact our Data Protection Officer through the "
            "Information Resilience and Transparency Team at data.protection@kent.gov.uk, "
            "quoting our reference. You also have the right to complain to the Information "
            "Commissioner's Office (ico.org.uk, 0303 123 1113).",
        ),
    ),
    FakeTemplate(
        id="473c724e-4e32-5de5-95e9-1c2b2c432087",
        name="breach_notification (letter)",
        type="letter",
        subject="A data protection incident affecting your personal information",
        body=_lines(
            "We are writing to tell you about a data protection incident that affects your "
            "personal information.",
            "Our reference: ((breach_reference))",
            "What happened: ((what_happened))",
            "What this could mean for you: ((likely_consequences))",
            "What we have done and will do: ((measures_taken))",
            "If you have any questions, contact our Data Protection Officer through the "
            "Information Resilience and Transparency Team at data.protection@kent.gov.uk, "
            "quoting our reference. You also have the right to complain to the Information "
            "Commissioner's Office (ico.org.uk, 0303 123 1113).",
        ),
        postage="first",
    ),
)
