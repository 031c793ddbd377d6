"""GOV.UK Notify: the client the outbox worker sends through, and the fake used offline.

- ``app.notify.client``: ``NotifyClient``, the async API v2 client (sends, reads, templates).
- ``app.notify.errors``: the failures, classified (permanent, retryable, outcome unknown).
- ``app.notify.schemas``: Notify's response shapes, statuses, the delivery receipt we receive.
- ``app.notify.keys``: API key parsing and the per-request token.
- ``app.notify.fake``: a fake Notify for tests and the demo. Never deploy it.

Nothing is imported here, so that importing one module does not load the others.
"""
