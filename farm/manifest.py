"""The manifest: the files and blocks farm manages in a repo, with the hash of what it last wrote.

`.farm/manifest.json` is committed next to the files it lists. farm may change a
listed file only while it still hashes to what farm last wrote there; any other
content is a person's edit and is left alone. Everything not listed (and every
byte outside farm's marked blocks) belongs to the people who work in the repo.

Hashes are git blob ids of the text with LF line endings, so a checkout that turns
LF into CRLF is not mistaken for an edit, and `git cat-file` can find what farm
wrote when `--merge` needs it. What git cannot be relied on to keep (the inner text
of a block, farm's side of a merged file) is kept under `.farm/base/<hash>`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from farm.errors import InvalidInput

MANIFEST = ".farm/manifest.json"
BASE_DIR = ".farm/base"
VERSION = 1
OWNERS = ("sync", "seed")
_COMMENT = "Written by farm sync/seed: the files and blocks farm manages here. Do not edit by hand."


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def text_hash(text: str) -> str:
    """The git blob id of `text` with LF line endings."""
    data = lf(text).encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id, not security


@dataclass(frozen=True)
class Entry:
    hash: str  # of the text farm last wrote (or accepted in a merge)
    owner: str  # "sync" (agent files) or "seed" (corrections and the files they need)
    correction: str | None = None
    block: bool = False  # farm owns only its marked block in this file
    base: str | None = None  # farm's own version, when the text is farm's merged with a person's edits

    @property
    def farm_version(self) -> str:
        return self.base or self.hash

    def as_json(self) -> dict:
        data = {"hash": self.hash, "owner": self.owner}
        if self.correction:
            data["correction"] = self.correction
        if self.block:
            data["block"] = True
        if self.base:
            data["base"] = self.base
        return data


@dataclass
class Manifest:
    entries: dict[str, Entry] = field(default_factory=dict)

    def copy(self) -> Manifest:
        return Manifest(dict(self.entries))

    def base_hashes(self) -> set[str]:
        """The hashes whose text must be kept under .farm/base/."""
        return {e.farm_version for e in self.entries.values() if e.block or e.base}

    def dump(self) -> str:
        # One entry per line, sorted: two branches that sync different files merge cleanly.
        lines = [f"  {json.dumps(path)}: {json.dumps(self.entries[path].as_json(), sort_keys=True)}"
                 for path in sorted(self.entries)]
        body = ",\n".join(lines)
        return (
            "{\n"
            f'"comment": {json.dumps(_COMMENT)},\n'
            f'"version": {VERSION},\n'
            '"entries": {\n' + body + ("\n" if body else "") + "}\n}\n"
        )


def load_manifest(root: Path) -> Manifest:
    from farm.errors import UnreadableFile
    from farm.fsutil import read_bytes_bounded

    path = root / MANIFEST
    if not path.exists() and not path.is_symlink():
        return Manifest()
    try:
        data = json.loads(read_bytes_bounded(path, 50_000_000, MANIFEST).decode("utf-8"))
    except UnreadableFile as exc:
        raise InvalidInput(f"{exc}; restore it from git or delete it") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{MANIFEST}: not valid JSON ({exc}); restore it from git or delete it") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        raise InvalidInput(f'{MANIFEST}: expected {{"entries": {{path: {{...}}}}}}; restore it from git or delete it')
    if data.get("version", VERSION) > VERSION:
        raise InvalidInput(f"{MANIFEST}: written by a newer farm (version {data['version']}); upgrade farm")
    return Manifest({path: _entry(path, raw) for path, raw in data["entries"].items()})


def _entry(path: str, raw: object) -> Entry:
    if not isinstance(raw, dict) or not isinstance(raw.get("hash"), str) or raw.get("owner") not in OWNERS:
        raise InvalidInput(f"{MANIFEST}: entry {path!r} needs a hash and an owner (sync or seed)")
    return Entry(
        hash=raw["hash"], owner=raw["owner"], correction=raw.get("correction") or None,
        block=bool(raw.get("block")), base=raw.get("base") or None,
    )


def with_hash(entry: Entry | None, text: str, *, owner: str, correction: str | None, block: bool,
              base: str | None = None) -> Entry:
    """The entry for `text` just written (or found already right) by farm."""
    new = Entry(hash=text_hash(text), owner=owner, correction=correction, block=block, base=base)
    return new if entry is None else replace(entry, **vars(new))


def base_path(digest: str) -> str:
    return f"{BASE_DIR}/{digest}"


def read_base(root: Path, digest: str) -> str | None:
    """The text farm wrote with hash `digest`: from .farm/base/, else from git's object store."""
    from farm import git

    kept = root / base_path(digest)
    if kept.is_file():
        return kept.read_text(encoding="utf-8")
    data = git.read_blob(root, digest)
    return data.decode("utf-8", errors="replace") if data is not None else None
