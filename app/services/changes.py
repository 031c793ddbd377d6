"""Writing only what differs, so an unchanged record keeps its version (and ETag)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def set_changed(target: object, values: Mapping[str, Any]) -> bool:
    """Set the attributes of ``target`` that differ from ``values``; True when any did.
    Attributes that already hold the value are not touched, so no UPDATE is issued for them."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed
