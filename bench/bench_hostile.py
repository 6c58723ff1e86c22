"""Time and memory of `farm sessions import` on hostile files beside a good transcript.

    python bench/bench_hostile.py [--gb 3] [--bomb-gib 4] [--keep DIR]

Makes a Claude Code projects folder holding one real-shaped transcript, a sparse file of NULs
with no newline (what a power loss can leave; `--gb`), a 128 KB zstd bomb named `.jsonl`
(`--bomb-gib` of "a", no newline) and a FIFO named `*.jsonl`, then runs one import and prints
its seconds, the peak RSS of the process (getrusage of children) and what it skipped. The good transcript must
still be imported: the figures say what the read limits in farm/sessions/lines.py cost.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SID = "aaaaaaaa-0000-4000-8000-00000000b001"


def good_line() -> str:
    return json.dumps({
        "type": "assistant", "sessionId": SID, "requestId": "req_1", "timestamp": "2026-05-01T10:00:00.000Z",
        "cwd": "/work/app", "message": {"id": "msg_1", "model": "claude-sonnet-4-5-20250929", "content": [],
                                        "usage": {"input_tokens": 7, "output_tokens": 3}}}) + "\n"


def make(folder: Path, gb: int, bomb_gib: int) -> None:
    import zstandard

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{SID}.jsonl").write_text(good_line())
    with open(folder / "cccccccc-0000-4000-8000-00000000b003.jsonl", "wb") as fh:
        fh.truncate(gb * 2**30)
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    block = b"a" * 2**26
    parts = [compressor.compress(block) for _ in range(bomb_gib * 16)] + [compressor.flush()]
    (folder / "dddddddd-0000-4000-8000-00000000b004.jsonl").write_bytes(b"".join(parts))
    os.mkfifo(folder / "eeeeeeee-0000-4000-8000-00000000b005.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=int, default=3, help="size of the NUL file")
    parser.add_argument("--bomb-gib", type=int, default=4, help="what the zstd bomb inflates to")
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="farm-hostile-"))
    projects = base / "claude" / "projects"
    if not projects.exists():
        make(projects / "-work-app", args.gb, args.bomb_gib)
    env = {**os.environ, "HOME": str(base), "FARM_HOME": str(base / "farm-home"), "CLAUDE_CONFIG_DIR": str(base)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "farm", "sessions", "import", "--json", "--claude-dir",
                             str(projects)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"import failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    report = json.loads(out)
    print(f"import: {seconds:.2f}s, peak {_children_peak_mb()} MB, exit {proc.returncode}")
    print(f"good transcript imported: input tokens {report['models']['claude-sonnet-4-5-20250929']['input_tokens']}")
    print(f"skipped lines: {report['skipped_lines']}")
    print(f"unreadable files: {report['unreadable_files']}")


def _children_peak_mb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024


if __name__ == "__main__":
    main()
