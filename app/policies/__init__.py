"""The policy layer: lawful basis, purpose, need to know, and an audit record of each decision.

Routes declare ``Policy(resource, action)`` (or ``PUBLIC``); services receive the ``Access`` it
returns and pass ``access.filter()`` into repositories. Rules and the purposes registry are
data (``rules.py``, ``registry.py``); conditions are small two-faced predicates
(``conditions.py``); the engine (``engine.py``) is pure.
"""

from app.policies.guard import (
    DECISION_HEADER,
    PUBLIC,
    PURPOSE_HEADER,
    Access,
    Policy,
    PolicyDeclaration,
    declared_policies,
)

__all__ = [
    "DECISION_HEADER",
    "PUBLIC",
    "PURPOSE_HEADER",
    "Access",
    "Policy",
    "PolicyDeclaration",
    "declared_policies",
]
