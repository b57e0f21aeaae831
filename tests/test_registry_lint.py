"""`verifier registry check`: each rule fires on a copy of the real registry with one thing broken,
at the line where the broken text is; the shipped registry passes (also through the real CLI)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import regex

from verifier.registry.lint import lint_report
from verifier.registry.lint_regex import dynamic_problem, static_problems
from verifier.registry.compiled import load_registry
from verifier.registry.load import Problem, RegistryError

REPO = Path(__file__).resolve().parent.parent
REGISTRY = REPO / "registry" / "registry.yaml"


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    """A private copy of registry.yaml and its lists, to break one thing in."""
    shutil.copy(REGISTRY, tmp_path / "registry.yaml")
    shutil.copytree(REGISTRY.parent / "lists", tmp_path / "lists")
    return tmp_path / "registry.yaml"


def edit(path: Path, old: str, new: str, nth: int = 1) -> int:
    """Replace the nth occurrence of `old`; return the 1-based line where `new` starts."""
    text = path.read_text("utf-8")
    at = -1
    for _ in range(nth):
        at = text.index(old, at + 1)
    path.write_text(text[:at] + new + text[at + len(old):], "utf-8")
    return text[:at].count("\n") + 1 + new[: len(new) - len(new.lstrip("\n"))].count("\n")


def append(path: Path, line: str) -> int:
    """Append one line to a list file; return its line number."""
    text = path.read_text("utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + line + "\n", "utf-8")
    return text.count("\n") + 1


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    text = path.read_text("utf-8")
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text[:at].count("\n") + 1


def expect(path: Path, line: int, words: str, *, notes: bool = False) -> Problem:
    report = lint_report(path.parent.parent / "registry.yaml" if path.suffix == ".txt" else path)
    pool = report.notes if notes else report.errors
    paths = {str(path), str(path.resolve())}
    hits = [p for p in pool if p.path in paths and p.line == line and re.search(words, p.message)]
    assert hits, f"no problem matching {words!r} at {path.name}:{line}; got:\n" + "\n".join(
        map(str, report.errors + report.notes)
    )
    assert re.fullmatch(r".+:\d+:\d+: .+", str(hits[0]), re.DOTALL)
    return hits[0]


def test_shipped_registry_has_no_errors() -> None:
    report = lint_report(REGISTRY)
    assert report.errors == [], "\n".join(map(str, report.errors))


def test_cli_check_passes_on_shipped_registry() -> None:
    proc = subprocess.run([sys.executable, "-m", "verifier", "registry", "check"],
                          check=False, capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "registry OK" in proc.stderr


def test_cli_check_fails_with_path_line_col(reg: Path) -> None:
    line = edit(reg, "- id: cmac\n", "- id: cietac\n")
    proc = subprocess.run([sys.executable, "-m", "verifier", "registry", "check", str(reg)],
                          check=False, capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 1
    assert re.search(rf"^{re.escape(str(reg))}:{line}:\d+: .*duplicate institution id", proc.stdout, re.MULTILINE)


@pytest.mark.parametrize(("old", "field"), [
    ("  - value: 贸仲\n", "institutions.0.aliases.1.value"),
    ("  name: 中国国际经济贸易仲裁委员会\n", "institutions.0.name"),
])
def test_a_term_of_a_whole_page_is_refused_not_a_crash(reg: Path, old: str, field: str) -> None:
    # a page pasted into an alias: the matcher's trie for a term of ~650,000 characters crashed
    # `registry check` (and start-up) with a segmentation fault, exit 139 and no message
    line = edit(reg, old, old.rstrip("\n") + "仲裁委员会" * 200_000 + "\n")
    proc = subprocess.run([sys.executable, "-m", "verifier", "registry", "check", str(reg)],
                          check=False, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert re.search(rf"^{re.escape(str(reg))}:{line}:\d+: {re.escape(field)}: String should have "
                     r"at most 300 characters", proc.stdout, re.MULTILINE), proc.stdout[-2000:]


# --- schema and codes -------------------------------------------------------------------------

def test_unknown_key(reg: Path) -> None:
    line = edit(reg, "  kind: commercial_arbitration\n", "  kind: commercial_arbitration\n  knd: x\n") + 1
    expect(reg, line, "knd")


def test_region_must_be_a_province(reg: Path) -> None:
    line = edit(reg, "    region: 浙江\n", "    region: 浙江省杭州\n")
    expect(reg, line, "not a province")


def test_region_only_on_numbers(reg: Path) -> None:
    # a region on a domain would be accepted and never read: the sender check reads numbers' regions only
    line = edit(reg, "  - value: bjac.org.cn\n", "  - value: bjac.org.cn\n    region: 北京\n") + 1
    expect(reg, line, "only on phones and senders")


def test_missing_language(reg: Path) -> None:
    start = line_of(reg, "  BODY_NONE:\n")
    edit(reg, "      en: The notice names no arbitration body or court.\n", "")
    text = reg.read_text("utf-8").splitlines()
    messages = next(i for i in range(start, len(text)) if text[i].strip() == "messages:") + 1
    expect(reg, messages, r"messages\.en.*(required|missing)|Field required")


def test_unused_code(reg: Path) -> None:
    line = edit(reg, "codes:\n", "codes:\n  BODY_MADE_UP:\n    group: body\n    severity: low\n    score: 5\n"
                "    messages: {zh-Hans: 甲, zh-Hant: 甲, en: a}\n") + 1
    expect(reg, line, "no check emits")


def test_testing_code_is_a_note_not_an_error(reg: Path) -> None:
    line = edit(reg, "  BODY_NONE:\n    group: body\n", "  BODY_NONE:\n    group: body\n    testing: true\n") + 2
    expect(reg, line, "testing", notes=True)
    assert lint_report(reg).errors == []


def test_value_placeholder_missing_in_one_language(reg: Path) -> None:
    line = edit(reg, "      en: “{value}” is a known fake name", "      en: “This” is a known fake name")
    expect(reg, line, r"\{value\} appears in zh-Hans, zh-Hant but not in en")


def test_unknown_placeholder(reg: Path) -> None:
    line = edit(reg, "      en: “{value}” is a known fake name", "      en: “{valeu}” is a known fake name")
    expect(reg, line, r"unknown placeholder \{valeu\}")


# --- duplicates and conflicts -----------------------------------------------------------------

def test_duplicate_institution_id(reg: Path) -> None:
    expect(reg, edit(reg, "- id: cmac\n", "- id: cietac\n"), "duplicate institution id")


def test_uses_channels_of_an_unknown_body(reg: Path) -> None:
    line = edit(reg, "  uses_channels_of:\n  - value: spc\n", "  uses_channels_of:\n  - value: spcc\n") + 1
    expect(reg, line, "uses_channels_of 'spcc' is not another institution's id")


def test_alias_on_two_bodies(reg: Path) -> None:
    line = edit(reg, "  - value: CMAC\n", "  - value: 贸仲\n")
    expect(reg, line, "also used by 'cietac'")


def test_web_suffix_must_be_a_trusted_suffix(reg: Path) -> None:
    # A body's sites "all under com.cn" would make every com.cn link its own.
    line = edit(reg, "  web_suffixes:\n  - value: gov.cn\n", "  web_suffixes:\n  - value: com.cn\n")
    expect(reg, line + 1, "web suffix 'com.cn' is not one of trusted_suffixes")


def test_abused_tld_list_takes_top_level_domains_only(reg: Path) -> None:
    lst = reg.parent / "lists" / "abused_tlds.txt"
    expect(lst, append(lst, "zz.top"), "not a top-level domain")


def test_official_domain_in_scam_list(reg: Path) -> None:
    lst = reg.parent / "lists" / "scam_domains.txt"
    expect(lst, append(lst, "cietac.org"), "both an official domain and a known scam domain")


def test_official_number_in_scam_list(reg: Path) -> None:
    lst = reg.parent / "lists" / "scam_numbers.txt"
    expect(lst, append(lst, "01082217788"), "official number of 'cietac'")


def test_fake_body_that_is_a_registered_name(reg: Path) -> None:
    line = edit(reg, "fake_bodies:\n", "fake_bodies:\n- value: 北京仲裁委员会\n  reason: test\n") + 1
    expect(reg, line, "registered institution 'bac'")


def test_duplicate_fake_body(reg: Path) -> None:
    edit(reg, "fake_bodies:\n", "fake_bodies:\n- value: 网络仲裁委员会\n  reason: test\n")
    expect(reg, line_of(reg, "- value: 网络仲裁委员会\n", 2), "duplicates the entry at line")


def test_phrase_term_in_two_rules(reg: Path) -> None:
    edit(reg, "phrases:\n", "phrases:\n- code: CONTENT_PAY_PERSONAL_ACCOUNT\n  terms:\n  - 个人账户\n"
         "  reason: test\n")
    expect(reg, line_of(reg, "  - 个人账户\n", 2), "duplicates the term at line")


# --- malformed values -------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["https://cietac.org/", "CIETAC.org", "cietac.nosuchtld"])
def test_malformed_official_domain(reg: Path, bad: str) -> None:
    expect(reg, edit(reg, "  - value: cietac.org\n", f"  - value: {bad}\n"), "domain")


@pytest.mark.parametrize("bad", ["010-8221", "+86 1", "(010) 82-21"])
def test_malformed_phone(reg: Path, bad: str) -> None:
    expect(reg, edit(reg, "  - value: 010-82217788\n", f"  - value: '{bad}'\n"), "not a valid China")


def test_source_not_a_url(reg: Path) -> None:
    line = edit(reg, "    source: http://cmac.org.cn/en/index.php?catid=11\n",
                "    source: cmac.org.cn/en/index.php?catid=11\n")
    expect(reg, line, "not an http")


# --- regexes ----------------------------------------------------------------------------------

def _pattern_line(reg: Path, new: str) -> int:
    return edit(reg, "  regex: (?:today|tonight)\\sbefore\\s\\d{1,2}\n", f"  regex: '{new}'\n")


def test_regex_that_does_not_compile(reg: Path) -> None:
    expect(reg, _pattern_line(reg, "(unclosed"), "does not compile")


@pytest.mark.parametrize("bad", ["(a+)+$", "(a|ab)*c", "(\\w|\\d)+$", "(x|)*y"])
def test_regex_backtracking_static(reg: Path, bad: str) -> None:
    expect(reg, _pattern_line(reg, bad), "backtrack catastrophically")


def test_regex_backtracking_caught_only_by_the_timed_run(reg: Path) -> None:
    bad = "(?:a?){30}a{30}$"  # `?` inside a repeat is allowed statically
    assert static_problems(bad) == []
    expect(reg, _pattern_line(reg, bad), "ran longer than")


@pytest.mark.parametrize("bad", ["(?:a?){30}a{30}$", "(?:\\d?){30}\\d{30}$", "(?:年?){30}年{30}$"])
def test_regex_only_the_timed_run_catches_is_refused_at_load_naming_its_rule(reg: Path, bad: str) -> None:
    # Such a pattern used to load (only the linter timed it); every long notice then paid the
    # engine's whole per-pattern timeout for it. Now start-up and reload refuse the file.
    assert static_problems(bad) == []
    line = _pattern_line(reg, bad)
    with pytest.raises(RegistryError) as caught:
        load_registry(reg)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (str(reg), line)
    assert problem.message.startswith("the CONTENT_DEADLINE_HOURS pattern: regex can backtrack")
    assert "ran longer than" in problem.message


@pytest.mark.parametrize("bad", ["a{99999999}", "(?:(?:ab){1000}){1000}", "\\d{20000,20001}"])
def test_regex_too_costly_to_compile_is_refused_before_compiling(reg: Path, bad: str) -> None:
    # compiling a{99999999} with the regex module takes gigabytes (the linter was killed for memory)
    expect(reg, _pattern_line(reg, bad), "must repeat something")


def test_regex_nested_too_deeply(reg: Path) -> None:
    expect(reg, _pattern_line(reg, "(" * 150 + "a" + ")" * 150), "nests groups too deeply")


def test_static_and_dynamic_checks_accept_safe_patterns() -> None:
    for safe in [r"(?>a+)+$", r"a++b", r"\d(?:[ \-.]?\d){4,21}", r"(?:今天|今日)\s?\d{1,2}", r"(?i)within\s\d+"]:
        assert static_problems(safe) == [], safe
        assert dynamic_problem(regex.compile(safe, regex.V1), safe) is None, safe


# --- hostile YAML: the file as a whole -------------------------------------------------------

LAUGHS = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9 if i else ["lol"] * 9) + "]\n" for i in range(9))


@pytest.mark.parametrize(("name", "text", "words"), [
    ("billion laughs", LAUGHS, "aliases repeat more than"),  # 9^9 values from nine lines: hung, then OOM
    ("an alias inside itself", "a: &a [1, *a]\n", "a cycle"),  # was a RecursionError traceback
    ("nested 900 deep", "a: " + "[" * 900 + "]" * 900 + "\n", "nested more than"),  # also
    # a plain value YAML reads as a date or an int that Python refuses: a ValueError traceback
    ("a date that does not exist", "schema_version: 1\nversion: 2024-13-45\n", "month must be in"),
    ("an int of 5,000 digits", "schema_version: 1" + "0" * 5000 + "\n", "Exceeds the limit"),
])
def test_hostile_yaml_is_a_problem_not_a_crash(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(text, "utf-8")
    proc = subprocess.run([sys.executable, "-m", "verifier", "registry", "check", str(path)],
                          check=False, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: .*{words}", proc.stdout, re.MULTILINE), proc.stdout


def test_a_few_aliases_still_load(reg: Path) -> None:
    # sharing a small value with an anchor is fine; only a blow-up is refused
    edit(reg, "\nversion: ", "\nx_shared: &shared [1, 2, 3]\nversion: ")
    report = lint_report(reg)
    assert not any("alias" in p.message or "nested" in p.message for p in report.errors), report.errors


# --- list files: canonical form, line numbers in the list file ---------------------------------

def test_list_duplicate(reg: Path) -> None:
    lst = reg.parent / "lists" / "shorteners.txt"
    line = edit(lst, "bit.ly\n", "bit.ly\nbit.ly\n") + 1
    expect(lst, line, "duplicates line")


def test_list_not_lower_case(reg: Path) -> None:
    lst = reg.parent / "lists" / "shorteners.txt"
    expect(lst, edit(lst, "bit.ly\n", "Bit.ly\n"), "lower case")


def test_list_not_sorted(reg: Path) -> None:
    lst = reg.parent / "lists" / "shorteners.txt"
    expect(lst, append(lst, "aaa.cn"), "out of order")


def test_list_trailing_spaces(reg: Path) -> None:
    lst = reg.parent / "lists" / "shorteners.txt"
    expect(lst, edit(lst, "bit.ly\n", "bit.ly  \n"), "trailing spaces")


def test_list_domain_with_scheme(reg: Path) -> None:
    lst = reg.parent / "lists" / "scam_domains.txt"
    expect(lst, append(lst, "https://pay-case.cc/x"), "without scheme or path")


def test_list_bad_number(reg: Path) -> None:
    lst = reg.parent / "lists" / "scam_numbers.txt"
    expect(lst, append(lst, "12ab"), "digits only")


def test_cities_shape(reg: Path) -> None:
    lst = reg.parent / "lists" / "cities.txt"
    expect(lst, append(lst, "无名\t无名市"), "expected short<TAB>full<TAB>province")


def test_list_saved_with_a_byte_order_mark_reads_as_without_one(reg: Path) -> None:
    """Notepad's "UTF-8 with BOM" (registry.yaml with one loads): the mark was read as a first entry
    '\\ufeff', so cities.txt was refused ('expected short<TAB>full<TAB>province' at line 1), a list
    starting with an entry lost it silently, and the check called every later line out of order."""
    before = load_registry(reg)
    lists = reg.parent / "lists"
    (lists / "shorteners.txt").write_text("\n".join(sorted(before.shorteners)) + "\n", "utf-8")
    before = load_registry(reg)  # the same list, starting with an entry
    for name in ("cities.txt", "shorteners.txt"):
        (lists / name).write_bytes(b"\xef\xbb\xbf" + (lists / name).read_bytes())
    assert lint_report(reg).errors == []
    after = load_registry(reg)
    assert after.shorteners == before.shorteners and after.cities == before.cities


def test_list_path_with_a_nul_is_a_problem_at_its_line(reg: Path) -> None:
    # "\0" is a valid YAML escape; os.path.realpath raised ValueError: a traceback from the check
    # and start-up, and a reload said only that the builder process had failed
    line = edit(reg, "scam_domains: lists/scam_domains.txt", 'scam_domains: "lists/scam\\0.txt"')
    proc = subprocess.run([sys.executable, "-m", "verifier", "registry", "check", str(reg)],
                          check=False, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert f"{reg}:{line}:3: lists.scam_domains: cannot read" in proc.stdout, proc.stdout


# --- entries well formed but meaning something nobody can want --------------------------------
# Refused by compile_registry, so at start-up and every reload as well as by `registry check`
# (one case through the linter below; the rest load the file, which is much faster).

def refused(path: Path, line: int, words: str) -> Problem:
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    hits = [p for p in caught.value.problems if p.line == line and re.search(words, p.message)]
    assert hits, "\n".join(map(str, caught.value.problems))
    return hits[0]


@pytest.mark.parametrize(("bad", "words"), [
    ("t.cn", "is a URL shortener"),          # every t.cn/xyz link read as the body's own: likely_genuine
    ("github.io", "is free hosting"),        # evil.github.io read as official
    ("someone.github.io", "is free hosting"),
    ("docs.qq.com", "is a document share"),
    ("' cietac.org'", "not a lower-case host name"),  # never matched a link: genuine notices suspicious
])
def test_official_domain_anyone_can_publish_under_is_refused(reg: Path, bad: str, words: str) -> None:
    problem = refused(reg, edit(reg, "  - value: cietac.org\n", f"  - value: {bad}\n"), words)
    assert "cietac" in problem.message


@pytest.mark.parametrize("bad", [".*", "(?:)", "x?", "^", ".", "[\\s\\S]", "\\W|\\w"])
def test_pattern_that_fires_on_every_notice_is_refused(reg: Path, bad: str) -> None:
    # ".*" or "x?" matched every notice: the code fired on a weather report
    problem = refused(reg, _pattern_line(reg, bad), "fires on every notice")
    assert problem.message.startswith("the CONTENT_DEADLINE_HOURS pattern")


def test_pattern_of_one_common_character_still_loads(reg: Path) -> None:
    _pattern_line(reg, "的")  # narrow and useless, but it does not match every notice
    load_registry(reg)


def test_likely_scam_that_no_notice_can_reach_is_refused(reg: Path) -> None:
    line = edit(reg, "  likely_scam_min_groups: 2\n", "  likely_scam_min_groups: 10\n")
    refused(reg, line, "no notice could be likely_scam")


@pytest.mark.parametrize("bad", ["' '", '"\\u200b"', '"\\u3000\\u00a0"'])
def test_name_blank_after_normalisation_is_refused(reg: Path, bad: str) -> None:
    # silently skipped before: a maintainer's alias that can never match
    refused(reg, edit(reg, "  - value: 贸仲\n", f"  - value: {bad}\n"), "is blank")


def test_registry_check_names_the_entry(reg: Path) -> None:
    line = edit(reg, "  - value: cietac.org\n", "  - value: t.cn\n")
    expect(reg, line, "'t.cn' is a URL shortener .* cannot be cietac's official domain")


@pytest.mark.parametrize(("bad", "words"), [
    ("cn", "country's top-level domain"),          # every .cn scam site read as official
    ("hk", "country's top-level domain"),
    ("com", "open category 'com'"),
    ("com.cn", "open category 'com'"),
    ("org.mo", "open category 'org'"),
    ("top", "lists/abused_tlds.txt"),
    ("ly", "country's top-level domain"),
    ("github.io", "not a public suffix"),           # never matched: a dead entry
    ("court.gov.cn", "not a public suffix"),
    ("政务", "write xn--zfr164b"),                    # links are compared in punycode: never matched
])
def test_trusted_suffix_anyone_can_register_under_is_refused(reg: Path, bad: str, words: str) -> None:
    # accepted before: `cn` made every link under .cn LINK_OFFICIAL, a scam likely_genuine
    problem = refused(reg, edit(reg, "\n- value: gov.hk\n", f"\n- value: {bad}\n"), words)
    assert f"trusted suffix {bad!r}" in problem.message


def test_trusted_suffix_with_an_open_host_below_it_is_refused(reg: Path) -> None:
    # a suffix the registry knows a company's site is under: not for public bodies only
    append(reg.parent / "lists" / "shorteners.txt", "go.gov.tw")
    problem = refused(reg, line_of(reg, "- value: gov.tw"), "has go.gov.tw below it")
    assert "lists/shorteners.txt" in problem.message


def test_one_label_suffix_reserved_for_public_bodies_still_loads(reg: Path) -> None:
    # .政务 (xn--zfr164b) is one label and only public bodies register below it
    assert "xn--zfr164b" in reg.read_text("utf-8")
    load_registry(reg)


@pytest.mark.parametrize(("old", "new", "words"), [
    ("  suspicious: 30\n", "  suspicious: 0.01\n", "whole number"),
    ("  likely_scam: 70\n", "  likely_scam: 69.5\n", "whole number"),
    ("  suspicious: 30\n", "  suspicious: 1\n", "one weak sign would make a notice suspicious"),
    ("  likely_scam: 70\n", "  likely_scam: 40\n", "one sign would make a notice likely_scam"),
    ("  likely_scam: 70\n", "  likely_scam: 100\n", None),  # reachable: still loads
])
def test_thresholds_that_contradict_the_codes_are_refused(reg: Path, old: str, new: str,
                                                          words: str | None) -> None:
    # suspicious 0.01 / likely_scam 0.02 passed: any two weak signs made a notice likely_scam
    line = edit(reg, old, new)
    if words is None:
        load_registry(reg)
    else:
        assert old.split(":")[0].strip() in refused(reg, line, words).message


def test_threshold_above_all_warnings_together_is_refused(reg: Path) -> None:
    text = reg.read_text("utf-8")
    reg.write_text(regex.sub(r"(?m)^    max_score: \d+$", "    max_score: 5", text), "utf-8")
    refused(reg, line_of(reg, "  likely_scam: 70"), "no notice could be likely_scam")


# Links are compared by their ASCII host (an internationalised one as punycode): an official
# domain written otherwise loaded without a word and never matched, so the body's own site read
# as not official (its genuine notices suspicious); a scam-list entry so written never fired.
@pytest.mark.parametrize(("bad", "words"), [
    ("ｃｉｅｔａｃ.org", "write the host name in ASCII, as links are read: cietac.org"),  # full-width
    ("cietac。org", "in ASCII, as links are read: cietac.org"),             # an ideographic full stop
    ("cie\u200btac.org", "in ASCII, as links are read: cietac.org"),        # a zero-width space
    ("cie\U000e0020tac.org", "not a valid host name; write it in ASCII"),   # a tag character
    ("北京仲裁委员会.com", "as links are read: xn--1lq9fqez3o6wbx4puw9f.com"),
    ("xn--zz.org", "not valid punycode"),                                   # decodes to nothing
])
def test_official_domain_not_spelled_as_links_are_read_is_refused(reg: Path, bad: str, words: str) -> None:
    # at start-up and every reload (compile_registry, which `registry check` runs too)
    refused(reg, edit(reg, "  - value: cietac.org\n", f"  - value: {bad}\n"), re.escape(words))


def test_registry_check_names_an_official_domain_not_in_ascii(reg: Path) -> None:
    line = edit(reg, "  - value: cietac.org\n", "  - value: ｃｉｅｔａｃ.org\n")
    expect(reg, line, re.escape("as links are read: cietac.org"))


def test_an_internationalised_official_domain_in_punycode_loads(reg: Path) -> None:
    edit(reg, "  - value: cietac.org\n", "  - value: xn--1lq9fqez3o6wbx4puw9f.com\n")
    load_registry(reg)


@pytest.mark.parametrize("bad", ["ｗｌｚｃ-case.top", "wlzc-case。top", "xn--zz.top"])
def test_list_domain_not_spelled_as_links_are_read(reg: Path, bad: str) -> None:
    lst = reg.parent / "lists" / "scam_domains.txt"
    expect(lst, append(lst, bad), "in ASCII|not valid punycode")


# --- hostile round 9: what YAML or a careless edit makes of numbers, dates, places and sources ---

@pytest.mark.parametrize(("old", "new", "field"), [
    # YAML's true is a bool, and a bool is an int to Python: these loaded as 1 (or as on)
    ("    score: 40\n", "    score: true\n", "score"),
    ("  suspicious: 30\n", "  suspicious: true\n", "verdicts.suspicious"),
    ("  likely_scam_min_groups: 2\n", "  likely_scam_min_groups: true\n", "verdicts.likely_scam_min_groups"),
    ("    max_score: 40\n", "    max_score: false\n", "max_score"),
    ("    score: 40\n", "    score: '40'\n", "score"),
])
def test_a_number_written_as_a_bool_or_string_is_refused(reg: Path, old: str, new: str, field: str) -> None:
    line = edit(reg, old, new)
    assert field in expect(reg, line, "valid (number|integer)").message


def test_a_checked_date_still_to_come_is_refused_naming_the_field(reg: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    line = edit(reg, "  checked: '2026-11-24'\n", f"  checked: '{future}'\n")
    assert "institutions.0.checked" in expect(reg, line, "still to come").message


def test_a_checked_date_of_tomorrow_still_loads(reg: Path) -> None:
    # a maintainer in China (UTC+8) is on the next day for eight hours of a UTC machine's day
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    edit(reg, "  checked: '2026-11-24'\n", f"  checked: '{tomorrow}'\n")
    assert lint_report(reg).errors == []


@pytest.mark.parametrize("bad", ["北平", "浙江省", "Zhejiang", "杭州", "中国"])
def test_an_institution_province_not_in_the_cities_list_is_refused(reg: Path, bad: str) -> None:
    line = edit(reg, "  province: 北京\n", f"  province: {bad}\n")
    assert "institutions.0.province" in expect(reg, line, "not a provincial-level division").message


@pytest.mark.parametrize("good", ["香港", "澳门", "台湾", "新疆"])
def test_the_provinces_of_the_cities_list_are_accepted(reg: Path, good: str) -> None:
    edit(reg, "  province: 北京\n", f"  province: {good}\n")
    assert not [p for p in lint_report(reg).errors if "province" in p.message]


@pytest.mark.parametrize(("bad", "words"), [
    ("https://user:secret@juming.com/zx/15466.html", "user name or password"),
    ("https://juming.com@evil.example/zx/15466.html", "user name or password"),
    ("javascript://juming.com/%0aalert(1)", "not an http"),
    ("ftp://juming.com/zx/15466.html", "not an http"),
    ("file:///etc/passwd", "not an http"),
    ("https://juming.com:99999/zx", "port"),
])
def test_a_source_that_is_not_a_plain_web_address_is_refused(reg: Path, bad: str, words: str) -> None:
    line = edit(reg, "  source: https://juming.com/zx/15466.html\n", f"  source: '{bad}'\n")
    problem = expect(reg, line, words)
    assert problem.message.startswith("trusted_suffixes.0.source")
    assert "secret" not in problem.message  # a credential is not repeated into a CI log
