"""SensorThings query options: ``$filter`` (OData, parsed by odata-query), ``$orderby``, ``$top``, ``$skip``,
``$count``, ``$expand`` (nested, with options after ``;``) and ``$select``. Bad options raise
:class:`QueryError` with a Chinese message (answered 400)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from odata_query import ast as oast
from odata_query.django import AstToDjangoQVisitor
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.rewrite import AliasRewriter

from .resources import EntitySet

DEFAULT_TOP = 100
MAX_TOP = 10000


class QueryError(ValueError):
    """A query option that cannot be read (Chinese message)."""


@dataclass
class Options:  # 查询选项
    filter: str = ""
    orderby: str = ""
    top: int | None = None
    skip: int = 0
    count: bool = False
    select: list[str] = field(default_factory=list)
    expand: list[tuple[str, "Options"]] = field(default_factory=list)


def split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` outside parentheses and quotes."""
    parts, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quote:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _int(name: str, value: str, low: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise QueryError(f"{name} 必须是整数，收到“{value}”") from None
    if n < low:
        raise QueryError(f"{name} 不能小于 {low}")
    return n


def parse_options(pairs: dict[str, str]) -> Options:
    o = Options()
    for key, value in pairs.items():
        if key == "$filter":
            o.filter = value
        elif key == "$orderby":
            o.orderby = value
        elif key == "$top":
            o.top = min(_int("$top", value, 0), MAX_TOP)
        elif key == "$skip":
            o.skip = _int("$skip", value, 0)
        elif key == "$count":
            if value not in ("true", "false"):
                raise QueryError("$count 只能是 true 或 false")
            o.count = value == "true"
        elif key == "$select":
            o.select = [s.strip() for s in value.split(",") if s.strip()]
        elif key == "$expand":
            o.expand = parse_expand(value)
        elif key.startswith("$") and key not in ("$resultFormat",):
            raise QueryError(f"不支持的查询选项 {key}（支持 $filter、$orderby、$top、$skip、$count、$expand、$select）")
    return o


def parse_expand(text: str) -> list[tuple[str, Options]]:
    """``Datastreams($expand=Sensor;$top=5),Locations`` and ``Datastreams/Observations``."""
    out: list[tuple[str, Options]] = []
    for item in split_top(text, ","):
        head, _, rest = item.partition("/") if "(" not in item.split("/")[0] else (item, "", "")
        m = re.fullmatch(r"([A-Za-z]+)(?:\((.*)\))?", head.strip(), re.S)
        if not m:
            raise QueryError(f"$expand 无法识别：“{item}”")
        name, inner = m.group(1), m.group(2) or ""
        opts = parse_options(dict(_kv(p) for p in split_top(inner, ";"))) if inner else Options()
        if rest:
            opts.expand += parse_expand(rest)
        out.append((name, opts))
    return out


def _kv(part: str) -> tuple[str, str]:
    key, eq, value = part.partition("=")
    if not eq:
        raise QueryError(f"$expand 中的选项“{part}”缺少“=”")
    return key.strip(), value.strip()


def _identifiers(node: Any) -> list[str]:
    """Every property name a parsed filter uses (after aliasing)."""
    found: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, oast.Identifier):
            found.append(n.name)
            return
        if isinstance(n, oast.Attribute):
            found.append(_path(n))
            return
        for value in getattr(n, "__dict__", {}).values():
            if isinstance(value, (list, tuple)):
                for v in value:
                    walk(v)
            elif isinstance(value, oast._Node):
                walk(value)

    walk(node)
    return found


def _path(n: Any) -> str:
    if isinstance(n, oast.Attribute):
        return f"{_path(n.owner)}/{n.attr}"
    return getattr(n, "name", "?")


def apply_filter(qs: QuerySet, s: EntitySet, text: str) -> QuerySet:
    text = re.sub(r"@iot\.id\b", "id", text)
    try:
        tree = ODataParser().parse(ODataLexer().tokenize(text))
        tree = AliasRewriter(s.aliases).visit(tree)
    except ODataException as exc:
        raise QueryError(f"$filter 无法解析：{exc}") from None
    allowed = set(s.aliases.values()) | {"id"}
    unknown = [p for p in _identifiers(tree) if p not in allowed]
    if unknown:
        known = "、".join(sorted(k for k in s.aliases if "/" not in k or k.endswith("/id")))
        raise QueryError(f"$filter 中的属性“{unknown[0]}”不存在或不支持筛选（{s.name} 可用：id、{known}）")
    try:
        visitor = AstToDjangoQVisitor(s.model)
        q = visitor.visit(tree)
    except (ODataException, TypeError, ValueError) as exc:
        raise QueryError(f"$filter 无法执行：{exc}") from None
    if visitor.queryset_annotations:
        qs = qs.annotate(**visitor.queryset_annotations)
    return qs.filter(q)


def apply_orderby(qs: QuerySet, s: EntitySet, text: str) -> QuerySet:
    order = []
    for part in split_top(text, ","):
        bits = part.split()
        name = "id" if bits[0] in ("id", "@iot.id") else s.aliases.get(bits[0])
        if name is None:
            raise QueryError(f"$orderby 中的属性“{bits[0]}”不存在或不支持排序")
        desc = len(bits) > 1 and bits[1].lower() == "desc"
        if len(bits) > 1 and bits[1].lower() not in ("asc", "desc"):
            raise QueryError(f"$orderby 的方向只能是 asc 或 desc，收到“{bits[1]}”")
        order.append(("-" if desc else "") + name.replace("/", "__"))
    return qs.order_by(*order, "id" if "id" not in [o.lstrip("-") for o in order] else "pk")
