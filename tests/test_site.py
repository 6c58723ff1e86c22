"""`farm site build` / `serve` on real farms (no browser here; see test_site_browser.py)."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from pathlib import Path

import pytest
from conftest import capture, run_farm
from test_site_support import HOSTILE_ID, SEARCH_WORD, demo_site, make_site_farm  # noqa: F401


@pytest.fixture
def site_farm(tmp_path, monkeypatch):
    root = tmp_path / "demo"
    ids = make_site_farm(root)
    monkeypatch.chdir(root)
    return root, ids


def build(*args: str) -> dict:
    result = run_farm("site", "build", "--json", *args)
    assert result.code == 0, result.err
    return result.json()


def html(root: Path, page: str) -> str:
    return (root / "site" / page).read_text(encoding="utf-8")


def test_build_makes_every_page_offline(demo_site):
    root, ids, _, report = demo_site
    assert report["render"] == "full" and report["pages"] == len(ids) + 8  # home, corrections, spend, audit, inbox, tags, kinds, task types
    home = html(root, "index.html")
    counts = dict(re.findall(r'farm-count-n">(\d+)</span> <span>(\w+)', home)[i][::-1] for i in range(5))
    assert counts == {"leaking": "1", "improved": "1", "unproven": "3", "holding": "2", "retired": "1"}
    assert "90% interval" in home and "nothing is claimed for unproven, leaking or retired" in home
    takeaway = html(root, f"corrections/{ids['takeaway']}.html")
    assert "4 in " in takeaway and "sessions had the miss" in takeaway and "Cost avoided, 90% interval" in takeaway
    assert (root / "site" / "charts" / "cost.svg").read_text().startswith("<svg")
    for cid in ids.values():
        assert (root / "site" / "corrections" / f"{cid}.html").exists()
    audit = html(root, "audit.html")
    assert "leaking" in audit and ids["stale-lockfile"] in audit  # the demo's leak, from farm audit
    assert "Per completed loop" in html(root, "spend.html")  # from the committed session summaries
    assert "dependency upgrade" in html(root, "task-types.html") and "safe-tag" in html(root, "tags.html")
    index = json.loads((root / "site" / "search" / "search_index.json").read_text())
    assert any(SEARCH_WORD in doc["text"] for doc in index["docs"])
    assert (root / "site" / "search" / "search_index.js").exists()  # search from file:// too
    for page in (root / "site").rglob("*.html"):
        assert not fetches_remote(page.read_text(encoding="utf-8")), page
    assert not (root / "corrections" / "index.md").exists()  # nothing generated into the farm


def fetches_remote(text: str) -> list[str]:
    """What a page would load from another host (scripts, styles, fonts, images, frames)."""
    remote = r"""["']?(?:https?:)?//"""
    found = re.findall(rf"<(?:script|img|iframe|source|embed|audio|video)\b[^>]*\ssrc={remote}[^\s>]*", text)
    found += [tag for tag in re.findall(rf"<link\b[^>]*href={remote}[^>]*>", text) if "canonical" not in tag]
    return found + re.findall(r"url\((?:https?:)?//[^)]*\)", text)


def test_untrusted_text_renders_as_text(demo_site):
    root, *_ = demo_site
    pages = [f"corrections/{HOSTILE_ID}.html", "index.html", "corrections/index.html", "tags.html", "task-types.html",
             "kinds.html"]
    for page in pages:
        text = html(root, page)
        assert "window.__pwned" in text or page in ("kinds.html",)
        assert not re.search(r"<(script|img|iframe|svg|b)\b[^>]*(__pwned|onerror|onload|onmouseover)", text), page
        assert not re.search(r"""href=["']?\s*javascript:""", text, re.I), page
        assert "onclick=window" not in text.replace("{: onclick=window.__pwned=13 }", ""), page
    page = html(root, f"corrections/{HOSTILE_ID}.html")
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title and "script" in title
    assert "&lt;script&gt;window.__pwned=4&lt;/script&gt;" in page
    assert not fetches_remote(page)  # the remote image became a link: nothing fetched at view time
    assert "root:x:0:0" not in page  # an artifact path outside the repo is shown, never read


def test_rebuild_rewrites_only_what_changed(site_farm):
    root, ids = site_farm
    build()
    again = build()
    assert again["written"] == 0 and again["render"] == "none"
    path = root / "corrections" / f"{ids['crlf']}.md"
    path.write_text(path.read_text().replace("Keep each file's existing line endings", "Keep every file's line endings"))
    changed = build()
    assert changed["written"] == 1 and changed["render"] == "dirty"
    assert "Keep every file" in html(root, f"corrections/{ids['crlf']}.html")
    # The partial rebuild gives the same site as rendering every page.
    assert build("-d", str(root.parent / "full"))["render"] == "full"
    for page in (root / "site").rglob("*.html"):
        assert page.read_bytes() == (root.parent / "full" / page.relative_to(root / "site")).read_bytes(), page
    docs = [json.loads((folder / "search" / "search_index.json").read_text())["docs"] for folder in (root / "site", root.parent / "full")]
    assert sorted(map(json.dumps, docs[0])) == sorted(map(json.dumps, docs[1]))
    assert any("Keep every file" in doc["text"] for doc in docs[0]) and any(SEARCH_WORD in doc["text"] for doc in docs[0])
    (root / "corrections" / f"{ids['crlf']}.md").unlink()
    report = build()
    assert report["removed"] == 1 and report["render"] == "full"
    assert not (root / "site" / "corrections" / f"{ids['crlf']}.html").exists()


def test_site_dir_that_holds_other_files_is_refused(site_farm):
    root, _ = site_farm
    for target in (".", str(root / "corrections"), "corrections/site"):
        result = run_farm("site", "build", "-d", target)
        assert result.code == 2 and result.err.count("\n") == 1 and "farm:" in result.err
    assert any((root / "corrections").glob("*.md")) and not (root / "corrections" / "site").exists()
    other = root.parent / "elsewhere"
    assert run_farm("site", "build", "-d", str(other)).code == 0
    assert (other / "index.html").exists()


def test_plain_farm_without_sessions_or_mkdocs_yml(farm):
    cid = capture().json()["id"]
    (farm / "mkdocs.yml").unlink()
    assert run_farm("site", "build").code == 0
    assert "No sessions imported yet" in (farm / "site" / "spend.html").read_text()
    page = farm / "site" / "corrections" / f"{cid}.html"
    assert "Set <code>repo_url</code>" in page.read_text()
    (farm / "mkdocs.yml").write_text("site_name: mine\nrepo_url: https://example.org/me/repo\ntheme: material\n")
    assert run_farm("site", "build").code == 0
    assert f'href="https://example.org/me/repo/blob/HEAD/corrections/{cid}.md"' in page.read_text()
    (farm / "mkdocs.yml").write_text("site_name: mine\nrepo_url: javascript:alert(1)\n")
    result = run_farm("site", "build")
    assert result.code == 2 and result.err.startswith("farm: the site did not build: ") and result.err.count("\n") == 1


def test_spend_page_from_imported_sessions(farm, tmp_path):
    logs = tmp_path / "claude" / "projects" / "-p"
    logs.mkdir(parents=True)
    lines = [_claude_line("s1", f"2026-06-01T10:0{n}:00Z", f"m{n}", 1000 * (n + 1), 100, str(farm), 10_000 * 3 ** n)
             for n in range(4)]
    (logs / "s1.jsonl").write_text("".join(lines))
    assert run_farm("sessions", "import", "--claude-dir", str(tmp_path / "claude")).code == 0
    capture()
    assert run_farm("site", "build").code == 0
    spend = (farm / "site" / "spend.html").read_text()
    assert "sessions imported on this machine" in spend and "claude-sonnet-4-5" in spend
    assert "Context growth outliers" in spend and "By model" in spend and "2026-06-01" in spend


def _claude_line(sid, ts, mid, fresh, out, cwd, cached):
    return json.dumps({
        "type": "assistant", "sessionId": sid, "cwd": cwd, "gitBranch": "main", "timestamp": ts, "requestId": f"r{mid}",
        "message": {"id": mid, "model": "claude-sonnet-4-5-20250929", "content": [],
                    "usage": {"input_tokens": fresh, "output_tokens": out, "cache_read_input_tokens": cached}},
    }) + "\n"


def test_audit_page_renders_findings_as_text():
    from farm.site.pages import audit_page
    from farm.site.render import link

    page = audit_page([{"kind": "leaking", "title": "<script>x</script> recurred", "next_step": "make it a test",
                        "evidence": {"correction": "abc-123", "sessions": ["s1", "<b>s2</b>"]}}], link)
    assert "&lt;script&gt;x&lt;/script&gt; recurred" in page.body and "<script>" not in page.body
    assert 'href="corrections/abc-123.html"' in page.body and "&lt;b&gt;s2&lt;/b&gt;" in page.body
    assert "No audit findings yet" in audit_page(None, link).body


def test_prose_keeps_markdown_and_drops_markup():
    from farm.site.safe import code_fence, label, prose

    out = prose("**bold** <script>alert(1)</script> [ok](https://example.org) [bad](javascript:alert(1)) ![i](http://x/i.png)")
    assert "<strong>bold</strong>" in out and "&lt;script&gt;" in out and 'href="https://example.org"' in out
    assert "javascript:" not in out.split("[bad]")[0] and 'href="javascript' not in out and "<img" not in out
    assert label("<b>&amp;</b>") == "‹b›＆amp;‹/b›"
    assert code_fence("a ```` b") == "`````"


def test_charts_are_deterministic_svg_without_script():
    from farm.site.charts import cost_chart

    series = [("2026-01", 1.0, 0.0), ("2026-02", 4.0, 2.5)]
    first, second = cost_chart(series), cost_chart(series)
    assert first == second and first.startswith("<svg") and "<script" not in first


def test_serve_rebuilds_when_a_correction_changes(site_farm):
    from farm.project import open_farm
    from farm.site.build import serve_site

    root, ids = site_farm
    ready, builds, stop = threading.Event(), [], threading.Event()
    urls = []
    thread = threading.Thread(target=serve_site, args=(open_farm(root),), kwargs=dict(
        port=0, interval=0.2, on_build=builds.append, stop=stop,
        on_ready=lambda url: (urls.append(url), ready.set())), daemon=True)
    thread.start()
    try:
        assert ready.wait(60)
        assert urls[0].startswith("http://127.0.0.1:")
        page = f"{urls[0]}corrections/{ids['crlf']}.html"
        assert "Keep each file" in urllib.request.urlopen(page).read().decode()
        path = root / "corrections" / f"{ids['crlf']}.md"
        path.write_text(path.read_text().replace("Keep each file's existing line endings", "Keep line endings as found"))
        for _ in range(300):
            if len(builds) >= 2:
                break
            stop.wait(0.1)
        assert len(builds) >= 2
        assert "Keep line endings as found" in urllib.request.urlopen(page).read().decode()
    finally:
        stop.set()
        thread.join(10)
