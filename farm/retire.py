"""`farm retire`: a person closes a correction. Its file says `status: retired`, a retire
event records why, and a prompt rule leaves the managed block."""

from __future__ import annotations

from farm import model
from farm.artifacts import Context, Planned, plan
from farm.capture import clean_text, row_to_correction
from farm.errors import InvalidInput
from farm.fsutil import inside
from farm.project import Farm
from farm.writer import Written, commit_written, event_file, farm_lock, write_files


def retire(farm: Farm, correction_id: str, why: str, *, commit: bool = True) -> Written:
    why = clean_why(why)
    with farm_lock(farm):
        with farm.index() as (index, _):
            row = index.correction(correction_id)
            if row is None:  # a unique prefix, or the short id `farm list` shows
                from farm.ids import resolve

                correction_id = resolve(correction_id, [r.id for r in index.corrections()], hint="see `farm list`")
                row = index.correction(correction_id)
            if row.status == "retired":
                raise InvalidInput(f"{correction_id} is already retired")
            path = inside(farm.root, row.path)
            correction = model.load_correction(path)
            correction.status = "retired"
            planned = [Planned(row.path, retired_text(model.read_text(path, row.path), row.path, correction))]
            if correction.kind == "prompt":
                peers = [row_to_correction(r) for r in index.corrections()
                         if r.kind == "prompt" and r.status == "active" and r.id != correction_id]
                planned += [p for p in plan(Context(farm, correction, peers=peers)) if not p.whole_file]
        event = model.Event(type="retire", correction=correction_id, at=model.now(), text=why)
        planned.append(event_file(farm, event))
        written = write_files(farm, planned, required=(row.path,))
        return commit_written(farm, written, f"farm: retire {correction_id}", commit=commit)


def clean_why(why: str) -> str:
    """--why as farm keeps it: one line, valid UTF-8, no terminal controls, secrets redacted."""
    text = " ".join(clean_text("--why", why).split())
    if not text:
        raise InvalidInput("--why is empty: say why the correction is retired")
    return text


def retired_text(text: str, name: str, correction: model.Correction) -> str:
    """The correction file with only its `status:` line changed, so a person's comments, key
    order and wording in the file survive; written whole again only when that edit would not
    read back as exactly this correction, retired."""
    import re

    match = re.match(r"(---\r?\n)(.*?)(\r?\n---\r?\n)", text, re.S)
    if match:
        head = match.group(2)
        line = re.compile(r"^status:[^\S\r\n]*\S[^\r\n]*?(?P<comment>[^\S\r\n]+#[^\r\n]*)?$", re.M)
        if len(line.findall(head)) == 1:
            edited = line.sub(lambda m: "status: retired" + (m.group("comment") or ""), head)
            candidate = text[:match.start(2)] + edited + text[match.end(2):]
            try:
                if model.parse_correction(candidate, name) == correction:
                    return candidate
            except Exception:  # noqa: BLE001 - any doubt: write the file whole, as before
                pass
    return model.dump_correction(correction)
