"""Execute the notebooks headless with papermill, record the results, and build the book.

    python -m darkroom.app.runner                      # every notebooks/NN_*.ipynb, profile "default"
    python -m darkroom.app.runner --profile smoke      # the same with every notebook's smallest settings
    python -m darkroom.app.runner notebooks/04_linear_regression.ipynb
    python -m darkroom.app.runner --no-book ...        # skip the book at the end
    python -m darkroom.app.runner --force ...          # execute even what the cache would reuse

Each notebook runs in its own process (so its wall time and peak memory are its
own) into ``outputs/notebooks/`` and gets a row in ``outputs/summary.json``; at the
end :mod:`darkroom.app.book` renders them as ``outputs/book/index.html``. A failing
notebook is still saved, with papermill's mark on the failing cell; the others still
run; the exit status is 1. Every file is written to a temporary name and renamed, so
an interrupted run never leaves a truncated notebook where a good one stood.

A notebook is executed again only when its code, the profile or parameters, a library
file it imports (directly or not), a computing package's version or a notebook it reads
changed (:mod:`darkroom.app.cache`, records in ``outputs/cache/``); otherwise its executed
copy is kept, with the source's Markdown merged in. Named notebooks are cached the same
way; ``--force`` executes them (or all) regardless. A failed run is always run again.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from darkroom.app import cache
from darkroom.core.paths import atomic_write, find_notebooks, outputs_dir
from darkroom.core.profiles import PROFILES

__all__ = ["NotebookResult", "main", "run_all", "run_notebook", "write_summary"]

KERNEL_NAME = "darkroom"


@dataclass
class NotebookResult:
    """The outcome of executing one notebook."""

    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    peak_memory_mb: float | None
    profile: str
    output: str
    error: str | None = None
    finished: str = ""
    run: str = "ran"  # "ran": this invocation executed it; "cached": it reused the last execution
    last_executed: str = ""  # ISO time of the execution whose outputs these are
    commit: str = ""  # the library's commit at that execution (cache.library_commit)


def _kernel_name(requested: str | None) -> str:
    if requested:
        return requested
    from jupyter_client.kernelspec import find_kernel_specs

    return KERNEL_NAME if KERNEL_NAME in find_kernel_specs() else "python3"


def _headless_env() -> dict[str, str]:
    """Environment for the kernel: quiet TensorFlow; progress bars print one line each (darkroom.core.training)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["DARKROOM_HEADLESS"] = "1"
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def _short_error(err: BaseException) -> str:
    name = getattr(err, "ename", type(err).__name__)
    value = getattr(err, "evalue", str(err))
    return f"{name}: {value}".strip()[:500]


def _execute(
    notebook: Path, output: Path, parameters: dict[str, Any], kernel: str, timeout: int | None
) -> str | None:
    """Run papermill into a temporary file, rename it onto ``output``; return an error summary or None."""
    import papermill

    error: str | None = None
    with atomic_write(output) as tmp:
        try:
            papermill.execute_notebook(
                str(notebook),
                str(tmp),
                parameters=parameters,
                kernel_name=kernel,
                cwd=str(notebook.parent),
                progress_bar=False,
                execution_timeout=timeout,
                log_output=False,
            )
        except Exception as err:  # papermill still wrote the notebook, with the failing cell marked
            error = _short_error(err)
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise
    return error


def _worker(args: argparse.Namespace) -> int:
    """Child process: execute one notebook, write the result as JSON."""
    notebook, out = Path(args.worker), Path(args.out)
    output = out / "notebooks" / notebook.name
    params = {"profile": args.profile, **dict(args.param or [])}
    start = time.perf_counter()
    try:
        error = _execute(notebook, output, params, _kernel_name(args.kernel), args.timeout)
    except Exception as err:  # the kernel did not start, the file is not a notebook, ...
        error = _short_error(err)
    seconds = time.perf_counter() - start
    # The kernel is this process's child: its peak resident memory is the children's maximum.
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = NotebookResult(
        notebook=notebook.name,
        status="failed" if error else "ok",
        seconds=round(seconds, 1),
        peak_memory_mb=round(peak_kb / 1024, 1) if peak_kb else None,
        profile=args.profile,
        output=str(output.relative_to(out)) if output.exists() else "",
        error=error,
        finished=time.strftime("%Y-%m-%d %H:%M:%S"),
        last_executed=cache.now(),
    )
    Path(args.result).write_text(json.dumps(asdict(result)))
    return 0


def run_notebook(
    notebook: str | os.PathLike[str],
    profile: str = "default",
    out: str | os.PathLike[str] | None = None,
    kernel: str | None = None,
    timeout_s: int | None = None,
    parameters: dict[str, Any] | None = None,
    key: dict[str, Any] | None = None,
) -> NotebookResult:
    """Execute one notebook in a fresh process and return its :class:`NotebookResult`.

    The execution is recorded in ``out/cache/`` under ``key`` (default: the notebook's
    :func:`darkroom.app.cache.cache_key` now), so that :func:`run_all` can reuse it.
    """
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise FileNotFoundError(f"no notebook at {notebook}")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    out = Path(out) if out is not None else outputs_dir()
    if key is None:
        key = cache.decide(notebook, {"profile": profile, **(parameters or {})}, out).key
    commit = cache.library_commit()
    result = _run_worker(notebook, profile, out, kernel, timeout_s, parameters)
    result.commit = commit
    result.last_executed = result.last_executed or cache.now()
    facts = {k: v for k, v in asdict(result).items() if k not in ("notebook", "run", "last_executed")}
    cache.write_record(out, notebook.name, key, {**facts, "executed": result.last_executed})
    return result


def _run_worker(
    notebook: Path,
    profile: str,
    out: Path,
    kernel: str | None,
    timeout: int | None,
    parameters: dict[str, Any] | None,
) -> NotebookResult:
    """Start ``python -m darkroom.app.runner --worker`` on ``notebook`` and read back its result."""
    result_file = out / f".{notebook.stem}.result.json"
    cmd = [
        sys.executable,
        "-m",
        "darkroom.app.runner",
        "--worker",
        str(notebook),
        "--out",
        str(out),
        "--profile",
        profile,
        "--result",
        str(result_file),
    ]
    if kernel:
        cmd += ["--kernel", kernel]
    if timeout:
        cmd += ["--timeout", str(timeout)]
    for name, value in (parameters or {}).items():
        cmd += ["--param", f"{name}={value!r}"]
    result_file.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env=_headless_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if proc.returncode != 0 or not result_file.exists():
        return NotebookResult(
            notebook.name,
            "failed",
            round(time.perf_counter() - start, 1),
            None,
            profile,
            "",
            error=f"runner process exited {proc.returncode}: {proc.stdout[-500:]}",
        )
    data = json.loads(result_file.read_text())
    result_file.unlink()
    return NotebookResult(**data)


def _load_summary(out: Path) -> dict[str, dict[str, Any]]:
    path = out / "summary.json"
    try:
        return {row["notebook"]: row for row in json.loads(path.read_text())}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_summary(results: Sequence[NotebookResult], out: Path) -> Path:
    """Merge ``results`` into ``outputs/summary.json`` (one row per notebook ever run there)."""
    rows = _load_summary(out)
    rows.update({r.notebook: asdict(r) for r in results})
    for row in rows.values():
        row.pop("html", None)  # written by runners before the book; nothing renders it now
    path = out / "summary.json"
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps([rows[k] for k in sorted(rows)], indent=2))
    return path


def _cached_result(notebook: Path, record: dict[str, Any]) -> NotebookResult:
    """The row of a notebook whose last execution is reused: that execution's facts."""
    return NotebookResult(
        notebook=notebook.name,
        status="ok",
        seconds=record.get("seconds", 0.0),
        peak_memory_mb=record.get("peak_memory_mb"),
        profile=record.get("profile", ""),
        output=record.get("output") or f"notebooks/{notebook.name}",
        finished=record.get("finished", ""),
        run="cached",
        last_executed=record.get("executed", ""),
        commit=record.get("commit", "unknown"),
    )


def run_all(
    notebooks: Sequence[str | os.PathLike[str]] | None = None,
    profile: str = "default",
    out: str | os.PathLike[str] | None = None,
    kernel: str | None = None,
    timeout_s: int | None = None,
    parameters: dict[str, Any] | None = None,
    force: bool = False,
) -> list[NotebookResult]:
    """Execute ``notebooks`` (default: all numbered ones) one after another; failures do not stop the rest.

    A notebook whose cache key is that of its last successful execution is not executed again
    (unless ``force``): its executed copy takes the source's Markdown and its row says "cached".
    """
    paths = [Path(n) for n in notebooks] if notebooks else find_notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        available = ", ".join(p.name for p in find_notebooks()) or "none"
        raise FileNotFoundError(f"no such notebook: {', '.join(missing)} (available: {available})")
    out = Path(out) if out is not None else outputs_dir()
    versions = cache.package_versions()
    params = {"profile": profile, **(parameters or {})}
    results = []
    for path in paths:
        # decided just before each run: a notebook that reads another sees that one's new record
        decision = cache.decide(path, params, out, force=force, versions=versions)
        if decision.run:
            print(f"[darkroom] {path.name} (profile {profile}) runs: {decision.reason}", flush=True)
            result = run_notebook(path, profile, out, kernel, timeout_s, parameters, key=decision.key)
            mem = f"{result.peak_memory_mb:.0f} MB" if result.peak_memory_mb else "?"
            print(
                f"[darkroom]   {result.status:6s} {result.seconds:7.1f} s  peak {mem}"
                + (f"  {result.error}" if result.error else ""),
                flush=True,
            )
        else:
            assert decision.record is not None
            merged = " (Markdown merged)" if cache.reuse(path, out) else ""
            result = _cached_result(path, decision.record)
            print(
                f"[darkroom] {path.name} (profile {profile}) cached{merged}: last ran "
                f"{result.last_executed} at {result.commit}; --force executes it",
                flush=True,
            )
        results.append(result)
        write_summary(results, out)
    return results


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, received {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m darkroom.app.runner", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        help="notebooks to run (default: every notebooks/NN_*.ipynb); a named notebook is cached like "
        "the rest, executed only when something it depends on changed: add --force to execute it anyway",
    )
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("--out", default=None, help="output folder (default: outputs/)")
    parser.add_argument(
        "--kernel", default=None, help=f"Jupyter kernel (default: {KERNEL_NAME} if registered)"
    )
    parser.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell")
    parser.add_argument("--param", type=_param, action="append", help="extra parameter NAME=VALUE")
    parser.add_argument("--no-book", action="store_true", help="do not build outputs/book/ at the end")
    parser.add_argument(
        "--force",
        action="store_true",
        help="execute every notebook named (default: all), even those whose outputs/cache/ record "
        "says nothing they depend on changed",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)
    out = Path(args.out) if args.out else outputs_dir()
    try:
        results = run_all(
            args.notebooks,
            args.profile,
            out,
            args.kernel,
            args.timeout,
            dict(args.param or []),
            force=args.force,
        )
    except FileNotFoundError as err:
        print(f"[darkroom] {err}", file=sys.stderr)
        return 2
    failed = [r for r in results if r.status != "ok"]
    ran = [r for r in results if r.run == "ran"]
    total = sum(r.seconds for r in ran)
    peak = max((r.peak_memory_mb or 0 for r in ran), default=0)
    print(
        f"[darkroom] {len(results) - len(failed)} ok ({len(results) - len(ran)} cached), "
        f"{len(failed)} failed; executing took {total:.0f} s (largest peak {peak:.0f} MB); "
        f"results: {out / 'summary.json'}"
    )
    for r in failed:
        print(f"[darkroom] FAILED {r.notebook}: {r.error}", file=sys.stderr)
    book_failed = False if args.no_book else _build_book(out)
    return 1 if failed or book_failed else 0


def _build_book(out: Path) -> bool:
    """Build ``out/book/``; True when that failed (the notebooks' results are kept either way)."""
    from darkroom.app import book

    return book.main(["--out", str(out)]) != 0


if __name__ == "__main__":
    sys.exit(main())
