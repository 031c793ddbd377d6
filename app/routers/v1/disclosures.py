"""`/v1/disclosures`: Releases of personal data outside KPAS."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/disclosures", tags=["disclosures"], route_class=KpasRoute)
