"""The one front door for files: scenarios, protocols, rubrics and saved cases are read here.

Every reader of a file comes through this module, so a file is refused the same way whoever
reads it, as ``InvalidInput`` naming the file, the place, a shortened value and the rule:

- only a regular file is opened (``os.stat`` first: a FIFO or a device never hangs a reader);
- no more than ``Limits.size`` bytes, checked before the file is read;
- UTF-8 text (a byte-order mark is allowed and dropped);
- nesting no deeper than ``Limits.depth``, no more than ``Limits.nodes`` values, and no number
  written with more than ``Limits.number_length`` characters, checked while parsing;
- no duplicate keys, and every number finite (files hold no NaN or infinity);
- YAML is read as YAML 1.2 plain data: no anchors or aliases (``&a`` / ``*a``: a 1 KB file of
  them expands to gigabytes), no tags but the core ones, ``true``/``false`` the only booleans
  (``yes``, ``no``, ``on``, ``off`` are text), no base-60 numbers (``1:30`` is text) and no
  timestamps (a date stays text, for the model to read).

``SETTINGS`` holds the limits for scenario, protocol and rubric files; ``CASES`` the larger ones
for saved timelines and snapshots.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .errors import InvalidInput

__all__ = ["CASES", "SETTINGS", "Limits", "parse_mapping", "read_json", "read_mapping"]


@dataclass(frozen=True, slots=True)
class Limits:
    """How large a file may be; each limit is checked before or while the file is parsed."""

    size: int  # bytes in the file
    depth: int  # mappings and lists inside one another
    nodes: int  # values of any kind: keys, scalars, mappings, lists
    number_length: int  # characters in one written number


SETTINGS = Limits(size=256 << 10, depth=32, nodes=10_000, number_length=100)
"""Scenario, protocol and rubric files: 256 KiB, 32 levels, 10,000 values, 100-character numbers."""

CASES = Limits(size=64 << 20, depth=32, nodes=5_000_000, number_length=100)
"""Saved timelines and snapshots (JSON): 64 MiB, 32 levels, 5,000,000 values."""

_SUFFIXES = ".toml, .json, .yaml or .yml"


def read_mapping(path: Path, limits: Limits = SETTINGS) -> dict[str, Any]:
    """Read a TOML, JSON or YAML file whose top level is a mapping."""
    what = f"file {path}"
    text = _read_text(path, what, limits)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json", ".yaml", ".yml"):
        raise InvalidInput.single(what, "path", str(path), f"must end in {_SUFFIXES}")
    return parse_mapping(text, suffix, what, limits)


def parse_mapping(text: str, suffix: str, what: str, limits: Limits = SETTINGS) -> dict[str, Any]:
    """Parse ``text`` as TOML, JSON or YAML (by ``suffix``) into a mapping, within ``limits``."""
    source = _Source(text, what, limits)
    data = (
        source.toml()
        if suffix == ".toml"
        else source.json()
        if suffix == ".json"
        else source.yaml()
    )
    if not isinstance(data, dict):
        raise InvalidInput.single(what, "(root)", type(data).__name__, "must be a mapping of keys")
    return data


def read_json(path: Path, limits: Limits = CASES) -> tuple[Any, str]:
    """Read a JSON file within ``limits``: its value, and its text for a model to parse again."""
    what = f"case file {path}"
    text = _read_text(path, what, limits)
    return _Source(text, what, limits).json(), text


# -- Bytes to text -----------------------------------------------------------------------------


def _read_text(path: Path, what: str, limits: Limits) -> str:
    def refuse(rule: str) -> InvalidInput:
        return InvalidInput.single(what, "path", str(path), rule)

    try:
        # Stat first: opening a FIFO would wait for a writer that never comes.
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise refuse("is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise refuse("is not a regular file (a FIFO, device or socket)")
        # Non-blocking, and checked again once open, in case the path changed in between.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise refuse("is not a regular file")
            data = b"" if status.st_size > limits.size else file.read(limits.size + 1)
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror or type(error).__name__})") from None
    if status.st_size > limits.size or len(data) > limits.size:
        rule = f"is too large: isletflow.files limits this kind of file to {limits.size:,} bytes"
        raise InvalidInput.single(what, "(file)", max(status.st_size, len(data)), rule)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 4]
        rule = "is not UTF-8 text; save the file as UTF-8"
        raise InvalidInput.single(what, f"byte {error.start}", bad, rule) from None


# -- Text to data ------------------------------------------------------------------------------

_NOT_FINITE = "must be a finite number (files hold no NaN or infinity)"


def _place(line: int, column: int) -> str:
    return f"line {line}, column {column}"


@dataclass(frozen=True, slots=True)
class _Source:
    """One file's text, parsed within its limits; every refusal names the file."""

    text: str
    what: str
    limits: Limits

    def refuse(self, place: str, value: Any, rule: str) -> InvalidInput:
        return InvalidInput.single(self.what, place, value, rule)

    def too_deep(self, place: str = "(file)") -> InvalidInput:
        rule = f"nests deeper than {self.limits.depth} levels of mappings and lists"
        return self.refuse(place, "(nesting)", rule)

    def too_long(self, place: str, token: str) -> InvalidInput:
        return self.refuse(place, token, f"is longer than {self.limits.number_length} characters")

    def where(self, token: str) -> str:
        """Where ``token`` first occurs (for parsers that do not say where they are)."""
        index = self.text.find(token)
        return "(file)" if index < 0 else self.at(index)

    def at(self, index: int) -> str:
        """The line and column of character ``index``."""
        line = self.text.count("\n", 0, index) + 1
        return _place(line, index - self.text.rfind("\n", 0, index))

    def line(self, number: int) -> str:
        """The text of line ``number`` (from 0), stripped."""
        lines = self.text.split("\n", number + 1)
        return lines[number].strip() if number < len(lines) else ""

    def number(self, token: str, kind: Callable[[str], Any] = float) -> Any:
        if len(token) > self.limits.number_length:
            raise self.too_long(self.where(token), token)
        value = kind(token)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.refuse(self.where(token), token, _NOT_FINITE)
        return value

    def json(self) -> Any:
        def constant(token: str) -> Any:
            raise self.refuse(
                self.where(token), token, "is not JSON (which has no NaN or Infinity)"
            )

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            mapping: dict[str, Any] = {}
            for key, value in items:
                if key in mapping:
                    raise self.refuse(f"key {key!r}", key, "appears twice in one object")
                mapping[key] = value
            return mapping

        try:
            data = json.loads(
                self.text,
                object_pairs_hook=pairs,
                parse_int=lambda token: self.number(token, int),
                parse_float=self.number,
                parse_constant=constant,
            )
        except json.JSONDecodeError as error:
            place, value = _place(error.lineno, error.colno), self.line(error.lineno - 1)
            raise self.refuse(place, value, f"is not valid JSON: {error.msg}") from None
        except RecursionError:
            raise self.too_deep() from None
        return self.walk(data)

    def toml(self) -> Any:
        try:
            data = tomllib.loads(self.text, parse_float=self.number)
        except InvalidInput:
            raise
        except tomllib.TOMLDecodeError as error:
            raise self.refuse("(file)", "", f"is not valid TOML: {error}") from None
        except RecursionError:
            raise self.too_deep() from None
        except ValueError:  # Python's own limit on the digits of an integer (4,300)
            raise self.too_long("(file)", "(an integer)") from None
        return self.walk(data)

    def yaml(self) -> Any:
        loader = None
        try:
            loader = _Loader(self)  # the reader checks the characters here already
            data = loader.get_single_data()
        except yaml.reader.ReaderError as error:
            rule = "is a character YAML does not allow (a control character)"
            raise self.refuse(self.at(error.position), chr(error.character), rule) from None
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            rule = "; ".join(part for part in (error.context, error.problem) if part)
            place, value = "(file)", ""
            if mark is not None:
                place, value = _place(mark.line + 1, mark.column + 1), self.line(mark.line)
            raise self.refuse(place, value, f"is not valid YAML: {rule}") from None
        except yaml.YAMLError as error:
            raise self.refuse("(file)", "", f"is not valid YAML: {error}") from None
        finally:
            if loader is not None:
                loader.dispose()
        return self.walk(data)

    def walk(self, data: Any) -> Any:
        """``data``, checked without recursion: depth, count, integers, text."""
        largest = 10**self.limits.number_length
        count = 0
        stack: list[tuple[Any, int]] = [(data, 0)]
        while stack:
            value, depth = stack.pop()
            count += 1
            if count > self.limits.nodes:
                raise self.refuse("(file)", count, f"is more than {self.limits.nodes:,} values")
            if isinstance(value, dict | list):
                if depth + 1 > self.limits.depth:
                    raise self.too_deep()
                items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
                stack.extend((item, depth + 1) for item in items)
            elif isinstance(value, str) and not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    rule = "holds a lone surrogate (\\ud800-\\udfff), which is not text"
                    raise self.refuse("(file)", value, rule) from None
            elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= largest:
                raise self.too_long("(file)", "(an integer)")
        return data


# -- YAML 1.2 plain data -----------------------------------------------------------------------


class _Resolver(BaseResolver):
    """YAML 1.2's core schema for plain scalars; every other plain scalar is text."""


_INT = r"[-+]?[0-9]+"
_FLOAT = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", rf"{_FLOAT}|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "-+0123456789."),
    ("null", r"~|null|Null|NULL|", "~nN"),
):
    _Resolver.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(rf"(?:{_pattern})\Z"), [*_first]
    )
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"\Z"), [""])


class _Loader(Reader, Scanner, Parser, Composer, SafeConstructor, _Resolver):
    """A YAML loader that refuses anchors, aliases, duplicate keys and oversized input."""

    yaml_constructors: ClassVar[dict[Any, Any]] = {}  # filled below

    def __init__(self, source: _Source) -> None:
        Reader.__init__(self, source.text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self.source = source
        self.count = 0
        self.depth = 0

    def refuse(self, node: Any, value: Any, rule: str) -> InvalidInput:
        mark = node.start_mark
        return self.source.refuse(_place(mark.line + 1, mark.column + 1), value, rule)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self.check_event()  # reads the next event into current_event
        event = self.current_event
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            name = ("*" if isinstance(event, AliasEvent) else "&") + str(event.anchor)
            rule = "is a YAML anchor or alias, which isletflow does not read: write the value out"
            raise self.refuse(event, name, rule)
        limits = self.source.limits
        self.count += 1
        if self.count > limits.nodes:
            raise self.refuse(event, self.count, f"is more than {limits.nodes:,} values")
        nested = isinstance(event, CollectionStartEvent)
        if nested and self.depth >= limits.depth:
            raise self.source.too_deep(_place(event.start_mark.line + 1, 1))
        self.depth += nested
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= nested

    def number(self, node: ScalarNode, pattern: str, kind: Callable[[str], Any]) -> Any:
        token, limit = str(node.value), self.source.limits.number_length
        if len(token) > limit:
            raise self.refuse(node, token, f"is longer than {limit} characters")
        if token.lstrip("+-").lower() in (".inf", ".nan"):
            raise self.refuse(node, token, _NOT_FINITE)
        if not re.fullmatch(pattern, token):
            raise self.refuse(node, token, "is not a decimal number")
        value = kind(token)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.refuse(node, token, _NOT_FINITE)
        return value

    def integer(self, node: ScalarNode) -> int:
        value: int = self.number(node, _INT, int)
        return value

    def real(self, node: ScalarNode) -> float:
        value: float = self.number(node, _FLOAT, float)
        return value

    def flag(self, node: ScalarNode) -> bool:
        if node.value not in ("true", "True", "TRUE", "false", "False", "FALSE"):
            raise self.refuse(node, node.value, "is not true or false")
        return str(node.value).lower() == "true"

    def mapping(self, node: MappingNode) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        yield data
        first: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node)
            try:
                seen = first.get(key)
            except TypeError:
                raise self.refuse(key_node, key, "cannot be a key (a mapping or list)") from None
            if seen is not None:
                rule = f"appears twice in one mapping (first on line {seen.start_mark.line + 1})"
                raise self.refuse(key_node, key, rule)
            first[key] = key_node
            data[key] = self.construct_object(value_node)


# Only the core tags; any other (!!binary, !!timestamp, !!python/...) is refused.
_Loader.yaml_constructors.update(
    {
        None: SafeConstructor.construct_undefined,
        "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
        "tag:yaml.org,2002:str": SafeConstructor.construct_yaml_str,
        "tag:yaml.org,2002:seq": SafeConstructor.construct_yaml_seq,
        "tag:yaml.org,2002:map": _Loader.mapping,
        "tag:yaml.org,2002:bool": _Loader.flag,
        "tag:yaml.org,2002:int": _Loader.integer,
        "tag:yaml.org,2002:float": _Loader.real,
    }
)
