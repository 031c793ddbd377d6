"""One module per workload; each exposes ``async def run(backend, url) -> list[Result]``."""
