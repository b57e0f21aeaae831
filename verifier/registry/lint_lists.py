"""Lint the plain lists (registry/lists/*.txt): canonical form and well-formed entries.

Every problem points into the list file itself (its path and 1-based line), not into
registry.yaml, so an editor jumps to the offending line. Canonical form (as in
disposable-email-domains): one entry a line, lower-case, no trailing spaces, no duplicates,
sorted. `cities` is a table (short<TAB>full<TAB>province) kept in administrative-code order, so it
is checked for shape and duplicates but not for order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import regex

from verifier.analysis.phones import classify, digits_key
from verifier.analysis.urls import registered_domain
from verifier.registry.load import Problem, list_entries

DOMAIN_LISTS = frozenset({"scam_domains", "shorteners", "free_hosting", "shared_documents"})
NUMBER_LISTS = frozenset({"scam_numbers"})
TLD_LISTS = frozenset({"abused_tlds"})
TABLE_LISTS = frozenset({"cities"})
_LABEL = regex.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def domain_problem(value: str) -> str | None:
    """Why `value` is not a lower-case host name under a public suffix (None if it is one)."""
    if "://" in value or "/" in value or "?" in value:
        return f"{value!r}: write the host name only, without scheme or path"
    if value != value.lower():
        return f"{value!r}: write domains in lower case"
    if value != value.strip().strip(".") or any(c.isspace() for c in value) or ":" in value:
        return f"{value!r}: not a host name (no spaces, port or leading/trailing dot)"
    if not value.isascii():
        return _not_ascii(value)
    try:  # an xn-- label that decodes to nothing is no name anyone can register
        value.encode("ascii").decode("idna")
    except UnicodeError:
        return f"{value!r}: an xn-- label that is not valid punycode; copy the domain's xn-- form again"
    if not all(_LABEL.match(label) for label in value.split(".")):
        return f"{value!r}: not a host name (labels are letters, digits and inner hyphens)"
    # "x." + value: a suffix such as gov.cn or github.io is fine if something can be registered below it.
    if not registered_domain("x." + value):
        return f"{value!r}: has no public suffix (check the spelling of the top-level domain)"
    return None


def _not_ascii(value: str) -> str:
    """Links are compared by their ASCII host (an internationalised one as punycode), so an entry
    in another spelling (full-width letters, 。 for a dot, an invisible character, Chinese
    characters) loaded without a word and never matched: an official site read as not official."""
    import idna

    try:
        spelled = idna.encode(value, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return f"{value!r}: not a valid host name; write it in ASCII (an internationalised one in its xn-- form)"
    return f"{value!r}: write the host name in ASCII, as links are read: {spelled}"


def phone_problem(value: str, regions: tuple[str, ...] = ()) -> str | None:
    """Why `value` is not a China or E.164 number (None if it is one).

    A number passes if the project's own classifier recognises it (mobile, 106 port, 95/96 or
    12xxx short number, 400/800, landline with area code, +CC foreign) or libphonenumber calls it
    valid for China, for E.164, or for the institution's own region (Hong Kong short numbers).
    """
    import phonenumbers
    from phonenumbers import shortnumberinfo

    if any(c.isalpha() for c in value):
        return f"{value!r}: a phone number has digits only (and + - ( ) spaces)"
    key = digits_key(value)
    if not key:
        return f"{value!r} is not a phone number"
    if classify(key, ()) not in ("other", "bank_card"):
        return None
    for region in ("CN",) + regions:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) or shortnumberinfo.is_valid_short_number_for_region(
            number, region
        ):
            return None
    return f"{value!r} is not a valid China or E.164 number (write +<country code> for foreign numbers)"


def lint_list(name: str, path: Path, text: str) -> list[Problem]:
    file = str(path)
    out: list[Problem] = []

    def bad(line: int, col: int, message: str) -> None:
        out.append(Problem(file, line, col, f"{name}: {message}"))

    for number, line in enumerate(text.splitlines(), 1):
        if line != line.rstrip():
            bad(number, len(line.rstrip()) + 1, "trailing spaces; remove them")
    seen: dict[str, int] = {}
    previous = ""
    for number, entry in list_entries(text):
        if entry in seen:
            bad(number, 1, f"{entry!r} duplicates line {seen[entry]}; remove one")
            continue
        seen[entry] = number
        if name in TABLE_LISTS:
            continue  # its shape (three tab-separated columns) is checked by compile_registry
        if entry != entry.lower():
            bad(number, 1, f"{entry!r}: write entries in lower case")
        if previous and entry < previous:
            bad(number, 1, f"{entry!r} is out of order (after {previous!r}); keep the list sorted")
        previous = max(previous, entry)
        if name in DOMAIN_LISTS:
            problem = domain_problem(entry)
            if problem:
                bad(number, 1, problem)
        elif name in TLD_LISTS:
            if "." in entry or not registered_domain("x." + entry):
                bad(number, 1, f"{entry!r}: not a top-level domain (one label, such as top)")
        elif name in NUMBER_LISTS:
            problem = phone_problem(entry)
            if problem:
                bad(number, 1, problem)
    return out


def list_conflicts(
    name: str, path: Path, text: str, official: dict[str, str], what: str, key: Callable[[str], str]
) -> list[Problem]:
    """Entries of a block list that are also an institution's official domain or number."""
    out = []
    for number, entry in list_entries(text):
        k = key(entry)
        if k and k in official:
            out.append(
                Problem(str(path), number, 1,
                        f"{name}: {entry} is also an official {what} of {official[k]!r}; "
                        "remove one (a blocked official contact would flag genuine notices)")
            )
    return out
