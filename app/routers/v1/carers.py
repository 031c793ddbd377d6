"""`/v1/carers`: Parents, guardians and carers."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/carers", tags=["carers"], route_class=KpasRoute)
