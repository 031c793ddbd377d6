"""The ``kpas`` command: serve, migrate, seed demo data, run the worker (the outbox and the
attendance recompute), recompute attendance once, print the OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import socket
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from app.settings import Environment, Settings, describe_settings_errors, get_settings

if TYPE_CHECKING:
    from subprocess import Popen

    from app.audit.verification import ChainVerification
    from app.auth.keys import KeyRing
    from app.crypto import KeyEncryptionKeys
    from app.crypto.keyring import KeyEncryptionKey
    from app.notify.fake import FakeTemplate
    from app.services.attendance_recompute import RecomputeCounts


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.auth.keys import SigningKeysError
    from app.crypto import DocumentKeysError
    from app.crypto.cursors import CursorKeyError
    from app.main import create_app

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    # Bound here, before anything else starts, so a taken port is one clear line.
    listener, problem = _listen(host, port)
    if listener is None:
        hint = "--port" if args.port else "KPAS_PORT"
        print(
            f"kpas serve: {problem} ({hint}): stop what is using it or choose another port",
            file=sys.stderr,
        )
        return 1
    with listener:
        try:
            app = create_app(settings)
        except (SigningKeysError, DocumentKeysError, CursorKeyError) as exc:
            print(f"kpas serve: refused to start: {exc}", file=sys.stderr)
            return 2
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,
            log_config=None,
            proxy_headers=True,
            server_header=False,
        )
        server = uvicorn.Server(config)
        server.run(sockets=[listener])
    return 0 if server.started else 3


def _listen(host: str, port: int) -> tuple[socket.socket | None, str]:
    """A socket bound to ``host:port`` (as uvicorn binds), or None and why it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            return None, f"port {port} on {host} is already in use"
        return None, f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return sock, ""


def _port_problem(host: str, port: int) -> str | None:
    """Why nothing could listen on ``host:port`` now, or None if it is free."""
    listener, problem = _listen(host, port)
    if listener is None:
        return problem
    listener.close()
    return None


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


async def _seed_async() -> tuple[int, int, int, int, int, int, int, int]:
    from app.db import Database
    from app.demo import (
        seed_demo,
        seed_demo_agreements,
        seed_demo_cases,
        seed_demo_clients,
        seed_demo_marks,
        seed_demo_people,
    )
    from app.demo_licensing import seed_demo_licences
    from app.demo_subject_requests import seed_demo_subject_requests

    database = Database.from_settings(get_settings())
    try:
        async with database.sessions() as session, session.begin():
            return (
                await seed_demo(session),
                await seed_demo_agreements(session),
                await seed_demo_people(session),
                await seed_demo_marks(session),
                await seed_demo_clients(session),
                await seed_demo_cases(session),
                await seed_demo_licences(session),
                await seed_demo_subject_requests(session),
            )
    finally:
        await database.dispose()


def _seed_demo(_args: argparse.Namespace) -> int:
    schools, agreements, pupils, marks, clients, cases, licences, requests = asyncio.run(
        _seed_async()
    )
    print(
        f"demo data loaded: {schools} schools, {agreements} sharing agreements "
        f"and {pupils} pupils added; {marks} attendance marks added; "
        f"{clients} MIS client added; {cases} cases opened; {licences} licences added; "
        f"{requests} subject requests added"
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


def _key_encryption_keys_in(directory: Path) -> list[KeyEncryptionKey] | None:
    """The keys in ``directory``; None (having said why) if one of its files is not a key."""
    from app.crypto import DocumentKeysError
    from app.crypto.keyring import read_keks

    try:
        return read_keks(directory)
    except DocumentKeysError as exc:
        print(f"refused: {directory}: {exc}", file=sys.stderr)
        return None


def _document_keys_create(_args: argparse.Namespace) -> int:
    from app.crypto import write_kek
    from app.crypto.keyring import KeyEncryptionKey

    directory = get_settings().document_keys_dir
    existing = _key_encryption_keys_in(directory)
    if existing is None:
        return 1
    if existing:
        names = ", ".join(k.file_name for k in existing)
        print(
            f"refused: {directory} already holds key-encryption keys ({names}); "
            "`kpas document-keys rotate` adds a new one",
            file=sys.stderr,
        )
        return 1
    key = KeyEncryptionKey.from_file(write_kek(directory, development=False))
    print(f"new key-encryption key {key.id} ({key.file_name}) in {directory}")
    return 0


def _document_keys_rotate(_args: argparse.Namespace) -> int:
    from app.crypto import write_kek
    from app.crypto.keyring import KeyEncryptionKey

    directory = get_settings().document_keys_dir
    existing = _key_encryption_keys_in(directory)
    if existing is None:
        return 1
    if not existing:
        print(
            f"refused: no key-encryption keys in {directory} yet; "
            "`kpas document-keys create` makes the first",
            file=sys.stderr,
        )
        return 1
    key = KeyEncryptionKey.from_file(write_kek(directory, development=False))
    print(
        f"new key-encryption key {key.id} ({key.file_name}); restart every API process to wrap "
        "new subject keys with it (the older keys keep unwrapping), then run "
        "`kpas document-keys rewrap` to move the existing ones to it"
    )
    return 0


async def _document_keys_rewrap_async(ring: KeyEncryptionKeys, batch_size: int) -> int:
    from app.audit.trail import PendingAuditEvent, record, seal
    from app.crypto import rewrap_subject_keys
    from app.db import Database

    database = Database.from_settings(get_settings())
    total = 0
    try:
        while True:
            # One transaction per batch: a failure keeps the batches already done.
            async with database.writer(), database.sessions() as session, session.begin():
                moved = await rewrap_subject_keys(session, ring, limit=batch_size)
                if moved:
                    record(
                        session,
                        PendingAuditEvent(
                            kind="change",
                            action="document_keys.rewrapped",
                            actor="kpas document-keys rewrap",
                            actor_role="operator",
                            resource_type="key_encryption_key",
                            resource_id=ring.active.id,
                            details={"subject_keys": moved},
                        ),
                    )
                    await seal(session)
            total += moved
            if moved < batch_size:
                return total
    finally:
        await database.dispose()


def _document_keys_rewrap(args: argparse.Namespace) -> int:
    from app.crypto import (
        DecryptionFailed,
        DocumentKeysError,
        KeyEncryptionKeys,
        UnknownWrappingKey,
    )

    settings = get_settings()
    try:
        ring = KeyEncryptionKeys.from_settings(settings)
        moved = asyncio.run(_document_keys_rewrap_async(ring, args.batch_size))
    except DocumentKeysError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except UnknownWrappingKey as exc:
        print(
            f"stopped: a subject key is wrapped by {exc.kek_id}, which is not in "
            f"{settings.document_keys_dir}; put that key file back and run again",
            file=sys.stderr,
        )
        return 1
    except DecryptionFailed:
        print(
            "stopped: a subject key does not unwrap with the key that wrapped it (altered, or "
            "moved to another subject's row); the batch it was in was left as it was",
            file=sys.stderr,
        )
        return 1
    active = ring.active
    print(
        f"rewrapped {moved} subject keys; every live subject key is now wrapped by "
        f"{active.id} ({active.file_name})"
    )
    older = [k.file_name for k in ring.keys if k.id != active.id]
    if older:
        print(
            "no live subject key needs these any more: " + ", ".join(older) + "; remove them "
            "once no backup you may have to restore was written before this rewrap"
        )
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
    """What the offline fake Notify holds: its own demo templates, and a template for every
    KPAS message type and channel, declared as data (so the demo and tests send without
    setup, and ``kpas notify check-templates`` has something real to compare)."""
    from app.notify.fake import DEMO_TEMPLATES
    from app.notify.fake.kpas_templates import KPAS_TEMPLATES

    return tuple(DEMO_TEMPLATES) + KPAS_TEMPLATES


async def _notify_check_templates_async() -> list[str]:
    from app.messages.template_check import check_templates
    from app.notify.client import NotifyClient

    settings = get_settings()
    async with NotifyClient(
        settings.notify_base_url, settings.notify_api_key.get_secret_value()
    ) as notify:
        return [
            str(problem) for problem in await check_templates(notify, settings.notify_templates)
        ]


def _notify_check_templates(_args: argparse.Namespace) -> int:
    """Compare every mapped Notify template with its message type; exit 1 listing each
    mismatch, 2 if Notify cannot be asked."""
    from app.notify.errors import NotifyError

    try:
        problems = asyncio.run(_notify_check_templates_async())
    except NotifyError as exc:
        print(f"kpas notify check-templates: Notify could not be asked: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} mismatch(es) between KPAS_NOTIFY_TEMPLATES and the message types")
        return 1
    print("every mapped Notify template matches its message type")
    return 0


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
    port = args.port or _fake_notify_port(settings)
    problem = _port_problem(args.host, port)
    if problem is not None:
        hint = "--port" if args.port else "the port of KPAS_NOTIFY_BASE_URL"
        print(
            f"kpas fake-notify: {problem} ({hint}): stop what is using it or choose another "
            "port (the service finds the fake Notify at KPAS_NOTIFY_BASE_URL)",
            file=sys.stderr,
        )
        return 1
    serve_fake_notify(args.host, port, config=config)
    return 0


def _fake_notify_port(settings: Settings) -> int:
    """Where the service expects Notify (``KPAS_NOTIFY_BASE_URL``), if that is on this
    machine; else 8025."""
    from urllib.parse import urlsplit

    url = urlsplit(settings.notify_base_url)
    if url.hostname in {"127.0.0.1", "localhost", "::1"} and url.port:
        return url.port
    return 8025


#: What ``kpas run-local`` starts, in this order; each is a ``kpas`` command of its own.
LOCAL_PROCESSES = ("fake-notify", "worker", "api")


def _run_local(args: argparse.Namespace) -> int:
    import signal
    import subprocess
    import time

    settings = get_settings()
    if settings.env is Environment.PRODUCTION:
        print(
            "refused: run-local starts the fake Notify, which never runs in production",
            file=sys.stderr,
        )
        return 2
    notify_port = _fake_notify_port(settings)
    ports = [
        (settings.host, settings.port, "the API, KPAS_PORT"),
        ("127.0.0.1", notify_port, "the fake GOV.UK Notify, the port of KPAS_NOTIFY_BASE_URL"),
    ]
    problems = [
        f"{problem} ({what})"
        for host, port, what in ports
        if (problem := _port_problem(host, port)) is not None
    ]
    if problems:
        for problem in problems:
            print(f"kpas run-local: {problem}; nothing was started", file=sys.stderr)
        return 1

    stop_signals: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stop_signals.append(signum)

    handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    kpas = [sys.executable, "-m", "app.cli"]
    argv = {
        "fake-notify": [*kpas, "fake-notify"],
        "worker": [*kpas, "worker", "--check-every", str(args.check_every)],
        "api": [*kpas, "serve"],
    }
    children: dict[str, Popen[bytes]] = {}
    try:
        for name in LOCAL_PROCESSES:
            children[name] = subprocess.Popen(argv[name])  # noqa: S603 - our own command
        announced = False
        while not stop_signals:
            ended = next((n for n, child in children.items() if child.poll() is not None), None)
            if ended is not None:
                code = children[ended].returncode
                print(
                    f"kpas run-local: the {ended} process stopped (exit {code}); "
                    "stopping the others",
                    file=sys.stderr,
                )
                return code or 1
            if not announced:
                announced = _announce_when_serving(settings, notify_port)
            time.sleep(0.2)
        return 0
    finally:
        _stop_processes(list(children.values()))
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def _stop_processes(children: Sequence[Popen[bytes]]) -> None:
    """SIGTERM each process still running, wait for it, and kill it after 10 s."""
    import subprocess

    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _announce_when_serving(settings: Settings, notify_port: int) -> bool:
    """Once the API answers, say where to go next (on stdout). False until then."""
    import httpx

    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::"} else settings.host  # noqa: S104
    base = f"http://{host}:{settings.port}"
    try:
        if httpx.get(f"{base}/healthz", timeout=1).status_code != 200:
            return False
        ready = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
    kpas = _kpas_command()
    lines = [
        "",
        f"KPAS is serving at {base}, with the outbox worker and a fake GOV.UK Notify "
        f"(http://127.0.0.1:{notify_port}).",
        f"  API docs:   {base}/docs  (paste a token into Authorize)",
        "  a token:    TOKEN=$("
        f"{kpas} token --role attendance_officer --sub officer-1 --area-team east)",
        f'  call it:    curl -H "Authorization: Bearer $TOKEN" "{base}/v1/schools?district=thanet"',
        "Ctrl-C stops all three.",
        "",
    ]
    if not ready:
        lines.insert(-2, f"  not ready:  {base}/readyz answers 503; has `{kpas} migrate` run?")
    print("\n".join(lines), flush=True)
    return True


def _kpas_command() -> str:
    """How to run ``kpas`` from the working directory (``.venv/bin/kpas`` in a checkout)."""
    script = Path(sys.executable).with_name("kpas")
    if not script.exists():
        return "kpas"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


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
    from app.services.licence_reminders import ChaperoneReminders
    from app.services.partitions import PartitionKeeper
    from app.services.retention import RetentionSweeper

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
    # And chaperones are reminded that their approval is ending (a few minutes between looks).
    reminders = ChaperoneReminders(
        database,
        actor=options.worker_id,
        template_ids=settings.notify_templates,
        idle_seconds=options.idle_seconds,
    )

    # And, where the schedule asks for it, records past retention are swept (destroyed after
    # the grace period unless a legal hold covers them).
    sweeper = (
        RetentionSweeper(
            database,
            grace_days=settings.retention_grace_days,
            every_seconds=settings.retention_sweep_seconds,
            actor=options.worker_id,
        )
        if settings.retention_sweep_seconds > 0
        else None
    )
    # And, daily, the partitions of the tables that grow without bound are made a year ahead
    # (PostgreSQL; nothing on SQLite).
    partitions = PartitionKeeper(database)

    def stop() -> None:
        worker.stop()
        recomputer.stop()
        reminders.stop()
        partitions.stop()
        if sweeper is not None:
            sweeper.stop()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    try:
        if args.once:
            # Reminders first, so the pass sends what they queue.
            reminded = await reminders.run_once()
            log.info("chaperone_reminders_once", worker_id=options.worker_id, approvals=reminded)
            done = await worker.run_once()
            log.info("outbox_worker_pass", worker_id=options.worker_id, messages=done)
            await recomputer.drain()
            made = await partitions.run_once()
            log.info("partitions_once", worker_id=options.worker_id, partitions=made)
        else:
            loops = [worker.run(), recomputer.run(), reminders.run(), partitions.run()]
            if sweeper is not None:
                loops.append(sweeper.run())
            await _run_together(*loops, stop=stop)
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


async def _retention_sweep_async(args: argparse.Namespace) -> int:
    from datetime import date

    from app.db import Database
    from app.services.retention import SweepOptions, sweep

    settings = get_settings()
    database = Database.from_settings(settings)
    grace = settings.retention_grace_days if args.grace_days is None else args.grace_days
    options = SweepOptions(
        as_of=date.today(),
        grace_days=grace,
        dry_run=args.dry_run,
        actor="kpas retention sweep",
        batch_size=args.batch_size,
    )
    try:
        async with database.writer(), database.sessions() as session:
            outcome = await sweep(session, options)
            await session.rollback()  # a dry run wrote nothing; a sweep committed as it went
    finally:
        await database.dispose()
    run = outcome.run
    counts = ", ".join(f"{rt} {n}" for rt, n in outcome.counts.items()) or "no rows"
    records = "; ".join(
        f"{rt}: {t['due']} due, {t['held']} held, {t['destroyed']} "
        + ("would go" if args.dry_run else "destroyed")
        for rt, t in outcome.records.items()
    )
    if args.dry_run:
        print(
            f"dry run as of {run.as_of} (grace {run.grace_days} days): {run.past_retention} "
            f"past retention, {run.due} due, {run.held} held by a legal hold; "
            f"{len(outcome.would_destroy)} would be destroyed ({counts})"
            + (f"; records by their own age: {records}" if records else "")
        )
        for subject_id in outcome.would_destroy:
            print(subject_id)
    else:
        print(
            f"swept as of {run.as_of} (grace {run.grace_days} days), run {run.id}: "
            f"{run.past_retention} past retention, {run.due} due, {run.held} held by a legal "
            f"hold, {run.destroyed} destroyed ({counts})"
            + (f"; records by their own age: {records}" if records else "")
        )
    return 0


def _retention_sweep(args: argparse.Namespace) -> int:
    from app.log import configure_logging

    configure_logging(get_settings())
    return asyncio.run(_retention_sweep_async(args))


async def _partitions_ensure_async(args: argparse.Namespace) -> int:
    from app.db import Database
    from app.repositories.partitions import ahead_of
    from app.services.partitions import ensure_ahead

    database = Database.from_settings(get_settings())
    through = args.through or ahead_of(date.today())
    try:
        if database.engine.dialect.name != "postgresql":
            print("nothing to do: only PostgreSQL partitions tables")
            return 0
        made = await ensure_ahead(database, through=through, since=args.since)
    finally:
        await database.dispose()
    print(
        f"partitions through {through.isoformat()}: "
        + (f"made {', '.join(made)}" if made else "all there already")
    )
    return 0


def _partitions_ensure(args: argparse.Namespace) -> int:
    from app.log import configure_logging

    configure_logging(get_settings())
    return asyncio.run(_partitions_ensure_async(args))


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


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

    serve = commands.add_parser(
        "serve", help="run the API server (exits 1 at once if its port is taken)"
    )
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

    local = commands.add_parser(
        "run-local",
        help="run the API, the outbox worker and the fake Notify together until Ctrl-C, as "
        "`make run` does: checks both ports first, says where to go once serving, and stops "
        "them all when one stops (refused in production)",
    )
    local.add_argument(
        "--check-every",
        type=_positive_float,
        default=10.0,
        help="the worker's --check-every (default 10 seconds, so demo letters move quickly)",
    )
    local.set_defaults(run=_run_local)

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
        help="school weeks per transaction; a school's are never split, so one with more "
        f"goes whole, alone (default {DEFAULT_BATCH_WEEKS})",
    )
    recompute.set_defaults(run=_attendance_recompute)

    keys = commands.add_parser("keys", help="manage the token signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser("rotate", help="add a new signing key, retire the oldest")
    rotate.add_argument("--keep", type=int, default=2, help="keys to keep, the new one included")
    rotate.set_defaults(run=_keys_rotate)

    document_keys = commands.add_parser(
        "document-keys",
        help="manage the key-encryption keys that wrap each person's document key "
        "(KPAS_DOCUMENT_KEYS_DIR)",
    )
    document_key_commands = document_keys.add_subparsers(
        dest="document_keys_command", required=True
    )
    document_key_commands.add_parser(
        "create", help="write the first key-encryption key (refused if the directory has keys)"
    ).set_defaults(run=_document_keys_create)
    document_key_commands.add_parser(
        "rotate",
        help="add a new key-encryption key; after a restart it wraps new subject keys and the "
        "older ones keep unwrapping (nothing is deleted)",
    ).set_defaults(run=_document_keys_rotate)
    rewrap = document_key_commands.add_parser(
        "rewrap",
        help="re-wrap every live subject key under the newest key-encryption key, so older "
        "ones can be retired; run it after every API process has restarted with that key",
    )
    rewrap.add_argument(
        "--batch-size",
        type=_positive_int,
        default=500,
        help="subject keys per transaction (default 500)",
    )
    rewrap.set_defaults(run=_document_keys_rewrap)

    notify = commands.add_parser("notify", help="the GOV.UK Notify service KPAS sends through")
    notify_commands = notify.add_subparsers(dest="notify_command", required=True)
    check_templates = notify_commands.add_parser(
        "check-templates",
        help="fetch each template in KPAS_NOTIFY_TEMPLATES from Notify and compare its type "
        "and placeholders with the message type; exit 1 listing every mismatch",
    )
    check_templates.set_defaults(run=_notify_check_templates)

    retention = commands.add_parser("retention", help="the retention schedule")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    sweep = retention_commands.add_parser(
        "sweep",
        help="destroy the records of people past retention by more than the grace period, "
        "and records past their own period (subject requests, complaints, breaches, "
        "disclosures, messages, the audit subject index), unless a legal hold covers them; "
        "a stopped sweep is finished by the next",
    )
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="list the people whose records would be destroyed (ids only), and the records "
        "that would go by record type, and change nothing",
    )
    sweep.add_argument(
        "--grace-days",
        type=_non_negative_int,
        default=None,
        help="days past retention before destruction (default KPAS_RETENTION_GRACE_DAYS)",
    )
    sweep.add_argument(
        "--batch-size", type=_positive_int, default=200, help="people read per query"
    )
    sweep.set_defaults(run=_retention_sweep)

    partitions = commands.add_parser(
        "partitions", help="partitions of the tables that grow without bound (PostgreSQL)"
    )
    partition_commands = partitions.add_subparsers(dest="partitions_command", required=True)
    ensure = partition_commands.add_parser(
        "ensure",
        help="make the attendance partitions through the school year holding --through (a "
        "year from today by default) and the audit trail's next block, moving into them any "
        "rows in the DEFAULT partitions; the worker does this daily",
    )
    ensure.add_argument(
        "--through",
        type=date.fromisoformat,
        default=None,
        help="a date (YYYY-MM-DD) the attendance partitions must reach",
    )
    ensure.add_argument(
        "--since",
        type=date.fromisoformat,
        default=None,
        help="a date (YYYY-MM-DD) the attendance partitions must start from: before loading "
        "earlier school years' marks, so they go straight to their own partitions",
    )
    ensure.set_defaults(run=_partitions_ensure)

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


#: The name each long-running command gives its log lines (``process``).
PROCESS_NAMES = {"serve": "api", "worker": "worker", "fake-notify": "fake-notify"}


def main(argv: Sequence[str] | None = None) -> int:
    from app.log import name_process

    args = build_parser().parse_args(argv)
    try:
        get_settings()
    except (ValidationError, SettingsError) as exc:
        print("kpas: the settings are not valid:", file=sys.stderr)
        for line in describe_settings_errors(exc):
            print(f"  {line}", file=sys.stderr)
        return 2
    if args.command in PROCESS_NAMES:
        name_process(PROCESS_NAMES[args.command])
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
