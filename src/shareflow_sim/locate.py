"""Locator strategies, run on the page source tree (see :mod:`shareflow_sim.source`).

Every strategy works on the very XML a harness gets from ``driver.page_source``,
so what it reads there is what it can find. Android: ``id``, ``accessibility
id``, ``class name``, ``xpath`` and ``-android uiautomator`` (UiSelector chains,
UiScrollable). iOS: ``id``, ``name``, ``accessibility id``, ``class name``,
``xpath``, ``-ios predicate string`` (NSPredicate) and ``-ios class chain``.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import elementpath
from elementpath import XPath2Parser
from lxml import etree

El = etree._Element
Test = Callable[[El], bool]

STRATEGIES = {
    "android": ("id", "accessibility id", "class name", "xpath", "-android uiautomator"),
    "ios": ("id", "name", "accessibility id", "class name", "xpath", "-ios predicate string", "-ios class chain"),
}


class SelectorError(ValueError):
    """A selector that cannot be parsed or is not supported (W3C ``invalid selector``)."""


def find(
    scope: El, strategy: str, selector: str, *, platform: str, package: str, whole: bool, xpath2: bool = False
) -> list[El]:
    """Elements matching ``selector`` at or below ``scope``, in document order.

    ``whole`` is a search of the whole screen: ``scope`` (the tree's search
    root) may match itself and XPath runs on the whole document; otherwise
    (a search from an element) only what is below ``scope`` is searched.
    ``package`` completes bare Android resource ids. ``xpath2``: XPath 2.0, as
    UiAutomator2 evaluates it unless its ``enforceXPath1`` setting is on
    (appium-uiautomator2-server ``core/AccessibilityNodeInfoDumper.java``); else XPath 1.0.
    """
    if strategy == "xpath":
        return _xpath(scope, selector, whole, xpath2)
    candidates = list(scope.iter() if whole else scope.iterdescendants())
    if strategy == "-android uiautomator":
        return _uiautomator(selector, candidates)
    if strategy == "-ios class chain":
        return _class_chain(selector, scope)
    if strategy == "-ios predicate string":
        test = predicate(selector)
    else:
        test = _simple(strategy, selector, platform, package)
    return [el for el in candidates if test(el)]


def _simple(strategy: str, value: str, platform: str, package: str) -> Test:
    if strategy == "class name":
        return lambda el: el.tag == value
    if platform == "android":
        if strategy == "accessibility id":
            return lambda el: el.get("content-desc") == value
        rid = value if ":id/" in value else f"{package}:id/{value}"
        return lambda el: el.get("resource-id") == rid
    if strategy == "accessibility id":
        return lambda el: value in (el.get("name"), el.get("label"))
    return lambda el: el.get("name") == value


# -- xpath ---------------------------------------------------------------------
def _xpath(scope: El, expr: str, whole: bool, xpath2: bool) -> list[El]:
    """XPath over the whole document, or over a copy of the scope's subtree (a search from an element)."""
    run = _run_xpath2 if xpath2 else _run_xpath
    if whole:
        return run(etree.ElementTree(scope.getroottree().getroot()), expr)
    clone = copy.deepcopy(scope)
    originals = dict(zip(clone.iter(), scope.iter(), strict=True))
    return [originals[el] for el in run(etree.ElementTree(clone), expr)]


def _run_xpath(tree: etree._ElementTree, expr: str) -> list[El]:
    try:
        result = tree.xpath(expr)
    except etree.XPathError as exc:
        raise SelectorError(f"Unable to locate an element with the xpath expression {expr} because of: {exc}") from exc
    if not isinstance(result, list) or not all(isinstance(r, etree._Element) for r in result):
        raise SelectorError(f"The xpath expression '{expr}' does not select elements (got {result!r})")
    return result


def _run_xpath2(tree: etree._ElementTree, expr: str) -> list[El]:
    """XPath 2.0 (elementpath on lxml); items that are not elements are passed over, as UiAutomator2 does."""
    try:
        result = elementpath.select(tree, expr, parser=XPath2Parser)
    except elementpath.ElementPathError as exc:
        raise SelectorError(f"Unable to locate an element with the xpath expression {expr} because of: {exc}") from exc
    items = result if isinstance(result, list) else [result]
    return [item for item in items if isinstance(item, etree._Element)]


# -- tokens shared by the UiSelector and NSPredicate parsers ------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # "str", "num", "name", "op", "mod", "end"
    text: str
    value: Any = None


_TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<mod>\[[cdnCDN]+\])
  | (?P<name>[A-Za-z_$][\w$.]*)
  | (?P<op>==|=|!=|<>|<=|>=|&&|\|\||[<>!(){},.;])
)""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unquote(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw[1:-1])


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise SelectorError(f"Cannot parse the selector {text!r} at position {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or "op"
        raw = m.group(kind)
        value = _unquote(raw) if kind == "str" else float(raw) if kind == "num" else None
        tokens.append(Token(kind, raw, value))
        pos = m.end()
    tokens.append(Token("end", ""))
    return tokens


class _Parser:
    """A cursor over tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        token = self.peek
        if token.kind in ("op", "name") and token.text.upper() in texts:
            self.i += 1
            return token
        return None

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            self.fail(f"expected {text!r}")

    def fail(self, why: str) -> None:
        raise SelectorError(f"Cannot parse the selector {self.text!r}: {why} near {self.peek.text or 'the end'!r}")


# -- -android uiautomator ----------------------------------------------------------
@dataclass
class _Call:
    name: str
    args: list[Any]


@dataclass
class _New:
    cls: str  # UiSelector or UiScrollable
    args: list[Any] = field(default_factory=list)
    calls: list[_Call] = field(default_factory=list)


def _parse_java(parser: _Parser) -> _New:
    """``new UiSelector().text("x")...`` (the leading ``new UiSelector()`` may be left out)."""
    if parser.accept("NEW"):
        cls = parser.next()
        if cls.text not in ("UiSelector", "UiScrollable"):
            parser.fail("expected UiSelector or UiScrollable")
        obj = _New(cls.text, _parse_args(parser))
    else:
        obj = _New("UiSelector")
    while parser.accept("."):
        name = parser.next()
        if name.kind != "name":
            parser.fail("expected a method name")
        obj.calls.append(_Call(name.text, _parse_args(parser)))
    return obj


def _parse_args(parser: _Parser) -> list[Any]:
    parser.expect("(")
    args: list[Any] = []
    while not parser.accept(")"):
        if args:
            parser.expect(",")
        token = parser.peek
        if token.kind in ("str", "num"):
            parser.next()
            args.append(int(token.value) if token.kind == "num" else token.value)
        elif token.text in ("true", "false"):
            parser.next()
            args.append(token.text == "true")
        elif token.text == "new":
            args.append(_parse_java(parser))
        else:
            parser.fail("expected an argument")
    return args


def _text_test(attr: str, how: str, arg: str) -> Test:
    if how == "Matches":
        try:
            pattern = re.compile(arg, re.DOTALL)
        except re.error as exc:
            raise SelectorError(f"Invalid regular expression {arg!r}: {exc}") from exc
        return lambda el: pattern.fullmatch(el.get(attr, "")) is not None
    ops: dict[str, Callable[[str], bool]] = {
        "": lambda v: v == arg,
        "Contains": lambda v: arg in v,
        "StartsWith": lambda v: v.startswith(arg),
    }
    op = ops[how]
    return lambda el: op(el.get(attr, ""))


_TEXT_METHODS = {"text": "text", "description": "content-desc", "resourceId": "resource-id", "className": "class"}
_TEXT_METHODS |= {"packageName": "package"}
_BOOL_METHODS = {
    "clickable": "clickable",
    "enabled": "enabled",
    "selected": "selected",
    "checked": "checked",
    "checkable": "checkable",
    "focusable": "focusable",
    "focused": "focused",
    "scrollable": "scrollable",
    "longClickable": "long-clickable",
}


@dataclass
class _Selector:
    """A compiled UiSelector."""

    tests: list[Test] = field(default_factory=list)
    instance: int | None = None
    child: _Selector | None = None
    sibling: _Selector | None = None  # fromParent

    def match(self, candidates: Iterable[El]) -> list[El]:
        found = [el for el in candidates if all(test(el) for test in self.tests)]
        if self.instance is not None:
            found = found[self.instance : self.instance + 1]
        if self.child is not None:
            found = _union(self.child.match(el.iterdescendants()) for el in found)
        if self.sibling is not None:
            parents = [p for p in (el.getparent() for el in found) if p is not None]
            found = _union(self.sibling.match(p.iterdescendants()) for p in parents)
        return found


def _union(groups: Iterable[list[El]]) -> list[El]:
    return list(dict.fromkeys(el for group in groups for el in group))


def _selector(obj: Any) -> _Selector:
    if not isinstance(obj, _New) or obj.cls != "UiSelector":
        raise SelectorError(f"Expected a UiSelector, got {obj!r}")
    sel = _Selector()
    for call in obj.calls:
        _apply(sel, call)
    return sel


def _apply(sel: _Selector, call: _Call) -> None:
    name, args = call.name, call.args
    base = re.fullmatch(r"(text|description|resourceId|className|packageName)(Contains|StartsWith|Matches)?", name)
    if base and len(args) == 1 and isinstance(args[0], str):
        how = base.group(2) or ""
        if base.group(1) in ("resourceId", "className", "packageName") and how not in ("", "Matches"):
            raise SelectorError(f"UiSelector has no method {name}")
        sel.tests.append(_text_test(_TEXT_METHODS[base.group(1)], how, args[0]))
    elif name in _BOOL_METHODS and len(args) == 1 and isinstance(args[0], bool):
        attr, want = _BOOL_METHODS[name], "true" if args[0] else "false"
        sel.tests.append(lambda el: el.get(attr) == want)
    elif name == "index" and len(args) == 1 and isinstance(args[0], int):
        want = str(args[0])
        sel.tests.append(lambda el: el.get("index") == want)
    elif name == "instance" and len(args) == 1 and isinstance(args[0], int):
        sel.instance = args[0]
    elif name == "childSelector" and len(args) == 1:
        sel.child = _selector(args[0])
    elif name == "fromParent" and len(args) == 1:
        sel.sibling = _selector(args[0])
    else:
        raise SelectorError(f"UiSelector.{name}({', '.join(map(repr, args))}) is not supported")


_SCROLLABLE_SETTERS = {"setAsVerticalList", "setAsHorizontalList", "setMaxSearchSwipes", "setSwipeDeadZonePercentage"}


def _scrollable(obj: _New, candidates: list[El]) -> list[El]:
    """``new UiScrollable(container).scrollIntoView(target)``: the target inside a matching container."""
    if len(obj.args) != 1:
        raise SelectorError("UiScrollable takes one UiSelector")
    containers = _selector(obj.args[0]).match(candidates)
    found: list[El] = []
    for call in obj.calls:
        if call.name in _SCROLLABLE_SETTERS:
            continue
        target, want = _scroll_target(call)
        inside = _union(target.match(c.iterdescendants()) for c in containers)
        found = [el for el in inside if want is None or any(want(d) for d in el.iter())]
    return found


def _scroll_target(call: _Call) -> tuple[_Selector, Test | None]:
    """The selector a UiScrollable method looks for, and what a match must hold (getChildBy...)."""
    if call.name == "scrollIntoView" and len(call.args) == 1:
        return _selector(call.args[0]), None
    if call.name == "scrollTextIntoView" and len(call.args) == 1 and isinstance(call.args[0], str):
        return _Selector([_text_test("text", "", call.args[0])]), None
    if call.name in ("getChildByText", "getChildByDescription") and len(call.args) == 2:
        attr = "text" if call.name == "getChildByText" else "content-desc"
        return _selector(call.args[0]), _text_test(attr, "", str(call.args[1]))
    raise SelectorError(f"UiScrollable.{call.name} is not supported")


def _uiautomator(text: str, candidates: list[El]) -> list[El]:
    parser = _Parser(text)
    obj = _parse_java(parser)
    parser.accept(";")
    if parser.peek.kind != "end":
        parser.fail("unexpected text after the selector")
    if obj.cls == "UiScrollable":
        return _scrollable(obj, candidates)
    return _selector(obj).match(candidates)


# -- -ios predicate string --------------------------------------------------------------
_KEY_ALIASES = {"wdName": "name", "wdLabel": "label", "wdValue": "value", "wdType": "type"}
_KEY_ALIASES |= {"wdEnabled": "enabled", "wdVisible": "visible", "wdAccessible": "accessible", "elementType": "type"}
_KEYS = {"name", "label", "value", "type", "enabled", "visible", "accessible", "x", "y", "width", "height", "index"}
_WORD_OPS = ("CONTAINS", "BEGINSWITH", "ENDSWITH", "LIKE", "MATCHES", "IN")
_SYMBOL_OPS = {"==": "==", "=": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_LITERALS: dict[str, Any] = {"TRUE": True, "YES": True, "FALSE": False, "NO": False, "NIL": None, "NULL": None}


@dataclass(frozen=True)
class _Key:
    name: str


def predicate(text: str) -> Test:
    """Compile an NSPredicate string, as XCUITest's ``-ios predicate string`` takes it."""
    parser = _Parser(text)
    test = _or(parser)
    if parser.peek.kind != "end":
        parser.fail("unexpected text after the predicate")
    return test


def _or(p: _Parser) -> Test:
    tests = [_and(p)]
    while p.accept("OR", "||"):
        tests.append(_and(p))
    return tests[0] if len(tests) == 1 else lambda el: any(t(el) for t in tests)


def _and(p: _Parser) -> Test:
    tests = [_not(p)]
    while p.accept("AND", "&&"):
        tests.append(_not(p))
    return tests[0] if len(tests) == 1 else lambda el: all(t(el) for t in tests)


def _not(p: _Parser) -> Test:
    if p.accept("NOT", "!"):
        inner = _not(p)
        return lambda el: not inner(el)
    if p.accept("("):
        inner = _or(p)
        p.expect(")")
        return inner
    if p.accept("TRUEPREDICATE"):
        return lambda el: True
    if p.accept("FALSEPREDICATE"):
        return lambda el: False
    return _comparison(p)


def _comparison(p: _Parser) -> Test:
    left = _operand(p)
    op_token = p.next()
    op = op_token.text.upper()
    if op_token.kind == "op" and op in _SYMBOL_OPS:
        op = _SYMBOL_OPS[op]
    elif not (op_token.kind == "name" and op in _WORD_OPS):
        p.i -= 1
        p.fail("expected a comparison operator")
    mods = p.next().text.lower() if p.peek.kind == "mod" else ""
    right = _operand(p)
    return _compare(left, op, right, "c" in mods, "d" in mods)


def _operand(p: _Parser) -> Any:
    token = p.next()
    if token.kind in ("str", "num"):
        return token.value
    if token.kind == "op" and token.text == "{":
        items = []
        while not p.accept("}"):
            if items:
                p.expect(",")
            items.append(_operand(p))
        return items
    if token.kind == "name":
        if token.text.upper() in _LITERALS:
            return _LITERALS[token.text.upper()]
        key = _KEY_ALIASES.get(token.text, token.text).removeprefix("rect.")
        if key not in _KEYS:
            raise SelectorError(f"{token.text!r} is not a known attribute (use one of {', '.join(sorted(_KEYS))})")
        return _Key(key)
    p.i -= 1
    p.fail("expected a value or an attribute")
    raise AssertionError  # unreachable: fail raises


def _fold(value: str, case: bool, diacritics: bool) -> str:
    if diacritics:
        value = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    return value.casefold() if case else value


def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _coerce(raw: str | None, like: Any) -> Any:
    """An attribute's text as the type of the literal it is compared with."""
    if raw is None or isinstance(like, str) or like is None:
        return raw
    if isinstance(like, bool):
        return raw.lower() in ("true", "1", "yes")
    if raw in ("true", "false"):  # `visible == 1`
        return float(raw == "true")
    try:
        return float(raw)
    except ValueError:
        return None


def _compare(left: Any, op: str, right: Any, case: bool, diacritics: bool) -> Test:
    def value(side: Any, other: Any, el: El) -> Any:
        if isinstance(side, _Key):
            raw = el.get(side.name)
            return _coerce(raw, other if not isinstance(other, (_Key, list)) else "")
        return side

    def test(el: El) -> bool:
        a, b = value(left, right, el), value(right, left, el)
        if op == "IN":
            return isinstance(b, list) and any(_string_op("==", a, x, case, diacritics) for x in b)
        return _string_op(op, a, b, case, diacritics)

    if op == "MATCHES" and isinstance(right, str):
        try:
            re.compile(right)
        except re.error as exc:
            raise SelectorError(f"Invalid regular expression {right!r}: {exc}") from exc
    return test


def _string_op(op: str, a: Any, b: Any, case: bool, diacritics: bool) -> bool:
    if op in ("==", "!=") and (a is None or b is None or not isinstance(a, str) or not isinstance(b, str)):
        return (a == b) == (op == "==")
    if op in ("<", "<=", ">", ">="):
        if not isinstance(a, float) or not isinstance(b, float):
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    if op in ("LIKE", "MATCHES"):
        pattern = _like(b) if op == "LIKE" else re.compile(b, re.DOTALL)
        flags = pattern.flags | (re.IGNORECASE if case else 0)
        return re.fullmatch(pattern.pattern, _fold(a, False, diacritics), flags) is not None
    a, b = _fold(a, case, diacritics), _fold(b, case, diacritics)
    checks: dict[str, Callable[[], bool]] = {
        "==": lambda: a == b,
        "!=": lambda: a != b,
        "CONTAINS": lambda: b in a,
        "BEGINSWITH": lambda: a.startswith(b),
        "ENDSWITH": lambda: a.endswith(b),
    }
    return checks[op]()


# -- -ios class chain ---------------------------------------------------------------------
_STEP_RE = re.compile(r"(XCUIElementType\w+|\*)((?:\[(?:`[^`]*`|-?\d+)\])*)")
_BRACKET_RE = re.compile(r"\[(?:`([^`]*)`|(-?\d+))\]")


def _split_chain(chain: str) -> Iterator[str]:
    """The steps of a class chain: '/' separates them outside backticks."""
    step, quoted = "", False
    for ch in chain:
        if ch == "`":
            quoted = not quoted
        if ch == "/" and not quoted:
            yield step
            step = ""
        else:
            step += ch
    yield step


def _class_chain(chain: str, scope: El) -> list[El]:
    current, descend = [scope], False
    for raw in _split_chain(chain.strip()):
        if raw == "**":
            descend = True
            continue
        m = _STEP_RE.fullmatch(raw)
        if m is None:
            raise SelectorError(f"Cannot parse the class chain {chain!r} at {raw!r}")
        kind = m.group(1).replace("XCUIElementTypeAny", "*")
        pool = _union(list(el.iterdescendants() if descend else el.iterchildren()) for el in current)
        current = [el for el in pool if kind in ("*", el.tag)]
        for pred, index in _BRACKET_RE.findall(m.group(2)):
            current = _pick(current, int(index)) if index else [el for el in current if predicate(pred)(el)]
        descend = False
    if descend:
        raise SelectorError(f"The class chain {chain!r} ends with '**'")
    return current


def _pick(elements: list[El], index: int) -> list[El]:
    """Class chain ``[n]``: 1-based, negative from the end."""
    if index == 0:
        raise SelectorError("Class chain indexes start at 1")
    i = index - 1 if index > 0 else len(elements) + index
    return elements[i : i + 1] if 0 <= i < len(elements) else []
