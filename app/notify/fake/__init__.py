"""A fake GOV.UK Notify for tests and the offline demo. Never deploy it.

It is a real HTTP server on a loopback address (it refuses any other) that speaks Notify's API v2
closely enough for Notify's own Python client to use it:

- tokens are checked as Notify checks them: ``Bearer`` JWT, HS256 only, ``iss`` a known service,
  signed by one of its keys, ``iat`` within 30 seconds; failures answer 401/403 ``AuthError``
  with Notify's messages;
- ``POST /v2/notifications/sms|email|letter`` (a letter body with ``content`` is a precompiled
  PDF letter) validate against Notify's request schemas (unknown fields refused, UUIDs, UK
  mobile numbers, email addresses, 3 to 7 address lines ending in a UK postcode), then check the
  template (exists, right type, every placeholder given: ``Missing personalisation: ...``), and
  answer 201 with Notify's response shapes; international numbers are refused;
- ``GET /v2/notifications/{id}``, ``GET /v2/notifications`` (``reference``, ``status``,
  ``template_type``, ``older_than``; newest first, ``page_size`` per page, ``links.next``),
  ``GET /v2/templates[?type=]``, ``GET /v2/template/{id}[/version/{v}]``;
- errors use Notify's shape ``{"status_code", "errors": [{"error", "message"}]}``;
- sends are rate limited per API key (token bucket, 3,000 per 60 s unless configured), and
  optionally per service per day;
- statuses move on by themselves: texts and emails ``created → sending → delivered``, except
  Notify's test numbers (ending ``7700900003``: temporary-failure, ``7700900002``:
  permanent-failure) and addresses (``temp-fail@simulator.notify``,
  ``perm-fail@simulator.notify``); letters ``accepted → received``; precompiled letters start at
  ``pending-virus-check``;
- when a text or email reaches its final status, a delivery receipt ``{id, reference, to, status,
  created_at, completed_at, sent_at, notification_type, template_id, template_version}`` is
  POSTed to the callback URL with ``Authorization: Bearer <callback token>``, retried on
  connection errors, 5xx and 429. As with Notify, letters get no receipts.

Controls (loopback clients only; for tests and demos):

- ``GET /_fake/ledger``: every accepted notification in order (ids, references, statuses; no
  recipients or content), ``accepted_by_reference`` (accepted sends per reference),
  ``duplicate_references``, the receipts sent (``callbacks``: status, attempts, delivered), the
  number of API requests and the faults applied;
- ``POST /_fake/faults`` ``{"rules": [...]}`` replaces the fault rules (see ``faults``: 5xx,
  429, slow answers, dropped connections, before or after a send is recorded); ``GET`` shows
  them with their remaining counts; ``DELETE`` clears them;
- ``GET``/``POST /_fake/config``: read or change the live settings (rate limit, daily limit,
  callback URL and token, delivery delay, receipt retries);
- ``POST /_fake/reset``: forget everything and go back to the starting configuration;
- ``GET /_fake/health``.

Use ``FakeNotifyServer`` (a background thread) in tests, ``serve_fake_notify`` in the foreground.
"""

from app.notify.fake.app import FakeNotifyApp
from app.notify.fake.config import DEMO_API_KEY, DEMO_TEMPLATES, FakeNotifyConfig, FakeTemplate
from app.notify.fake.config import load_templates as load_templates
from app.notify.fake.faults import FaultPlan, FaultRule
from app.notify.fake.server import FakeNotifyServer, NotLoopback, serve_fake_notify

__all__ = [
    "DEMO_API_KEY",
    "DEMO_TEMPLATES",
    "FakeNotifyApp",
    "FakeNotifyConfig",
    "FakeNotifyServer",
    "FakeTemplate",
    "FaultPlan",
    "FaultRule",
    "NotLoopback",
    "load_templates",
    "serve_fake_notify",
]
