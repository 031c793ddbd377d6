"""`/v1/subject-requests`."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(
    prefix=f"{PREFIX}/subject-requests", tags=["subject requests"], route_class=KpasRoute
)
