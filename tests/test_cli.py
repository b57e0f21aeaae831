"""The command line, run as a real subprocess: check, --json, --jsonl, registry check/eval."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus" / "notices.jsonl"
SCAM = "【网络仲裁委员会】您的案件已立案，请于24小时内联系专员13800138000处理，否则将通知您的家人。"


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], input=stdin, capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_check_human(tmp_path):
    r = run("check", SCAM, "--sender", "17012345678", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert "likely_scam" in first
    assert "BODY_KNOWN_FAKE" in r.stdout and "96110" in r.stdout


def test_check_json_matches_endpoint_shape():
    r = run("check", SCAM, "--json", "--lang", "en")
    body = json.loads(r.stdout)
    assert set(body) >= {"verdict", "risk", "reasons", "institution", "extracted", "advice", "registry", "request_id"}
    assert body["lang"] == "en" and body["verdict"] == "likely_scam"


def test_check_stdin_and_traditional():
    r = run("check", "-", "--lang", "zh-Hant", stdin="【網絡仲裁委員會】請轉告其家人")
    assert r.returncode == 0 and "網絡仲裁委員會" in r.stdout


def test_check_needs_input():
    r = run("check", "   ")
    assert r.returncode == 2 and "at least one" in r.stderr
    r = run("check")
    assert r.returncode == 2 and "--sender" in r.stderr and "Traceback" not in r.stderr


def test_check_without_text():
    """TEXT is optional (`check [TEXT | -]`): the number that called, or a link, checked alone."""
    r = run("check", "--sender", "17012345678", "--json")
    assert r.returncode == 0, r.stderr
    assert "SENDER_VIRTUAL_OPERATOR" in {x["code"] for x in json.loads(r.stdout)["reasons"]}
    r = run("check", "--link", "http://bjac.org.cn.pay-case.cc", "--lang", "en")
    assert r.returncode == 0 and "LINK_EMBEDDED_OFFICIAL" in r.stdout, r.stderr


def test_jsonl_bad_lines_get_error_objects():
    lines = [json.dumps({"text": SCAM}), "{not json", json.dumps({"text": 5}), json.dumps({}),
             json.dumps({"sender": "95588"}), json.dumps({"text": "x", "bogus": 1})]
    r = run("check", "--jsonl", "-", stdin="\n".join(lines) + "\n")
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.returncode == 0 and r.stderr == ""
    assert len(out) == 6
    assert out[0]["verdict"] == "likely_scam"
    assert out[1]["error"]["status"] == 400
    assert out[2]["error"]["errors"][0]["loc"] == ["text"]
    assert "error" in out[3] and "error" in out[5] and out[4]["verdict"] == "unverified"


def test_jsonl_blank_lines_keep_output_line_n_for_input_line_n(tmp_path):
    # Blank lines were skipped, so every later answer sat on the wrong line.
    notice = json.dumps({"text": SCAM}).encode()
    lines = [b"", notice, b"   ", b"{not json", b"\t\r", notice, b"", b""]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for source, stdin in ((str(path), None), ("-", path.read_bytes())):
        r = subprocess.run([sys.executable, "-m", "verifier", "check", "--jsonl", source], input=stdin,
                           capture_output=True, timeout=120)
        assert r.returncode == 0 and r.stderr == b"", r.stderr[-2000:]
        out = [json.loads(x) for x in r.stdout.decode().split("\n")[:-1]]
        assert len(out) == len(lines)  # the file's last newline ends line 8; it starts no line 9
        assert out[1]["verdict"] == out[5]["verdict"] == "likely_scam"
        malformed = out[3]["error"]  # the shape every per-line error has
        for number, (line, answer) in enumerate(zip(lines, out), 1):
            if line.strip():
                continue
            error = answer["error"]
            assert set(error) == set(malformed) and error["status"] == malformed["status"] == 400
            assert error["detail"].startswith(f"line {number}: ") and "blank" in error["detail"]
            assert error["errors"] == [{"loc": ["line"], "msg": "blank"}]
    # Without a final newline, or with only spaces after it, the last line is the last answer.
    for tail in (b"", b"  ", b" \t"):
        r = subprocess.run([sys.executable, "-m", "verifier", "check", "--jsonl", "-"],
                           input=b"\n" + notice + b"\n" + tail, capture_output=True, timeout=120)
        out = [json.loads(x) for x in r.stdout.decode().splitlines()]
        assert [("error" in o) for o in out] == [True, False], tail


def test_jsonl_answers_quoting_unicode_line_breaks_stay_one_line_each():
    # JSON may carry U+0085, U+2028 and U+2029 raw; str.splitlines() splits there, so an answer
    # echoing a hostile field took three lines and every later answer sat on the wrong one.
    hostile = [{"institution": "北京\u2028仲裁委员会"}, {"links": ["http://ab\u2029c.com"]},
               {"sender": "1069\x851234"}, {"text": "仲裁\u2028委员会 案号（2026）京仲案字第\u20291号"},
               {"text": SCAM}]
    r = run("check", "--jsonl", "-", stdin="\n".join(json.dumps(h) for h in hostile) + "\n")
    assert r.returncode == 0 and r.stderr == ""
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == len(hostile) and all("verdict" in o for o in out)
    assert out[0]["extracted"]["institutions"][0]["name"] == "北京\u2028仲裁委员会"
    assert out[-1]["verdict"] == "likely_scam"


def test_jsonl_ten_thousand_notices(tmp_path):
    src = [json.loads(x)["request"] for x in CORPUS.read_text("utf-8").splitlines() if x.strip()]
    path = tmp_path / "in.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(10_000):
            f.write(json.dumps(src[i % len(src)], ensure_ascii=False) + "\n")
    r = run("check", "--jsonl", str(path))
    assert r.returncode == 0 and r.stderr == ""
    out = r.stdout.splitlines()
    assert len(out) == 10_000 and all('"verdict"' in x for x in out)


def test_registry_check_and_eval(tmp_path):
    r = run("registry", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("registry", "eval", str(CORPUS), "--min-recall", "0.95", "--max-false-positive-rate", "0.03")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "recall" in r.stdout
    missed = tmp_path / "missed.jsonl"  # a "scam" nothing flags: recall 0, so the gate fails
    missed.write_text('{"id": "m", "label": "scam", "request": {"text": "明天下午三点开会"}}\n',
                      encoding="utf-8")
    r = run("registry", "eval", str(missed), "--min-recall", "0.5")
    assert r.returncode == 1 and "FAIL: recall 0.000 < 0.5" in r.stderr, r.stderr


def test_registry_eval_refuses_a_threshold_outside_zero_to_one():
    # `--max-false-positive-rate 3` (3 % meant) and `--min-recall -1` passed whatever the corpus
    # said; `--min-recall 95` failed whatever it said
    for flag, value in (("--max-false-positive-rate", "3"), ("--min-recall", "-1"),
                        ("--min-recall", "95"), ("--min-recall", "inf")):
        r = run("registry", "eval", str(CORPUS), flag, value)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (flag, value, r.stderr)
        assert f"{flag}: {value} is not a share from 0 to 1" in r.stderr, r.stderr


def test_registry_eval_refuses_a_nan_threshold():
    # `--min-recall nan` exited 0 whatever the corpus said (no recall is below NaN): a gate that
    # checked nothing
    for flag in ("--min-recall", "--max-false-positive-rate"):
        r = run("registry", "eval", str(CORPUS), flag, "nan")
        assert r.returncode == 2 and f"{flag}: NaN is not a threshold" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_bad_registry_is_fatal_with_location(tmp_path):
    bad = tmp_path / "registry.yaml"
    bad.write_text("schema_version: 1\nversion: x\nverdicts: {suspicious: 80, likely_scam: 20}\n", encoding="utf-8")
    r = run("check", "hello", "--registry", str(bad))
    assert r.returncode == 1 and f"{bad}:3:" in r.stderr


def test_registry_with_a_slow_pattern_is_fatal_naming_its_rule(tmp_path):
    import shutil

    root = Path(__file__).resolve().parents[1] / "registry"
    shutil.copytree(root / "lists", tmp_path / "lists")
    text = (root / "registry.yaml").read_text("utf-8")
    old = "  regex: (?:today|tonight)\\sbefore\\s\\d{1,2}\n"
    line = text[: text.index(old)].count("\n") + 1
    (tmp_path / "registry.yaml").write_text(text.replace(old, "  regex: '(?:a?){30}a{30}$'\n"), "utf-8")
    r = run("check", SCAM, "--registry", str(tmp_path / "registry.yaml"))
    assert r.returncode == 1 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"{tmp_path / 'registry.yaml'}:{line}:")
    assert "the CONTENT_DEADLINE_HOURS pattern: regex can backtrack catastrophically" in first
    assert SCAM not in r.stderr


def test_hostile_stdin_gets_clear_errors(tmp_path):
    r = run("check", "-", stdin="仲" * 1_000_000)
    assert r.returncode == 2 and "standard input: String should have at most 10000 characters" in r.stderr
    assert "仲仲" not in r.stderr  # the notice is not echoed back
    garbage = subprocess.run([sys.executable, "-m", "verifier", "check", "-"], input=bytes(range(256)) * 10,
                             capture_output=True, timeout=120)
    assert garbage.returncode == 2 and b"Traceback" not in garbage.stderr
    assert garbage.stderr.startswith(b"verifier check: standard input is not UTF-8 (byte 128)")
    r = run("check", "--jsonl", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    r = run("check", "x", "--registry", str(tmp_path))
    assert r.returncode == 1 and "is a directory" in r.stderr


def test_a_notice_on_standard_input_in_another_encoding_is_refused_not_misread():
    # Windows Notepad saves Chinese text as GBK ("ANSI") or UTF-16 ("Unicode"). Read with
    # replacement characters, this scam was "unverified: 这条信息看起来不是法律通知，没有发现可疑之处".
    for encoding in ("gbk", "utf-16"):
        r = subprocess.run([sys.executable, "-m", "verifier", "check", "-"],
                           input=SCAM.encode(encoding), capture_output=True, timeout=120)
        assert r.returncode == 2 and r.stdout == b"", (encoding, r.stdout.decode(errors="replace"))
        assert b"standard input is not UTF-8" in r.stderr and b"iconv" in r.stderr
    # UTF-8 cut anywhere past 4 MiB is still read up to the cut (and then refused for its length)
    r = run("check", "-", stdin="仲" * (2 << 20))
    assert r.returncode == 2 and "standard input: String should have at most 10000 characters" in r.stderr


def test_jsonl_binary_lines_do_not_crash():
    r = subprocess.run([sys.executable, "-m", "verifier", "check", "--jsonl", "-"],
                       input=b"\xff\xfe\x00garbage\n" + json.dumps({"text": SCAM}).encode() + b"\n",
                       capture_output=True, timeout=120)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0 and len(lines) == 2
    assert "error" in json.loads(lines[0]) and json.loads(lines[1])["verdict"] == "likely_scam"


def test_the_readmes_worked_examples_are_what_check_prints():
    # Each `$ verifier check …` block is what the command prints now, but for the last line (the
    # registry's content hash, which every edit changes).
    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    blocks = re.findall(r"```console\n\$ verifier (check .*?)\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2
    for command, shown in blocks:
        r = run(*shlex.split(command))
        assert r.returncode == 0, r.stderr
        printed, last = r.stdout.rstrip("\n").rsplit("\n\n", 1)
        assert last.startswith("registry ")
        assert shown.rstrip("\n") == printed, f"update the README's example `{command[:40]}…` to:\n{printed}"


def test_every_setting_is_documented_in_the_readme():
    from verifier.settings import Settings

    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    missing = [n for n in Settings.model_fields if f"VERIFIER_{n.upper()}" not in readme]
    assert missing == []


def test_jsonl_hostile_lines_get_the_endpoints_errors_and_nothing_is_lost(tmp_path):
    # Each line is read as the endpoint reads a body. Before: 100,000 brackets ended the run with a
    # RecursionError traceback (every later line lost); NUL, duplicate keys and NaN were accepted.
    lines = [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"text": "a\\u0000b"}',
        b'{"text": "a", "text": "b"}',
        b'{"text": NaN}',
        b'{"text": "\\ud800"}',
        b"[1, 2]",
        b'{"text": "\xff\xfe"}',
        b'{"text": "' + b"x" * (5 * 1024 * 1024) + b'"}',  # longer than a line may be
        json.dumps({"text": SCAM}).encode(),
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    r = subprocess.run([sys.executable, "-m", "verifier", "check", "--jsonl", str(path)],
                       capture_output=True, timeout=300)
    assert r.returncode == 0 and r.stderr == b"", r.stderr[-2000:]
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert [o["error"]["status"] for o in out[:-1]] == [400, 422, 400, 400, 422, 400, 400, 413]
    assert out[1]["error"]["errors"][0]["loc"] == ["text"]
    assert all(o["error"]["detail"].startswith(f"line {i}:") for i, o in enumerate(out[:-1], 1))
    assert out[-1]["verdict"] == "likely_scam"


def test_closed_stdin_and_full_disk_are_one_line_errors():
    for args in (["check", "-"], ["check", "--jsonl", "-"]):
        r = subprocess.run([sys.executable, "-m", "verifier", *args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120,
                           preexec_fn=lambda: __import__("os").close(0))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "standard input is closed" in r.stderr
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "verifier", "check", SCAM], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.strip() == "verifier: cannot write the output: No space left on device"


def test_a_bracketed_ipv6_nameserver_without_a_port_is_accepted():
    # "[::1]" was refused as "'::1]' does not appear to be an IPv4 or IPv6 address"
    env = {**__import__("os").environ, "VERIFIER_DNS_NAMESERVERS": "[::1], [::1]:5353, ::1"}
    r = subprocess.run([sys.executable, "-m", "verifier", "check", "x", "--json"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert json.loads(r.stdout)["verdict"]


def test_serve_with_bad_settings_says_which_in_one_line():
    cases = [
        ({"VERIFIER_PORT": "abc"}, [], "VERIFIER_PORT"),
        ({}, ["--port", "99999"], "VERIFIER_PORT"),
        ({"VERIFIER_RATE_LIMIT": "lots"}, [], "VERIFIER_RATE_LIMIT"),
        ({"VERIFIER_DNS_NAMESERVERS": "junk"}, [], "VERIFIER_DNS_NAMESERVERS"),
        ({"VERIFIER_DNS_NAMESERVERS": "127.0.0.1:99999"}, [], "from 1 to 65535"),  # was accepted
        ({"VERIFIER_DNS_NAMESERVERS": "[::1"}, [], "like [2001:db8::1]:53"),  # was accepted
        ({"VERIFIER_DNS_NAMESERVERS": "[::1]53"}, [], "like [2001:db8::1]:53"),
        ({"VERIFIER_DNSBL_ZONES": "a zone"}, [], "not a DNS zone"),  # was accepted
        ({}, ["--host", "a..b"], "not a valid host name"),  # was a UnicodeError traceback
        ({"VERIFIER_REGISTRY": "/nonexistent/registry.yaml"}, [], "cannot read"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/dir"}, [], "/nonexistent/dir"),  # a traceback
    ]
    for env, args, words in cases:
        # none of these gets as far as listening
        port = [] if "VERIFIER_PORT" in env or "--port" in args else ["--port", "0"]
        r = subprocess.run([sys.executable, "-m", "verifier", "serve", *port, *args],
                           env={**__import__("os").environ, **env}, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode != 0 and "Traceback" not in r.stderr, (env, args, r.stderr[-2000:])
        assert words in r.stderr, (env, args, r.stderr)


def test_registry_eval_on_a_hostile_corpus_names_each_bad_line(tmp_path):
    # Every one of these was a Python traceback (TypeError, KeyError, ValidationError,
    # RecursionError, FileNotFoundError, UnicodeDecodeError).
    lines = ["[1]", json.dumps({"request": {"text": "x"}}), json.dumps({"label": "scam", "request": {"text": 5}}),
             json.dumps({"label": "scam", "request": {"text": "x"}, "expect_codes": 5}),
             json.dumps({"label": ["scam"], "request": {"text": "x"}}), "[" * 100_000 + "]" * 100_000,
             json.dumps({"label": "scam", "request": {"text": "x"}, "expect_verdict": [["x"]]}),
             json.dumps({"label": "genuine", "request": {"text": "x"}})]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n", "utf-8")
    r = run("registry", "eval", str(corpus))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert [ln.split(":")[1] for ln in r.stderr.splitlines()[:-1]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert r.stdout == ""  # nothing runs on a corpus with a bad line
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00")
    for path, words in [(tmp_path / "missing.jsonl", "cannot read"), (tmp_path, "cannot read"),
                        (tmp_path / "binary.jsonl", "not UTF-8")]:
        r = run("registry", "eval", str(path))
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]


def test_registry_eval_reads_a_notice_holding_unicode_line_breaks(tmp_path):
    # A pasted notice may hold U+2028 or U+0085; json.dumps(ensure_ascii=False) leaves them raw,
    # and the corpus reader split the line there and stopped on "malformed JSON".
    cases = [{"label": "scam", "request": {"text": SCAM.replace("，", "\u2028", 1)}},
             {"label": "ordinary", "request": {"text": "明天\x85见\u2029好的"}},
             {"label": "scam", "request": {"text": SCAM}}]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(c, ensure_ascii=False) + "\r\n" for c in cases), "utf-8")
    r = run("registry", "eval", str(corpus))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    totals = {row.split()[0]: row.split()[-1] for row in r.stdout.splitlines()[1:4]}
    assert totals == {"scam": "2", "genuine": "0", "ordinary": "1"}, r.stdout


def test_registry_check_of_an_empty_path_is_not_the_bundled_registry(tmp_path):
    # `verifier registry check "$REGISTRY"` with the variable unset said "registry OK" about the
    # bundled file, so a CI gate passed without checking anything
    r = run("registry", "check", "", cwd=tmp_path)
    assert r.returncode == 1 and "registry OK" not in r.stderr and "is a directory" in r.stdout


def test_human_output_shows_control_characters_escaped():
    # The sender was printed raw: ESC [2J cleared the reader's terminal, OSC retitled it.
    r = run("check", "【网络仲裁委员会】请联系处理\u202etxt.exe", "--sender", "1700\x1b[2J1234567\x07", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\u202e" not in r.stdout
    assert "\\u001b[2J" in r.stdout
    r = run("check", "x", "--sender", "1700\x1b[2J1234567", "--json")
    assert json.loads(r.stdout)["reasons"]  # --json stays exactly the endpoint's body


def test_jsonl_with_a_notice_on_the_command_line_too_is_refused():
    # the TEXT (and --sender, --link, --institution) were silently ignored
    for extra in (["hello"], ["--sender", "95588"], ["--link", "http://a.cc"]):
        r = run("check", "--jsonl", "-", *extra, stdin=json.dumps({"text": SCAM}) + "\n")
        assert r.returncode == 2 and "--jsonl reads every notice" in r.stderr and r.stdout == ""


def test_a_closed_standard_output_is_a_one_line_error_not_a_silent_success(tmp_path):
    # With file descriptor 1 closed Python sets sys.stdout to None: `check` and `registry eval`
    # printed into nothing and exited 0 (a script saw success and no answer), `check --jsonl`
    # died in an AttributeError traceback.
    import os

    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"text": SCAM}, ensure_ascii=False) + "\n", encoding="utf-8")
    for args in (["check", SCAM], ["check", SCAM, "--json"], ["check", "--jsonl", str(lines)],
                 ["registry", "eval", str(CORPUS)], ["registry", "check"], ["registry", "schema"]):
        r = subprocess.run([sys.executable, "-m", "verifier", *args], stderr=subprocess.PIPE,
                           text=True, timeout=300, preexec_fn=lambda: os.close(1))
        assert r.returncode == 1, (args, r.returncode, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1, (args, r.stderr)
        assert "standard output is closed" in r.stderr, (args, r.stderr)


def test_unreasonable_seconds_settings_are_refused_naming_the_setting_and_range():
    # VERIFIER_RELOAD_INTERVAL_S=1e-300 was accepted (gt=0) and the watcher polled the registry
    # file in a busy loop; NaN was refused as "should be less than or equal to 600", inf the same.
    cases = [
        ("VERIFIER_RELOAD_INTERVAL_S", "1e-300", "from 0.05 to 3600, not 1e-300"),
        ("VERIFIER_RELOAD_INTERVAL_S", "nan", "nan is not a number of seconds"),
        ("VERIFIER_READ_TIMEOUT_S", "NaN", "nan is not a number of seconds"),
        ("VERIFIER_READ_TIMEOUT_S", "inf", "inf is not a number of seconds"),
        ("VERIFIER_READ_TIMEOUT_S", "0.001", "from 0.05 to 600, not 0.001"),
    ]
    for name, value, words in cases:
        r = subprocess.run([sys.executable, "-m", "verifier", "serve", "--port", "0"],
                           env={**__import__("os").environ, name: value}, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (name, value, r.stderr[-2000:])
        assert f"bad setting {name}: " in r.stderr and words in r.stderr, (name, value, r.stderr)


def test_a_notice_argument_that_is_not_utf8_is_named():
    # GBK bytes on the command line were refused as "text: Input should be a valid string,
    # unable to parse raw data as a unicode string", which does not say what to do
    gbk = "【网络仲裁委员会】请联系".encode("gbk")
    for args, name in (([gbk], "TEXT"), ([b"x", b"--sender", "张三".encode("gbk")], "--sender"),
                       ([b"x", b"--link", b"a.cn", b"--link", b"http://\xff.cn"], "--link")):
        r = subprocess.run([sys.executable.encode(), b"-m", b"verifier", b"check", *args],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"verifier check: {name} is not UTF-8" in r.stderr and "iconv" in r.stderr, r.stderr


def test_a_misspelt_or_empty_setting_is_not_silently_ignored():
    # pydantic-settings skips VERIFIER_* names it does not know: VERIFIER_RATE_LIMT=5/minute
    # served at the default 60/minute without a word. VERIFIER_REGISTRY="" was the working
    # directory (".:1:1: is a directory"), VERIFIER_PARTNERS="" the same, where
    # VERIFIER_REDIS_URL="" already meant unset.
    env = __import__("os").environ
    cases = [({"VERIFIER_RATE_LIMT": "5/minute"},
              "unknown setting VERIFIER_RATE_LIMT (did you mean VERIFIER_RATE_LIMIT?)"),
             ({"verifier_reload_intervals": "5"}, "unknown setting verifier_reload_intervals"),
             ({"VERIFIER_REGISTRY": ""}, "bad setting VERIFIER_REGISTRY: Value error, is empty")]
    for extra, words in cases:
        r = subprocess.run([sys.executable, "-m", "verifier", "serve", "--port", "0"],
                           env={**env, **extra}, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (extra, r.stderr[-2000:])
        assert words in r.stderr, (extra, r.stderr)
    from verifier.settings import Settings

    assert Settings(partners="").partners is None  # type: ignore[arg-type]


def test_a_bad_check_argument_is_answered_before_the_registry_loads(tmp_path):
    # `check` loaded the registry (a second or more) before it looked at its arguments: a
    # mistyped argument waited for it, and with a wrong --registry too the person was told about
    # the registry, not the argument. Here the registry cannot load, so only an answer given
    # before loading it names the argument.
    missing = str(tmp_path / "no-registry.yaml")
    cases = [(["   "], "give at least one of TEXT"),
             (["x", "--sender", "1" * 600], "--sender: String should have at most 512"),
             (["x", "--institution", "仲" * 300], "--institution: String should have at most 200"),
             (["x", "--link", "a.cn", "--link", "b" * 600], "--link (number 2): String should"),
             (["仲" * 10_001], "TEXT: String should have at most 10000 characters"),
             (["--jsonl", str(tmp_path / "missing.jsonl")], "cannot read"),
             ([b"\xff".decode("utf-8", "surrogateescape")], "TEXT is not UTF-8")]
    for args, words in cases:
        r = subprocess.run([sys.executable, "-m", "verifier", "check", *args, "--registry", missing],
                           capture_output=True, text=True, timeout=120, errors="surrogateescape")
        assert r.returncode == 2 and r.stdout == "", (words, r.stderr)
        assert f"verifier check: {words}" in r.stderr and "registry" not in r.stderr, (words, r.stderr)
    r = run("check", "-", "--registry", missing, stdin="仲" * 10_001)
    assert r.returncode == 2 and "verifier check: standard input: String should" in r.stderr, r.stderr
    r = run("check", "x", "--registry", missing)  # a good argument still reaches the registry
    assert r.returncode == 1 and "cannot read" in r.stderr
    # `registry eval` the same: its corpus is read (and a bad one refused) before the registry
    (tmp_path / "bad.jsonl").write_text("{not json\n", "utf-8")
    for corpus, words in ((tmp_path / "missing.jsonl", "cannot read the corpus"), (tmp_path / "bad.jsonl", "bad.jsonl:1:")):
        r = run("registry", "eval", str(corpus), "--registry", missing)
        assert r.returncode == 2 and words in r.stderr and "registry is invalid" not in r.stderr, r.stderr
