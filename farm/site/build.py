"""`farm site build` and `farm site serve`: farm data → pages → docs folder → renderer.

The generated docs folder lives under FARM_HOME (never in the user's corrections/). A
manifest of content hashes there means a rebuild rewrites only the pages whose text
changed, and the renderer is told which ones.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from farm.project import Farm

MANIFEST = ".farm-manifest.json"


@dataclass
class BuildReport:
    site_dir: Path
    docs_dir: Path
    pages: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    render_mode: str = ""
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "site_dir": str(self.site_dir), "docs_dir": str(self.docs_dir), "pages": self.pages,
            "written": len(self.written), "removed": len(self.removed), "render": self.render_mode,
            "warnings": self.warnings, "seconds": {k: round(v, 3) for k, v in self.timings.items()},
        }


def docs_dir(farm: Farm) -> Path:
    from farm.paths import repo_state_dir

    return repo_state_dir(farm.root) / "site-docs"


def default_site_dir(farm: Farm) -> Path:
    return farm.root / "site"


def _check_site_dir(farm: Farm, resolved: Path, given: Path | None) -> None:
    """MkDocs empties its site folder: never the repo itself, its corrections or git's folder."""
    from farm import git
    from farm.errors import InvalidInput
    from farm.fsutil import is_git_part

    target, top = resolved.resolve(), farm.root.resolve()
    if target.is_relative_to(farm.corrections_dir.resolve()):
        raise InvalidInput(f"{given} is inside {farm.rel(farm.corrections_dir)}/: give the site a folder of its own (-d)")
    if target.is_relative_to(git.git_dir(farm.root).resolve()) or (
            target.is_relative_to(top) and is_git_part(target.relative_to(top))):
        raise InvalidInput(f"{given} is inside .git/, which farm never writes: give the site a folder of its own (-d)")
    if top.is_relative_to(target):
        raise InvalidInput(f"{given} holds the repository itself: give the site a folder of its own (-d)")


def build_site(farm: Farm, site_dir: Path | None = None) -> BuildReport:
    from filelock import FileLock

    from farm.site import render
    from farm.site.data import collect
    from farm.site.pages import NAV, Page, site_pages

    docs = docs_dir(farm)
    docs.mkdir(parents=True, exist_ok=True)
    report = BuildReport(site_dir=(site_dir or default_site_dir(farm)).absolute(), docs_dir=docs)
    _check_site_dir(farm, report.site_dir, site_dir)
    clock = _Clock(report.timings)
    with FileLock(str(docs) + ".lock", timeout=300):
        data = clock("collect", lambda: collect(farm, repo_url=render.repo_url(farm.root)))
        items = clock("pages", lambda: site_pages(data, render.link))
        files = {**render.static_files()}
        for item in items:
            text = render.page_source(item) if isinstance(item, Page) else item.content
            files[item.path] = text.encode("utf-8")
        report.pages = sum(isinstance(item, Page) for item in items)
        report.written, report.removed = clock("write", lambda: write_files(docs, files, save=False))
        nav = [(path, title) for path, title in NAV]
        rendered = clock("render", lambda: render.render(
            farm.root, docs, report.site_dir, nav, report.written + report.removed))
        # Only a render that succeeded makes the pages "unchanged": after a failed one, the
        # next build still sees them as changed and renders them.
        save_manifest(docs, {path: hashlib.sha256(content).hexdigest() for path, content in files.items()})
    report.render_mode = rendered.mode
    report.warnings = data.warnings + rendered.warnings
    return report


def write_files(folder: Path, files: dict[str, bytes], save: bool = True) -> tuple[list[str], list[str]]:
    """Write the files whose content changed since the last build; delete the ones gone.
    Returns (written, removed) paths. `save=False` leaves the manifest for `save_manifest`."""
    from farm.fsutil import atomic_write

    manifest = _manifest(folder)
    written = []
    for path, content in files.items():
        digest = hashlib.sha256(content).hexdigest()
        target = folder / path
        if manifest.get(path) == digest and target.exists():
            continue
        atomic_write(target, content, fsync=False)
        manifest[path] = digest
        written.append(path)
    removed = [path for path in manifest if path not in files]
    for path in removed:
        (folder / path).unlink(missing_ok=True)
        del manifest[path]
    if save:
        save_manifest(folder, manifest)
    return written, removed


def save_manifest(folder: Path, manifest: dict[str, str]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")


def _manifest(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Clock:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def __call__(self, name: str, work: Callable):
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.timings[name] = time.perf_counter() - started


# --- serve --------------------------------------------------------------------


def watched_signature(farm: Farm) -> tuple:
    """Changes whenever a correction, event, artifact or mkdocs.yml changes (name, size, mtime)."""
    import os

    stamps = []
    folders = [farm.corrections_dir, farm.root / farm.config["test_dir"], *(farm.root / d for d in farm.config["skill_dirs"])]
    for base in folders:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                stamps.append((dirpath, name, *_stamp(os.path.join(dirpath, name))))
    for extra in ("mkdocs.yml", "AGENTS.md", "CLAUDE.md"):
        path = farm.root / extra
        if path.exists():
            stamps.append((str(path), *_stamp(str(path))))
    return tuple(sorted(stamps))


def _stamp(path: str) -> tuple[int, int]:
    """A file's (mtime, size); a dangling link or a file gone mid-walk is the link's own, or (0, -1)."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        try:
            st = os.lstat(path)
        except OSError:
            return (0, -1)
    return (st.st_mtime_ns, st.st_size)


def serve_site(farm: Farm, *, host: str = "127.0.0.1", port: int = 8000, interval: float = 1.0,
               on_build: Callable[[BuildReport], None] = lambda report: None,
               on_error: Callable[[Exception], None] = lambda exc: None,
               on_ready: Callable[[str], None] = lambda url: None, stop=None) -> None:
    """Build a preview, serve it on http://host:port/, and rebuild whenever the farm's files
    change, until `stop` (a threading.Event) is set or the process is interrupted."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from farm.errors import FarmError
    from farm.paths import repo_state_dir

    site = repo_state_dir(farm.root) / "site-preview"
    on_build(build_site(farm, site))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    try:  # only binding the port is "cannot serve"; any other OSError is its own error
        server = ThreadingHTTPServer((host, port), partial(Quiet, directory=str(site)))
    except OSError as exc:
        from farm.errors import InvalidInput

        raise InvalidInput(f"cannot serve on {host}:{port} ({exc.strerror}); try --port") from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    on_ready(f"http://{host}:{server.server_address[1]}/")
    stop = stop or threading.Event()
    seen = watched_signature(farm)
    try:
        while not stop.wait(interval):
            now = watched_signature(farm)
            if now == seen:
                continue
            seen = now
            try:
                on_build(build_site(farm, site))
            except FarmError as exc:  # a half-written correction: say so, keep serving
                on_error(exc)
    finally:
        server.shutdown()
        server.server_close()
