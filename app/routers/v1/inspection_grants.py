"""`/v1/inspection-grants`: Inspectors' read-only windows."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/inspection-grants", tags=["inspection grants"], route_class=KpasRoute)
