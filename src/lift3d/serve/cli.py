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
        "--max-upload-mb", type=float, default=20.0, help="largest picture accepted [default: 20]"
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
    from lift3d.serve.settings import MEGABYTE, ServerSettings

    if not 0 <= args.port <= 65535:
        raise OptionError(f"--port must be between 0 and 65535, got {args.port}")
    if args.max_upload_mb <= 0:
        raise OptionError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    settings = ServerSettings(
        data_dir=Path(args.data_dir).resolve(),
        workers=args.workers,
        token=args.token or os.environ.get("LIFT3D_TOKEN", ""),
        max_upload_bytes=int(args.max_upload_mb * MEGABYTE),
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
        logger.warning("listening on %s without --token: anyone who can reach it can use it", args.host)
    logger.info("studio data in %s", settings.data_dir)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
