"""The `verifier` command line: check notices, serve the API, and check or evaluate a registry."""

from __future__ import annotations

import argparse
import codecs
import errno
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from verifier.models import VerifyRequest
from verifier.registry.load import RegistryError


def _settings(**overrides: Any):  # type: ignore[no-untyped-def]
    from verifier.settings import Settings, unknown_env_settings

    unknown = unknown_env_settings(os.environ)
    if unknown:
        for name in unknown:
            print(f"verifier: unknown setting {name}; the README's Settings table lists them",
                  file=sys.stderr)
        raise SystemExit(2)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for err in exc.errors():
            name = "VERIFIER_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            print(f"verifier: bad setting {name}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def _load(path: Path):  # type: ignore[no-untyped-def]
    from verifier.registry.compiled import load_registry

    try:
        return load_registry(path)
    except RegistryError as exc:
        print(str(exc), file=sys.stderr)
        print("verifier: the registry is invalid; fix the lines above "
              "(`verifier registry check` lists every problem).", file=sys.stderr)
        raise SystemExit(1) from None


MAX_INPUT_BYTES = 4 * 1024 * 1024  # one notice from standard input, or one --jsonl line


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines, None for one longer than MAX_INPUT_BYTES (skipped, never held whole)."""
    number = 0
    while line := stream.readline(MAX_INPUT_BYTES + 1):
        number += 1
        if len(line) > MAX_INPUT_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(MAX_INPUT_BYTES)
            yield number, None
        else:
            yield number, line


class _Checker:
    """Runs notices through the same path as the service: offline, or with probes when
    VERIFIER_NETWORK_CHECKS=on (one event loop and one probe set for the whole run)."""

    def __init__(self, settings, reg):  # type: ignore[no-untyped-def]
        import asyncio

        self.reg = reg
        self.loop = asyncio.new_event_loop() if settings.network_checks == "on" else None
        self.probes = None
        if self.loop is not None:
            from verifier.analysis.urls import registered_domain
            from verifier.net.probes import Probes

            self.probes = Probes(settings, domain_of=registered_domain)
            self.loop.run_until_complete(self.probes.start())

    def __call__(self, req: VerifyRequest, lang: str):  # type: ignore[no-untyped-def]
        from verifier.engine import check_offline
        from verifier.service import verify

        if self.loop is None:
            return check_offline(req, self.reg, lang)
        return self.loop.run_until_complete(verify(req, self.reg, lang, self.probes))

    def close(self) -> None:
        if self.loop is not None and self.probes is not None:
            self.loop.run_until_complete(self.probes.close())
            self.loop.close()


def cmd_check(args: argparse.Namespace) -> int:
    """The arguments first, then the settings, then the registry: a mistyped argument is
    answered at once, not after the second or more the registry takes to load (and not as a
    registry or settings problem when both are wrong)."""
    from verifier.render import render_text

    given = _open_jsonl(args.jsonl) if args.jsonl else _request_from_args(args)
    if isinstance(given, int):
        return given
    settings = _settings(registry=args.registry)
    reg = _load(settings.registry)
    checker = _Checker(settings, reg)
    lang = args.lang or "zh-Hans"
    try:
        if isinstance(given, VerifyRequest):
            resp = checker(given, lang)
            print(resp.model_dump_json() if args.json else render_text(resp))
            return 0
        with given:
            return _check_jsonl(given, checker, lang)
    finally:
        checker.close()


def _argv_not_utf8(args: argparse.Namespace) -> str | None:
    """The first notice argument that is not UTF-8, said plainly. Python keeps such bytes as lone
    surrogates, which the request model refused as "unable to parse raw data as a unicode
    string": true, but not a hint that the terminal or script sent GBK."""
    given = [("TEXT", args.text), ("--sender", args.sender), ("--institution", args.institution),
             *(("--link", link) for link in args.link or ())]
    for name, value in given:
        if value is None:
            continue
        try:
            value.encode("utf-8", "surrogateescape").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError) as exc:
            return (f"verifier check: {name} is not UTF-8 (byte {exc.start}); give it in UTF-8, "
                    "or convert a file first: iconv -f GBK -t UTF-8 notice.txt | verifier check -")
    return None


# The request field each `check` argument fills: an error names the argument the person typed.
_ARGUMENT_OF_FIELD = {"text": "TEXT", "sender": "--sender", "links": "--link",
                      "institution": "--institution"}


def _request_from_args(args: argparse.Namespace) -> VerifyRequest | int:
    """The notice the arguments give, or the exit status after saying which argument is wrong."""
    not_utf8 = _argv_not_utf8(args)
    if not_utf8:
        print(not_utf8, file=sys.stderr)
        return 2
    text = args.text
    if text == "-":
        if sys.stdin is None:
            print("verifier check: standard input is closed; give the notice as TEXT", file=sys.stderr)
            return 2
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES)
        try:  # strict, as the endpoint: a GBK or UTF-16 scam read with replacement characters
            # looked like no notice at all ("unverified"); a character cut at the limit is dropped
            utf8 = codecs.getincrementaldecoder("utf-8")()
            text = utf8.decode(data, final=len(data) < MAX_INPUT_BYTES)
        except UnicodeDecodeError as exc:
            print(f"verifier check: standard input is not UTF-8 (byte {exc.start}); convert it "
                  "first, e.g. iconv -f GBK -t UTF-8 notice.txt | verifier check -", file=sys.stderr)
            return 2
    try:
        req = VerifyRequest.model_validate({"text": text, "sender": args.sender,
                                            "links": args.link or None,
                                            "institution": args.institution, "lang": args.lang})
    except ValidationError as exc:
        for err in exc.errors():  # argument and reason only: never echo the notice back
            loc = [str(x) for x in err["loc"]]
            where = _ARGUMENT_OF_FIELD.get(loc[0], loc[0]) if loc else "request"
            if where == "TEXT" and args.text == "-":
                where = "standard input"
            elif where == "--link" and len(loc) > 1 and loc[1].isdigit():
                where = f"--link (number {int(loc[1]) + 1})"
            print(f"verifier check: {where}: {err['msg']}", file=sys.stderr)
        return 2
    if req.is_empty():
        print("verifier check: give at least one of TEXT (or - for standard input), --sender, "
              "--link, --institution", file=sys.stderr)
        return 2
    return req


def _open_jsonl(name: str) -> BinaryIO | int:
    """The --jsonl input opened for reading, or the exit status after saying why it cannot be."""
    try:
        if name != "-":
            return open(name, "rb")  # noqa: SIM115 - the caller closes it
        if sys.stdin is None:
            raise OSError(errno.EBADF, "standard input is closed")
        return open(sys.stdin.fileno(), "rb", closefd=False)
    except OSError as exc:
        print(f"verifier check: cannot read {name}: {exc.strerror}", file=sys.stderr)
        return 2


def _check_jsonl(stream: BinaryIO, check: _Checker, lang: str) -> int:
    """One response or error object per input line, in order (a blank line gets an error object
    too): a line is read exactly as the endpoint reads a body (strict UTF-8 JSON, no NUL,
    surrogates, duplicate keys or deep nesting)."""
    from verifier.web.body import parse_json_object, parse_notice
    from verifier.web.problems import ProblemError, problem_body

    for number, line in _lines(stream):
        if line is not None and not line.strip() and not line.endswith(b"\n"):
            continue  # spaces after the last newline: not a line of their own
        try:
            if line is None:
                raise ProblemError(413, f"The line is longer than {MAX_INPUT_BYTES} bytes.",
                                   errors=[(("line",), "too long")])
            if not line.strip():  # answered, so output line N stays input line N's answer
                raise ProblemError(400, "The line is blank; give one JSON request object a "
                                        "line.", errors=[(("line",), "blank")])
            req = parse_notice(parse_json_object(line), ())
            out = check(req, req.lang or lang).model_dump_json()
        except ProblemError as exc:
            exc.detail = f"line {number}: {exc.detail}"
            out = json.dumps({"error": problem_body(exc.problem(None))}, ensure_ascii=False)
        except Exception as exc:  # noqa: BLE001 - one failing line must not lose the rest
            error = ProblemError(500, f"line {number}: the check failed ({type(exc).__name__}).")
            out = json.dumps({"error": problem_body(error.problem(None))}, ensure_ascii=False)
        sys.stdout.write(out.translate(_LINE_BREAKS_ESCAPED) + "\n")
    return 0


# JSON leaves these raw, but str.splitlines() and other readers end a line at them: escaped, an
# answer quoting a hostile field stays on its one line (and parses to the same value).
_LINE_BREAKS_ESCAPED = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def cmd_serve(args: argparse.Namespace) -> int:
    from verifier.web.server import ignore_sighup, serve

    ignore_sighup()  # a reload signal while starting must not end the process
    settings = _settings(registry=args.registry, host=args.host, port=args.port, workers=args.workers)
    _load(settings.registry)  # fail fast, with file:line, before binding a port
    serve(settings)
    return 0


def cmd_registry_check(args: argparse.Namespace) -> int:
    from verifier.registry.lint import lint_report
    from verifier.settings import bundled_registry_path

    report = lint_report(Path(args.path) if args.path is not None else bundled_registry_path())
    for p in report.errors:
        print(p)
    for p in report.notes:  # notes never fail the check (see verifier/registry/lint.py)
        print(f"{p.path}:{p.line}:{p.col}: note: {p.message}")
    notes = f", {len(report.notes)} note(s)" if report.notes else ""
    if report.errors:
        print(f"{len(report.errors)} problem(s){notes}", file=sys.stderr)
        return 1
    print(f"registry OK{notes}", file=sys.stderr)
    return 0


def cmd_registry_eval(args: argparse.Namespace) -> int:
    from verifier.registry.evaluate import read_corpus, run_eval

    cases = read_corpus(Path(args.corpus))  # a missing or bad corpus is told before the registry loads
    settings = _settings(registry=args.registry)
    reg = _load(settings.registry)
    return run_eval(cases, reg, args.min_recall, args.max_false_positive_rate, args.json)


def cmd_registry_schema(args: argparse.Namespace) -> int:
    from verifier.registry.schema import json_schema_text

    sys.stdout.write(json_schema_text())
    return 0


def fraction(value: str) -> float:
    """A gate's threshold: a share from 0 to 1. NaN is refused: no result is below or above it,
    so `--min-recall nan` passed whatever the corpus said. So is a percentage: with
    `--max-false-positive-rate 3` (meant as 3 %) no corpus could fail the gate."""
    number = float(value)
    if math.isnan(number):
        raise argparse.ArgumentTypeError("NaN is not a threshold; give a number like 0.95")
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(
            f"{value} is not a share from 0 to 1; write 0.95 for 95 %, 0.03 for 3 %")
    return number


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="verifier", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check one notice (or many with --jsonl)")
    c.add_argument("text", nargs="?", help="the notice text, or - to read standard input")
    c.add_argument("--sender", help="the number or name the notice came from, as shown")
    c.add_argument("--link", action="append", help="a link given separately (repeatable)")
    c.add_argument("--institution", help="the body the notice claims to come from, if given apart")
    c.add_argument("--lang", choices=["zh-Hans", "zh-Hant", "en"],
                   help="language of the answer (default: zh-Hans)")
    c.add_argument("--json", action="store_true", help="print the endpoint's JSON response")
    c.add_argument("--jsonl", metavar="FILE",
                   help="one request per line in, one answer per line out (line N answers line N)")
    c.add_argument("--registry", type=Path, help="registry file (default: VERIFIER_REGISTRY or the bundled one)")
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", help="run the HTTP service")
    s.add_argument("--host", help="address to listen on (default: VERIFIER_HOST)")
    s.add_argument("--port", type=int, help="port (default: VERIFIER_PORT)")
    s.add_argument("--workers", type=int, help="worker processes (default: VERIFIER_WORKERS)")
    s.add_argument("--registry", type=Path, help="registry file, watched and reloaded when it changes")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("registry", help="maintain the registry")
    rsub = r.add_subparsers(dest="registry_command", required=True)
    rc = rsub.add_parser("check", help="lint a registry file")
    rc.add_argument("path", nargs="?", help="registry file (default: the bundled one)")
    rc.set_defaults(func=cmd_registry_check)
    re_ = rsub.add_parser("eval", help="run a labelled corpus and report the confusion table")
    re_.add_argument("corpus", help="JSONL: one labelled case per line ({label, request}, optional expect_codes, forbid_codes, expect_verdict)")
    re_.add_argument("--registry", type=Path, help="registry file (default: VERIFIER_REGISTRY or the bundled one)")
    re_.add_argument("--min-recall", type=fraction, default=None,
                     help="exit 1 when scam recall falls below this share (0.95)")
    re_.add_argument("--max-false-positive-rate", type=fraction, default=None,
                     help="exit 1 when more than this share of genuine and ordinary are flagged (0.03)")
    re_.add_argument("--json", action="store_true", help="print the report as JSON")
    re_.set_defaults(func=cmd_registry_eval)
    rs = rsub.add_parser("schema", help="print the registry's JSON Schema (for editors)")
    rs.set_defaults(func=cmd_registry_schema)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if (args.command == "check" and not args.jsonl and args.text is None
            and not (args.sender or args.link or args.institution)):
        # TEXT is optional (SPEC: `check [TEXT | -]`): a number that called, or a link alone, is checked
        build_parser().error("check needs TEXT, - for standard input, --sender, --link, "
                             "--institution, or --jsonl FILE")
    if args.command == "check" and args.jsonl and (args.text is not None or args.sender or args.link
                                                   or args.institution):
        build_parser().error("--jsonl reads every notice from its lines; give TEXT, --sender, "
                             "--link and --institution only without it")
    if sys.stdout is None and args.command != "serve":
        # File descriptor 1 closed (`verifier check … >&-`): Python sets sys.stdout to None, so
        # every answer vanished and the command said it succeeded (`--jsonl` died in a traceback).
        print("verifier: standard output is closed, so the answer cannot be written; redirect it "
              "to a file (or to /dev/null to keep only the exit status)", file=sys.stderr)
        raise SystemExit(1)
    try:
        status = args.func(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, so a full disk is reported below and not at exit
    except BrokenPipeError:
        raise SystemExit(0) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except OSError as exc:
        if exc.filename is not None:  # a file the command opens (a path in a setting)
            print(f"verifier: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        else:  # writing to an open stream: the output (disk full, stdout closed)
            _drop_stdout()
            print(f"verifier: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(1) from None
    raise SystemExit(status)


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit has nothing to fail on."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
