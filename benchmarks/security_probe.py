"""Security and reliability probe (issue 19, re-run blind): hostile files, numbers and requests.

Every case runs against the real thing: the `lift3d` CLI in a child process (exit code,
stderr, files left behind, peak memory from the kernel's rusage of that child) and a real
`lift3d serve` on a free 127.0.0.1 port (status, JSON error body, the server's peak memory
sampled with /proc). A case passes when the CLI exits non-zero with exactly one line on
stderr (argparse's usage line aside) and leaves no file behind, or the server answers 4xx
with a one-line reason; never a traceback, a 500, a hang (every run has a timeout) or a
half-written output. A few cases are the opposite check (a good request still works,
memory stays under a bound) and say so in their expectation.

Prints a table (case / expected / got / pass) and writes benchmarks/results/security_probe.json.
Every hostile file is made here, small, in a temporary folder.

    python benchmarks/security_probe.py [--only SUBSTRING] [--skip-server] [--skip-cli]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HOST = "127.0.0.1"  # only ever the local machine
PYTHON = sys.executable
SMALL = ["--generator", "inflate", "--faces", "2000", "--texture-size", "128", "--quiet"]
KIND_SMALL = SMALL[2:]  # the kinds with a method of their own take no --generator
FIELDS = {"generator": "inflate", "faces": "2000", "texture_size": "128", "formats": "glb"}
# Peak resident memory one job (CLI process or server) may reach in the big-picture cases.
MEMORY_BOUND_MB = 2048


@dataclass
class Case:
    name: str
    target: str  # cli or server
    expected: str
    got: str = ""
    passed: bool = False
    seconds: float = 0.0
    peak_mb: float | None = None
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- hostile files


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int, data: bytes = b"") -> bytes:
    """A PNG whose header says width x height RGB, with `data` (maybe nothing) as its pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = data or zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def png_zero_bomb(path: Path, width: int, height: int) -> Path:
    """A real, valid PNG of width x height black RGB pixels: a few hundred KB that decode to GBs."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    with path.open("wb") as out:
        out.write(
            b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        )
        parts = []
        for _ in range(height):
            parts.append(compressor.compress(row))
        parts.append(compressor.flush())
        out.write(png_chunk(b"IDAT", b"".join(parts)))
        out.write(png_chunk(b"IEND", b""))
    return path


def disc_image(side_px: int = 96, offset_px: int = 0, colour=(200, 60, 40)) -> Image.Image:
    image = Image.new("RGBA", (side_px, side_px), (0, 0, 0, 0))
    margin = side_px // 5
    ImageDraw.Draw(image).ellipse(
        (margin + offset_px, margin, side_px - margin + offset_px, side_px - margin), fill=(*colour, 255)
    )
    return image


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    stream = io.BytesIO()
    image.save(stream, format=fmt, **params)
    return stream.getvalue()


def tiff_planes(path: Path, planes: int = 100, declared_side_px: int = 5000) -> Path:
    """Issue 19.1: a small float64 TIFF of many planes whose header then claims 5000 x 5000."""
    import tifffile

    tifffile.imwrite(path, np.zeros((planes, 8, 8)), planarconfig="separate", photometric="minisblack")
    with tifffile.TiffFile(path, mode="r+b") as tiff:
        tiff.pages[0].tags["ImageWidth"].overwrite(declared_side_px)
        tiff.pages[0].tags["ImageLength"].overwrite(declared_side_px)
    return path


def tiff_many_pages(path: Path, pages: int = 3000) -> Path:
    import tifffile

    first = np.asarray(disc_image(64).convert("RGB"))
    with tifffile.TiffWriter(path) as tiff:
        tiff.write(first)
        for _ in range(pages - 1):
            tiff.write(np.zeros((8, 8, 3), np.uint8))
    return path


def gif_frames(count: int, side_px: int) -> bytes:
    frames = [disc_image(side_px, offset_px=(index % 7) - 3).convert("P") for index in range(count)]
    stream = io.BytesIO()
    frames[0].save(stream, format="GIF", save_all=True, append_images=frames[1:], duration=40, optimize=False)
    return stream.getvalue()


def transparent_gif(count: int, side_px: int) -> bytes:
    """An animated GIF of `count` frames with a transparent background: small on disk, big decoded."""
    frames = []
    for index in range(count):
        image = Image.new("P", (side_px, side_px), 0)
        image.putpalette([0, 0, 0, 200, 60, 40] + [0] * 762)
        margin = side_px // 5
        ImageDraw.Draw(image).ellipse(
            (margin + index % 7, margin, side_px - margin + index % 7, side_px - margin), fill=1
        )
        frames.append(image)
    stream = io.BytesIO()
    frames[0].save(
        stream, format="GIF", save_all=True, append_images=frames[1:], duration=40, transparency=0, disposal=2
    )
    return stream.getvalue()


def gif_with_screen(width: int, height: int) -> bytes:
    """A GIF whose logical screen is width x height around one 8 x 8 frame."""
    data = bytearray(encoded(disc_image(8).convert("P"), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_declaring(width: int, height: int, offset: int = 54, size: int = 1024) -> bytes:
    """A 24-bit BMP whose header claims width x height over `size` bytes of data."""
    header = b"BM" + struct.pack("<IHHI", 54 + size, 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return header + info + b"\x80" * size


def webp_declaring(width: int, height: int) -> bytes:
    """A lossless WebP (VP8L) header claiming width x height, with a few junk bytes of image."""
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 32
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(encoded(disc_image(64).convert("RGB"), "JPEG"))
    at = data.find(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def big_flat_png(side_px: int) -> bytes:
    """A real side x side PNG: a disc on white, compressing to well under a megabyte."""
    image = Image.new("L", (side_px, side_px), 255)
    margin = side_px // 4
    ImageDraw.Draw(image).ellipse((margin, margin, side_px - margin, side_px - margin), fill=60)
    return encoded(image.convert("RGB"), "PNG", compress_level=1)


# ---------------------------------------------------------------------------- adapter files


def split_safetensors(raw: bytes) -> tuple[dict, bytes]:
    length = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def join_safetensors(header: dict | str, data: bytes) -> bytes:
    text = (header if isinstance(header, str) else json.dumps(header)).encode()
    return struct.pack("<Q", len(text)) + text + data


def hostile_adapters(folder: Path) -> dict[str, Path]:
    good = (ROOT / "src/lift3d/weights/adapters/toon.safetensors").read_bytes()
    header, data = split_safetensors(good)
    record_text = header["__metadata__"]["lift3d_adapter"]

    def with_record(text: str) -> bytes:
        changed = json.loads(json.dumps(header))
        changed["__metadata__"]["lift3d_adapter"] = text
        return join_safetensors(changed, data)

    def edited(**changes) -> bytes:
        record = json.loads(record_text)
        record.update(changes)
        return with_record(json.dumps(record))

    tensors = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
    first = tensors[0]
    begin, end = header[first]["data_offsets"]
    nan_data = data[:begin] + struct.pack("<f", float("nan")) * ((end - begin) // 4) + data[end:]
    overlap = json.loads(json.dumps(header))
    second_begin, second_end = overlap[tensors[1]]["data_offsets"]
    overlap[tensors[1]]["data_offsets"] = [second_begin - 4, second_end - 4]
    beyond = json.loads(json.dumps(header))
    beyond[tensors[-1]]["data_offsets"] = [0, 10**12]
    bad_dtype = json.loads(json.dumps(header))
    bad_dtype[first]["dtype"] = "Q99"
    negative = json.loads(json.dumps(header))
    negative[first]["shape"] = [-2, 32, 3, 3]
    module = first.rpartition(".lora_")[0]
    swapped = json.loads(json.dumps(header))
    key_a, key_b = f"{module}.lora_A.weight", f"{module}.lora_B.weight"
    swapped[key_a]["shape"], swapped[key_b]["shape"] = header[key_b]["shape"], header[key_a]["shape"]
    deep = "[" * 100_000 + "]" * 100_000
    files = {
        "header length > file": struct.pack("<Q", len(good) * 4) + good[8:],
        "header length 2**64-1": struct.pack("<Q", 2**64 - 1) + good[8:],
        "header length 0": struct.pack("<Q", 0) + good[8:],
        "header not JSON": join_safetensors("{not json" + " " * 20, data),
        "header is a list": join_safetensors("[1, 2, 3]", data),
        "deeply nested header": join_safetensors('{"a": ' + deep + "}", data),
        "deeply nested record": with_record(deep),
        "record data: 5": edited(data=5),
        "record metrics: [1, 2]": edited(metrics=[1, 2]),
        "rank 1e999": with_record(record_text.replace('"rank": 2', '"rank": 1e999')),
        "rank 10**9": edited(rank=10**9),
        "rank -2": edited(rank=-2),
        "alpha 1e300": edited(alpha=1e300),
        "alpha NaN": with_record(record_text.replace('"alpha": 2.0', '"alpha": NaN')),
        "another base model hash": edited(
            base_model={"model": "shape-diffusion", "weights_sha256": "f" * 16}
        ),
        "NaN weights": join_safetensors(header, nan_data),
        "overlapping offsets": join_safetensors(overlap, data),
        "offsets beyond the file": join_safetensors(beyond, data),
        "unknown dtype": join_safetensors(bad_dtype, data),
        "negative shape": join_safetensors(negative, data),
        "swapped A/B shapes": join_safetensors(swapped, data),
        "truncated data": good[: len(good) - 1000],
        "empty file": b"",
        "7 bytes": b"\x01" * 7,
        "a pickle": b"\x80\x04\x95" + b"cos\nsystem\n(S'echo pwned'\ntR." + b"\x00" * 16,
    }
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, (name, raw) in enumerate(files.items()):
        path = folder / f"hostile_{index:02d}.safetensors"
        path.write_bytes(raw)
        paths[name] = path
    return paths


# ------------------------------------------------------------------------------ CLI harness


@dataclass
class CliRun:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    timed_out: bool


def run_cli(
    args: list[str], cwd: Path, timeout_s: float = 180, interrupt_after_s: float | None = None
) -> CliRun:
    """Run `lift3d ARGS` with stdout and stderr piped to files; peak RSS from the child's rusage."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    out_path, err_path = cwd / ".probe_stdout", cwd / ".probe_stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.monotonic()
        process = subprocess.Popen(
            [PYTHON, "-m", "lift3d.cli", *args], cwd=cwd, stdout=out, stderr=err, env=env
        )
        timed_out, interrupted, peak_kb = False, False, 0
        while True:
            # The kernel's high-water mark of this process (rusage's maxrss would count the probe's
            # own memory from before the exec).
            peak_kb = max(peak_kb, _status_kb(process.pid, "VmHWM"))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - start
            if interrupt_after_s is not None and not interrupted and elapsed > interrupt_after_s:
                process.send_signal(signal.SIGINT)
                interrupted = True
            if elapsed > timeout_s:
                process.kill()
                timed_out = True
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    out_path.unlink()
    err_path.unlink()
    return CliRun(process.returncode, stdout, stderr, seconds, peak_kb / 1024, timed_out)


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def message_lines(stderr: str) -> list[str]:
    """stderr without argparse's usage block (a `usage:` line and its indented continuations)."""
    lines, in_usage = [], False
    for line in stderr.splitlines():
        if line.startswith("usage:"):
            in_usage = True
            continue
        if in_usage and line.startswith(" "):
            continue
        in_usage = False
        if line.strip():
            lines.append(line)
    return lines


def listing(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def cli_refusal(case: Case, args: list[str], cwd: Path, timeout_s: float = 180, **kwargs) -> CliRun:
    """Expect: non-zero exit, one line on stderr, no new file in `cwd`, within the timeout."""
    before = listing(cwd)
    run = run_cli(args, cwd, timeout_s, **kwargs)
    new_files = sorted(listing(cwd) - before)
    lines = message_lines(run.stderr)
    case.seconds, case.peak_mb = run.seconds, run.peak_mb
    if run.timed_out:
        case.got = f"hang: killed after {timeout_s:g} s"
    elif "Traceback" in run.stderr:
        case.got = f"traceback (exit {run.code}): {run.stderr.strip().splitlines()[-1][:160]}"
    elif run.code == 0:
        case.got = f"exit 0: {(run.stdout.strip() or run.stderr.strip())[:160]}"
    elif len(lines) != 1:
        case.got = f"exit {run.code}, {len(lines)} lines on stderr: {' | '.join(lines)[:200]}"
    elif new_files:
        case.got = f"exit {run.code} but left {new_files[:4]}"
    elif run.code < 0 or run.code > 125 and run.code != 130:
        case.got = f"killed by a signal (exit {run.code}): {lines[0][:160]}"
    else:
        case.got = f"exit {run.code}: {lines[0][:200]}"
        case.passed = True
    return run


def cli_refusal_or_bounded_success(
    case: Case, args: list[str], cwd: Path, timeout_s: float = 240, long_work: bool = False
) -> None:
    """For a big but legitimate file: either one-line refusal, or success within the memory bound.

    With `long_work` (hundreds of frames, each a conversion), a run still converting at the
    timeout is judged by its memory alone: it is slow work, not a hang.
    """
    before = listing(cwd)
    run = run_cli(args, cwd, timeout_s)
    case.seconds, case.peak_mb = run.seconds, run.peak_mb
    if run.timed_out and long_work:
        case.got = f"still converting after {timeout_s:g} s (stopped), peak {run.peak_mb:.0f} MB"
        case.passed = run.peak_mb <= MEMORY_BOUND_MB
        case.notes.append("long legitimate work; judged by memory only")
        for name in sorted(listing(cwd) - before):
            if (cwd / name).is_file():
                (cwd / name).unlink()
        return
    if run.code == 0 and not run.timed_out:
        written = sorted(listing(cwd) - before)
        leftovers = [name for name in written if Path(name).name.startswith(".")]
        case.got = f"exit 0, wrote {len(written)} file(s), peak {run.peak_mb:.0f} MB"
        case.passed = run.peak_mb <= MEMORY_BOUND_MB and not leftovers
        if leftovers:
            case.got += f", left temporaries {leftovers[:3]}"
        for name in written:
            if (cwd / name).is_file():
                (cwd / name).unlink()
        return
    lines = message_lines(run.stderr)
    new_files = sorted(listing(cwd) - before)
    if run.timed_out:
        case.got = f"hang: killed after {timeout_s:g} s"
    elif "Traceback" in run.stderr:
        case.got = f"traceback (exit {run.code}): {run.stderr.strip().splitlines()[-1][:160]}"
    elif len(lines) != 1:
        case.got = f"exit {run.code}, {len(lines)} lines on stderr: {' | '.join(lines)[:200]}"
    elif new_files:
        case.got = f"exit {run.code} but left {new_files[:4]}"
    else:
        case.got = f"exit {run.code}: {lines[0][:200]}"
        case.passed = run.peak_mb <= MEMORY_BOUND_MB
    case.got += f" (peak {run.peak_mb:.0f} MB)"


# -------------------------------------------------------------------------------- CLI cases


def cli_cases(work: Path, only: str) -> list[Case]:
    cases: list[Case] = []
    folder = work / "cli"
    folder.mkdir()
    good = folder / "disc.png"
    disc_image(128).save(good)

    def wanted(name: str) -> bool:
        return matches(only, name)

    def refusal(name: str, args: list[str], expected: str = "exit != 0, one line", **kwargs) -> None:
        if not wanted(name):
            return
        case = Case(name, "cli", expected)
        cli_refusal(case, args, folder, **kwargs)
        cases.append(case)
        print(f"  {'ok  ' if case.passed else 'FAIL'} {name}: {case.got[:150]}", flush=True)

    def bounded(name: str, args: list[str], long_work: bool = False) -> None:
        if not wanted(name):
            return
        case = Case(name, "cli", f"one-line refusal, or done under {MEMORY_BOUND_MB} MB")
        cli_refusal_or_bounded_success(case, args, folder, 150 if long_work else 240, long_work)
        cases.append(case)
        print(f"  {'ok  ' if case.passed else 'FAIL'} {name}: {case.got[:150]}", flush=True)

    def file(name: str, data: bytes) -> str:
        (folder / name).write_bytes(data)
        return name

    # 1. Hostile pictures.
    # The files several cases share are always made.
    tiff_planes(folder / "planes.tif")
    tiff_many_pages(folder / "pages.tif")
    png_zero_bomb(folder / "bomb100mp.png", 10_000, 10_000)
    (folder / "gif5000.gif").write_bytes(gif_frames(5000, 16))
    refusal("picture: TIFF 5000x5000 x 100 float64 planes (issue 19.1)", ["convert", "planes.tif", *SMALL])
    bounded("picture: TIFF of 3000 pages", ["convert", "pages.tif", *SMALL, "-o", "pages.glb"])
    refusal(
        "picture: PNG declaring 100000x100000",
        ["convert", file("huge.png", png_declaring(100_000, 100_000)), *SMALL],
    )
    refusal(
        "picture: PNG declaring 2**31-1 x 1",
        ["convert", file("wide.png", png_declaring(2**31 - 1, 8)), *SMALL],
    )
    refusal(
        "picture: PNG declaring 9000x9000, 1 KB of data",
        ["convert", file("lying.png", png_declaring(9000, 9000)), *SMALL],
    )
    bounded(
        "picture: real 100 MP PNG bomb (300 KB file)", ["convert", "bomb100mp.png", *SMALL, "-o", "bomb.glb"]
    )
    refusal(
        "picture: GIF of 5000 frames, --kind frames",
        ["convert", "gif5000.gif", "--kind", "frames", *SMALL],
        timeout_s=240,
    )
    bounded("picture: GIF of 5000 frames as one picture", ["convert", "gif5000.gif", *SMALL, "-o", "gif.glb"])
    refusal(
        "picture: GIF declaring a 65535x65535 screen",
        ["convert", file("screen.gif", gif_with_screen(65535, 65535)), *SMALL],
    )
    refusal(
        "picture: GIF 65535x65535 screen, --kind frames",
        ["convert", file("screen2.gif", gif_with_screen(65535, 65535)), "--kind", "frames", *SMALL],
    )
    refusal(
        "picture: BMP header claiming 30000x30000",
        ["convert", file("huge.bmp", bmp_declaring(30000, 30000)), *SMALL],
    )
    refusal(
        "picture: BMP claiming 4000x4000 over 1 KB",
        ["convert", file("lying.bmp", bmp_declaring(4000, 4000)), *SMALL],
    )
    refusal(
        "picture: BMP data offset beyond the file",
        ["convert", file("offset.bmp", bmp_declaring(64, 64, offset=10**9)), *SMALL],
    )
    refusal("picture: BMP negative width", ["convert", file("negw.bmp", bmp_declaring(-64, 64)), *SMALL])
    refusal(
        "picture: WebP header claiming 16384x16384",
        ["convert", file("huge.webp", webp_declaring(16384, 16384)), *SMALL],
    )
    refusal(
        "picture: JPEG SOF claiming 65500x65500",
        ["convert", file("huge.jpg", jpeg_declaring(65500, 65500)), *SMALL],
    )
    refusal(
        "picture: zip file named .png", ["convert", file("zip.png", b"PK\x03\x04" + b"\x00" * 200), *SMALL]
    )
    refusal("picture: empty file", ["convert", file("empty.png", b""), *SMALL])
    refusal("picture: SVG", ["convert", file("s.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), *SMALL])
    refusal("picture: 7x7 pixels", ["convert", file("tiny.png", encoded(disc_image(7), "PNG")), *SMALL])
    refusal(
        "picture: a FIFO (would block a reader)", ["convert", "fifo.png", *SMALL], timeout_s=60
    ) if _mkfifo(folder / "fifo.png") else None
    refusal("picture: /dev/zero", ["convert", "/dev/zero", *SMALL, "-o", "zero.glb"], timeout_s=60)
    # Kinds that read more than one picture or a whole sheet.
    if not only or any(key in only for key in ("sheet", "plan")):
        (folder / "sheet.png").write_bytes(big_flat_png(9000))
    bounded(
        "sheet: ortho sheet of 81 MP",
        ["convert", "sheet.png", "--kind", "ortho", *KIND_SMALL, "-o", "ortho.glb"],
    )
    bounded(
        "plan: plan picture of 81 MP", ["convert", "sheet.png", "--kind", "plan", "--quiet", "-o", "plan.glb"]
    )
    refusal(
        "plan: PNG declaring 100000x100000",
        ["convert", "huge.png", "--kind", "plan", "--quiet", "-o", "plan2.glb"],
    )
    refusal(
        "sheet: ortho from a TIFF bomb",
        ["convert", "planes.tif", "--kind", "ortho", *KIND_SMALL, "-o", "o.glb"],
    )
    refusal(
        "views: one view is a TIFF bomb",
        ["convert", "disc.png", "planes.tif", "--kind", "views", *KIND_SMALL, "-o", "v.glb"],
    )
    refusal(
        "views: 300 copies of one picture",
        ["convert", *(["disc.png"] * 300), "--kind", "views", *KIND_SMALL, "-o", "v3.glb"],
        timeout_s=240,
    )
    refusal(
        "frames: sprite grid 100000x100000",
        ["convert", "disc.png", "--kind", "frames", "--frames-grid", "100000x100000", *SMALL],
    )
    refusal("frames: --fps nan", ["convert", "gif5000.gif", "--kind", "frames", "--fps", "nan", *SMALL])
    refusal("frames: --fps 1e308", ["convert", "disc.png", "--kind", "frames", "--fps", "1e308", *SMALL])
    refusal("frames: --fps 0", ["convert", "disc.png", "--kind", "frames", "--fps", "0", *SMALL])
    refusal("plan: --scale -1", ["convert", "disc.png", "--kind", "plan", "--scale", "-1", "--quiet"])
    refusal("plan: --scale nan", ["convert", "disc.png", "--kind", "plan", "--scale", "nan", "--quiet"])
    refusal(
        "plan: --wall-height 1e308",
        ["convert", "disc.png", "--kind", "plan", "--wall-height", "1e308", "--quiet"],
    )
    refusal(
        "plan: --wall-length inf",
        ["convert", "disc.png", "--kind", "plan", "--wall-length", "inf", "--quiet"],
    )
    refusal(
        "views: --azimuths nan,inf",
        ["convert", "disc.png", "disc.png", "--kind", "views", "--azimuths", "nan,inf", *KIND_SMALL],
    )
    deep_cameras = file("cameras.json", b"[" * 100_000 + b"]" * 100_000)
    refusal(
        "views: --cameras deeply nested JSON",
        ["convert", "disc.png", "disc.png", "--kind", "views", "--cameras", deep_cameras, *KIND_SMALL],
    )

    # Many pictures at once: a folder of frames, an animated GIF, many views.
    if not only or any(key in only for key in ("frames", "views")):
        big = folder / "big2048.png"
        big.write_bytes(big_flat_png(2048))
        for count in (300, 64, 24):
            many = folder / f"frames{count}"
            many.mkdir()
            for index in range(count):
                os.link(big, many / f"f{index:03d}.png")
        (folder / "g250.gif").write_bytes(transparent_gif(250, 690))
        (folder / "screen100mp.gif").write_bytes(gif_with_screen(10_000, 10_000))
    refusal(
        "frames: folder of 300 pictures of 2048 px",
        ["convert", "frames300", "--kind", "frames", *SMALL, "-o", "f300.glb"],
        timeout_s=300,
    )
    bounded(
        "frames: folder of 24 pictures of 2048 px",
        ["convert", "frames24", "--kind", "frames", *SMALL, "-o", "f24.glb"],
    )
    bounded(
        "frames: GIF of 250 transparent 690x690 frames (630 KB)",
        ["convert", "g250.gif", "--kind", "frames", *SMALL, "-o", "g250.glb"],
        long_work=True,
    )
    refusal(
        "frames: GIF declaring a 10000x10000 screen",
        ["convert", "screen100mp.gif", "--kind", "frames", *SMALL, "-o", "s.glb"],
    )
    bounded(
        "views: 64 pictures of 2048 px",
        [
            "convert",
            *[f"frames64/f{index:03d}.png" for index in range(64)],
            "--kind",
            "views",
            *KIND_SMALL,
            "-o",
            "v64.glb",
        ],
    )

    # Other commands and flags that read a picture.
    refusal("cutout: TIFF bomb", ["cutout", "planes.tif", "-o", "mask.png"])
    _symlink_loop(folder / "loop.png")
    refusal("cutout: symlink loop", ["cutout", "loop.png", "-o", "mask2.png"])
    refusal(
        "mask: --mask is a TIFF bomb", ["convert", "disc.png", *SMALL, "--mask", "planes.tif", "-o", "m.glb"]
    )
    refusal(
        "mask: --mask is a GIF with a 65535 px screen",
        ["convert", "disc.png", *SMALL, "--mask", "screen.gif", "-o", "m2.glb"],
    )
    refusal(
        "careless: --preview with a 300-byte name",
        ["convert", "disc.png", *SMALL, "--preview", "p" * 300 + ".png", "-o", "pv.glb"],
    )
    bounded(
        "plan: real 100 MP PNG bomb",
        ["convert", "bomb100mp.png", "--kind", "plan", "--quiet", "-o", "planbomb.glb"],
    )
    if wanted("batch: folder with a good picture, two bombs and a symlink loop"):
        hostile = folder / "batch_in"
        hostile.mkdir()
        disc_image(96).save(hostile / "good.png")
        (hostile / "planes.tif").write_bytes((folder / "planes.tif").read_bytes())
        (hostile / "huge.png").write_bytes(png_declaring(100_000, 100_000))
        os.symlink("loop.png", hostile / "loop.png")
        case = Case(
            "batch: folder with a good picture, two bombs and a symlink loop",
            "cli",
            "finishes, no traceback, good one converted",
        )
        run = run_cli(
            [
                "batch",
                "batch_in",
                "batch_out",
                "--generator",
                "inflate",
                "--faces",
                "2000",
                "--texture-size",
                "128",
            ],
            folder,
            300,
        )
        converted = (
            sorted(path.name for path in (folder / "batch_out").rglob("*.glb"))
            if (folder / "batch_out").exists()
            else []
        )
        case.seconds, case.peak_mb = run.seconds, run.peak_mb
        lines = message_lines(run.stderr)
        case.got = f"exit {run.code}, wrote {converted}, stderr: {' | '.join(lines)[-200:]}"
        case.passed = (
            not run.timed_out
            and "Traceback" not in run.stderr
            and converted == ["good.glb"]
            and 0 <= (run.code or 0) < 128
        )
        cases.append(case)
        print(f"  {'ok  ' if case.passed else 'FAIL'} {case.name}: {case.got[:200]}", flush=True)

    # 5. Unbounded numbers.
    for flags, label in (
        (["--seed", str(2**64)], "--seed 2**64 (issue 19.5)"),
        (["--seed", "-1"], "--seed -1"),
        (["--height", "1e308"], "--height 1e308 (issue 19.5)"),
        (["--height", "1e-300"], "--height 1e-300 (issue 19.5)"),
        (["--height", "nan"], "--height nan"),
        (["--height", "-inf"], "--height -inf"),
        (["--height", "0"], "--height 0"),
        (["--faces", "-5"], "--faces -5"),
        (["--faces", str(10**12)], "--faces 10**12"),
        (["--faces", "2000.5"], "--faces 2000.5 (float for an int)"),
        (["--texture-size", "0"], "--texture-size 0"),
        (["--texture-size", str(10**9)], "--texture-size 10**9"),
        (["--steps", str(10**6)], "--steps 10**6"),
        (["--steps", "-1"], "--steps -1"),
        (["--variants", str(10**6)], "--variants 10**6"),
        (["--variants", "0"], "--variants 0"),
        (["--ensemble", "-1"], "--ensemble -1"),
        (["--ensemble", str(10**9)], "--ensemble 10**9"),
        (["--seed", str(2**32 - 1), "--variants", "2"], "--seed 2**32-1 --variants 2"),
    ):
        args = ["convert", "disc.png", "--generator", "inflate", "--quiet", *flags]
        if "--faces" not in flags:
            args += ["--faces", "2000"]
        if "--texture-size" not in flags:
            args += ["--texture-size", "128"]
        refusal(f"number: {label}", args)
    refusal("number: batch --workers 10**6", ["batch", ".", "out", "--workers", str(10**6)])
    refusal("number: serve --port 70000", ["serve", "--port", "70000"], timeout_s=30)
    refusal("number: serve --workers 0", ["serve", "--workers", "0", "--data-dir", "sd"], timeout_s=30)
    refusal(
        "number: serve --keep-days nan", ["serve", "--keep-days", "nan", "--data-dir", "sd"], timeout_s=30
    )
    refusal(
        "number: serve --max-upload-mb inf",
        ["serve", "--max-upload-mb", "inf", "--data-dir", "sd"],
        timeout_s=30,
    )
    refusal(
        "number: serve --max-disk-gb -1", ["serve", "--max-disk-gb", "-1", "--data-dir", "sd"], timeout_s=30
    )
    refusal(
        "serve: 0.0.0.0 without a token", ["serve", "--host", "0.0.0.0", "--data-dir", "sd"], timeout_s=30
    )

    # 6. Hostile adapter files: `adapter info` must refuse what convert refuses.
    if not only or "adapter" in only:
        adapters = hostile_adapters(folder / "adapters")
        for name, path in adapters.items():
            refusal(
                f"adapter info: {name}", ["adapter", "info", str(path.relative_to(folder))], timeout_s=120
            )
        for name in ("header length > file", "deeply nested record", "rank 1e999", "NaN weights"):
            refusal(
                f"adapter in convert: {name}",
                [
                    "convert",
                    "disc.png",
                    "--generator",
                    "diffusion",
                    "--adapter",
                    str(adapters[name].relative_to(folder)),
                    "--faces",
                    "2000",
                    "--texture-size",
                    "128",
                    "--quiet",
                    "--steps",
                    "1",
                    "--ensemble",
                    "1",
                ],
                timeout_s=240,
            )

    # 8. Careless use.
    (folder / "some_folder").mkdir()
    refusal("careless: -o some_folder (issue 19.8)", ["convert", "disc.png", *SMALL, "-o", "some_folder"])
    refusal(
        "careless: -o missing_folder/x.glb", ["convert", "disc.png", *SMALL, "-o", "missing_folder/x.glb"]
    )
    refusal("careless: -o x.docx", ["convert", "disc.png", *SMALL, "-o", "x.docx"])
    refusal("careless: -o a 300-byte name", ["convert", "disc.png", *SMALL, "-o", "n" * 300 + ".glb"])
    refusal("careless: -o the input itself", ["convert", "disc.png", *SMALL, "-o", "disc.png"])
    _symlink_loop(folder / "loop.png")
    refusal("careless: symlink loop (issue 19.8)", ["convert", "loop.png", *SMALL])
    os.symlink("gone.png", folder / "dangling.png")
    refusal("careless: dangling symlink", ["convert", "dangling.png", *SMALL])
    refusal("careless: input is a folder", ["convert", "some_folder", *SMALL, "-o", "f.glb"])
    refusal("careless: no such file, unicode name", ["convert", "ぴくちゃ_é.png", *SMALL])
    refusal(
        "careless: piped error has no progress fragments (issue 19.8)",
        ["convert", "planes.tif", "--generator", "inflate", "--faces", "2000", "--texture-size", "128"],
    )
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() != 0:
        refusal("careless: -o into a read-only folder", ["convert", "disc.png", *SMALL, "-o", "locked/x.glb"])
    for after_s in (0.3, 1.0, 2.0, 3.0, 5.0, 8.0):
        name = f"careless: Ctrl-C {after_s:g} s into convert"
        if not wanted(name):
            continue
        case = Case(name, "cli", "exit 130 within 5 s of it, one line, no file left")
        before = listing(folder)
        run = run_cli(
            ["convert", "disc.png", "--faces", "2000", "--texture-size", "128", "-o", "ctrlc.glb"],
            folder,
            timeout_s=120,
            interrupt_after_s=after_s,
        )
        left = sorted(listing(folder) - before)
        glb = (folder / "ctrlc.glb").read_bytes() if "ctrlc.glb" in left else b""
        whole = len(glb) >= 12 and int.from_bytes(glb[8:12], "little") == len(glb)  # the GLB header's length
        for leftover in left:
            (folder / leftover).unlink(missing_ok=True)
        lines = message_lines(run.stderr)
        case.seconds, case.peak_mb = run.seconds, run.peak_mb
        case.got = (
            f"exit {run.code} {run.seconds - after_s:.1f} s after Ctrl-C, {len(lines)} line(s), left {left}: "
            f"{' | '.join(lines)[-120:]}"
        )
        # On a quick machine the convert may finish (or report its finished files) before the
        # Ctrl-C lands: then whole files are the right outcome, and a cut-short one is not.
        # (ended within half a second of it: a summary printed seconds after it is a swallowed Ctrl-C)
        finished_first = run.seconds <= after_s + 0.5
        if finished_first and run.code != 130:
            case.got = "finished before the Ctrl-C took effect; " + case.got
        case.passed = "Traceback" not in run.stderr and (
            (run.code == 130 and len(lines) == 1 and not left and run.seconds - after_s < 5)
            or (finished_first and whole and left == ["ctrlc.glb", "ctrlc.lift3d.json"])
        )
        cases.append(case)
        print(f"  {'ok  ' if case.passed else 'FAIL'} {case.name}: {case.got}", flush=True)
    return cases


def matches(only: str, name: str) -> bool:
    """`only` is empty (every case) or substrings separated by '|', any of which the name contains."""
    return not only or any(part.lower() in name.lower() for part in only.split("|") if part)


def _symlink_loop(path: Path) -> bool:
    if not path.is_symlink():
        os.symlink(path.name, path)
    return True


def _mkfifo(path: Path) -> bool:
    try:
        os.mkfifo(path)
        return True
    except (OSError, AttributeError):
        return False


# --------------------------------------------------------------------------- server harness


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """A real `lift3d serve` child process; its peak RSS is the kernel's VmHWM, read at the end."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        env.pop("LIFT3D_TOKEN", None)
        self.log = data_dir.parent / f"{data_dir.name}.log"
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "lift3d.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
            env=env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/info", timeout=2, headers=self.auth(extra)).status_code in (
                    200,
                    401,
                ):
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError(f"the server did not start: {self.log.read_text()[-2000:]}")

    @staticmethod
    def auth(extra: tuple[str, ...]) -> dict[str, str]:
        if "--token" in extra:
            return {"Authorization": f"Bearer {extra[extra.index('--token') + 1]}"}
        return {}

    def rss_mb(self, key: str = "VmHWM") -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 40) -> tuple[int | None, float]:
        start = time.monotonic()
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = None
        return code, time.monotonic() - start


def post_job(
    url: str,
    data: bytes,
    filename: str = "disc.png",
    fields: dict | None = None,
    headers: dict | None = None,
    timeout: float = 60,
) -> httpx.Response:
    return httpx.post(
        url + "/api/jobs",
        files={"file": (filename, data, "application/octet-stream")},
        data=FIELDS if fields is None else fields,
        headers=headers or {},
        timeout=timeout,
    )


def job_outcome(url: str, job_url: str, timeout_s: float = 240) -> tuple[str, bool]:
    """Wait for an accepted job: done, or failed with a one-line reason (not an internal error)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = httpx.get(url + job_url, timeout=30).json()
        if job["status"] in ("done", "failed"):
            error = job["error"] or ""
            ok = job["status"] == "done" or (bool(error) and "\n" not in error and "internal" not in error)
            return f"201, then {job['status']}{': ' + error[:120] if error else ''}", ok
        time.sleep(0.5)
    return f"201, still {job['status']} after {timeout_s:g} s", False


def judge_refusal(case: Case, response: httpx.Response | Exception, allowed: tuple[int, ...] = ()) -> None:
    """Expect 4xx with a JSON one-line reason (or a listed status)."""
    if isinstance(response, Exception):
        case.got = f"{type(response).__name__}: {str(response)[:120]}"
        return
    try:
        reason = response.json().get("error", "")
    except (ValueError, AttributeError):
        reason = ""
    case.got = f"{response.status_code}: {str(reason or response.text)[:160]}"
    status_ok = 400 <= response.status_code < 500 or response.status_code in allowed
    case.passed = status_ok and isinstance(reason, str) and bool(reason.strip()) and "\n" not in reason


def server_cases(work: Path, only: str) -> list[Case]:
    cases: list[Case] = []
    disc = encoded(disc_image(96), "PNG")

    def wanted(name: str) -> bool:
        return matches(only, name)

    def record(case: Case) -> None:
        cases.append(case)
        print(f"  {'ok  ' if case.passed else 'FAIL'} {case.name}: {case.got[:150]}", flush=True)

    def refused(name: str, send: Callable[[], httpx.Response], expected: str = "4xx with a reason") -> None:
        if not wanted(name):
            return
        case = Case(name, "server", expected)
        start = time.monotonic()
        try:
            response: httpx.Response | Exception = send()
        except Exception as error:  # noqa: BLE001 - a probe records whatever happens
            response = error
        case.seconds = time.monotonic() - start
        judge_refusal(case, response)
        record(case)

    data_dir = work / "server"
    # A temporary file a killed save left behind (issue 19.7) must be gone after start.
    leftover = data_dir / "jobs" / ("0" * 32) / ".model_0.glb.abc123.glb"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"\x00" * (8 * 1024 * 1024))
    server = Server(data_dir)
    url = server.url
    try:
        if wanted("leftover"):
            case = Case(
                "leftover: temp file of a killed save, removed at start (issue 19.7)", "server", "file gone"
            )
            case.passed = not leftover.exists()
            case.got = "removed" if case.passed else "still there"
            record(case)

        # 1. Hostile pictures as uploads.
        uploads = {
            "upload: TIFF 5000x5000 x 100 float64 planes (issue 19.1)": (
                "planes.tif",
                tiff_planes(work / "planes.tif").read_bytes(),
            ),
            "upload: PNG declaring 100000x100000": ("huge.png", png_declaring(100_000, 100_000)),
            "upload: real 100 MP PNG bomb": (
                "bomb.png",
                png_zero_bomb(work / "bomb.png", 10_000, 10_000).read_bytes(),
            ),
            "upload: GIF of 5000 frames": ("many.gif", gif_frames(5000, 16)),
            "upload: GIF declaring a 65535x65535 screen": ("screen.gif", gif_with_screen(65535, 65535)),
            "upload: TIFF of 3000 pages": ("pages.tif", tiff_many_pages(work / "pages.tif").read_bytes()),
            "upload: BMP claiming 30000x30000": ("huge.bmp", bmp_declaring(30000, 30000)),
            "upload: BMP claiming 4000x4000 over 1 KB": ("lying.bmp", bmp_declaring(4000, 4000)),
            "upload: WebP header claiming 16384x16384": ("huge.webp", webp_declaring(16384, 16384)),
            "upload: JPEG SOF claiming 65500x65500": ("huge.jpg", jpeg_declaring(65500, 65500)),
            "upload: zip file": ("x.zip", b"PK\x03\x04" + b"\x00" * 200),
            "upload: empty file": ("empty.png", b""),
            "upload: text file": ("notes.png", b"hello, this is not a picture\n" * 10),
            "upload: SVG": ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        }
        for name, (filename, data) in uploads.items():
            accepted_ok = name in ("upload: GIF of 5000 frames", "upload: TIFF of 3000 pages")
            expected = (
                "4xx with a reason, or 201 (first frame) and memory bounded"
                if accepted_ok
                else "4xx with a reason"
            )
            if not wanted(name):
                continue
            case = Case(name, "server", expected)
            start = time.monotonic()
            try:
                response = post_job(url, data, filename)
                judge_refusal(case, response)
                if accepted_ok and response.status_code == 201:
                    case.got, case.passed = job_outcome(url, response.json()["url"])
            except Exception as error:  # noqa: BLE001
                case.got = f"{type(error).__name__}: {error}"
            case.seconds = time.monotonic() - start
            case.peak_mb = server.rss_mb()
            record(case)
        refused(
            "upload: cutout of a TIFF bomb",
            lambda: httpx.post(
                url + "/api/cutout", files={"file": ("p.tif", (work / "planes.tif").read_bytes())}, timeout=60
            ),
        )
        refused(
            "upload: two files",
            lambda: httpx.post(
                url + "/api/jobs",
                files=[("file", ("a.png", disc)), ("file", ("b.png", disc))],
                data=FIELDS,
                timeout=30,
            ),
        )
        refused(
            "upload: no file field",
            lambda: httpx.post(url + "/api/jobs", data=FIELDS, files={"other": ("a.png", disc)}, timeout=30),
        )
        refused(
            "upload: not multipart",
            lambda: httpx.post(
                url + "/api/jobs", content=disc, headers={"content-type": "image/png"}, timeout=30
            ),
        )
        refused(
            "upload: declared Content-Length 10**12",
            lambda: _raw_request(
                server.port,
                b"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                b"Content-Length: 1000000000000\r\n\r\n",
            ),
        )
        refused(
            "upload: 25 MB body (limit 20)",
            lambda: post_job(url, b"\x89PNG\r\n\x1a\n" + os.urandom(25 * 1024 * 1024), "big.png"),
        )
        refused(
            "upload: field of 1 MB",
            lambda: post_job(url, disc, fields={**FIELDS, "adapters": "x" * 1_000_000}),
        )
        refused(
            "upload: 100 fields",
            lambda: post_job(url, disc, fields={**FIELDS, **{f"f{i}": "1" for i in range(100)}}),
        )
        refused(
            "upload: adapter named by path",
            lambda: post_job(url, disc, fields={**FIELDS, "adapters": "/etc/passwd"}),
        )
        refused(
            "upload: adapter ../weights",
            lambda: post_job(url, disc, fields={**FIELDS, "adapters": "../adapters/toon.safetensors"}),
        )

        # Names are labels only: accepted with a harmless label, or refused; never a path.
        for label, filename in (
            ("../", "../../../../tmp/escape.png"),
            ("NUL", "disc\x00.png"),
            ("10,000 characters", "a" * 10_000 + ".png"),
            ("unicode and RTL", "ピクチャ\u202egnp.exe"),
            ("backslashes", "..\\..\\windows\\x.png"),
        ):
            name = f"upload name: {label}"
            if not wanted(name):
                continue
            case = Case(name, "server", "201 with a label free of / \\ NUL, or 4xx")
            try:
                response = post_job(url, disc, filename)
                if response.status_code == 201:
                    source = response.json()["source"]
                    case.got = f"201, source {source[:60]!r}"
                    case.passed = not any(char in source for char in "/\\\x00\u202e") and len(source) <= 255
                    httpx.delete(url + response.json()["url"], timeout=30)
                else:
                    judge_refusal(case, response)
            except Exception as error:  # noqa: BLE001
                case.got = f"{type(error).__name__}: {error}"
            case.passed = case.passed and not Path("/tmp/escape.png").exists()
            record(case)

        # 5. Numbers in the form and the query string.
        for field_name, value in (
            ("seed", str(2**64)),
            ("seed", "-1"),
            ("seed", "1.5"),
            ("height", "1e308"),
            ("height", "1e-300"),
            ("height", "nan"),
            ("height", "inf"),
            ("height", "-1"),
            ("steps", "1000"),
            ("steps", "-1"),
            ("steps", "2.5"),
            ("variants", "0"),
            ("variants", "1000"),
            ("faces", "-5"),
            ("faces", str(10**12)),
            ("faces", "1e3"),
            ("texture_size", "0"),
            ("texture_size", str(10**9)),
            ("ensemble", "100"),
            ("generator", "../../x"),
            ("formats", "exe"),
            ("formats", " , "),  # commas with no format; an empty field means the kind's defaults
            ("unknown", "1"),
        ):
            refused(
                f"form: {field_name}={value[:12]}",
                lambda f=field_name, v=value: post_job(url, disc, fields={**FIELDS, f: v}),
            )
        for value in ("0", "-1", "501", "abc", "1e3", str(10**30), "1.5"):
            refused(
                f"query: /api/jobs?limit={value[:12]}",
                lambda v=value: httpx.get(url + f"/api/jobs?limit={v}", timeout=30),
            )
        refused(
            "path: job id ../../etc/passwd",
            lambda: httpx.get(url + "/api/jobs/..%2F..%2Fetc%2Fpasswd", timeout=30),
        )
        refused(
            "path: file name ../jobs.sqlite3",
            lambda: httpx.get(url + "/api/jobs/" + "a" * 32 + "/files/..%2Fjobs.sqlite3", timeout=30),
        )
        refused("path: DELETE unknown job", lambda: httpx.delete(url + "/api/jobs/" + "0" * 32, timeout=30))

        # 3. Host and Origin.
        refused(
            "host: foreign Host header (issue 19.3)",
            lambda: httpx.get(url + "/api/jobs", headers={"Host": "evil.example"}, timeout=30),
        )
        refused(
            "host: localhost.evil.example",
            lambda: httpx.get(url + "/api/jobs", headers={"Host": "localhost.evil.example"}, timeout=30),
        )
        refused(
            "host: empty Host", lambda: _raw_request(server.port, b"GET /api/jobs HTTP/1.1\r\nHost: \r\n\r\n")
        )
        refused(
            "host: no Host (HTTP/1.0)", lambda: _raw_request(server.port, b"GET /api/jobs HTTP/1.0\r\n\r\n")
        )
        refused(
            "host: foreign Host on the page /",
            lambda: httpx.get(url + "/", headers={"Host": "evil.example"}, timeout=30),
        )
        refused(
            "origin: foreign Origin queues a job (issue 19.3)",
            lambda: post_job(url, disc, headers={"Origin": "http://evil.example"}),
        )
        refused("origin: Origin null", lambda: post_job(url, disc, headers={"Origin": "null"}))
        refused(
            "origin: foreign Origin deletes",
            lambda: httpx.delete(
                url + "/api/jobs/" + "0" * 32, headers={"Origin": "https://evil.example"}, timeout=30
            ),
        )
        refused(
            "origin: http://localhost.evil.example",
            lambda: post_job(url, disc, headers={"Origin": "http://localhost.evil.example"}),
        )
        if wanted("origin: own origin"):
            case = Case("origin: own origin still works", "server", "201")
            response = post_job(url, disc, headers={"Origin": f"http://localhost:{server.port}"})
            case.got, case.passed = f"{response.status_code}", response.status_code == 201
            if response.status_code == 201:
                httpx.delete(url + response.json()["url"], timeout=30)
            record(case)

        # 2. One request holding the worker; DELETE of a running job.
        if wanted("delete"):
            case = Case(
                "worker: DELETE stops a running stage (issue 19.2)",
                "server",
                "job gone, worker free within 2 s",
            )
            slow = {
                "generator": "diffusion",
                "faces": "2000",
                "texture_size": "128",
                "steps": "50",
                "formats": "glb",
            }
            response = post_job(url, disc, fields=slow)
            if response.status_code != 201:
                judge_refusal(case, response)
                case.passed, case.got = False, "could not queue: " + case.got
            else:
                job_url = url + response.json()["url"]
                deadline = time.monotonic() + 60
                while (
                    time.monotonic() < deadline
                    and httpx.get(job_url, timeout=30).json()["status"] != "running"
                ):
                    time.sleep(0.2)
                time.sleep(1.5)
                start = time.monotonic()
                deleted = httpx.delete(job_url, timeout=30).status_code
                folder = data_dir / "jobs" / response.json()["id"]
                while folder.exists() and time.monotonic() - start < 30:
                    time.sleep(0.05)
                gone = time.monotonic() - start
                follow = post_job(url, disc)
                started = None
                if follow.status_code == 201:
                    follow_url = url + follow.json()["url"]
                    while time.monotonic() - start < 60:
                        if httpx.get(follow_url, timeout=30).json()["status"] in (
                            "running",
                            "done",
                            "failed",
                        ):
                            started = time.monotonic() - start
                            break
                        time.sleep(0.05)
                    httpx.delete(follow_url, timeout=30)
                case.got = (
                    f"DELETE {deleted}; files gone after {gone:.2f} s; next job started after {started}"
                )
                case.passed = deleted == 204 and gone < 2 and started is not None and started < 3
            record(case)

        # 4. The queue limit under concurrent clients.
        if wanted("queue"):
            case = Case(
                "queue: limit 100 under 16 concurrent clients (issue 19.4)",
                "server",
                "<= 100 accepted while the worker is busy, rest 503",
            )
            hold = post_job(
                url,
                disc,
                fields={
                    "generator": "diffusion",
                    "faces": "2000",
                    "texture_size": "128",
                    "steps": "50",
                    "formats": "glb",
                },
            )
            time.sleep(1.0)
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(lambda _: post_job(url, disc, timeout=120).status_code, range(140)))
            info = httpx.get(url + "/api/info", timeout=30).json()
            accepted = answers.count(201)
            case.got = f"201 x{accepted}, 503 x{answers.count(503)}, others {sorted(set(answers) - {201, 503})}, queued now {info['queued_jobs']}"
            case.passed = info["queued_jobs"] <= 100 and accepted <= 101 and set(answers) <= {201, 503}
            for job in httpx.get(url + "/api/jobs?limit=500", timeout=60).json()["jobs"]:
                httpx.delete(url + job["url"], timeout=30)
            if hold.status_code == 201:
                httpx.delete(url + hold.json()["url"], timeout=30)
            record(case)

        # 7. Idle and half-sent connections.
        if wanted("idle"):
            case = Case(
                "connections: 300 idle + half-sent heads closed, server answers (issue 19.7)",
                "server",
                "closed within 15 s; /api/info 200 meanwhile and after",
            )
            sockets = []
            for index in range(300):
                sock = socket.create_connection((HOST, server.port), timeout=5)
                if index % 2:
                    sock.sendall(b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                sockets.append(sock)
            try:
                meanwhile = httpx.get(url + "/api/info", timeout=30).status_code
            except httpx.HTTPError as error:
                meanwhile = type(error).__name__
            time.sleep(15)
            closed = 0
            for sock in sockets:
                sock.settimeout(0.5)
                try:
                    closed += sock.recv(1) == b""
                except (TimeoutError, OSError):
                    pass
                sock.close()
            after = httpx.get(url + "/api/info", timeout=30).status_code
            case.got = f"{closed}/300 closed by the server after 15 s; /api/info meanwhile {meanwhile}, after {after}"
            case.passed = closed == 300 and after == 200
            record(case)

        # 8. 16 concurrent 49 MP uploads: the server's memory.
        if wanted("49"):
            case = Case(
                "memory: 16 concurrent 49 MP uploads (issue 19.8)",
                "server",
                f"all answered, peak RSS < {MEMORY_BOUND_MB} MB",
            )
            big = big_flat_png(7000)
            before = server.rss_mb("VmRSS")
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                answers = list(
                    pool.map(lambda _: post_job(url, big, "big.png", timeout=300).status_code, range(16))
                )
            peak = server.rss_mb()
            case.peak_mb = peak
            case.got = f"answers {sorted(answers)}; RSS before {before:.0f} MB, peak {peak:.0f} MB, after {server.rss_mb('VmRSS'):.0f} MB"
            case.passed = peak < MEMORY_BOUND_MB and all(code in (201, 503) for code in answers)
            for job in httpx.get(url + "/api/jobs?limit=500", timeout=60).json()["jobs"]:
                httpx.delete(url + job["url"], timeout=30)
            record(case)

        # 2. Ctrl-C while a job runs.
        if wanted("ctrl"):
            case = Case(
                "worker: Ctrl-C with a running job (issue 19.2)",
                "server",
                "exits within 12 s, no 'terminate called'",
            )
            response = post_job(
                url,
                disc,
                fields={
                    "generator": "diffusion",
                    "faces": "2000",
                    "texture_size": "128",
                    "steps": "50",
                    "formats": "glb",
                },
            )
            if response.status_code == 201:
                job_url = url + response.json()["url"]
                deadline = time.monotonic() + 60
                while (
                    time.monotonic() < deadline
                    and httpx.get(job_url, timeout=30).json()["status"] != "running"
                ):
                    time.sleep(0.2)
                time.sleep(1.0)
            code, seconds = server.stop(signal.SIGINT)
            log = server.log.read_text(errors="replace")
            case.got = f"exit {code} after {seconds:.1f} s; 'terminate called' in log: {'terminate called' in log}; tracebacks: {log.count('Traceback')}"
            case.passed = (
                code is not None and seconds < 12 and "terminate called" not in log and "Traceback" not in log
            )
            case.peak_mb = server.rss_mb()
            record(case)
        log = server.log.read_text(errors="replace")
        if wanted("log"):
            case = Case("server log: no traceback, no 500", "server", "no Traceback in the log")
            case.got = f"{log.count('Traceback')} traceback(s), {log.count(' 500 ')} 500 line(s)"
            case.passed = "Traceback" not in log and " 500 " not in log
            if not case.passed:
                at = log.find("Traceback")
                case.notes.append(log[at : at + 3000])
            record(case)
    finally:
        if server.process.poll() is None:
            server.stop()

    if wanted("token") or wanted("owner"):
        cases += ownership_cases(work)
    return cases


def ownership_cases(work: Path) -> list[Case]:
    cases = []
    disc = encoded(disc_image(96), "PNG")
    server = Server(
        work / "server_tokens", "--token", "alice-token-0123456789", "--extra-token", "bob-token-0123456789"
    )
    alice = {"Authorization": "Bearer alice-token-0123456789"}
    bob = {"Authorization": "Bearer bob-token-0123456789"}
    try:
        job = post_job(server.url, disc, headers=alice).json()
        checks = [
            ("owner: no token lists jobs", lambda: httpx.get(server.url + "/api/jobs", timeout=30), 401),
            (
                "owner: wrong token",
                lambda: httpx.get(
                    server.url + "/api/jobs", headers={"Authorization": "Bearer x"}, timeout=30
                ),
                401,
            ),
            (
                "owner: another holder reads the job",
                lambda: httpx.get(server.url + job["url"], headers=bob, timeout=30),
                404,
            ),
            (
                "owner: another holder deletes the job",
                lambda: httpx.delete(server.url + job["url"], headers=bob, timeout=30),
                404,
            ),
        ]
        for name, send, status in checks:
            case = Case(name, "server", f"{status}")
            response = send()
            judge_refusal(case, response)
            case.passed = case.passed and response.status_code == status
            cases.append(case)
            print(f"  {'ok  ' if case.passed else 'FAIL'} {name}: {case.got[:150]}", flush=True)
        case = Case("owner: another holder's list is empty", "server", "no foreign job listed")
        listed = httpx.get(server.url + "/api/jobs", headers=bob, timeout=30).json()["jobs"]
        case.got, case.passed = f"{len(listed)} job(s)", not listed
        cases.append(case)
        print(f"  {'ok  ' if case.passed else 'FAIL'} {case.name}: {case.got}", flush=True)
        httpx.delete(server.url + job["url"], headers=alice, timeout=30)
    finally:
        server.stop()
    return cases


def _raw_request(port: int, head: bytes) -> httpx.Response:
    """Send a hand-made request head and parse the answer into an httpx.Response."""
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(head)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            raw = b"".join(chunks)
            if b"\r\n\r\n" in raw:
                head_part, _, body = raw.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head_part.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(body) >= length:
                    break
    raw = b"".join(chunks)
    head_part, _, body = raw.partition(b"\r\n\r\n")
    status = int(head_part.split(b" ")[1]) if head_part else 0
    return httpx.Response(status, content=body)


# ------------------------------------------------------------------------------------ report


def print_table(cases: list[Case]) -> None:
    if not cases:
        print("no case matched")
        return
    width = max(len(case.name) for case in cases)
    print(f"\n{'case':<{width}}  pass  {'expected':<40}  got")
    for case in cases:
        memory = f" [{case.peak_mb:.0f} MB]" if case.peak_mb else ""
        print(
            f"{case.name:<{width}}  {'yes ' if case.passed else 'NO  '}  {case.expected[:40]:<40}  {case.got[:110]}{memory}"
        )
    failed = [case for case in cases if not case.passed]
    print(f"\n{len(cases) - len(failed)}/{len(cases)} cases pass")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="", help="run only the cases whose name contains this (several: A|B)"
    )
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument(
        "--json", default="", help="results file [default: benchmarks/results/security_probe.json]"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --only: replace the re-run cases in the existing results file, keep the others",
    )
    args = parser.parse_args()
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="lift3d-probe-") as temporary:
        work = Path(temporary)
        started = time.time()
        if not args.skip_cli:
            print("CLI cases", flush=True)
            cases += cli_cases(work, args.only)
        if not args.skip_server:
            print("server cases", flush=True)
            cases += server_cases(work, args.only)
        locked = work / "cli" / "locked"
        if locked.exists():
            locked.chmod(0o700)
    print_table(cases)
    json_path = Path(args.json or RESULTS / "security_probe.json")
    if args.only and args.update and json_path.exists():
        rerun = {case.name: case for case in cases}
        earlier = [Case(**case) for case in json.loads(json_path.read_text())["cases"]]
        cases = [rerun.pop(case.name, case) for case in earlier] + list(rerun.values())
    if not args.only or args.update:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "memory_bound_mb": MEMORY_BOUND_MB,
            "seconds": round(time.time() - started, 1),
            "passed": sum(case.passed for case in cases),
            "cases": [asdict(case) for case in cases],
        }
        json_path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {json_path}")
    return 0 if all(case.passed for case in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
