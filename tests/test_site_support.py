"""A farm for the site tests: the demo farm (every status, events with costs, session summaries)
plus one correction whose every field tries to inject markup. No tests here."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

HOSTILE_ID = "hostile-000001"
HOSTILE_WORD = "zebraquokka"  # only in the hostile correction's body and event
SEARCH_WORD = "noticing"  # only in the body of the demo's takeaway correction


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
