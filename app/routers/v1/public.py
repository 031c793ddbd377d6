"""`/v1/public`."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"], route_class=KpasRoute)
