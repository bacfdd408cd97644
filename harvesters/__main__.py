"""Command line: read a portal and print its datasets as JSON lines.

Examples::

    python -m harvesters kinds
    python -m harvesters fetch --kind ckan https://data.bodik.jp \\
        --fq 'name:014257_*' --municipality 014257 --since 2024-04-01T00:00:00+09:00
    python -m harvesters fetch --kind ckan https://data.example --ids
    python -m harvesters fetch --kind shirasagi https://www.harp.lg.jp/opendata/
    python -m harvesters probe https://www.city.hakodate.hokkaido.jp/docs/opendata.html

Records go to standard output, one JSON object per line (the record's fields
plus ``content_hash``); progress, record-level problems (``warning:`` /
``error:`` lines naming the dataset or the catalog line) and errors go to
standard error. Exit codes: 0 success, 1 harvest error (the message names the
URL), 2 bad usage or configuration.

``probe`` prints the kind of portal, the number of datasets and the source
to register as a JSON object (``{"url", "kind", "config"}``); it exits 0 when
the kind is recognised and 1 when the URL is unknown or unreachable.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from harvesters import ADAPTERS
from harvesters.errors import ConfigError, HarvestError
from harvesters.guard import ADDRESS_CATEGORIES
from harvesters.client import HttpClient
from harvesters.municipalities import is_valid_municipality_code

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_HARVEST_ERROR = 1
EXIT_USAGE = 2

PROG = "python -m harvesters"


def _since(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or time: {value!r} (e.g. 2024-04-01T00:00:00+09:00)"
        ) from None


def _config(value: str) -> dict[str, Any]:
    try:
        config = json.loads(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return config


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {value!r}")
    return number


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, not {value!r}")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, not {value!r}")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog=PROG, description="Read open-data portals without CKAN.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("kinds", help="list the source kinds that can be fetched")

    fetch = commands.add_parser(
        "fetch",
        help="print a portal's datasets as JSON lines",
        description="Print a portal's datasets as JSON lines on standard output.",
    )
    fetch.add_argument("url", metavar="URL", help="base URL of the portal")
    fetch.add_argument("--kind", required=True, choices=sorted(ADAPTERS), help="kind of portal")
    fetch.add_argument("--fq", help="filter query restricting the listing (ckan), e.g. 'name:014257_*'")
    fetch.add_argument("--since", type=_since, metavar="ISO",
                       help="only datasets modified since this time (UTC unless an offset is given)")
    fetch.add_argument("--municipality", metavar="CODE", help="6-digit municipality code to attribute records to")
    fetch.add_argument("--config", type=_config, default={}, metavar="JSON",
                       help="adapter configuration as a JSON object (--fq and --municipality override it)")
    fetch.add_argument("--ids", action="store_true",
                       help="print only the identifiers of a full listing, as {\"identifier\": ...} lines")

    _add_http_arguments(fetch)

    verbosity = fetch.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="debug output on standard error")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only on standard error")

    probe = commands.add_parser(
        "probe",
        help="tell which kind of portal a URL is and print the source config to register",
        description="Tell which kind of portal a URL is (ckan, shirasagi, dcat, catalog_csv, webpage or "
                    "unknown), how many datasets it has, and print the harvest source to register as JSON.",
    )
    probe.add_argument("url", metavar="URL", help="any URL of the portal: its top page, API, feed or catalog file")
    probe.add_argument("--municipality", type=_code, metavar="CODE",
                       help="6-digit municipality code to put in the source config")
    probe.add_argument("--json", action="store_true", help="print only the result as one JSON object")
    _add_http_arguments(probe, retries=1)
    probe.add_argument("-v", "--verbose", action="store_true", help="debug output on standard error")
    return parser


def _code(value: str) -> str:
    if not is_valid_municipality_code(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a valid 6-digit municipality code (check digit included)")
    return value


def _add_http_arguments(command: argparse.ArgumentParser, *, retries: int = 3) -> None:
    http = command.add_argument_group("HTTP")
    http.add_argument("--allow-loopback", action="store_true",
                      help="allow loopback addresses (local testing); other private addresses stay blocked")
    http.add_argument("--allow", action="append", default=[], choices=ADDRESS_CATEGORIES, metavar="CATEGORY",
                      help=f"allow a non-public address category; one of {', '.join(ADDRESS_CATEGORIES)}")
    http.add_argument("--portal-url", help="URL of the harvesting portal, named in the User-Agent")
    http.add_argument("--user-agent", help="replace the whole User-Agent")
    http.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="read timeout (default 30)")
    http.add_argument("--retries", type=_non_negative_int, default=retries, metavar="N",
                      help=f"retries on 429/5xx and network errors (default {retries})")
    http.add_argument("--min-delay", type=_seconds, default=1.0, metavar="SECONDS",
                      help="seconds between requests to one host (default 1)")
    http.add_argument("--max-bytes", type=_positive_int, default=100 * 1024 * 1024, metavar="N",
                      help="largest response body accepted (default 100 MB)")


def _setup_logging(verbose: bool, quiet: bool, stream: TextIO) -> None:
    logger = logging.getLogger("harvesters")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("harvesters: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _client(args: argparse.Namespace) -> HttpClient:
    allow = set(args.allow) | ({"loopback"} if args.allow_loopback else set())
    return HttpClient(
        user_agent=args.user_agent,
        portal_url=args.portal_url,
        read_timeout=args.timeout,
        max_retries=args.retries,
        min_delay=args.min_delay,
        max_bytes=args.max_bytes,
        allow=allow,
    )


def _fetch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = dict(args.config)
    if args.fq is not None:
        config["fq"] = args.fq
    if args.municipality is not None:
        config["municipality_code"] = args.municipality
    count = 0
    with _client(args) as client:
        adapter = ADAPTERS[args.kind](args.url, config, client)
        if args.ids:
            for identifier in adapter.list_identifiers():
                out.write(json.dumps({"identifier": identifier}, ensure_ascii=False) + "\n")
                count += 1
        else:
            for record in adapter.records(since=args.since):
                line = {"content_hash": record.content_hash(), **record.to_dict()}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    out.flush()
    for problem in adapter.problems:
        print(f"harvesters: {problem}", file=err)
    summary = f"harvesters: {count} {'identifiers' if args.ids else 'records'} from {args.url}"
    if adapter.problems:
        errors = sum(1 for p in adapter.problems if p.level == "error")
        summary += f" ({errors} errors, {len(adapter.problems) - errors} warnings)"
    print(summary, file=err)
    return EXIT_OK


def _probe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from harvesters.probe import KIND_LABELS, probe

    with _client(args) as client:
        result = probe(args.url, client, municipality_code=args.municipality)
    if args.json:
        out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    elif result.recognized:
        out.write(f"{args.url}: {result.kind} ({KIND_LABELS[result.kind]}), {result.datasets} datasets\n")
        out.write(f"detail: {result.detail}\n")
        out.write("source config to register:\n")
        out.write(json.dumps(result.source(), ensure_ascii=False, indent=2) + "\n")
    if not result.recognized:
        print(f"harvesters: {args.url}: unknown kind of portal ({result.detail})", file=err)
        return EXIT_HARVEST_ERROR
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 for --help
        return int(exc.code or 0)

    if args.command == "kinds":
        for kind, adapter in sorted(ADAPTERS.items()):
            summary = (adapter.__doc__ or "").strip().splitlines()[0] if adapter.__doc__ else ""
            out.write(f"{kind}\t{summary}\n")
        return EXIT_OK

    _setup_logging(args.verbose, getattr(args, "quiet", False), err)
    try:
        if args.command == "probe":
            return _probe(args, out, err)
        return _fetch(args, out, err)
    except ConfigError as exc:
        print(f"harvesters: configuration error: {exc}", file=err)
        return EXIT_USAGE
    except HarvestError as exc:
        print(f"harvesters: error: {exc}", file=err)
        return EXIT_HARVEST_ERROR
    except KeyboardInterrupt:
        print("harvesters: interrupted", file=err)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # JSON lines are UTF-8 whatever the locale
    sys.exit(main())
