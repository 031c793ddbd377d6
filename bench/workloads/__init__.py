"""One module per workload; each exposes ``async def run(backend, url, scale) -> list[Result]``
(``scale``: the quick or the full size, see ``bench.harness.Scale``)."""
