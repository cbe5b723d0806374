"""A small but real JQL parser and evaluator: the subset connectors send.

Supported: ``field op value`` clauses on dates (updated, created, resolved),
project, key/issuekey, id (also ``<``, ``<=``, ``>``, ``>=``), status, issuetype/type and summary
(``~``); ``IN`` /
``NOT IN`` lists; ``IS [NOT] EMPTY``; AND, OR, NOT, parentheses; ORDER BY.
Date literals follow Jira: ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd HH:mm"``, date-only
forms (midnight), unquoted numbers as epoch milliseconds, and relative offsets
(``"-15m"``, ``"-2d"``).  Literals are read in the *caller's* profile time zone,
at minute precision, as Jira Cloud does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .data import Site
from .model import Issue

UTC = timezone.utc


class JqlError(Exception):
    """A query Jira would answer with 400; the message is Jira's wording."""


@dataclass
class Token:
    kind: str  # "word", "string", "op", "(", ")", ",", "end"
    text: str
    position: int  # 1-based character, as in Jira's messages


TOKEN_RE = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|!~|=|>|<|~)|(?P<punct>[(),])|(?P<word>[^\s"'(),=<>!~]+))"""
)
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
DATE_FIELDS = {"updated": "updated", "updateddate": "updated", "created": "created",
               "createddate": "created", "resolved": "resolved", "resolutiondate": "resolved"}
TEXT_FIELDS = {"project", "key", "issuekey", "id", "status", "issuetype", "type", "summary"}
SORT_FIELDS = {"updated", "created", "key", "issuekey", "id", "project"}
DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
RELATIVE_RE = re.compile(r"^([+-]?)(\d+)([wdhm]?)$")


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = TOKEN_RE.match(text, pos)
        if not match:
            raise JqlError(f"Error in the JQL Query: The character '{text[pos]}' is a reserved JQL character. "
                           f"(line 1, character {pos + 1})")
        start = match.start(match.lastgroup) + 1
        value = match.group(match.lastgroup)
        kind = {"string": "string", "op": "op", "word": "word"}.get(match.lastgroup, value)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(Token(kind, value, start))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


@dataclass
class Query:
    predicate: Callable[[Issue], bool] | None  # None: no restriction (unbounded)
    order: list[tuple[str, bool]]  # (field, descending)

    def run(self, issues: list[Issue]) -> list[Issue]:
        if self.predicate is None:
            raise JqlError("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
        matched = [issue for issue in issues if self.predicate(issue)]
        matched.sort(key=lambda issue: int(issue.id))  # Jira's stable tie-break
        for field, descending in reversed(self.order):
            matched.sort(key=lambda issue, f=field: _sort_value(issue, f), reverse=descending)
        return matched


def parse(text: str, site: Site, zone: ZoneInfo, now: datetime | None = None) -> Query:
    return _Parser(tokenize(text), site, zone, now or datetime.now(UTC)).query()


class _Parser:
    def __init__(self, tokens: list[Token], site: Site, zone: ZoneInfo, now: datetime) -> None:
        self.tokens, self.index, self.site, self.zone, self.now = tokens, 0, site, zone, now

    # ---- token helpers ----
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def is_keyword(self, word: str) -> bool:
        return self.current.kind == "word" and self.current.text.lower() == word

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def fail(self, expected: str) -> JqlError:
        token = self.current
        got = "end of the query" if token.kind == "end" else f"'{token.text}'"
        return JqlError(f"Error in the JQL Query: Expecting {expected} but got {got}. "
                        f"(line 1, character {token.position})")

    # ---- grammar ----
    def query(self) -> Query:
        predicate = None
        if not self.is_keyword("order") and self.current.kind != "end":
            predicate = self.or_clause()
        order: list[tuple[str, bool]] = []
        if self.is_keyword("order"):
            self.advance()
            if not self.is_keyword("by"):
                raise self.fail("'by'")
            self.advance()
            while True:
                if self.current.kind not in ("word", "string"):
                    raise self.fail("a field name")
                field = self.advance().text.lower()
                if field not in SORT_FIELDS:
                    raise JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")
                descending = False
                if self.is_keyword("asc") or self.is_keyword("desc"):
                    descending = self.advance().text.lower() == "desc"
                order.append((field, descending))
                if self.current.kind != ",":
                    break
                self.advance()
            if len(order) > 7:
                raise JqlError("Error in the JQL Query: The ORDER BY clause can contain at most 7 fields.")
        if self.current.kind != "end":
            raise self.fail("either 'OR' or 'AND'" if predicate else "a field name")
        return Query(predicate, order)

    def or_clause(self) -> Callable[[Issue], bool]:
        parts = [self.and_clause()]
        while self.is_keyword("or"):
            self.advance()
            parts.append(self.and_clause())
        return parts[0] if len(parts) == 1 else (lambda issue: any(p(issue) for p in parts))

    def and_clause(self) -> Callable[[Issue], bool]:
        parts = [self.not_clause()]
        while self.is_keyword("and"):
            self.advance()
            parts.append(self.not_clause())
        return parts[0] if len(parts) == 1 else (lambda issue: all(p(issue) for p in parts))

    def not_clause(self) -> Callable[[Issue], bool]:
        if self.is_keyword("not"):
            self.advance()
            inner = self.not_clause()
            return lambda issue: not inner(issue)
        if self.current.kind == "(":
            self.advance()
            inner = self.or_clause()
            if self.current.kind != ")":
                raise self.fail("')'")
            self.advance()
            return inner
        return self.clause()

    def clause(self) -> Callable[[Issue], bool]:
        if self.current.kind not in ("word", "string") or self.current.text.lower() in KEYWORDS:
            raise self.fail("a field name")
        field = self.advance().text.lower()
        if field not in DATE_FIELDS and field not in TEXT_FIELDS:
            raise JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")
        if self.is_keyword("is"):
            self.advance()
            negate = self.is_keyword("not")
            if negate:
                self.advance()
            if not (self.is_keyword("empty") or self.is_keyword("null")):
                raise self.fail("'EMPTY'")
            self.advance()
            return lambda issue: (_field_value(issue, field) is None) != negate
        if self.is_keyword("in") or self.is_keyword("not"):
            negate = self.advance().text.lower() == "not"
            if negate:
                if not self.is_keyword("in"):
                    raise self.fail("'IN'")
                self.advance()
            values = self.value_list(field)
            return lambda issue: (_matches_any(issue, field, values)) != negate
        if self.current.kind != "op":
            raise self.fail("operator")
        op = self.advance().text
        if field in DATE_FIELDS:
            if op not in ("=", "!=", ">", ">=", "<", "<="):
                raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")
            bound = self.date_value()
            return _compare(DATE_FIELDS[field], op, bound)
        if op == "~":
            needle = self.single_value().lower()
            return lambda issue: needle in str(_field_value(issue, field) or "").lower()
        if field == "id" and op in (">", ">=", "<", "<="):  # Jira orders issue ids (and keys) too
            text = self.single_value()
            if not text.isdigit():
                raise JqlError(f"The value '{text}' does not exist for the field 'id'.")
            return _compare_ids(op, int(text))
        if op not in ("=", "!="):
            raise JqlError(f"The operator '{op}' is not supported by the '{field}' field.")
        values = [self.resolve(field, self.single_value())]
        return lambda issue: _matches_any(issue, field, values) != (op == "!=")

    def single_value(self) -> str:
        if self.current.kind not in ("word", "string") or (
            self.current.kind == "word" and self.current.text.lower() in KEYWORDS
        ):
            raise self.fail("either a value, 'EMPTY' or a list of values")
        return self.advance().text

    def value_list(self, field: str) -> list[str]:
        if self.current.kind != "(":
            raise self.fail("'('")
        self.advance()
        values = [self.resolve(field, self.single_value())]
        while self.current.kind == ",":
            self.advance()
            values.append(self.resolve(field, self.single_value()))
        if self.current.kind != ")":
            raise self.fail("')'")
        self.advance()
        return values

    def resolve(self, field: str, value: str) -> str:
        """Project references may be keys, ids or names; unknown ones are a 400."""
        if field != "project":
            return value
        for project in self.site.projects:
            if value.upper() == project.key or value == project.id or value.lower() == project.name.lower():
                return project.key
        raise JqlError(f"The value '{value}' does not exist for the field 'project'.")

    def date_value(self) -> datetime:
        token = self.current
        if token.kind not in ("word", "string"):
            raise self.fail("either a value, 'EMPTY' or a list of values")
        self.advance()
        text = token.text.strip()
        if token.kind == "word" and text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        relative = RELATIVE_RE.match(text)
        if relative and not (token.kind == "word" and relative.group(3) == ""):
            sign, amount, unit = relative.groups()
            minutes = int(amount) * {"w": 10080, "d": 1440, "h": 60, "m": 1, "": 1}[unit]
            delta = timedelta(minutes=minutes if sign == "+" else -minutes)
            return (self.now + delta).replace(second=0, microsecond=0)
        for fmt in DATE_FORMATS:
            try:
                local = datetime.strptime(text, fmt)
            except ValueError:
                continue
            # Minute precision, read in the caller's profile zone.  A wall time in the
            # repeated autumn hour names two instants; Jira (Java) reads the earlier one,
            # and `site.ambiguous_fold = 1` reads the later, to test clients against both.
            return local.replace(tzinfo=self.zone, fold=self.site.ambiguous_fold).astimezone(UTC)
        raise JqlError(
            f"Date value '{text}' for field 'updated' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
            "or a period format e.g. '-5d', '4w 2d'."
        )


def _field_value(issue: Issue, field: str) -> Any:
    fields = issue.static_fields
    return {
        "project": issue.project.key,
        "key": issue.key,
        "issuekey": issue.key,
        "id": issue.id,
        "status": fields["status"]["name"],
        "issuetype": fields["issuetype"]["name"],
        "type": fields["issuetype"]["name"],
        "summary": fields["summary"],
        "updated": issue.updated,
        "created": issue.created,
        "resolved": issue.resolved,
    }[field]


def _matches_any(issue: Issue, field: str, values: list[str]) -> bool:
    actual = str(_field_value(issue, field)).lower()
    return any(actual == v.lower() for v in values)


def _compare_ids(op: str, bound: int) -> Callable[[Issue], bool]:
    ops: dict[str, Callable[[int], bool]] = {">": lambda a: a > bound, ">=": lambda a: a >= bound,
                                            "<": lambda a: a < bound, "<=": lambda a: a <= bound}
    return lambda issue: ops[op](int(issue.id))


def _compare(field: str, op: str, bound: datetime) -> Callable[[Issue], bool]:
    ops = {
        "=": lambda a: a == bound, "!=": lambda a: a != bound, ">": lambda a: a > bound,
        ">=": lambda a: a >= bound, "<": lambda a: a < bound, "<=": lambda a: a <= bound,
    }[op]

    def check(issue: Issue) -> bool:
        value = _field_value(issue, field)
        return value is not None and ops(value)

    return check


def _sort_value(issue: Issue, field: str) -> Any:
    if field in ("key", "issuekey"):
        return (issue.project.key, int(issue.key.rsplit("-", 1)[1]))
    if field == "id":
        return int(issue.id)
    if field == "project":
        return issue.project.key
    return _field_value(issue, field)
