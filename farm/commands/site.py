from pathlib import Path

import click

from farm.output import echo_json, safe


@click.group(help="The corrections site: browse, search and see the tracker, offline (MkDocs).")
def site() -> None:
    pass


@site.command(help="""Build the static site (default: site/ in the repo).

The site works from file:// and from any static host, with no network: search runs in
the browser, charts are SVG made at build time. A rebuild rewrites only what changed.""")
@click.option("-d", "--site-dir", "site_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where to write the site (default: site/ at the repo root).")
@click.option("--json", "as_json", is_flag=True, help="Print what was built, as JSON.")
def build(site_dir: Path | None, as_json: bool) -> None:
    from farm.project import open_farm
    from farm.site.build import build_site

    report = build_site(open_farm(), site_dir)
    if as_json:
        echo_json(report.as_json())
        return
    _warn(report)
    click.echo(_summary(report))
    click.echo(f"Open {report.site_dir / 'index.html'}")


@site.command(help="Preview the site on http://127.0.0.1:PORT/ and rebuild it when a correction changes.")
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
def serve(port: int) -> None:
    from farm.project import open_farm
    from farm.site.build import serve_site

    def built(report) -> None:
        _warn(report)
        click.echo(_summary(report))

    serve_site(open_farm(), port=port, on_build=built,
               on_error=lambda exc: click.echo(f"farm: {safe(exc)}", err=True),
               on_ready=lambda url: click.echo(f"Serving {url} (Ctrl-C to stop); rebuilding when the farm changes."))


def _summary(report) -> str:
    seconds = sum(report.timings.values())
    what = {"full": "rendered every page", "dirty": "re-rendered the changed pages",
            "none": "nothing changed"}.get(report.render_mode, report.render_mode)
    return (f"Site: {report.pages} pages, {len(report.written)} file(s) regenerated, "
            f"{what}, in {seconds:.1f} s.")


def _warn(report) -> None:
    for warning in report.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
