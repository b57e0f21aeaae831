"""Read registry.yaml into the schema, keeping line numbers so every problem says where it is."""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from verifier.registry import yaml_events, yaml_split
from verifier.registry.schema import RegistryFile

MAX_REGISTRY_BYTES = 64 * 1024 * 1024
# UTF-8; a byte-order mark at the start (Notepad's "UTF-8 with BOM") is dropped, as YAML drops it
# from registry.yaml: kept, it was a first entry '\ufeff' that broke the list's first line.
LIST_ENCODING = "utf-8-sig"
# A problem as printed, in /v1/registry and in the log: the start of a quoted value and the reason.
MAX_MESSAGE_CHARS = 400
# libyaml's parser when PyYAML was built with it: the pure-Python one needs ~7 s for 10,000
# institutions (bench/run.py); both give the same nodes and marks.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A value its constructor refuses (a date `2024-13-45`, an int of more than 4,300 digits)
    raises ValueError, which is no YAMLError: make it one, at the value's line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            why = str(exc).split(";")[0]  # not Python's own hint (sys.set_int_max_str_digits)
            raise yaml.constructor.ConstructorError(
                None, None, f"{why}; quote the value if it is text", node.start_mark) from exc


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        message = self.message
        if len(message) > MAX_MESSAGE_CHARS:  # a quoted value can be a whole 10 MB list line
            half = MAX_MESSAGE_CHARS // 2
            message = f"{message[:half]} … {message[-half:]}"
        return f"{self.path}:{self.line}:{self.col}: {message}"


class RegistryError(Exception):
    """A registry that must not be served; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid registry")


@dataclass
class Marks:
    """Where each key or item of the YAML document starts (1-based line and column).

    With `source`, the table is built from that text on first use: a registry that loads without
    a problem never needs it, and building it costs a node tree (seconds for a large registry).
    """

    file: str
    at: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)
    source: str | None = None

    def find(self, loc: tuple[str | int, ...]) -> tuple[int, int]:
        if self.source is not None:
            text, self.source = self.source, None
            _parse_with_marks(text, self)
        while loc and loc not in self.at:
            loc = loc[:-1]
        return self.at.get(loc, (1, 1))

    def problem(self, loc: tuple[str | int, ...], message: str) -> Problem:
        line, col = self.find(loc)
        return Problem(self.file, line, col, message)


@dataclass(frozen=True)
class RawRegistry:
    """The validated file plus what compile needs: its directory, hash input and marks."""

    model: RegistryFile
    path: Path
    content: bytes
    marks: Marks
    list_texts: dict[str, tuple[Path, str]]

    def digest(self) -> str:
        h = hashlib.sha256(self.content)
        for name in sorted(self.list_texts):
            h.update(name.encode())
            h.update(self.list_texts[name][1].encode())
        return h.hexdigest()[:16]


# What aliases (`*name`) may repeat in all, in nodes. A maintainer may share a small value; a
# "billion laughs" file (aliases of aliases of lists) expands to 10^9 nodes from a few lines.
MAX_ALIAS_NODES = 100_000
# The schema nests a few levels; libyaml allows 1,000, deeper than Python's recursion limit here.
MAX_DEPTH = 64


@dataclass
class _Aliases:
    """Nodes already walked (id -> nodes under it, None while still being walked): a node reached
    again is an alias, counted but not walked again, so the walk is linear in the file."""

    sizes: dict[int, int | None] = field(default_factory=dict)
    repeated: int = 0


def _walk(node: yaml.Node, loc: tuple[str | int, ...], marks: Marks, problems: list[Problem],
          aliases: _Aliases) -> int:
    """Fill `marks` and note duplicate keys; the number of nodes under `node`, aliases expanded."""
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    marks.at.setdefault(loc, (line, col))
    if len(loc) > MAX_DEPTH:
        raise RegistryError([Problem(marks.file, line, col, f"nested more than {MAX_DEPTH} levels deep")])
    if id(node) in aliases.sizes:
        size = aliases.sizes[id(node)]
        if size is None:
            raise RegistryError([Problem(marks.file, line, col, "an alias refers to a value that "
                                         "contains it (a cycle); write the value out instead")])
        aliases.repeated += size
        if aliases.repeated > MAX_ALIAS_NODES:
            raise RegistryError([Problem(marks.file, line, col, f"aliases repeat more than "
                                         f"{MAX_ALIAS_NODES:,} values (a YAML bomb?); write the values out instead")])
        return size
    aliases.sizes[id(node)] = None
    size = 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = loc + (key,)
            if key in seen:
                problems.append(
                    Problem(marks.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                            f"duplicate key {key!r}: the later one would silently win")
                )
            seen.add(key)
            marks.at[here] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            size += _walk(key_node, here, marks, problems, aliases)
            size += _walk(value_node, here, marks, problems, aliases)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            size += _walk(item, loc + (i,), marks, problems, aliases)
    aliases.sizes[id(node)] = size
    return size


def loc_text(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top)"


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a registry is built: it allocates ~1,000,000 objects
    (YAML events, models, indexes) and no cycles worth collecting, and each full pass over the
    growing heap made a load of the large bench registry take about twice as long."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_yaml(text: str, file: str) -> Any:
    """Another YAML file (the widget partners) read as safely as the registry: None when it holds
    nothing, RegistryError with line and column for bad YAML, a duplicate key, aliases that blow
    up or nesting deeper than MAX_DEPTH."""
    return _parse_with_marks(text, Marks(file), empty_ok=True)


def _parse_with_marks(text: str, marks: Marks, *, empty_ok: bool = False) -> Any:
    """PyYAML's full path: a node tree, whose marks fill `marks`; RegistryError on any problem."""
    file = marks.file
    problems: list[Problem] = []
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            if empty_ok:
                return None
            raise RegistryError([Problem(file, 1, 1, "the file is empty")])
        _walk(node, (), marks, problems, _Aliases())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RegistryError([Problem(file, line, col, f"YAML: {exc.problem or exc}")]) from exc
    except yaml.YAMLError as exc:
        raise RegistryError([Problem(file, 1, 1, f"YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if problems:
        raise RegistryError(problems)
    return data


class NotARegularFile(OSError):
    pass


def read_file_bounded(path: Path, limit: int = MAX_REGISTRY_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` + 1 (so the caller sees it is too large). Anything
    else is refused without reading: opening a FIFO blocks until a writer comes (a reload builder
    stuck forever, holding the reload lock), and a device like /dev/zero never ends."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(errno.EINVAL, "not a regular file (a directory, FIFO, device or socket)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_registry(path: Path) -> RawRegistry:
    """Parse and validate; raise RegistryError naming file, line and field on any problem."""
    file = str(path)
    try:
        if path.is_dir():
            raise RegistryError([Problem(file, 1, 1, "is a directory, not a registry file")])
        content = read_file_bounded(path)
    except OSError as exc:
        raise RegistryError([Problem(file, 1, 1, f"cannot read: {exc.strerror or exc}")]) from exc
    if len(content) > MAX_REGISTRY_BYTES:
        raise RegistryError([Problem(file, 1, 1, "larger than 64 MiB; move big lists to lists/*.txt")])
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError([Problem(file, 1, 1, f"not UTF-8 (byte {exc.start})")]) from exc

    try:
        data = yaml_split.load(text)  # yaml_events.load, on two cores for a large file
        marks = Marks(file, source=text)
    except yaml_events.Unsupported:  # or wrong: the full path says what and where
        marks = Marks(file)
        data = _parse_with_marks(text, marks)
    if not isinstance(data, dict):
        raise RegistryError([Problem(file, 1, 1, "the top level must be a mapping")])

    try:
        model = RegistryFile.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(
            [
                marks.problem(tuple(err["loc"]), f"{loc_text(tuple(err['loc']))}: {err['msg']}")
                for err in exc.errors()
            ]
        ) from exc

    problems: list[Problem] = []
    list_texts: dict[str, tuple[Path, str]] = {}
    for name, rel in model.lists.model_dump().items():
        if rel is None:
            continue
        try:
            # os.path.realpath: Path.resolve raises RuntimeError (no OSError) on a symlink loop
            list_path = Path(os.path.realpath(path.parent / rel))
            if list_path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a directory", str(list_path))
            data = read_file_bounded(list_path)
            if len(data) > MAX_REGISTRY_BYTES:
                raise OSError(errno.EFBIG, "larger than 64 MiB")
            list_texts[name] = (list_path, data.decode(LIST_ENCODING))
        except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL in the path
            problems.append(marks.problem(("lists", name),
                                          f"lists.{name}: cannot read {rel!r}: {exc}"))
    if problems:
        raise RegistryError(problems)
    return RawRegistry(model, path, content, marks, list_texts)


def list_entries(text: str) -> list[tuple[int, str]]:
    """Lines of a plain list without comments and blanks, with 1-based line numbers."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            out.append((number, entry))
    return out
