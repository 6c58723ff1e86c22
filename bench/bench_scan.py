"""Speed of `farm scan`: 1 GB of Claude Code-shaped transcripts against 1,000 signatures
(issue 5: under 60 s).

    python bench/bench_scan.py [--mb 1024] [--corrections 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_capture import WORDS, sentence, temp_farm  # noqa: E402


def transcripts(folder: Path, megabytes: int, rng: random.Random, needles: list[str]) -> list[Path]:
    folder.mkdir(parents=True)
    paths, written, n = [], 0, 0
    filler = " ".join(rng.choice(WORDS) for _ in range(1500))
    while written < megabytes * 1_000_000:
        n += 1
        path = folder / f"{n:08x}-0000-4000-8000-000000000000.jsonl"
        lines = []
        for i in range(200):
            text = filler[rng.randrange(0, 2000):][: rng.randrange(2000, 8000)]
            if rng.random() < 0.002:
                text += " " + rng.choice(needles)
            lines.append(json.dumps({
                "type": "assistant", "sessionId": path.stem, "timestamp": "2027-01-01T00:00:00Z",
                "requestId": f"r{i}", "message": {"id": f"m{i}", "model": "claude-sonnet-4-5",
                                                  "content": [{"type": "text", "text": text}],
                                                  "usage": {"input_tokens": 5, "output_tokens": 9}},
            }))
        data = "\n".join(lines) + "\n"
        path.write_text(data)
        written += len(data)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--corrections", type=int, default=1_000)
    args = parser.parse_args()
    tmp, repo, env, farm_bin, git = temp_farm("farm-perf-scan-")
    rng = random.Random(9)
    os.environ.update(FARM_HOME=env["FARM_HOME"])
    from farm import model

    needles = []
    for n in range(args.corrections):
        needle = f"Error: zq{n:04d} {sentence(rng, 3)}"
        needles.append(needle)
        c = model.Correction(id=f"bench-{n:04d}", title=f"bench {n}", kind="prompt", created=model.now(),
                             what=needle, rule="r", signature=[needle, f"/zq{n:04d} \\w+ failed/"])
        (repo / "corrections" / f"{c.id}.md").write_text(model.dump_correction(c))
    git("add", "-A")
    git("commit", "-q", "-m", "corrections")
    t0 = time.perf_counter()
    paths = transcripts(tmp / "logs", args.mb, rng, needles)
    size = sum(p.stat().st_size for p in paths)
    print(f"generated {len(paths)} transcripts, {size / 1e6:,.0f} MB, in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    proc = subprocess.run([farm_bin, "scan", "--json", "--no-commit", *map(str, paths)], cwd=repo, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(proc.stderr)
    found = json.loads(proc.stdout)
    print(f"farm scan: {elapsed:.1f} s for {found['bytes'] / 1e6:,.0f} MB ({found['bytes'] / 1e6 / elapsed:,.0f} MB/s), "
          f"{len(found['recurrences'])} recurrences recorded, {args.corrections} corrections")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
