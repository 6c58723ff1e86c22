"""A farm for the site tests: the demo farm (every status, events with costs, session summaries)
plus one correction whose every field tries to inject markup. Helpers and fixtures; no tests."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

HOSTILE_ID = "hostile-000001"
HOSTILE_WORD = "zebraquokka"  # only in the hostile correction's body and event
SEARCH_WORD = "noticing"  # only in the body of the demo's takeaway correction


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The site farm, built once for the tests that only read it: (root, ids, site dir, build report)."""
    from conftest import run_farm

    tmp = tmp_path_factory.mktemp("demo-site")
    root = tmp / "demo"
    with isolated(tmp) as mp:
        ids = make_site_farm(root)
        mp.chdir(root)
        result = run_farm("site", "build", "--json")
    assert result.code == 0, result.err
    return root, ids, root / "site", result.json()


@contextmanager
def isolated(tmp: Path):
    """What conftest's per-test fixture does, for a build shared by many tests: temp HOME and FARM_HOME."""
    with pytest.MonkeyPatch.context() as mp:
        for var, sub in (("HOME", "home"), ("FARM_HOME", "farm-home"), ("CLAUDE_CONFIG_DIR", "claude"),
                         ("CODEX_HOME", "codex"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                         ("XDG_CACHE_HOME", "cache")):
            (tmp / sub).mkdir(parents=True, exist_ok=True)
            mp.setenv(var, str(tmp / sub))
        for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
            mp.setenv(var, "Test")
        for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
            mp.setenv(var, "test@example.com")
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield mp


def make_site_farm(root: Path, hostile: bool = True) -> dict[str, str]:
    """The demo farm at `root` with the hostile correction committed; story key -> id."""
    from farm.demo import build_demo

    ids = dict(build_demo(root).ids)
    if not hostile:
        return ids
    write_hostile(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a hostile correction")
    ids["hostile"] = HOSTILE_ID
    return ids


def write_hostile(root: Path) -> None:
    from farm import model

    c = model.Correction(
        id=HOSTILE_ID,
        title='<script>window.__pwned=1</script></title><script>document.title="pwned"</script> '
              "[x](javascript:window.__pwned=12) {: onclick=window.__pwned=13 }",
        kind="test", created=datetime(2026, 1, 5, tzinfo=timezone.utc),
        what=f'Body {HOSTILE_WORD} <img src=x onerror="window.__pwned=2"> [click](javascript:window.__pwned=3) '
             "<script>window.__pwned=4</script> ![pixel](http://example.com/pixel.png)",
        rule='```\n</div><script>window.__pwned=5</script>\n```\n\n<a href="javascript:window.__pwned=51">a</a>',
        task_type="<svg onload=window.__pwned=6>",
        tags=["<b onmouseover=window.__pwned=10>t</b>", "safe-tag"],
        artifacts=["tests/farm/test_hostile.py", "../../../../etc/passwd"],
        notes='## Extra\n\n<iframe src="javascript:window.__pwned=7"></iframe>\n\n\x02wzxhzdk:0\x03',
    )
    (root / "corrections" / f"{c.id}.md").write_text(model.dump_correction(c), encoding="utf-8")
    test_file = root / "tests" / "farm" / "test_hostile.py"
    test_file.parent.mkdir(parents=True, exist_ok=True)
    test_file.write_text('S = """\n```` ```\n</code></pre><script>window.__pwned=8</script>\n"""\n', encoding="utf-8")
    event = model.Event(type="miss", correction=c.id, at=datetime(2026, 1, 5, 12, tzinfo=timezone.utc), cost_usd=3.5,
                        session_id='"><script>window.__pwned=11</script>',
                        text=f"<script>window.__pwned=9</script> {HOSTILE_WORD}")
    path = root / "corrections" / model.event_path(event)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.dump_event(event), encoding="utf-8")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout
