"""YAML files read with the line of every key and item, and duplicate keys refused.

PyYAML keeps the last of two equal keys in a mapping without a word (`filter:` written twice
keeps one filter); a spec must not. And every problem found later, by the schema or by a check
across files, is reported at its line, so the reader records where each mapping key and list
item begins while the file is constructed (one pass, with libyaml's C parser when available).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import SpecError

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnreadableSpec(SpecError):
    """A spec file that cannot be parsed at all: where, and why."""

    def __init__(self, path: Path, line: int, reason: str):
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}")


_SELF = "\0self"  # where a container itself begins, among its keys' lines (no key holds a NUL)

Loc = tuple[str | int, ...]  # a key path into a file: ("tables", 3, "series", 0, "filter")


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """The safe loader, noting each container's key lines (by the container's id) and the
    keys a mapping repeats."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self.positions: dict[int, dict[Any, int]] = {}
        self.repeated: list[tuple[Any, int]] = []

    def construct_yaml_map(self, node: yaml.MappingNode) -> Iterator[dict]:  # a generator, as PyYAML's
        data: dict = {}
        yield data
        data.update(self.construct_mapping(node))
        lines = {_SELF: node.start_mark.line}
        for key_node, _ in node.value:  # merged (<<) keys included, as construct_mapping sees them
            key = self.construct_object(key_node)
            if key in lines:
                self.repeated.append((key, key_node.start_mark.line))
            else:
                lines[key] = key_node.start_mark.line
        self.positions[id(data)] = lines

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Iterator[list]:
        items: list = []
        yield items
        items.extend(self.construct_sequence(node))
        self.positions[id(items)] = {
            _SELF: node.start_mark.line,
            **{i: child.start_mark.line for i, child in enumerate(node.value)},
        }


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)


@dataclass
class Source:
    """One parsed YAML file: its data, and where each of its keys and items is written."""

    path: Path
    data: Any
    positions: dict[int, dict[Any, int]]  # id(container) -> key or index -> 0-based line
    repeated: list[tuple[Any, int]]  # keys written twice in one mapping, and the second's line

    def line(self, loc: Loc) -> int:
        """The line (1-based) of the deepest part of `loc` the file has: a missing key is
        reported at its mapping's line."""
        node = self.data
        found = self.positions.get(id(node), {}).get(_SELF, 0)
        for part in loc:
            if not isinstance(node, (dict, list)):
                break
            here = self.positions.get(id(node), {})
            if isinstance(node, dict) and part in node:
                found, node = here.get(part, found), node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                found, node = here.get(part, found), node[part]
            else:
                break
        return found + 1


def read_source(path: Path) -> Source:
    """Parse one YAML file, naming the file (and line) in any error."""
    try:
        with open(path, encoding="utf-8") as fh:
            loader = _Loader(fh)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
    except FileNotFoundError as exc:
        raise UnreadableSpec(path, 1, "file not found") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableSpec(path, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UnreadableSpec(
            path, mark.line + 1 if mark is not None else 1, f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from exc
    return Source(path, data, loader.positions, loader.repeated)
