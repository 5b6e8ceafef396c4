"""The runner's cache: execute a notebook again only when something that can change its outputs changed.

A notebook's key has five parts, each kept in ``outputs/cache/<notebook>.json`` beside the last
execution's facts, so that the reason for a re-run can be read there and is printed by the runner:

- ``code``: a hash of its code cells' sources (no outputs, execution counts, cell ids or Markdown);
- ``parameters``: the profile and any ``--param``;
- ``library``: a hash of every library file in its import closure (:func:`darkroom.app.imports.import_closure`);
- ``packages``: Python's version and the installed versions of the packages that compute;
- ``upstream``: the last execution of each notebook it declares it reads, as
  ``metadata["darkroom"]["reads"]`` (notebook 07 loads the colorizers notebook 06 saves).

When the key is unchanged the executed copy in ``outputs/notebooks/`` is kept, with the new source's
Markdown merged in (:func:`merge_markdown`). A failed run is recorded but never reused.
"""

from __future__ import annotations

import copy
import hashlib
import json
import platform
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from darkroom.app.imports import PACKAGE, code_cell_sources, import_closure
from darkroom.core.paths import atomic_write, repo_root

__all__ = [
    "COMPUTING_PACKAGES",
    "Decision",
    "cache_key",
    "decide",
    "key_changes",
    "library_commit",
    "merge_markdown",
    "now",
    "package_versions",
    "read_record",
    "reuse",
    "write_record",
]

VERSION = 1  # of the record's layout; a record of another version is never reused
# The distributions whose versions can change what a notebook computes or prints (PyPI names).
COMPUTING_PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "scipy",
    "scikit-image",
    "matplotlib",
    "matplotlib-inline",
    "pillow",
    "xlrd",
    "pypng",
    "threadpoolctl",
    "h5py",
    "ml-dtypes",
    "tqdm",
    "psutil",
    "papermill",
    "ipykernel",
)
# Other distributions that provide the same import (a CPU-only TensorFlow wheel, for one).
ALTERNATIVES = {"tensorflow": ("tensorflow-cpu", "tensorflow-intel", "tensorflow-macos")}
INJECTED = "injected-parameters"


def now() -> str:
    """The local time as ISO 8601 with its offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def _tags(cell: dict[str, Any]) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _code_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    """The code cells, without the one papermill injects."""
    return [c for c in nb["cells"] if c["cell_type"] == "code" and INJECTED not in _tags(c)]


def code_digest(nb: dict[str, Any]) -> str:
    """A hash of the code cells: their sources, and which is tagged ``parameters`` (papermill's mark)."""
    return _digest(json.dumps([[_source(c), "parameters" in _tags(c)] for c in _code_cells(nb)]))


def declared_reads(nb: dict[str, Any]) -> list[str]:
    """The notebooks (stems) whose outputs ``nb`` reads, as its ``metadata["darkroom"]["reads"]`` says."""
    return list(nb.get("metadata", {}).get("darkroom", {}).get("reads", []))


def library_digests(nb: dict[str, Any], library: Path = PACKAGE) -> dict[str, str]:
    """``darkroom/core/color.py`` -> hash, for every file in the notebook's import closure."""
    files = import_closure(code_cell_sources(nb["cells"]), library)
    return {f.relative_to(library.parent).as_posix(): _digest(f.read_bytes()) for f in files}


def _distribution_version(name: str) -> str | None:
    for candidate in (name, *ALTERNATIVES.get(name, ())):
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None


def package_versions(names: Sequence[str] = COMPUTING_PACKAGES) -> dict[str, str | None]:
    """Python's version and each package's installed version (None when it is not installed)."""
    return {"python": platform.python_version(), **{n: _distribution_version(n) for n in names}}


def record_path(out: Path, notebook: str) -> Path:
    """``out/cache/<stem>.json``: the key and facts of a notebook's last execution."""
    return out / "cache" / f"{Path(notebook).stem}.json"


def read_record(out: Path, notebook: str) -> dict[str, Any] | None:
    """The last execution's record, or None when there is none (or it cannot be read)."""
    try:
        record = _load(record_path(out, notebook))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _execution(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a reader's key holds of an upstream notebook's record: which execution it was."""
    if record is None:
        return None
    return {k: record.get(k) for k in ("run_id", "executed", "status")}


def cache_key(
    notebook: Path,
    parameters: dict[str, Any],
    out: Path,
    *,
    library: Path = PACKAGE,
    versions: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """Everything that can change the outputs of executing ``notebook`` with ``parameters``."""
    nb = _load(notebook)
    return {
        "code": code_digest(nb),
        "parameters": json.loads(json.dumps(parameters, sort_keys=True, default=repr)),
        "library": library_digests(nb, library),
        "packages": versions if versions is not None else package_versions(),
        "upstream": {name: _execution(read_record(out, name)) for name in declared_reads(nb)},
    }


def _listed(names: Sequence[str], limit: int = 3) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def key_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why a notebook with key ``old`` must run again under key ``new``: one phrase per change."""
    reasons = []
    if old.get("code") != new["code"]:
        reasons.append("code changed")
    before, after = old.get("parameters", {}), new["parameters"]
    if before.get("profile") != after.get("profile"):
        reasons.append(f"profile changed ({before.get('profile')} -> {after.get('profile')})")
    if {k: v for k, v in before.items() if k != "profile"} != {
        k: v for k, v in after.items() if k != "profile"
    }:
        reasons.append("parameters changed")
    lib_old, lib_new = old.get("library", {}), new["library"]
    if changed := sorted(f for f in set(lib_old) | set(lib_new) if lib_old.get(f) != lib_new.get(f)):
        reasons.append(f"library changed: {_listed(changed)}")
    pk_old, pk_new = old.get("packages", {}), new["packages"]
    if changed := [
        f"{n} {pk_old.get(n)} -> {pk_new.get(n)}" for n in pk_new if pk_old.get(n) != pk_new.get(n)
    ]:
        reasons.append(f"package versions changed: {_listed(changed)}")
    up_old = old.get("upstream", {})
    for name, execution in new["upstream"].items():
        if name not in up_old:
            reasons.append(f"now reads {name}")
        elif up_old[name] != execution:
            reasons.append(f"upstream {name} re-ran" if execution else f"upstream {name} has no record")
    return reasons


@dataclass
class Decision:
    """Whether to execute a notebook, why, and the key its execution will be recorded under."""

    run: bool
    reason: str  # "cached", or why it runs: "code changed", "forced", ...
    key: dict[str, Any]
    record: dict[str, Any] | None = None  # the last execution's, when it is reused


def decide(
    notebook: Path,
    parameters: dict[str, Any],
    out: Path,
    *,
    force: bool = False,
    library: Path = PACKAGE,
    versions: dict[str, str | None] | None = None,
) -> Decision:
    """Compare ``notebook``'s key with its last execution's record in ``out``."""
    try:
        key = cache_key(notebook, parameters, out, library=library, versions=versions)
    except (OSError, ValueError, KeyError, TypeError) as err:  # not a notebook: let papermill say so
        return Decision(True, f"no cache key ({type(err).__name__}: {err})"[:200], {})
    record = read_record(out, notebook.name)
    executed = out / "notebooks" / notebook.name
    if force:
        return Decision(True, "forced", key)
    if record is None:
        return Decision(True, "no record of an earlier run", key)
    if record.get("version") != VERSION:
        return Decision(True, "cache records changed format", key)
    if record.get("status") != "ok":
        return Decision(True, "last run failed", key)
    if reasons := key_changes(record.get("key", {}), key):
        return Decision(True, "; ".join(reasons), key)
    try:
        same_code = code_digest(_load(executed)) == key["code"]
    except (OSError, ValueError, KeyError):
        return Decision(True, f"the executed copy {executed.name} is missing or unreadable", key)
    if not same_code:
        return Decision(True, f"the executed copy {executed.name} holds other code", key)
    return Decision(False, "cached", key, record)


def write_record(out: Path, notebook: str, key: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """Record an execution of ``notebook`` under ``key``; ``facts`` are its result (status, seconds...)."""
    record = {"version": VERSION, "notebook": notebook, "run_id": uuid.uuid4().hex[:12], **facts, "key": key}
    record.setdefault("executed", now())
    path = record_path(out, notebook)
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def merge_markdown(source: dict[str, Any], executed: dict[str, Any]) -> dict[str, Any]:
    """The notebook ``source`` with the outputs its code produced in ``executed`` (as jupyter-cache merges).

    Each code cell takes the outputs, execution count and papermill's timing of the matching code cell
    of ``executed``; papermill's injected-parameters cell goes back after as many code cells as it
    followed. Markdown, cell metadata and ids are the source's. The code must be the same.
    """
    merged = copy.deepcopy(source)
    ran, code = _code_cells(executed), [c for c in merged["cells"] if c["cell_type"] == "code"]
    if [_source(c) for c in code] != [_source(c) for c in ran]:
        raise ValueError("merge_markdown: the executed notebook's code differs from the source's")
    for new, old in zip(code, ran):
        new["outputs"] = copy.deepcopy(old.get("outputs", []))
        new["execution_count"] = old.get("execution_count")
        extra = {k: v for k, v in old.get("metadata", {}).items() if k in ("papermill", "execution")}
        new.setdefault("metadata", {}).update(copy.deepcopy(extra))
    seen = 0
    for cell in executed["cells"]:
        if cell["cell_type"] == "code" and INJECTED in _tags(cell):
            at = 0 if seen == 0 else next(i for i, c in enumerate(merged["cells"]) if c is code[seen - 1]) + 1
            merged["cells"].insert(at, copy.deepcopy(cell))
        elif cell["cell_type"] == "code":
            seen += 1
    kept = {
        k: v
        for k, v in executed.get("metadata", {}).items()
        if k in ("papermill", "language_info", "kernelspec")
    }
    merged["metadata"] = {**merged.get("metadata", {}), **copy.deepcopy(kept)}
    return merged


def _shown(nb: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """What a reader sees of each cell: its type, source and tags."""
    return [(c["cell_type"], _source(c), _tags(c)) for c in nb["cells"]]


def reuse(notebook: Path, out: Path) -> bool:
    """Merge ``notebook``'s Markdown into its executed copy in ``out/notebooks/``; True when it changed."""
    target = out / "notebooks" / notebook.name
    executed = _load(target)
    merged = merge_markdown(_load(notebook), executed)
    if _shown(merged) == _shown(executed):  # papermill's timings and list-of-lines sources aside
        return False
    with atomic_write(target) as tmp:
        tmp.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def library_commit(root: Path | None = None) -> str:
    """``git rev-parse --short HEAD`` of the repository, ``+dirty`` when ``lib/`` has uncommitted
    changes; ``unknown`` outside git."""
    root = root or repo_root()
    head = _git(root, "rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    return head + ("+dirty" if _git(root, "status", "--porcelain", "--", "lib") else "")
