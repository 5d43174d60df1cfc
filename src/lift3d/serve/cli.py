"""The `lift3d serve` command; imports the optional web packages only when it runs."""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import logging
import os
from pathlib import Path

from lift3d.errors import Lift3DError, OptionError

STUDIO_PACKAGES = {"fastapi": "fastapi", "uvicorn": "uvicorn", "python_multipart": "python-multipart"}


def add_serve(commands: argparse._SubParsersAction) -> None:
    from lift3d.serve.settings import ServerSettings  # plain data: cheap for `lift3d --help`

    parser = commands.add_parser(
        "serve",
        help="run the web studio and its HTTP API",
        description="Serve the studio page at / and the jobs API under /api (OpenAPI at /openapi.json). "
        "Jobs and results are kept in --data-dir, so a restarted server finishes queued work "
        "and keeps finished results downloadable.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on [default: 127.0.0.1]")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on [default: 8000]")
    parser.add_argument(
        "--data-dir",
        default="lift3d-data",
        help="folder for the job database, uploads and results [default: lift3d-data]",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="conversions run at once; about one per 2 CPU cores [default: 1]",
    )
    parser.add_argument(
        "--token",
        default="",
        help="require 'Authorization: Bearer TOKEN' on /api [default: $LIFT3D_TOKEN, else no token]",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=float,
        default=20.0,
        help="largest upload accepted, all the files of one job together [default: 20]",
    )
    parser.add_argument(
        "--max-files",
        type=int,
        default=ServerSettings.max_files_per_job,
        help=f"files one job may upload (views, frames) [default: {ServerSettings.max_files_per_job}]",
    )
    parser.add_argument(
        "--extra-token",
        dest="extra_tokens",
        action="append",
        default=[],
        metavar="TOKEN",
        help="another accepted token; repeat for more. Each token's holder sees only its own jobs",
    )
    parser.add_argument(
        "--allow-host",
        dest="allow_hosts",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer to this Host name (e.g. the name a reverse proxy forwards); '*' for any "
        "[default: localhost, 127.0.0.1, ::1 and --host]",
    )
    parser.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        default=[],
        metavar="URL",
        help="also accept requests from pages at this origin, e.g. https://studio.example.org",
    )
    parser.add_argument(
        "--trust-network",
        action="store_true",
        help="allow listening beyond localhost without --token (only on a network you trust)",
    )
    parser.add_argument(
        "--keep-days",
        type=float,
        default=7.0,
        help="remove finished jobs after this many days; 0 keeps them [default: 7]",
    )
    parser.add_argument(
        "--max-disk-gb",
        type=float,
        default=10.0,
        help="keep results under this size, removing the oldest finished jobs first; 0 for no quota "
        "[default: 10]",
    )
    parser.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    missing = [
        package for module, package in STUDIO_PACKAGES.items() if importlib.util.find_spec(module) is None
    ]
    if missing:
        raise Lift3DError(f"lift3d serve needs {', '.join(missing)}: pip install 'lift3d[studio]'")
    import uvicorn

    from lift3d.serve.app import create_app
    from lift3d.serve.service import DataDirLock
    from lift3d.serve.settings import LOCAL_HOSTS, MEGABYTE, ServerSettings

    if not 0 <= args.port <= 65535:
        raise OptionError(f"--port must be between 0 and 65535, got {args.port}")
    if not 0 < args.max_upload_mb <= 1024:
        raise OptionError(f"--max-upload-mb must be from 0 to 1024, got {args.max_upload_mb}")
    token = args.token or os.environ.get("LIFT3D_TOKEN", "")
    if not token and not _is_loopback(args.host) and not args.trust_network:
        raise OptionError(
            f"refusing to listen on {args.host} without --token: anyone who can reach it could use it "
            "(add --trust-network if this network is yours alone)"
        )
    hosts = [*LOCAL_HOSTS, *args.allow_hosts]
    if args.host not in ("0.0.0.0", "::"):  # a wildcard address is not a name clients use
        hosts.append(args.host)
    settings = ServerSettings(
        data_dir=Path(args.data_dir).resolve(),
        workers=args.workers,
        token=token,
        extra_tokens=tuple(args.extra_tokens),
        max_upload_bytes=int(args.max_upload_mb * MEGABYTE),
        max_files_per_job=args.max_files,
        allowed_hosts=tuple(dict.fromkeys(hosts)),
        allowed_origins=tuple(args.allow_origins),
        keep_days=args.keep_days,
        max_disk_gb=args.max_disk_gb,
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    logger = logging.getLogger("lift3d.serve")
    # Fail with one line before uvicorn starts, rather than as a startup traceback.
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Lift3DError(f"cannot create {settings.data_dir}: {error.strerror}") from None
    probe = DataDirLock(settings.data_dir)
    probe.acquire()
    probe.release()
    if not settings.token and not _is_loopback(args.host):
        logger.warning(
            "listening on %s without --token (--trust-network): anyone there can use it", args.host
        )
    logger.info("studio data in %s", settings.data_dir)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        http=header_timeout_protocol(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
    )
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def header_timeout_protocol(timeout_s: float) -> type:
    """uvicorn's h11 protocol, closing a connection that sends no whole request head for `timeout_s`.

    uvicorn times out idle keep-alive connections only after a response, so a client that
    connects and sends nothing, or half a header, held its connection for ever (a thousand
    of them were held open). The body of an upload has its own deadline in the app.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def, override]
            super().connection_made(transport)
            self._seen_cycle: object = None
            self._deadline = self.loop.call_later(timeout_s, self._check_progress)

        def _check_progress(self) -> None:
            if self.transport.is_closing():
                return
            cycle = self.cycle
            busy = cycle is not None and not cycle.response_complete
            if not busy and cycle is self._seen_cycle:  # no new request head in a whole period
                self.transport.close()
                return
            self._seen_cycle = cycle
            self._deadline = self.loop.call_later(timeout_s, self._check_progress)

        def connection_lost(self, exc: Exception | None) -> None:
            self._deadline.cancel()
            super().connection_lost(exc)

    return HeaderTimeoutH11Protocol
