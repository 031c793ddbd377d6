"""The ``kpas`` command: serve, migrate, seed demo data, print the OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import get_settings

if TYPE_CHECKING:
    from app.audit.verification import ChainVerification
    from app.auth.keys import KeyRing


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


async def _seed_async() -> tuple[int, int, int]:
    from app.db import Database
    from app.demo import seed_demo, seed_demo_agreements, seed_demo_people

    database = Database.from_settings(get_settings())
    try:
        async with database.sessions() as session, session.begin():
            return (
                await seed_demo(session),
                await seed_demo_agreements(session),
                await seed_demo_people(session),
            )
    finally:
        await database.dispose()


def _seed_demo(_args: argparse.Namespace) -> int:
    schools, agreements, pupils = asyncio.run(_seed_async())
    print(
        f"demo data loaded: {schools} schools, {agreements} sharing agreements "
        f"and {pupils} pupils added"
    )
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


def _token(args: argparse.Namespace) -> int:
    from datetime import datetime

    from app.auth.identity import DevelopmentOnly, development_token
    from app.auth.principal import InspectionGrant, Role
    from app.log import configure_logging

    settings = get_settings()
    configure_logging(settings)  # logs to stderr: stdout carries only the token
    try:
        inspection = None
        if args.inspection_grant:
            starts = datetime.fromisoformat(args.inspection_start or "")
            ends = datetime.fromisoformat(args.inspection_end or "")
            if starts.tzinfo is None or ends.tzinfo is None:
                raise ValueError("inspection times need a UTC offset")
            inspection = InspectionGrant(args.inspection_grant, starts, ends)
        token = development_token(
            settings,
            subject=args.sub,
            roles=[Role(r) for r in args.role],
            area_teams=args.area_team,
            school_urns=args.school_urn,
            org=args.org,
            inspection=inspection,
            ttl_seconds=args.ttl,
        )
    except (DevelopmentOnly, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    from app.auth.keys import SigningKey, rotate_keys

    settings = get_settings()
    new, retired = rotate_keys(
        settings.signing_keys_dir, settings.signing_algorithm, keep=args.keep
    )
    print(f"new signing key {SigningKey.from_file(new).kid} ({new.name}); restart to sign with it")
    for path in retired:
        print(f"retired {path.name}")
    return 0


async def _audit_verify_async(
    digest: tuple[KeyRing, str] | None,
) -> tuple[ChainVerification, str | None]:
    from app.audit.digest import check_against_digest
    from app.audit.verification import verify_chain
    from app.db import Database

    database = Database.from_settings(get_settings())
    try:
        async with database.sessions() as session:
            result = await verify_chain(session)
            mismatch = None
            if digest is not None:
                ring, signature = digest
                try:
                    mismatch = await check_against_digest(session, ring, signature)
                except ValueError as exc:
                    mismatch = f"the digest cannot be used: {exc}"
            return result, mismatch
    finally:
        await database.dispose()


def _audit_verify(args: argparse.Namespace) -> int:
    digest = None
    if args.digest:
        from app.auth.keys import KeyRing

        try:
            signature = json.loads(Path(args.digest).read_text())["signature"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"cannot read the digest {args.digest}: {exc}", file=sys.stderr)
            return 2
        digest = (KeyRing.from_settings(get_settings()), str(signature))
    result, mismatch = asyncio.run(_audit_verify_async(digest))
    if not result.ok:
        where = f"event seq {result.first_bad_seq}" if result.first_bad_seq else "the chain head"
        print(
            f"audit chain BROKEN at {where}: {result.problem} "
            f"({result.events_checked} events verified before it)",
            file=sys.stderr,
        )
        return 1
    if mismatch is not None:
        print(f"audit chain does not match the digest: {mismatch}", file=sys.stderr)
        return 1
    print(
        f"audit chain intact: {result.events_checked} events verified, "
        f"head seq {result.head_seq} hash {result.head_hash}"
        + (" (matches the digest)" if digest else "")
    )
    return 0


async def _audit_export_head_async(ring: KeyRing) -> dict[str, object]:
    from app.audit.digest import export_head_digest
    from app.db import Database

    settings = get_settings()
    database = Database.from_settings(settings)
    try:
        async with database.sessions() as session:
            digest = await export_head_digest(session, ring, issuer=settings.token_issuer)
            return digest.document()
    finally:
        await database.dispose()


def _audit_export_head(args: argparse.Namespace) -> int:
    from app.auth.keys import KeyRing

    ring = KeyRing.from_settings(get_settings())
    document = json.dumps(asyncio.run(_audit_export_head_async(ring)), indent=2) + "\n"
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

    from app.auth.principal import Role
    from app.rules.kent import AreaTeam

    token = commands.add_parser("token", help="print a development token (refused in production)")
    token.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub", required=True, help="the token's subject")
    token.add_argument(
        "--area-team", action="append", default=[], choices=[t.value for t in AreaTeam]
    )
    token.add_argument("--school-urn", action="append", default=[], type=int)
    token.add_argument("--org", help="partner organisation code")
    token.add_argument(
        "--ttl", type=int, help="lifetime in seconds (default KPAS_TOKEN_TTL_SECONDS)"
    )
    token.add_argument("--inspection-grant", help="inspection grant id (inspectors)")
    token.add_argument("--inspection-start", help="grant start, ISO 8601 with offset")
    token.add_argument("--inspection-end", help="grant end, ISO 8601 with offset")
    token.set_defaults(run=_token)

    keys = commands.add_parser("keys", help="manage the token signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser("rotate", help="add a new signing key, retire the oldest")
    rotate.add_argument("--keep", type=int, default=2, help="keys to keep, the new one included")
    rotate.set_defaults(run=_keys_rotate)

    audit = commands.add_parser("audit", help="the tamper-evident audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="check the hash chain; exit 1 naming the first bad event"
    )
    verify.add_argument(
        "--digest", help="also check against a head digest from `kpas audit export-head`"
    )
    verify.set_defaults(run=_audit_verify)
    export_head = audit_commands.add_parser(
        "export-head", help="print the chain head, signed, to keep outside the database"
    )
    export_head.add_argument("--output", default="-", help="file, or - for stdout")
    export_head.set_defaults(run=_audit_export_head)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
