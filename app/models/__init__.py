"""ORM tables, one module per domain. Importing this package registers every table."""

from app.models.base import Base
from app.models.idempotency import IdempotencyRecord
from app.models.schools import School, SchoolPhase, SchoolStatus

__all__ = ["Base", "IdempotencyRecord", "School", "SchoolPhase", "SchoolStatus"]
