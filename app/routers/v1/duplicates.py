"""`/v1/possible-duplicates`: Records that may be the same person, for a person to resolve."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/possible-duplicates", tags=["possible duplicates"], route_class=KpasRoute)
