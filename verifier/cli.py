"""The `verifier` command line: check notices, serve the API, and check or evaluate a registry."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from verifier.models import VerifyRequest
from verifier.registry.load import RegistryError


def _settings(**overrides: Any):  # type: ignore[no-untyped-def]
    from verifier.settings import Settings

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


def _error_object(line: int, errors: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return {"error": {"type": "about:blank", "title": title, "status": 422 if errors else 400,
                      "detail": f"line {line}", "errors": errors}}


def _request_from_obj(obj: Any) -> VerifyRequest:
    req = VerifyRequest.model_validate(obj)
    if req.is_empty():
        raise ValueError("give at least one of text, sender, links, institution")
    return req


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
    from verifier.render import render_text

    settings = _settings(registry=args.registry)
    reg = _load(settings.registry)
    checker = _Checker(settings, reg)
    try:
        return _check(args, checker, render_text)
    finally:
        checker.close()


def _check(args: argparse.Namespace, check: _Checker, render_text) -> int:  # type: ignore[no-untyped-def]
    lang = args.lang or "zh-Hans"
    if args.jsonl:
        try:
            stream = (open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
                      if args.jsonl == "-" else open(args.jsonl, encoding="utf-8", errors="replace"))
        except OSError as exc:
            print(f"verifier check: cannot read {args.jsonl}: {exc.strerror}", file=sys.stderr)
            return 2
        out = sys.stdout
        with stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    req = _request_from_obj(obj)
                    resp = check(req, req.lang or lang)
                    out.write(resp.model_dump_json() + "\n")
                except json.JSONDecodeError as exc:
                    out.write(json.dumps(_error_object(number, [], f"malformed JSON: {exc.msg}"), ensure_ascii=False) + "\n")
                except ValidationError as exc:
                    errs = [{"loc": [str(x) for x in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
                    out.write(json.dumps(_error_object(number, errs, "invalid request"), ensure_ascii=False) + "\n")
                except ValueError as exc:
                    errs = [{"loc": ["text"], "msg": str(exc)}]
                    out.write(json.dumps(_error_object(number, errs, "invalid request"), ensure_ascii=False) + "\n")
        return 0
    text = args.text
    if text == "-":
        text = sys.stdin.buffer.read(4 * 1024 * 1024).decode("utf-8", errors="replace")
    try:
        req = _request_from_obj({"text": text, "sender": args.sender, "links": args.link or None,
                                 "institution": args.institution, "lang": lang})
    except ValidationError as exc:
        for err in exc.errors():  # field and reason only: never echo the notice back into logs
            where = ".".join(str(x) for x in err["loc"]) or "request"
            print(f"verifier check: {where}: {err['msg']}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"verifier check: {exc}", file=sys.stderr)
        return 2
    resp = check(req, lang)
    if args.json:
        print(resp.model_dump_json())
    else:
        print(render_text(resp))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from verifier.web.server import serve

    settings = _settings(registry=args.registry, host=args.host, port=args.port, workers=args.workers)
    _load(settings.registry)  # fail fast, with file:line, before binding a port
    serve(settings)
    return 0


def cmd_registry_check(args: argparse.Namespace) -> int:
    from verifier.registry.lint import lint_report
    from verifier.settings import bundled_registry_path

    report = lint_report(Path(args.path) if args.path else bundled_registry_path())
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
    from verifier.registry.evaluate import run_eval

    settings = _settings(registry=args.registry)
    reg = _load(settings.registry)
    return run_eval(Path(args.corpus), reg, args.min_recall, args.max_false_positive_rate, args.json)


def cmd_registry_schema(args: argparse.Namespace) -> int:
    from verifier.registry.schema import json_schema_text

    sys.stdout.write(json_schema_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="verifier", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check one notice (or many with --jsonl)")
    c.add_argument("text", nargs="?", help="the notice text, or - to read standard input")
    c.add_argument("--sender")
    c.add_argument("--link", action="append", help="a link given separately (repeatable)")
    c.add_argument("--institution")
    c.add_argument("--lang", choices=["zh-Hans", "zh-Hant", "en"])
    c.add_argument("--json", action="store_true", help="print the endpoint's JSON response")
    c.add_argument("--jsonl", metavar="FILE", help="one request per line in, one response per line out")
    c.add_argument("--registry", type=Path)
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", help="run the HTTP service")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int)
    s.add_argument("--registry", type=Path)
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("registry", help="maintain the registry")
    rsub = r.add_subparsers(dest="registry_command", required=True)
    rc = rsub.add_parser("check", help="lint a registry file")
    rc.add_argument("path", nargs="?")
    rc.set_defaults(func=cmd_registry_check)
    re_ = rsub.add_parser("eval", help="run a labelled corpus and report the confusion table")
    re_.add_argument("corpus")
    re_.add_argument("--registry", type=Path)
    re_.add_argument("--min-recall", type=float, default=None)
    re_.add_argument("--max-false-positive-rate", type=float, default=None)
    re_.add_argument("--json", action="store_true")
    re_.set_defaults(func=cmd_registry_eval)
    rs = rsub.add_parser("schema", help="print the registry's JSON Schema (for editors)")
    rs.set_defaults(func=cmd_registry_schema)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "check" and not args.jsonl and args.text is None:
        build_parser().error("check needs TEXT, - for standard input, or --jsonl FILE")
    try:
        raise SystemExit(args.func(args))
    except BrokenPipeError:
        raise SystemExit(0) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
