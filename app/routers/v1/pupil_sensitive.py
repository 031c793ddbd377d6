"""`/v1/pupils`: A pupil's special category data and identification documents, held apart from the ordinary record."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/pupils", tags=["special category data"], route_class=KpasRoute)
