"""The `mirror` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from . import __version__
from .build import EXIT_FAILED, EXIT_OK, EXIT_USAGE, BuildOptions, BuildResult, build, build_date
from .diagnostics import to_json
from .fields import CHANGE_KINDS
from .new import new_paper
from .serve import ServeOptions, serve
from .validate import slug_problem
from .versions import freeze

EXIT_CODES = """exit status:
  0  published (or, for check: everything valid)
  1  build failed: nothing was written, the previous site is untouched
  2  usage or configuration error
  3  published, but some papers were held back (named above, with file:line:col)
  130  interrupted (Ctrl-C): no half-written site is left
"""
EXIT_INTERRUPTED = 130  #: the shell's convention for a process stopped by SIGINT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mirror", description="Publish an automated journal of AI interpretability.",
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"mirror {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."), help="the journal folder (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--strict", action="store_true", help="warnings and held-back papers fail the build")
        sub.add_argument("--format", choices=("text", "json"), default="text", help="how to print diagnostics")
        sub.add_argument("--jobs", type=int, default=0, help="render processes (default: one per core)")
        sub.add_argument("--base-url", default="", help="override base_url of mirror.toml")
        sub.add_argument("--out", type=Path, default=None, help="output directory (default: site/)")
        sub.add_argument("--executor", default="", metavar="tcp://HOST:PORT",
                         help="run the per-paper steps on this Dask scheduler instead of local processes "
                              "(needs `pip install 'mirror-site[dask]'`; see docs/performance.md)")
        sub.add_argument("--timings", action="store_true", help="print the time spent in each stage")

    build_cmd = commands.add_parser("build", help="validate, render and publish the journal",
                                    epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(build_cmd)
    check_cmd = commands.add_parser("check", help="everything build does, except writing",
                                    epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(check_cmd)
    check_cmd.add_argument("papers", nargs="*", help="slugs or paper folders to check (default: all)")
    new_cmd = commands.add_parser("new", help="start a paper: papers/SLUG/paper.md")
    new_cmd.add_argument("slug")
    freeze_cmd = commands.add_parser("freeze", help="start a new version: copy paper.md to versions/vN.md and record it")
    freeze_cmd.add_argument("slug")
    freeze_cmd.add_argument("--kind", required=True, choices=CHANGE_KINDS, help="what kind of change the new version makes")
    freeze_cmd.add_argument("--summary", required=True, help="one line saying what changes")
    serve_cmd = commands.add_parser("serve", help="live preview: build, serve on 127.0.0.1, rebuild and reload on change")
    serve_cmd.add_argument("--port", type=int, default=None, help="port (default: 8000, or the next free one)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_cmd.add_argument("--drafts", action="store_true", help="also show papers marked `draft: true`")
    serve_cmd.add_argument("--open", action="store_true", help="open the preview in a web browser")
    return parser


def _slug_of(argument: str) -> str:
    path = Path(argument)
    if path.name == "paper.md":
        path = path.parent
    return path.name


def _progress(stream: TextIO):  # type: ignore[no-untyped-def]
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total >= 50 and (done % 25 == 0 or done == total):
            stream.write(f"\rrendering {done}/{total} papers")
            stream.write("\n" if done == total else "")
            stream.flush()
    return show


def _report(result: BuildResult, args: argparse.Namespace, out: Path) -> None:
    if args.format == "json":
        print(to_json(result.diagnostics, exit_code=result.exit_code, published=list(result.published),
                      held_back=list(result.held_back), failure=result.failure))
        return
    color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    for diagnostic in result.diagnostics:
        print(diagnostic.format(color), file=sys.stderr)
    if result.held_back:
        print(f"held back {len(result.held_back)}: " + ", ".join(result.held_back), file=sys.stderr)
    if result.failure:
        print(f"error: {result.failure}", file=sys.stderr)
        if args.command == "build" and result.exit_code == EXIT_FAILED:
            print("nothing was written; the previous site is untouched", file=sys.stderr)
    elif args.command == "build":
        print(f"published {len(result.published)} papers ({result.files} files) to {out}", file=sys.stderr)
    else:
        print(f"checked: {len(result.published)} papers publishable", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root: Path = args.root.resolve()
    if args.command == "new":
        problem = new_paper(root, args.slug, build_date())
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_USAGE
        print(f"created papers/{args.slug}/paper.md", file=sys.stderr)
        return EXIT_OK
    if args.command == "freeze":
        folder = root / "papers" / args.slug
        problem = slug_problem(args.slug) or ("" if (folder / "paper.md").is_file() else f"no paper at {folder}")
        problem = problem or freeze(folder, args.kind, args.summary, build_date())
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_USAGE
        print(f"froze papers/{args.slug}: edit paper.md for the new version", file=sys.stderr)
        return EXIT_OK
    if args.command == "serve":
        return serve(ServeOptions(root, host=args.host, port=args.port, drafts=args.drafts, open_browser=args.open))
    if args.jobs < 0:
        print("error: --jobs must be 0 (all cores) or more", file=sys.stderr)
        return EXIT_USAGE
    out = (args.out or root / "site").resolve()
    only = frozenset(_slug_of(p) for p in args.papers) if args.command == "check" and args.papers else None
    try:
        result = build(BuildOptions(root=root, out=out, write=args.command == "build", strict=args.strict,
                                    jobs=args.jobs, base_url=args.base_url, only=only, executor=args.executor,
                                    progress=_progress(sys.stderr)))
    except KeyboardInterrupt:  # Ctrl-C: the write stage never leaves a half-written site
        print("\ninterrupted: the output folder holds a whole site; the next build removes any leftovers", file=sys.stderr)
        return EXIT_INTERRUPTED
    _report(result, args, out)
    if args.timings:
        for stage, seconds in result.timings:
            print(f"  {seconds:7.2f} s  {stage}", file=sys.stderr)
    return result.exit_code
