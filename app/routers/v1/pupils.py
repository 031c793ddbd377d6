"""`/v1/pupils`: Pupils: the children KPAS holds records about, their enrolments and carers."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/pupils", tags=["pupils"], route_class=KpasRoute)
