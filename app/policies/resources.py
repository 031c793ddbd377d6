"""What the policy layer knows about each kind of resource.

A binding says whether the resource holds personal data, how conditions read its attributes
(in Python and SQL), which column names its data subject, which column records the purposes
it was collected for, and which purpose a route on it defaults to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement

from app.models.schools import School
from app.policies.conditions import Attribute, column_attribute
from app.policies.registry import Purpose


@dataclass(frozen=True, slots=True)
class ResourceBinding:
    name: str
    personal_data: bool
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    #: Column holding the record's data-subject id (personal data only).
    subject_column: Any = None
    #: Column holding the bit mask of purposes the record was collected for.
    purposes_column: Any = None
    #: The purpose a route on this resource uses when the request names none.
    default_purpose: Purpose | None = None
    #: Names of fields that hold special category data.
    special_category_fields: frozenset[str] = frozenset()

    def attribute(self, name: str) -> Attribute:
        try:
            return self.attributes[name]
        except KeyError:
            raise KeyError(f"resource {self.name!r} has no policy attribute {name!r}") from None

    def collected_for(self, mask_bit: int) -> ColumnElement[bool] | None:
        if self.purposes_column is None:
            return None
        clause: ColumnElement[bool] = self.purposes_column.op("&")(mask_bit) != 0
        return clause


RESOURCES: dict[str, ResourceBinding] = {
    binding.name: binding
    for binding in (
        ResourceBinding(
            "school",
            personal_data=False,
            attributes={
                "school_urn": column_attribute(School.urn, "urn"),
                "area_team": column_attribute(School.area_team),
            },
        ),
        ResourceBinding("api_client", personal_data=False),
        ResourceBinding("audit_event", personal_data=False),
        ResourceBinding("purpose_registry", personal_data=False),
        ResourceBinding("recipient", personal_data=False),
        ResourceBinding("sharing_agreement", personal_data=False),
    )
}
