"""`/v1/schools`: The school roll pushed by a school's information system."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX

router = APIRouter(prefix=f"{PREFIX}/schools", tags=["school roll"], route_class=KpasRoute)
