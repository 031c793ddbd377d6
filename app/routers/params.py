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
