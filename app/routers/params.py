"""Path parameters the routers share, each with an example.

The examples name records the demo data holds (``kpas seed-demo``; ``make run``), so "Try it
out" in ``/docs`` reaches a real record there: Hopgarden Primary School (synthetic), URN
990028, its pupil Isla Tillbrook (synthetic) and her carer, the demo attendance marks' import,
the demo sharing agreement with Kent Police, Kent Police as a recipient, and the demo MIS
client. Ids the demo
does not seed are examples of the format only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Path

#: The demo school the examples are for: Hopgarden Primary School (synthetic).
EXAMPLE_URN = 990028
#: Its pupil Isla Tillbrook (synthetic), UPN P999000026313.
EXAMPLE_PUPIL_ID = uuid.UUID("4ebad7d8-8a92-5b42-a557-5fa4cd0c678f")
#: The first demo pupil, who was also entered a second time (a possible duplicate to merge).
EXAMPLE_SURVIVOR_ID = uuid.UUID("1666f5a9-9a5d-52f7-b269-a5739e92dbef")
#: That pupil's second record, and the possible duplicate the demo flags for the two.
EXAMPLE_MERGE_FROM_ID = uuid.UUID("3c413c32-0c57-519b-9038-8ed7f735b7cf")
EXAMPLE_DUPLICATE_ID = uuid.UUID("18d133eb-a2eb-5899-ae87-80d91e6eaa20")
#: Her carer Evie Tillbrook (synthetic).
EXAMPLE_CARER_ID = uuid.UUID("84384276-0289-572a-8f68-ba0a79576c9d")
#: The import the demo attendance marks came in by.
EXAMPLE_IMPORT_ID = uuid.UUID("115dab7c-8f63-52b5-aa54-1a968186f6b7")
#: The demo sharing agreement with Kent Police.
EXAMPLE_AGREEMENT_ID = uuid.UUID("7020795a-13e6-595b-9cb4-b712640e7382")
#: Kent Police, a recipient every database holds (its id is fixed by the migrations).
EXAMPLE_RECIPIENT_ID = uuid.UUID("8a9a6d49-d291-508f-9494-1845b264df94")
#: The demo MIS client, for Hopgarden's roll and marks.
EXAMPLE_CLIENT_ID = uuid.UUID("de499a4a-2394-5775-91d1-d4739da1d4a2")
#: Isla Tillbrook's attendance case, at the support stage, assigned to the demo officer, with
#: an attendance meeting, an attendance contract and a notice to improve.
EXAMPLE_CASE_ID = uuid.UUID("b966f900-0144-5d32-bdc0-7ca9cb8f412b")
#: A demo attendance case at the penalty notice stage (penalty notices, prosecution).
EXAMPLE_ENFORCEMENT_CASE_ID = uuid.UUID("e410e17f-7d82-58b1-bbfd-d6224c017a2b")
#: A demo School Attendance Order case.
EXAMPLE_SAO_CASE_ID = uuid.UUID("9f3e5227-e179-58bb-8f63-d4be6defc373")
#: A school's referral the demo holds, waiting in the east area team's triage queue.
EXAMPLE_REFERRAL_ID = uuid.UUID("71c0df7e-3715-5a4f-b52c-4a55d65e9ce8")
#: Isla's attendance meeting, her attendance contract and her mother's notice to improve.
EXAMPLE_MEETING_ID = uuid.UUID("b450a2ea-9307-578d-aed4-5b1dc6d32879")
EXAMPLE_CONTRACT_ID = uuid.UUID("dddee7bd-93d9-514c-b33c-f2b931f03d3b")
EXAMPLE_NOTICE_TO_IMPROVE_ID = uuid.UUID("d368a94a-8d4a-5136-81fe-cfa0b05f7e1f")
#: A demo attendance case at support with no contract or notice to improve yet.
EXAMPLE_SUPPORT_CASE_ID = uuid.UUID("703acef7-7552-51c4-b5e3-44cfc280b7e5")
#: The penalty notice on the enforcement case, issued and not yet paid.
EXAMPLE_PENALTY_NOTICE_ID = uuid.UUID("7b9ff1aa-2d8c-58a2-a665-7463f7d6622d")
#: The order process on the School Attendance Order case: the s437(1) notice is served.
EXAMPLE_SAO_ORDER_ID = uuid.UUID("775640f6-8b30-5d95-8dae-b3480e425bf5")
#: A School Attendance Order case at the s437(1) notice stage with no notice served yet.
EXAMPLE_SAO_NEW_CASE_ID = uuid.UUID("f1e4cf2b-3971-5588-bf8b-4970a713a807")
#: A School Attendance Order case, and its order process, at the notice of intention.
EXAMPLE_SAO_INTENTION_CASE_ID = uuid.UUID("6788244e-89e5-5b6f-a650-2dde7950da9c")
EXAMPLE_SAO_INTENTION_ORDER_ID = uuid.UUID("774bb0ff-f733-540f-95d1-b5e844db44b9")
#: A School Attendance Order case whose order is made, and the order.
EXAMPLE_SAO_ORDER_CASE_ID = uuid.UUID("1b924fcd-f4d9-5f75-9f60-327f3b3d3b70")
EXAMPLE_SAO_MADE_ORDER_ID = uuid.UUID("c47758f2-c9a4-577f-9b64-c8978a703488")
#: A demo attendance case at prosecution preparation with no prosecution prepared yet.
EXAMPLE_PROSECUTION_NEW_CASE_ID = uuid.UUID("81b36f4f-b939-537a-ad53-97bcd86162e0")
#: A demo attendance case at prosecution preparation, and the prosecution being prepared.
EXAMPLE_PROSECUTION_CASE_ID = uuid.UUID("ed26785c-861b-52f2-8c5b-9222e26f4172")
EXAMPLE_PROSECUTION_ID = uuid.UUID("983c558c-79ac-5461-bd0c-a3e866f59b51")
#: A demo case at prosecution, approved, and its prosecution ready to lay.
EXAMPLE_APPROVED_CASE_ID = uuid.UUID("d65f2af0-6093-5bf6-86bc-81f0ba79578c")
EXAMPLE_APPROVED_PROSECUTION_ID = uuid.UUID("7ecba1df-7846-5557-a5cb-ba62f159afa5")
#: A demo case at prosecution whose information was laid, and that prosecution.
EXAMPLE_COURT_CASE_ID = uuid.UUID("9c94ae2f-47d5-5836-a76f-8d415c3d27cb")
EXAMPLE_LAID_PROSECUTION_ID = uuid.UUID("92be8114-769e-5a0f-8309-f16048175894")
#: A suspension Hopgarden reported for Isla Tillbrook.
EXAMPLE_EXCLUSION_ID = uuid.UUID("7f41b01d-4b05-50f7-a625-4422f82fad04")
#: An id in the right format, for records the demo does not seed.
EXAMPLE_ID = uuid.UUID("3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f")


def _id_path(description: str, example: uuid.UUID = EXAMPLE_ID) -> Any:
    return Path(description=description, examples=[str(example)])


UrnPath = Annotated[
    int,
    Path(ge=100000, le=999999, description="The school's six-digit URN.", examples=[EXAMPLE_URN]),
]
PupilIdPath = Annotated[uuid.UUID, _id_path("The pupil's id.", EXAMPLE_PUPIL_ID)]
SurvivorIdPath = Annotated[
    uuid.UUID,
    _id_path(
        "The pupil record to keep: the other record's history moves to it.", EXAMPLE_SURVIVOR_ID
    ),
]
CarerIdPath = Annotated[uuid.UUID, _id_path("The carer's id.", EXAMPLE_CARER_ID)]
ImportIdPath = Annotated[uuid.UUID, _id_path("The import's id.", EXAMPLE_IMPORT_ID)]
AgreementIdPath = Annotated[
    uuid.UUID, _id_path("The sharing agreement's id.", EXAMPLE_AGREEMENT_ID)
]
AlertIdPath = Annotated[uuid.UUID, _id_path("The alert's id.")]
DisclosureIdPath = Annotated[uuid.UUID, _id_path("The disclosure's id.")]
ClientIdPath = Annotated[
    uuid.UUID, _id_path("The client's id (its `client_id`).", EXAMPLE_CLIENT_ID)
]
DocumentIdPath = Annotated[uuid.UUID, _id_path("The document's id.")]
DuplicateIdPath = Annotated[
    uuid.UUID, _id_path("The possible duplicate's id.", EXAMPLE_DUPLICATE_ID)
]
EntryIdPath = Annotated[uuid.UUID, _id_path("The special category entry's id.")]
GrantIdPath = Annotated[uuid.UUID, _id_path("The inspection grant's id.")]
MessageIdPath = Annotated[uuid.UUID, _id_path("The message's id.")]
RecipientIdPath = Annotated[uuid.UUID, _id_path("The recipient's id.", EXAMPLE_RECIPIENT_ID)]
ReviewIdPath = Annotated[uuid.UUID, _id_path("The roll review's id.")]
CaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_CASE_ID)]
EnforcementCaseIdPath = Annotated[
    uuid.UUID, _id_path("The case's id.", EXAMPLE_ENFORCEMENT_CASE_ID)
]
SaoCaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_SAO_CASE_ID)]
ReferralIdPath = Annotated[uuid.UUID, _id_path("The referral's id.", EXAMPLE_REFERRAL_ID)]
SupportCaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_SUPPORT_CASE_ID)]
SaoNewCaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_SAO_NEW_CASE_ID)]
SaoIntentionCaseIdPath = Annotated[
    uuid.UUID, _id_path("The case's id.", EXAMPLE_SAO_INTENTION_CASE_ID)
]
SaoOrderCaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_SAO_ORDER_CASE_ID)]
ProsecutionNewCaseIdPath = Annotated[
    uuid.UUID, _id_path("The case's id.", EXAMPLE_PROSECUTION_NEW_CASE_ID)
]
ProsecutionCaseIdPath = Annotated[
    uuid.UUID, _id_path("The case's id.", EXAMPLE_PROSECUTION_CASE_ID)
]
ApprovedCaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_APPROVED_CASE_ID)]
CourtCaseIdPath = Annotated[uuid.UUID, _id_path("The case's id.", EXAMPLE_COURT_CASE_ID)]
NoticeToImproveIdPath = Annotated[
    uuid.UUID, _id_path("The notice's id.", EXAMPLE_NOTICE_TO_IMPROVE_ID)
]
PenaltyNoticeIdPath = Annotated[uuid.UUID, _id_path("The notice's id.", EXAMPLE_PENALTY_NOTICE_ID)]


def _order_path(example: uuid.UUID) -> Any:
    return _id_path("The School Attendance Order's id.", example)


def _prosecution_path(example: uuid.UUID) -> Any:
    return _id_path("The prosecution's id.", example)


SaoOrderIdPath = Annotated[uuid.UUID, _order_path(EXAMPLE_SAO_ORDER_ID)]
SaoIntentionOrderIdPath = Annotated[uuid.UUID, _order_path(EXAMPLE_SAO_INTENTION_ORDER_ID)]
SaoMadeOrderIdPath = Annotated[uuid.UUID, _order_path(EXAMPLE_SAO_MADE_ORDER_ID)]
ApprovedProsecutionIdPath = Annotated[uuid.UUID, _prosecution_path(EXAMPLE_APPROVED_PROSECUTION_ID)]
LaidProsecutionIdPath = Annotated[uuid.UUID, _prosecution_path(EXAMPLE_LAID_PROSECUTION_ID)]

#: Licensing: the demo's people, production and licences (``app.demo_licensing``).
EXAMPLE_PERSON_ID = uuid.UUID("ac7a9092-90a5-5fd1-9ad3-e606e197d801")
EXAMPLE_PRODUCER_ID = uuid.UUID("b000a4a0-452e-5144-a0fd-27dc903c8260")
EXAMPLE_EMPLOYER_ID = uuid.UUID("fd308ffe-a90d-58f3-ae0b-64157ad3a3e5")
EXAMPLE_PRODUCTION_ID = uuid.UUID("3903bc2f-e572-5bcd-bcce-f24f6bcdbc8f")
#: An undecided work permit application, and a granted one.
EXAMPLE_LICENCE_ID = uuid.UUID("1b21226b-b044-58c4-8aa9-d23eda84faa5")
EXAMPLE_GRANTED_LICENCE_ID = uuid.UUID("671c90aa-6719-5255-b194-d99a927278e8")
#: A chaperone's approval in force.
EXAMPLE_CHAPERONE_ID = uuid.UUID("83f0f11c-c97f-5210-9646-d792b9d97ff1")
PersonIdPath = Annotated[uuid.UUID, _id_path("The person's id.", EXAMPLE_PERSON_ID)]
ProductionIdPath = Annotated[uuid.UUID, _id_path("The production's id.", EXAMPLE_PRODUCTION_ID)]
LicenceIdPath = Annotated[uuid.UUID, _id_path("The licence's id.", EXAMPLE_LICENCE_ID)]
GrantedLicenceIdPath = Annotated[
    uuid.UUID, _id_path("The licence's id.", EXAMPLE_GRANTED_LICENCE_ID)
]

#: Data-subject requests (``app.demo_subject_requests``): an access request from Isla
#: Tillbrook's mother, in progress; a rectification request ready to close; and a closed
#: erasure request with an internal review awaiting its decision.
EXAMPLE_SUBJECT_REQUEST_ID = uuid.UUID("27d5d1d9-2c48-5708-aa34-d358f3000d50")
EXAMPLE_CLOSABLE_SUBJECT_REQUEST_ID = uuid.UUID("e797e662-59b0-5d08-b150-99ee5c4cc55c")
EXAMPLE_CLOSED_SUBJECT_REQUEST_ID = uuid.UUID("702d3a55-39d5-5add-9ef5-e8090ac6cd91")
EXAMPLE_SUBJECT_REQUEST_REVIEW_ID = uuid.UUID("51ddec67-291a-5ea1-93aa-13808e80a017")
SubjectRequestIdPath = Annotated[
    uuid.UUID, _id_path("The subject request's id.", EXAMPLE_SUBJECT_REQUEST_ID)
]
ClosableSubjectRequestIdPath = Annotated[
    uuid.UUID, _id_path("The subject request's id.", EXAMPLE_CLOSABLE_SUBJECT_REQUEST_ID)
]
ClosedSubjectRequestIdPath = Annotated[
    uuid.UUID, _id_path("The subject request's id.", EXAMPLE_CLOSED_SUBJECT_REQUEST_ID)
]
SubjectRequestReviewIdPath = Annotated[
    uuid.UUID, _id_path("The internal review's id.", EXAMPLE_SUBJECT_REQUEST_REVIEW_ID)
]

#: Acting on a request (``app.demo_subject_requests``): Isla Tillbrook's mother asks for the
#: use of her daughter's records to be restricted while their accuracy is checked; Isla is
#: the request's confirmed match.
EXAMPLE_ACTIONABLE_SUBJECT_REQUEST_ID = uuid.UUID("9179e74b-ae09-510b-a21c-2b40a14eb431")
EXAMPLE_SUBJECT_REQUEST_ACTION_ID = uuid.UUID("0c9b749b-5b5c-5d3c-bfbb-8f7d9ab9de75")
ActionableSubjectRequestIdPath = Annotated[
    uuid.UUID, _id_path("The subject request's id.", EXAMPLE_ACTIONABLE_SUBJECT_REQUEST_ID)
]
SubjectRequestActionIdPath = Annotated[
    uuid.UUID, _id_path("The action's id.", EXAMPLE_SUBJECT_REQUEST_ACTION_ID)
]

#: Complaints (``app.demo_subject_requests``): one received and not yet acknowledged, and one
#: acknowledged, open for progress and its outcome.
EXAMPLE_COMPLAINT_ID = uuid.UUID("7ffb6c09-18ee-589f-87c3-24583ab6f2a9")
EXAMPLE_ACKNOWLEDGED_COMPLAINT_ID = uuid.UUID("f94f6ad1-2406-5f8e-88af-0a78f6e11328")
ComplaintIdPath = Annotated[uuid.UUID, _id_path("The complaint's id.", EXAMPLE_COMPLAINT_ID)]
AcknowledgedComplaintIdPath = Annotated[
    uuid.UUID, _id_path("The complaint's id.", EXAMPLE_ACKNOWLEDGED_COMPLAINT_ID)
]

#: Answering an access request (``app.demo_subject_requests``): Isla Tillbrook's pupil record,
#: confirmed as the subject of her mother's access request.
EXAMPLE_SUBJECT_REQUEST_MATCH_ID = uuid.UUID("c14a4f6a-d63c-5d06-8d82-c4afed349bdd")
SubjectRequestMatchIdPath = Annotated[
    uuid.UUID, _id_path("The match's id.", EXAMPLE_SUBJECT_REQUEST_MATCH_ID)
]

#: The breach register (``app.demo_breaches``): an open breach assessed as a high risk, with
#: the Commissioner and the people affected still to be told; and a contained one, everyone
#: told, ready to close.
EXAMPLE_BREACH_ID = uuid.UUID("aac7d2fa-872f-581b-b00a-26cb36dc7928")
EXAMPLE_CONTAINED_BREACH_ID = uuid.UUID("48d43f81-54e7-5081-804d-3fc081a663cd")
BreachIdPath = Annotated[uuid.UUID, _id_path("The breach's id.", EXAMPLE_BREACH_ID)]
ContainedBreachIdPath = Annotated[
    uuid.UUID, _id_path("The breach's id.", EXAMPLE_CONTAINED_BREACH_ID)
]
