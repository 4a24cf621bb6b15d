"""Reading a price list: bytes or text → plain values, through PyYAML's safe loader's event stream.

YAML is read with PyYAML's safe loader (libyaml when available) and its safe scalar constructors, so values
are exactly what `yaml.safe_load` makes of them — but from the event stream, one good at a time, so a
100,000-good file never exists as a node graph plus a parsed copy in memory. Stricter than safe_load: anchors
and aliases (the "billion laughs" bomb), merge keys, duplicate mapping keys (YAML keeps the last one silently),
any tag beyond text/number/bool/null/date (`!!python/object`…) and more nodes than the goods limit allows are
refused with a clear message.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

import yaml

from storefront.suppliers.pricelist.model import STREAMED, PriceListInvalid, Problem

try:  # libyaml is ~10x faster on big lists; the pure-Python loader behaves the same.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - libyaml ships with the PyYAML wheels
    from yaml import SafeLoader

NODES_PER_GOOD = 80  # a good with 30 parameters is ~70 nodes; far beyond that is not a price list

SAFE_SCALAR_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
SEQ_TAG, MAP_TAG = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_SCALAR, _MAPPING_END = yaml.ScalarEvent, yaml.MappingEndEvent
MAX_DEPTH = 16


class Source:
    """The document handed to the loader a slice at a time: given a whole string, libyaml first copies all of
    it as UTF-8. Named as a string source is, so the loader's messages read the same."""

    name = "<unicode string>"

    def __init__(self, data: str | bytes, start: int = 0):
        self.data = data
        self.position = start

    def read(self, size: int) -> str | bytes:
        piece = self.data[self.position:self.position + size]
        self.position += len(piece)
        return piece


class Reader:
    """Builds plain values from the loader's event stream, one good at a time (a node graph of a 100,000-good
    file would need over a gigabyte). Scalars are resolved and constructed exactly as safe_load does; the loops
    are written for speed, since a large list is some 2.5 million events."""

    def __init__(self, source: Source, max_nodes: int):
        self.loader = SafeLoader(source)
        self.get_event = self.loader.get_event
        self.max_nodes = max_nodes
        self.count = 0
        # Plain scalars that resolve to a tag start with one of these characters, and no resolver matches
        # anything else: any other plain scalar is text as written. (None: the loader resolves in ways these
        # shortcuts do not know, so every scalar goes through it.)
        resolvers = self.loader.yaml_implicit_resolvers
        simple = None not in resolvers and not self.loader.yaml_path_resolvers
        self.text_first = frozenset(resolvers) if simple else None
        # Plain scalars repeat ("id", "price", category ids, "чёрный"): each is resolved once. Bounded, and the
        # values are immutable (text, numbers, booleans, None, dates).
        self.plain: dict[str, Any] = {}

    def _node(self, event) -> None:
        """Count a node and refuse anchors (aliases are refused where they arrive)."""
        self.count += 1
        if self.count > self.max_nodes:
            raise PriceListInvalid.single(f"The file has more than {self.max_nodes:,} YAML nodes; it is too big "
                                          "to be a price list.")
        if event.anchor is not None:
            _refuse_alias(event)

    def _refuse_tag(self, event) -> None:
        raise PriceListInvalid.single(f"The file uses a YAML tag that is not allowed (line {event.start_mark.line + 1}): "
                                      "only plain text, numbers, yes/no, lists and mappings are.")

    def scalar(self, event) -> Any:
        self.count += 1  # `_node`, inline: this runs for most of the file's events
        if self.count > self.max_nodes or event.anchor is not None:
            self._node(event)
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted, a block, or "!": text, as the resolver would say
                return event.value
            value = event.value
            known = self.plain.get(value, _UNKNOWN)
            if known is not _UNKNOWN:
                return known
            if self.text_first is not None:
                if value and value[0] not in self.text_first:
                    return value
                if len(value) <= 18 and value.isdigit() and value.isascii() and value[0] != "0":
                    return int(value)  # [1-9][0-9]*: YAML 1.1's decimal int, the resolver's first match for it
            result = self._construct(event, self.loader.resolve(yaml.ScalarNode, value, event.implicit))
            if self.text_first is not None and len(value) <= 64 and len(self.plain) < 20_000:
                self.plain[value] = result
            return result
        return self._construct(event, tag)

    def _construct(self, event, tag: str) -> Any:
        if tag == "tag:yaml.org,2002:merge":
            raise PriceListInvalid.single(f"YAML merge keys (<<) are not allowed (line {event.start_mark.line + 1}).")
        if tag not in SAFE_SCALAR_TAGS:
            self._refuse_tag(event)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError):  # 2024-02-30 looks like a date but is none
            raise PriceListInvalid.single(f"“{event.value[:50]}” is not a valid value "
                                          f"(line {event.start_mark.line + 1}).") from None

    def value(self, event, depth: int = 0) -> Any:
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            return self.scalar(event)
        if depth > MAX_DEPTH:
            raise PriceListInvalid.single("The file nests too deeply to be a price list.")
        if kind is yaml.MappingStartEvent:
            self._node(event)
            if event.tag not in (None, "!", MAP_TAG):
                self._refuse_tag(event)
            return self.mapping(depth)
        if kind is yaml.SequenceStartEvent:
            self._node(event)
            if event.tag not in (None, "!", SEQ_TAG):
                self._refuse_tag(event)
            get_event, items = self.get_event, []
            while (event := get_event()).__class__ is not yaml.SequenceEndEvent:
                items.append(self.value(event, depth + 1))
            return items
        if kind is yaml.AliasEvent:
            _refuse_alias(event)
        raise PriceListInvalid.single("The file is not a single YAML document.")

    def mapping(self, depth: int) -> dict:
        get_event, scalar, value, mapping = self.get_event, self.scalar, self.value, {}
        while (event := get_event()).__class__ is not _MAPPING_END:
            key = scalar(event) if event.__class__ is _SCALAR else value(event, depth + 1)
            if key.__class__ is not str or key in mapping or key == "<<":
                self._check_key(key, mapping, event)
            event = get_event()
            mapping[key] = scalar(event) if event.__class__ is _SCALAR else value(event, depth + 1)
        return mapping

    @staticmethod
    def _check_key(key: Any, mapping: dict, event) -> None:
        line = event.start_mark.line + 1
        if key == "<<":
            raise PriceListInvalid.single(f"YAML merge keys (<<) are not allowed (line {line}).")
        if isinstance(key, (list, dict)):
            raise PriceListInvalid.single(f"A mapping key must be a plain value (line {line}).")
        if key in mapping:
            raise PriceListInvalid([Problem(f"The key “{key}” appears twice in one mapping (line {line}).",
                                            field=str(key)[:200])])

    def document(self, on_good: Callable[[Any], None]) -> Any:
        """The document's root; items of a top-level `goods` list go to `on_good` instead of into it."""
        get_event = self.get_event
        get_event()  # stream start
        event = get_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        root = get_event()
        if isinstance(root, yaml.MappingStartEvent) and root.tag in (None, "!", MAP_TAG):
            self._node(root)
            result: dict = {}
            while not isinstance(event := get_event(), yaml.MappingEndEvent):
                key = self.value(event, 1)
                if isinstance(key, (list, dict)) or key == "<<":
                    raise PriceListInvalid.single("The file's top-level keys must be shop, categories and goods.")
                self._check_key(key, result, event)
                event = get_event()
                if key == "goods" and isinstance(event, yaml.SequenceStartEvent) and event.tag in (None, "!", SEQ_TAG):
                    self._node(event)
                    result[key] = STREAMED
                    while not isinstance(item := get_event(), yaml.SequenceEndEvent):
                        on_good(self.value(item, 2))
                else:
                    result[key] = self.value(event, 1)
        else:
            result = self.value(root)
        get_event()  # document end
        if not isinstance(get_event(), yaml.StreamEndEvent):
            raise PriceListInvalid.single("The file holds more than one YAML document.")
        return result

    def read(self, on_good: Callable[[Any], None]) -> Any:
        try:
            return self.document(on_good)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            what = exc.problem or exc.context or "malformed YAML"
            raise PriceListInvalid.single(f"The file is not valid YAML{where}: {what}.") from None
        except yaml.YAMLError as exc:
            raise PriceListInvalid.single(f"The file is not valid YAML: {exc}.") from None
        finally:
            self.loader.dispose()


def _refuse_alias(event) -> None:
    # Aliases are how YAML bombs multiply: a price list never needs them.
    raise PriceListInvalid.single("YAML anchors and aliases (&name / *name) are not allowed "
                                  f"(line {event.start_mark.line + 1}).")



_UNKNOWN = object()


def decode(raw: bytes) -> str:
    """Bytes as UTF-8 text (a BOM is dropped); raise PriceListInvalid for anything else."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc.start) from None


def _not_utf8(byte: int) -> PriceListInvalid:
    return PriceListInvalid([Problem(f"The file is not UTF-8 text (byte {byte}).")])


def utf8_source(raw: bytes, step: int = 1 << 20) -> Source | None:
    """The bytes after any BOM if they are UTF-8 text, checked a slice at a time as `decode` would check them
    (without a decoded copy of the whole file); None when the text is blank."""
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    position, blank = start, True
    while position < len(raw):
        final = position + step >= len(raw)
        try:  # not final: a character cut at the slice's end is left for the next slice
            text, consumed = codecs.utf_8_decode(raw[position:position + step], "strict", final)
        except UnicodeDecodeError as exc:
            raise _not_utf8(position - start + exc.start) from None  # counted after the BOM, as `decode` does
        blank = blank and (not text or text.isspace())
        position += consumed
    return None if blank else Source(raw, start)



def utf8_size(text: str, step: int = 1 << 20) -> int:
    """The UTF-8 size of `text`, a slice at a time (encoding a 30 MB list whole would double its memory)."""
    return sum(len(text[start:start + step].encode("utf-8")) for start in range(0, len(text), step))
