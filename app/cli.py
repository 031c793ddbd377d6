"""The ``kpas`` command: serve, migrate, seed demo data, run the worker (the outbox and the
attendance recompute), recompute attendance once, print the OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Environment, Settings, get_settings

if TYPE_CHECKING:
    from app.audit.verification import ChainVerification
    from app.auth.keys import KeyRing
    from app.notify.fake import FakeTemplate
    from app.services.attendance_recompute import RecomputeCounts


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


async def _seed_async() -> tuple[int, int, int, int]:
    from app.db import Database
    from app.demo import seed_demo, seed_demo_agreements, seed_demo_marks, seed_demo_people

    database = Database.from_settings(get_settings())
    try:
        async with database.sessions() as session, session.begin():
            return (
                await seed_demo(session),
                await seed_demo_agreements(session),
                await seed_demo_people(session),
                await seed_demo_marks(session),
            )
    finally:
        await database.dispose()


def _seed_demo(_args: argparse.Namespace) -> int:
    schools, agreements, pupils, marks = asyncio.run(_seed_async())
    print(
        f"demo data loaded: {schools} schools, {agreements} sharing agreements "
        f"and {pupils} pupils added; {marks} attendance marks added"
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


def fake_notify_templates() -> tuple[FakeTemplate, ...]:
    """What the offline fake Notify holds: its own demo templates, and the default template
    of every registered message type and channel (so the demo and tests send without setup)."""
    from app.messages.templates import demo_templates
    from app.notify.fake import DEMO_TEMPLATES, FakeTemplate

    return tuple(DEMO_TEMPLATES) + tuple(
        FakeTemplate(
            id=str(template_id),
            name=name,
            type=channel.value,
            body=body,
            subject=subject,
            postage="second" if channel.value == "letter" else None,
        )
        for template_id, name, channel, body, subject in demo_templates()
    )


def _fake_notify(args: argparse.Namespace) -> int:
    from app.log import configure_logging
    from app.notify.fake import FakeNotifyConfig, serve_fake_notify

    settings = get_settings()
    if settings.env is Environment.PRODUCTION:
        print("refused: the fake Notify never runs in production", file=sys.stderr)
        return 2
    configure_logging(settings)
    config = FakeNotifyConfig.for_keys(
        *(args.api_key or [settings.notify_api_key.get_secret_value()]),
        templates=fake_notify_templates(),
        callback_url=args.callback_url
        or f"http://{settings.host}:{settings.port}/v1/notify/callbacks",
        callback_token=settings.notify_callback_token.get_secret_value(),
        rate_limit=args.rate_limit or settings.notify_rate_limit_per_minute,
        delivery_delay_seconds=args.delivery_delay,
    )
    serve_fake_notify(args.host, args.port or _fake_notify_port(settings), config=config)
    return 0


def _fake_notify_port(settings: Settings) -> int:
    """Where the service expects Notify (``KPAS_NOTIFY_BASE_URL``), if that is on this
    machine; else 8025."""
    from urllib.parse import urlsplit

    url = urlsplit(settings.notify_base_url)
    if url.hostname in {"127.0.0.1", "localhost", "::1"} and url.port:
        return url.port
    return 8025


async def _worker_async(args: argparse.Namespace) -> int:
    import signal

    from app.db import Database
    from app.log import get_logger
    from app.messages.worker import (
        NotifyKeyRefused,
        OutboxWorker,
        WorkerOptions,
        new_worker_id,
        notify_client_for,
    )
    from app.services.attendance_recompute import AttendanceRecomputer

    settings = get_settings()
    log = get_logger("app.cli.worker")
    overrides = {
        name: value
        for name, value in (
            ("concurrency", args.concurrency),
            ("batch_size", args.batch_size),
            ("notify_timeout_seconds", args.notify_timeout),
            ("letter_check_seconds", args.check_every),
            ("receipt_overdue_seconds", args.check_every),
            ("idle_seconds", args.idle),
        )
        if value is not None
    }
    try:
        options = WorkerOptions.from_settings(settings, worker_id=new_worker_id(), **overrides)
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    database = Database.from_settings(settings)
    notify = notify_client_for(settings, options)
    worker = OutboxWorker(database, notify, options)
    # Beside the outbox, the attendance tallies and alerts are kept up to date after imports.
    recomputer = AttendanceRecomputer(database, idle_seconds=options.idle_seconds)

    def stop() -> None:
        worker.stop()
        recomputer.stop()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    try:
        if args.once:
            done = await worker.run_once()
            log.info("outbox_worker_pass", worker_id=options.worker_id, messages=done)
            await recomputer.drain()
        else:
            await _run_together(worker.run(), recomputer.run(), stop=stop)
    except NotifyKeyRefused as exc:
        log.error("outbox_worker_halted", worker_id=options.worker_id, reason=str(exc))
        return 3
    finally:
        await notify.aclose()
        await database.dispose()
    return 0


async def _run_together(*loops: Coroutine[Any, Any, None], stop: Callable[[], None]) -> None:
    """Run the worker's loops side by side until all return. When one ends (stopped, or
    failed), the others are stopped too, and the first failure is raised."""
    tasks = [asyncio.create_task(work) for work in loops]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop()
        await asyncio.wait(tasks)
    for task in tasks:
        task.result()


def _worker(args: argparse.Namespace) -> int:
    from app.log import configure_logging

    configure_logging(get_settings())
    return asyncio.run(_worker_async(args))


async def _attendance_recompute_async(args: argparse.Namespace) -> RecomputeCounts:
    from app.db import Database
    from app.services.attendance_recompute import AttendanceRecomputer

    database = Database.from_settings(get_settings())
    try:
        return await AttendanceRecomputer(database, batch_weeks=args.batch_weeks).drain()
    finally:
        await database.dispose()


def _attendance_recompute(args: argparse.Namespace) -> int:
    from app.log import configure_logging

    configure_logging(get_settings())
    counts = asyncio.run(_attendance_recompute_async(args))
    print(
        f"recomputed {counts.weeks} school weeks ({counts.pupil_weeks} pupil weeks, "
        f"{counts.school_weeks} school weeks with possible sessions); alerts: "
        f"{counts.raised} raised, {counts.reopened} reopened, {counts.updated} updated, "
        f"{counts.withdrawn} withdrawn"
    )
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


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
    from app.services.attendance_recompute import DEFAULT_BATCH_WEEKS

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

    fake = commands.add_parser(
        "fake-notify",
        help="run the fake GOV.UK Notify on loopback (tests and the offline demo; never deploy)",
    )
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument(
        "--port", type=int, help="default: the port of KPAS_NOTIFY_BASE_URL, else 8025"
    )
    fake.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="accept this API key (repeatable; default: KPAS_NOTIFY_API_KEY)",
    )
    fake.add_argument(
        "--callback-url",
        help="where to send delivery receipts (default: this service's /v1/notify/callbacks)",
    )
    fake.add_argument("--rate-limit", type=int, default=None, help="sends per minute per key")
    fake.add_argument("--delivery-delay", type=float, default=1.0)
    fake.set_defaults(run=_fake_notify)

    worker = commands.add_parser(
        "worker",
        help="send the Notify outbox, follow delivery, clear personal data, and recompute "
        "attendance tallies and alerts after imports (until SIGINT/SIGTERM)",
    )
    worker.add_argument("--once", action="store_true", help="one pass over what is due, then exit")
    worker.add_argument(
        "--concurrency", type=_positive_int, help="sends in flight at once (default 20)"
    )
    worker.add_argument(
        "--batch-size", type=_positive_int, help="messages claimed per transaction (default 100)"
    )
    worker.add_argument(
        "--notify-timeout",
        type=_positive_float,
        help="seconds to wait for Notify's answer (default 10)",
    )
    worker.add_argument(
        "--check-every",
        type=_positive_float,
        help="seconds between status checks of accepted letters and of texts and emails "
        "without a receipt (default 3600)",
    )
    worker.add_argument(
        "--idle", type=_positive_float, help="seconds to sleep when nothing is due (default 1)"
    )
    worker.set_defaults(run=_worker)

    attendance = commands.add_parser("attendance", help="attendance tallies and alerts")
    attendance_commands = attendance.add_subparsers(dest="attendance_command", required=True)
    recompute = attendance_commands.add_parser(
        "recompute",
        help="recompute the weekly tallies and alerts of every school week imports have "
        "changed, then exit (the worker does the same continuously)",
    )
    recompute.add_argument(
        "--batch-weeks",
        type=_positive_int,
        default=DEFAULT_BATCH_WEEKS,
        help=f"school weeks per transaction (default {DEFAULT_BATCH_WEEKS})",
    )
    recompute.set_defaults(run=_attendance_recompute)

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
