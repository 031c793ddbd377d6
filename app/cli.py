"""The ``kpas`` command: serve, migrate, seed demo data, print the OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from app.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )
    return 0


async def _migrate_async() -> None:
    from app.db import Database

    database = Database.from_settings(get_settings())
    try:
        await database.upgrade()
    finally:
        await database.dispose()


def _migrate(_args: argparse.Namespace) -> int:
    asyncio.run(_migrate_async())
    print("database migrated to head")
    return 0


async def _seed_async() -> int:
    from app.db import Database
    from app.demo import seed_demo

    database = Database.from_settings(get_settings())
    try:
        async with database.sessions() as session, session.begin():
            return await seed_demo(session)
    finally:
        await database.dispose()


def _seed_demo(_args: argparse.Namespace) -> int:
    added = asyncio.run(_seed_async())
    print(f"demo data loaded: {added} schools added")
    return 0


def render_openapi() -> str:
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    document = render_openapi()
    if args.check:
        current = Path(args.output).read_text() if Path(args.output).exists() else ""
        if current != document:
            print(f"{args.output} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    if args.output == "-":
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document)
        print(f"wrote {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpas", description="KPAS platform API")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", help="bind address (default KPAS_HOST)")
    serve.add_argument("--port", type=int, help="port (default KPAS_PORT)")
    serve.set_defaults(run=_serve)

    commands.add_parser(
        "migrate", help="upgrade the database to the latest migration"
    ).set_defaults(run=_migrate)
    commands.add_parser("seed-demo", help="load deterministic synthetic demo data").set_defaults(
        run=_seed_demo
    )

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi/openapi.json", help="file, or - for stdout")
    openapi.add_argument("--check", action="store_true", help="fail if the file is out of date")
    openapi.set_defaults(run=_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
