"""Run a batch: find the pictures, skip what the manifest shows finished, convert the rest, record each."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lift3d.api import ConvertOptions, saved_files, variant_paths
from lift3d.batch.manifest import FAILED, OK, ItemRecord, Manifest, fsync_files
from lift3d.batch.options import EXIT_SOME_FAILED, BatchOptions
from lift3d.batch.plan import BatchItem, find_pictures, real_path
from lift3d.batch.work import BatchJob, Outcome, kind_options
from lift3d.errors import InputError, OutputError
from lift3d.files import refuse_to_replace, write_file_set


@dataclass
class BatchSummary:
    """Counts of a batch run, filled in as it goes, for progress displays and the final line."""

    manifest: Path
    found: int = 0  # pictures matching the patterns
    to_convert: int = 0  # of those, the ones this run converts
    converted: int = 0
    failed: int = 0
    done_before: int = 0  # finished by an earlier run, skipped
    failed_before: int = 0  # failed in an earlier run, skipped without --retry-failed
    ignored_manifest_lines: int = 0
    dropped_torn_line: bool = False
    seconds: float = 0.0
    failures: list[ItemRecord] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 and self.failed_before == 0 else EXIT_SOME_FAILED

    def line(self) -> str:
        rate = self.converted / self.seconds * 60 if self.seconds > 0 else 0.0
        parts = [f"{self.converted} converted", f"{self.failed} failed"]
        if self.done_before:
            parts.append(f"{self.done_before} done earlier")
        if self.failed_before:
            parts.append(f"{self.failed_before} failed earlier (use --retry-failed to try again)")
        return (
            f"{', '.join(parts)} of {self.found} pictures in {self.seconds:.1f} s "
            f"({rate:.1f} assets/min); manifest: {self.manifest}"
        )


def run_batch(
    batch: BatchOptions,
    options: ConvertOptions,
    on_start: Callable[[BatchSummary], None] | None = None,
    on_item: Callable[[ItemRecord, BatchSummary], None] | None = None,
) -> BatchSummary:
    """Convert every picture of `batch.input_dir` not yet finished into `batch.output_dir`.

    Safe to stop at any moment and run again: each result is written whole, then a
    manifest line vouches for it, and a picture is skipped only when its line says
    ok, its outputs exist, and neither the file nor the settings changed since.
    """
    started = time.perf_counter()
    if batch.ray_address:
        from lift3d.batch.cluster import import_ray

        import_ray()  # a missing extra is reported before any work starts
    job = BatchJob(options.resolved(), batch.format)
    input_dir, output_dir = batch.input_dir, batch.output_dir
    inside = real_path(output_dir).is_relative_to(real_path(input_dir))
    items = find_pictures(input_dir, batch.patterns, skip_dir=output_dir if inside else None)
    if not items:
        raise InputError(f"no pictures matching {' '.join(batch.patterns)} in {input_dir}")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {output_dir}: {error.strerror}") from None
    with Manifest(output_dir) as manifest:
        # An earlier run's outputs in the input folder (a texture .png) are results, not pictures.
        produced = {
            real_path(output_dir / output)
            for record in manifest.records.values()
            for output in record.outputs
        }
        items = [item for item in items if real_path(input_dir / item.input) not in produced]
        summary = BatchSummary(
            manifest=manifest.path,
            found=len(items),
            ignored_manifest_lines=manifest.ignored_lines,
            dropped_torn_line=manifest.dropped_torn_line,
        )
        todo = []
        for item in items:
            previous = manifest.records.get(item.input)
            if previous is not None and _is_finished(previous, item, job, output_dir):
                summary.done_before += 1
            elif previous is not None and _failed_before(previous, item, job) and not batch.retry_failed:
                summary.failed_before += 1
                summary.failures.append(previous)
            else:
                todo.append(item)
        refuse_to_replace(
            [file for item in todo for file in planned_outputs(item, job, output_dir)],
            [input_dir / item.input for item in items],
        )
        summary.to_convert = len(todo)
        if on_start:
            on_start(summary)
        by_input = {item.input: item for item in todo}
        # Closed explicitly so that an error or Ctrl-C stops the workers at once.
        with contextlib.closing(_outcomes(todo, job, batch)) as outcomes:
            for outcome in outcomes:
                record = _commit(outcome, by_input[outcome.input], job, output_dir, manifest)
                if record.status == OK:
                    summary.converted += 1
                else:
                    summary.failed += 1
                    summary.failures.append(record)
                summary.seconds = time.perf_counter() - started
                if on_item:
                    on_item(record, summary)
    summary.seconds = time.perf_counter() - started
    return summary


def planned_outputs(item: BatchItem, job: BatchJob, output_dir: Path) -> list[Path]:
    """Every file converting `item` writes (each variant's model, sidecars and provenance)."""
    model = output_dir / f"{item.output_stem}.{job.format}"
    if item.kind != "picture":
        from lift3d.export import ExportOptions
        from lift3d.pipelines import pipeline_for

        return pipeline_for(item.kind).outputs(model, ExportOptions(), kind_options(job.options, item.kind))
    return [file for target in variant_paths(model, job.options.variants) for file in saved_files(target)]


def _outcomes(todo: list[BatchItem], job: BatchJob, batch: BatchOptions) -> Generator[Outcome, None, None]:
    """Outcomes from local workers or Ray actors; Ray is imported only when asked for."""
    if not todo:
        return
    if batch.ray_address:
        from lift3d.batch.cluster import convert_on_ray

        yield from convert_on_ray(
            todo, job, batch.input_dir, batch.ray_address, batch.workers, batch.cpus_per_worker
        )
        return
    from lift3d.batch.local import convert_locally

    yield from convert_locally(todo, job, batch.input_dir, batch.workers or 1)


def _is_current(record: ItemRecord, item: BatchItem, job: BatchJob) -> bool:
    """The record is about this version of the file, converted with these settings."""
    return (
        record.input_bytes == item.size_bytes
        and record.input_mtime_ns == item.mtime_ns
        and record.settings == job.settings_for(item)
    )


def _is_finished(record: ItemRecord, item: BatchItem, job: BatchJob, output_dir: Path) -> bool:
    return (
        record.status == OK
        and _is_current(record, item, job)
        and bool(record.outputs)
        and all((output_dir / output).is_file() for output in record.outputs)
    )


def _failed_before(record: ItemRecord, item: BatchItem, job: BatchJob) -> bool:
    return record.status == FAILED and _is_current(record, item, job)


def _commit(
    outcome: Outcome, item: BatchItem, job: BatchJob, output_dir: Path, manifest: Manifest
) -> ItemRecord:
    """Put the outputs in place and on disk, then append the manifest line that vouches for them.

    An unwritable output folder raises and ends the run: it is not the picture's fault,
    and every following picture would fail the same way.
    """
    if not outcome.error:
        files = {output_dir / relative: data for relative, data in outcome.files.items()}
        for folder in sorted({path.parent for path in files}):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise OutputError(f"cannot create {folder}: {error.strerror}") from None
        written = write_file_set(files)
        try:
            fsync_files(written)
        except OSError as error:
            raise OutputError(f"cannot write {output_dir}: {error.strerror}") from None
    record = ItemRecord(
        input=item.input,
        status=FAILED if outcome.error else OK,
        outputs=tuple(outcome.files) if not outcome.error else (),
        error=outcome.error,
        settings=job.settings_for(item),
        seconds=round(outcome.seconds, 3),
        faces=outcome.faces,
        input_bytes=item.size_bytes,
        input_mtime_ns=item.mtime_ns,
        model=outcome.model,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        traceback=outcome.traceback,
        warnings=outcome.warnings,
    )
    manifest.append(record)
    return record
