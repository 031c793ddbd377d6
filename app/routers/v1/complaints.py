"""`/v1/complaints`."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/complaints", tags=["complaints"], route_class=KpasRoute)
