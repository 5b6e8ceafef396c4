"""JupyterLab in a real browser: a chapter's cells all run, on the venv's Python, with no errors.

The test starts JupyterLab the way ``make lab`` does (the venv's ``jupyter lab``) on 127.0.0.1, with
a random token and its root in a temporary folder, and drives Debian's Chromium (``/usr/bin/chromium``)
through Playwright: it opens notebook 04 in the smoke profile, runs every cell from the Run menu, saves
with Ctrl+S and reads the saved file back. A control notebook with a cell that raises goes through the
same steps and the same check, which must report that cell.

Chromium and Playwright are optional on a developer's machine (the test skips, saying what is missing).
``.ci/run`` installs both and sets ``DARKROOM_REQUIRE_BROWSER=1``, under which a missing one fails.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest

from darkroom.core.paths import repo_root

CHAPTER = "04_linear_regression.ipynb"
CONTROL = "control_raises.ipynb"
REQUIRE = os.environ.get("DARKROOM_REQUIRE_BROWSER") == "1"

# Every wait below is bounded, and all of them together by BUDGET: the module's JupyterLab, its two
# notebooks and the browser fit well inside it (about a minute on a 2-core CPU).
BUDGET = 150.0
SERVER_START = 60.0
CHAPTER_RUN = 100.0
CONTROL_RUN = 45.0
STEP = 30.0  # opening a notebook, a kernel starting, a save


class Deadline:
    """One clock for the whole module: each wait gets its own limit or what is left, whichever is less."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, limit: float) -> float:
        left = min(limit, self.end - time.monotonic())
        if left <= 0:
            pytest.fail(f"the browser test ran past its {BUDGET:.0f} s budget")
        return left

    def wait(self, what: str, limit: float, ready: Any, every: float = 0.25) -> Any:
        """Poll ``ready()`` until it returns something truthy; fail after ``limit`` seconds."""
        end = time.monotonic() + self.left(limit)
        while True:
            value = ready()
            if value:
                return value
            if time.monotonic() > end:
                pytest.fail(f"timed out after {limit:.0f} s waiting for {what}")
            time.sleep(every)


# -- the check, used on the chapter and on the control ----------------------------------------------

# tqdm draws a bar as "desc: 40%|####      | 12/30 [00:01<00:02, 9.87it/s, loss=0.1]", or, without
# a total, "desc: 12it [00:01, 9.87it/s]"; every redraw starts with "\r". A line is a progress bar
# when it ends in that bracket: elapsed time, optionally "<remaining", then a rate with a "/" in it
# ("it/s", "s/epoch", "?it/s") and any postfix. Warnings and tracebacks never end that way.
TQDM_LINE = re.compile(
    r"\[(?:\d+:)?\d{2}:\d{2}"  # elapsed: [00:01 or [1:00:01
    r"(?:<(?:(?:\d+:)?\d{2}:\d{2}|\?))?"  # remaining: <00:02 or <?
    r", [^\]\n]*/[^\]\n]*\]\s*$"  # , 9.87it/s, loss=0.1]
)


def stderr_lines(text: str) -> list[str]:
    """The lines of a stderr stream as a reader saw them: a "\\r" redraw counts as a line."""
    return [line for line in re.split(r"[\r\n]", text) if line.strip()]


def is_progress_bar(line: str) -> bool:
    return bool(TQDM_LINE.search(line))


@dataclass(frozen=True)
class Problem:
    cell: int  # index in nb.cells
    kind: str  # "not run", "error", "stderr"
    detail: str

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.kind}: {self.detail}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    progress_lines: list[str] = field(default_factory=list)  # stderr lines taken for progress bars
    code_cells: int = 0


def check_notebook(nb: nbformat.NotebookNode) -> Report:
    """Every code cell ran; no error output; nothing on stderr but progress bars."""
    report = Report()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        report.code_cells += 1
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "(empty)"
        if cell.get("execution_count") is None:
            report.problems.append(Problem(index, "not run", first))
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                report.problems.append(Problem(index, "error", f"{out.ename}: {out.evalue}"))
            elif out.output_type == "stream" and out.name == "stderr":
                for line in stderr_lines(out.text):
                    if is_progress_bar(line):
                        report.progress_lines.append(line.strip())
                    else:
                        report.problems.append(Problem(index, "stderr", line.strip()[:200]))
    return report


def test_check_recognises_progress_bars_and_reports_the_rest() -> None:
    """The checker on a notebook built by hand: what it lets through and what it reports."""
    v4 = nbformat.v4
    bar = "\r  0%|          | 0/30 [00:00<?, ?it/s]\rloop: 100%|##########| 30/30 [00:00<00:00, 81.2it/s]\n"
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# title"),
            v4.new_code_cell(
                "bar", execution_count=1, outputs=[v4.new_output("stream", name="stderr", text=bar)]
            ),
            v4.new_code_cell(
                "epochs",
                execution_count=2,
                outputs=[
                    v4.new_output(
                        "stream", name="stderr", text="fit: 4epoch [00:02, 1.91s/epoch, loss=0.5]\n"
                    )
                ],
            ),
            v4.new_code_cell(
                "warn",
                execution_count=3,
                outputs=[v4.new_output("stream", name="stderr", text="UserWarning: something [00:01]\n")],
            ),
            v4.new_code_cell(
                "raise",
                execution_count=4,
                outputs=[v4.new_output("error", ename="ValueError", evalue="boom", traceback=[])],
            ),
            v4.new_code_cell("after"),
        ]
    )
    report = check_notebook(nb)
    assert report.code_cells == 5
    assert len(report.progress_lines) == 3
    assert [(p.cell, p.kind) for p in report.problems] == [(3, "stderr"), (4, "error"), (5, "not run")]


# -- JupyterLab and the browser -----------------------------------------------------------------------


def _missing(what: str) -> None:
    message = (
        f"{what}: the browser test needs Debian's chromium (apt-get install chromium) "
        "and Playwright (pip install -e '.[dev]')"
    )
    if REQUIRE:
        pytest.fail(f"DARKROOM_REQUIRE_BROWSER=1 but {message}")
    pytest.skip(message)


def _chromium() -> str:
    path = os.environ.get("DARKROOM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        _missing("no chromium executable on PATH")
    if importlib.util.find_spec("playwright") is None:
        _missing("Playwright for Python is not installed")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    runtime: Path
    process: subprocess.Popen[bytes]
    log: Path
    deadline: Deadline

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def session(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.api("/api/sessions") if s["path"] == name), None)

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def _lab_command() -> list[str]:
    # `make lab` runs .venv/bin/jupyter; the test's Python is that venv's (make test: .venv/bin/python).
    jupyter = Path(sys.executable).with_name("jupyter")
    return [str(jupyter)] if jupyter.is_file() else [sys.executable, "-m", "jupyter"]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server shuts its kernels down), SIGKILL on a timeout, then any child left over."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    # kernels run in sessions of their own: they are the server's children, found before it stopped
    _, alive = psutil.wait_procs(children, timeout=10)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


@pytest.fixture(scope="module")
def deadline() -> Deadline:
    return Deadline(BUDGET)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, deadline: Deadline) -> Iterator[Lab]:
    _chromium()  # skip (or fail in CI) before starting anything
    base = tmp_path_factory.mktemp("lab")
    root, config, runtime = base / "root", base / "config", base / "runtime"
    for folder in (root, config, runtime):
        folder.mkdir()
    # The whole notebook in every page (JupyterLab 4 otherwise renders only the cells in view), and
    # no "official Jupyter news?" prompt: settings of this run's own config folder, not the user's.
    settings = config / "lab" / "user-settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    (settings / "apputils-extension").mkdir()
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    token, port = secrets.token_hex(24), _free_port()
    env = dict(
        os.environ,
        JUPYTER_TOKEN=token,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(runtime),
        # the chapter's figures and logs: a module fixture starts before conftest's per-test DARKROOM_OUTPUTS
        DARKROOM_OUTPUTS=str(base / "outputs"),
    )
    # As in a user's shell: the kernel is interactive (live progress bars), matplotlib and TensorFlow
    # on their defaults (darkroom's import quiets TensorFlow's C++ logs itself).
    for name in ("DARKROOM_HEADLESS", "MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL"):
        env.pop(name, None)
    command = [
        *_lab_command(),
        "lab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--ServerApp.root_dir={root}",
        f"--NotebookNotary.data_dir={base}",  # the trust database, out of the user's home
        "--LabApp.news_url=None",  # nothing fetched from outside
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = base / "lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        server = Lab(f"http://127.0.0.1:{port}", token, root, runtime, process, log, deadline)

        def up() -> bool:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{server.log_tail()}")
            try:
                return server.api("/api/status") is not None
            except (urllib.error.URLError, ConnectionError):
                return False

        deadline.wait("jupyter lab to answer", SERVER_START, up, every=0.5)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def page(lab: Lab) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(STEP * 1000)
            yield page
        finally:
            browser.close()


def _prompts(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt",
        "els => els.map(e => e.textContent.trim())",
    )


@dataclass
class Run:
    nb: nbformat.NotebookNode
    session: dict[str, Any]
    prompts: list[str]


def run_in_lab(lab: Lab, page: Any, name: str, limit: float) -> Run:
    """Open ``name``, run all its cells from the Run menu, wait for the kernel, save with Ctrl+S, read it."""
    path = lab.root / name
    code_cells = sum(c["cell_type"] == "code" for c in json.loads(path.read_text())["cells"])
    # ?reset: a fresh workspace, so the notebook opened before is not reopened with a kernel of its own
    url = f"{lab.url}/lab/tree/{name}?reset&token={lab.token}"
    page.goto(url, timeout=lab.deadline.left(STEP) * 1000)
    lab.deadline.wait(
        f"{name} to show its {code_cells} code cells", STEP, lambda: len(_prompts(page)) == code_cells
    )

    def kernel_idle() -> dict[str, Any] | None:
        session = lab.session(name)
        return session if session and session["kernel"]["execution_state"] == "idle" else None

    lab.deadline.wait(f"the kernel of {name} to start", STEP, kernel_idle)
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    # Run All queues every cell ([*]); each gets its number as it runs, and a cell that raises stops
    # the run (JupyterLab clears the queue). Done: something ran, nothing is queued, the kernel idles.
    def finished() -> bool:
        prompts = _prompts(page)
        ran = any(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        return ran and "[*]:" not in prompts and kernel_idle() is not None

    lab.deadline.wait(f"all cells of {name} to run", limit, finished, every=0.5)
    prompts = _prompts(page)

    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").press("Escape")
    page.keyboard.press("Control+s")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)
    lab.deadline.wait(
        f"{name} to be saved",
        STEP,
        lambda: (
            path.stat().st_mtime_ns != before and "jp-mod-dirty" not in (tab.get_attribute("class") or "")
        ),
    )
    return Run(nbformat.read(path, as_version=4), kernel_idle() or {}, prompts)


def _ask_kernel(lab: Lab, kernel_id: str, code: str) -> str:
    """What ``code`` prints in a running kernel of the server (through its connection file)."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=lab.deadline.left(STEP))
        printed: list[str] = []

        def on_output(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                printed.append(msg["content"]["text"])

        reply = client.execute_interactive(
            code, store_history=False, timeout=lab.deadline.left(STEP), output_hook=on_output
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)
    finally:
        client.stop_channels()


def _close(lab: Lab, run: Run) -> None:
    """Shut the notebook's kernel down (a TensorFlow kernel holds about a gigabyte)."""
    if run.session:
        with contextlib.suppress(urllib.error.URLError):
            lab.api(f"/api/sessions/{run.session['id']}", method="DELETE")


@pytest.mark.browser
@pytest.mark.slow
def test_chapter_runs_in_jupyterlab(lab: Lab, page: Any, record_property: Any) -> None:
    # The chapter as it is in git but for its parameters cell (JSON edited: no re-validation, no ids added)
    nb = json.loads((repo_root() / "notebooks" / CHAPTER).read_text())
    [parameters] = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    source = "".join(parameters["source"])
    assert 'profile = "default"' in source
    parameters["source"] = source.replace('profile = "default"', 'profile = "smoke"')
    (lab.root / CHAPTER).write_text(json.dumps(nb, indent=1))

    run = run_in_lab(lab, page, CHAPTER, CHAPTER_RUN)
    try:
        report = check_notebook(run.nb)
        assert report.code_cells == len(run.prompts) > 0
        assert not report.problems, "\n".join(map(str, report.problems))
        assert list((lab.root.parent / "outputs" / "figures").glob("04_*.png")), "figures left the tmp folder"

        # Which kernel: the notebook asks for python3; the server started that kernelspec; and the
        # kernel itself is this venv's Python (the one running the test), with darkroom importable.
        kernel = run.session["kernel"]
        spec = lab.api("/api/kernelspecs")["kernelspecs"][kernel["name"]]
        facts = json.loads(
            _ask_kernel(
                lab,
                kernel["id"],
                "import json, sys, darkroom\n"
                "print(json.dumps(dict(executable=sys.executable, prefix=sys.prefix, darkroom=darkroom.__file__)))",
            )
        )
        seen = dict(
            metadata_kernel=run.nb.metadata.kernelspec.name,
            session_kernel=kernel["name"],
            kernelspec_argv=spec["spec"]["argv"],
            kernelspec_display_name=spec["spec"]["display_name"],
            kernel=facts,
            progress_lines=report.progress_lines,
        )
        record_property("lab_kernel", json.dumps(seen))
        print(json.dumps(seen, indent=1))
        assert run.nb.metadata.kernelspec.name == kernel["name"] == "python3"
        assert facts["prefix"] == sys.prefix, "the kernel is not the venv's Python"
        assert os.path.abspath(facts["executable"]) == os.path.abspath(sys.executable)
    finally:
        _close(lab, run)


@pytest.mark.browser
@pytest.mark.slow
def test_control_a_raising_cell_is_reported(lab: Lab, page: Any) -> None:
    """The same run and check on a notebook that writes to stderr and raises: the check reports both."""
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# control"),
            v4.new_code_cell('print("before")'),
            v4.new_code_cell("from tqdm import tqdm\n\nfor _ in tqdm(range(3), desc='bar'):\n    pass"),
            v4.new_code_cell('import sys\n\nprint("not a progress bar", file=sys.stderr)'),
            v4.new_code_cell('raise ValueError("boom")'),
            v4.new_code_cell('print("after")'),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, lab.root / CONTROL)
    run = run_in_lab(lab, page, CONTROL, CONTROL_RUN)
    try:
        report = check_notebook(run.nb)
        found = [str(p) for p in report.problems]
        assert found == [
            "cell 3: stderr: not a progress bar",
            "cell 4: error: ValueError: boom",
            'cell 5: not run: print("after")',
        ], found
        assert report.progress_lines and all("bar: " in line for line in report.progress_lines)
    finally:
        _close(lab, run)
