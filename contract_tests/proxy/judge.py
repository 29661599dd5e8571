"""The per-exchange judge: the suite's rules, as far as one exchange (and what the
exchanges before it showed) reveals them.

Stateless rules (:func:`judge_response`) take an ``httpx.Response`` with its request,
so a check could call them on its own traffic; :class:`Judge` adds what needs memory:
which tokens were accepted, which CSV went up under which ``s3_key``, what each bulk
call created. Every rule is one of the suite's assertions (``support/assertions``,
``support/oracle``, ``support/readback``), called unchanged; a rule fails by raising
the suite's :class:`~contract_tests.support.rules.ContractViolation`, and the judge
collects one violation per rule family instead of stopping at the first.

With ``--route-uploads`` the presigned PUTs pass through the proxy too (under
``/__proxy/upload/<route>/...``, :mod:`.uploads`): the judge pairs each with the presign
answer that handed its URL out, judges its answer by CONTRACT §2, and keeps an accepted
file for the oracle as it keeps a direct upload's.

Where one exchange cannot tell (is this unseen customer new or pre-existing? is this
token valid?), the judge accepts every legal answer rather than guess.
"""

from __future__ import annotations

import collections
import csv
import email.message
import email.parser
import email.policy
import functools
import io
import itertools
import json
import re
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import jsonschema_rs

from dayzero_twin.contract_tests.proxy.config import ProxyConfig
from dayzero_twin.contract_tests.proxy.exchange import Exchange, redact_text
from dayzero_twin.contract_tests.proxy.memory import Lru, LruSet
from dayzero_twin.contract_tests.proxy.uploads import PRESIGN, route_of
from dayzero_twin.contract_tests.support.assertions import (
    Registry,
    Window,
    expect_bulk,
    expect_list_page,
    expect_validation_error,
    is_uuid,
)
from dayzero_twin.contract_tests.support.client import API, body_of
from dayzero_twin.contract_tests.support.csvfile import BOM, CsvFile
from dayzero_twin.contract_tests.support.documented import UNDOCUMENTED_BODIES
from dayzero_twin.contract_tests.support.kinds import INVOICES, KINDS, Kind
from dayzero_twin.contract_tests.support.lax import coerce
from dayzero_twin.contract_tests.support.oracle import (
    ExpectedEntity,
    ExpectedInvoice,
    Party,
    expected,
)
from dayzero_twin.contract_tests.support.readback import RULE_READ_BACK, expect_same_entity
from dayzero_twin.contract_tests.support.redact import REDACTED, redact_target
from dayzero_twin.contract_tests.support.rules import ContractViolation, excerpt, fail, require
from dayzero_twin.openapi.bundle import dereference, iter_operations, load_bundle

RULE_STATUS = "CONTRACT §1 only the documented codes may come back"
RULE_JSON = "CONTRACT §1 JSON in and out (application/json, UTF-8)"
RULE_401 = "CONTRACT §1 401: no/non-Bearer/empty/unknown token"
RULE_422_HEADER = "CONTRACT §1 order 2: x-business-id missing or not a UUID is 422"
RULE_422_BODY = (
    "CONTRACT §1 order 2: body not JSON, not an object; s3_key missing, not a string or "
    "empty; finalize/approve not a boolean is 422"
)
RULE_422_SHAPE = "CONTRACT §1 422 body is HTTPValidationError: detail[] of {loc, msg, type}"
RULE_422_LOC = 'CONTRACT §1 422 loc like ["header","x-business-id"] or ["body","s3_key"]'
RULE_FOREIGN = "CONTRACT §2 keys belong to the business that uploaded them (elsewhere: 400)"
RULE_ORDER = "CONTRACT §5 lists are newest first (within one file, later items first)"
RULE_WALK = (
    "CONTRACT §5 cursor pagination with cursor (from next_cursor), newest first, "
    "has_next/next_cursor set while more remain"
)
RULE_ACCEPT = "schema: a request the slices' schema accepts is not refused with 422"
RULE_OVERSIZE = "CONTRACT §2 files over 10 MiB are refused with 413"
MAX_UPLOAD = 10 * 1024 * 1024
RULE_PUT = (
    "CONTRACT §2 PUT <upload_url>: that URL carries its own signature, so no Authorization "
    "header is needed there"
)
RULE_TAMPER = "CONTRACT §2 a tampered or expired upload URL is refused with 403"
RULE_BEFORE_PUT = "CONTRACT §2 a presigned key whose PUT has not happened yet is not found (400)"
RULE_PUT_SIZE = "CONTRACT §2 files over 10 MiB are refused with 413 (presigned PUT too)"
# Seconds of slack around expires_in: the implementation's clock and its rounding.
EXPIRY_SLACK = 2.0
RULE_OWNER = "CONTRACT §3 business_id = the x-business-id: listed and fetched entities too"
RULE_END = "CONTRACT §5 has_next/next_cursor are set while more remain (the last page has none)"
RULE_DEFAULT = "CONTRACT §5 limit defaults to 50: no limit = limit=50"
DEFAULT_LIMIT = 50
RULE_LIMIT = "CONTRACT §5 cursor pagination with `limit` (1–1000, default 50)"
CANONICAL_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
KIND_OF_BULK = {f"{API}/{kind.name}/bulk": kind for kind in KINDS}


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the exchange that shows it (already redacted)."""

    rule: str
    detail: str
    method: str
    target: str
    status: int
    curl: str
    at: str
    response_excerpt: str

    def log_line(self) -> str:
        return (
            f"VIOLATION [{self.rule}] {self.method} {self.target} -> {self.status}: "
            f"{self.detail} | repro: {self.curl}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "detail": self.detail,
            "method": self.method,
            "target": self.target,
            "status": self.status,
            "curl": self.curl,
            "at": self.at,
            "response": self.response_excerpt,
        }


# -- the documented operations ------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    route: str
    operation_id: str
    pattern: re.Pattern[str]
    literal: bool
    spec: Mapping[str, Any]  # dereferenced

    def response_spec(self, status: int) -> Mapping[str, Any] | None:
        responses = self.spec.get("responses") or {}
        found = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        return found or responses.get("default")

    @property
    def kind(self) -> Kind | None:
        return next((k for k in KINDS if f"_api_v1_{k.name}" in self.operation_id), None)


@functools.cache
def _document() -> dict[str, Any]:
    """The bundled slices, parsed once per process."""
    return load_bundle()


@functools.cache
def operations() -> tuple[Operation, ...]:
    """The slices' operations (mock-only conveniences excluded), literal routes first so
    ``/bills/bulk`` is never read as ``/bills/{bill_id}``."""
    document = _document()
    found = []
    for method, route, operation in iter_operations(document):
        if operation.get("x-mock-only"):
            continue
        regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route)) + "$"
        found.append(
            Operation(
                method=method.upper(),
                route=route,
                operation_id=str(operation.get("operationId")),
                pattern=re.compile(regex),
                literal="{" not in route,
                spec=dereference(document, operation),
            )
        )
    return tuple(sorted(found, key=lambda op: not op.literal))


def operation_of(method: str, path: str) -> Operation | None:
    for operation in operations():
        if operation.method == method.upper() and operation.pattern.match(path):
            return operation
    return None


@dataclass(frozen=True)
class SchemaCheck:
    """A response schema compiled twice. ``fast`` (jsonschema-rs, compiled Rust) answers
    "valid?" for the bodies that are, nearly all of them; only a body it refuses goes to
    ``exact`` (the pure-Python jsonschema, Draft 2020-12 with formats, as before), which
    decides the verdict and words the error. So a verdict can differ from ``exact``'s
    alone only if ``fast`` accepts what ``exact`` refuses; tests/test_proxy.py checks both
    on valid and broken bodies of every response schema."""

    fast: Any
    exact: jsonschema.protocols.Validator

    def first_error(self, body: Any) -> jsonschema.ValidationError | None:
        if self.fast.is_valid(body):
            return None
        return jsonschema.exceptions.best_match(self.exact.iter_errors(body))


def response_schema(operation_id: str, status: int) -> dict[str, Any] | None:
    """The dereferenced JSON schema of a documented response, if it has one."""
    operation = next(op for op in operations() if op.operation_id == operation_id)
    spec = operation.response_spec(status) or {}
    schema = ((spec.get("content") or {}).get("application/json") or {}).get("schema")
    return dict(schema) if isinstance(schema, Mapping) else None


@functools.cache
def _validator(operation_id: str, status: int) -> SchemaCheck | None:
    """Compiled once per schema and process: compiling costs more than validating."""
    schema = response_schema(operation_id, status)
    if schema is None:
        return None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return SchemaCheck(
        fast=jsonschema_rs.Draft202012Validator(schema, validate_formats=True),
        exact=cls(schema, format_checker=cls.FORMAT_CHECKER),
    )


# -- stateless rules --------------------------------------------------------------------


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def unparseable_body(request: httpx.Request) -> bool:
    """JSON that is not JSON text, or a multipart body that is not a set of fields: the
    suite's status check accepts 400 for both (FastAPI refuses them before validation,
    ``fuzzing.status_code_conformance``); this is that rule on raw bytes."""
    media = media_type(request.headers.get("content-type"))
    if media.endswith("json"):
        return _json(request) is ...
    if media.startswith("multipart/"):
        message = _multipart(request.headers.get("content-type") or "", request.content)
        return message is None or not message.is_multipart()
    return False


def expect_documented(operation: Operation, response: httpx.Response) -> None:
    status = response.status_code
    # Not for a bulk call's JSON: CONTRACT §1 order 2 makes "body not JSON" a 422 there.
    bulk_json = operation.route.endswith("/bulk") and media_type(
        response.request.headers.get("content-type")
    ).endswith("json")
    if status == 400 and unparseable_body(response.request) and not bulk_json:
        return
    documented = sorted((operation.spec.get("responses") or {}).keys())
    require(
        operation.response_spec(status) is not None,
        RULE_STATUS,
        f"{operation.method} {operation.route} answered {status}; documented: {documented}",
        response,
    )


def expect_documented_body(operation: Operation, response: httpx.Response) -> None:
    """Content type and, for JSON, the documented schema with its formats; not where the
    contract names the status and no body (``support/documented.py``: any body)."""
    if (operation.operation_id, response.status_code) in UNDOCUMENTED_BODIES:
        return
    spec = operation.response_spec(response.status_code)
    content = (spec or {}).get("content") or {}
    if "application/json" not in content:
        return
    got = media_type(response.headers.get("content-type"))
    require(
        got == "application/json",
        RULE_JSON,
        f"{response.status_code} served as {response.headers.get('content-type')!r}",
        response,
    )
    body = body_of(response)
    if body is None and response.content.strip() != b"null":
        fail(RULE_JSON, "the body is not JSON", response)
    validator = _validator(operation.operation_id, response.status_code)
    if validator is None:
        return
    error = validator.first_error(body)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        schema_name = _schema_name(operation.operation_id, response.status_code)
        fail(
            f"schema: {schema_name} ({operation.method} {operation.route} {response.status_code})",
            f"at {where}: {error.message[:300]}",
            response,
        )


@functools.cache
def _schema_name(operation_id: str, status: int) -> str:
    """The component a response schema refers to, for the rule's name."""
    document = _document()
    raw = next(
        op for m, r, op in iter_operations(document) if op.get("operationId") == operation_id
    )
    spec = (raw.get("responses") or {}).get(str(status)) or {}
    ref = spec.get("$ref") or (
        ((spec.get("content") or {}).get("application/json") or {}).get("schema") or {}
    ).get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else "response"


def bearer_problem(authorization: str | None) -> bool | None:
    """True: certainly not a usable Bearer token (absent, another scheme, empty);
    False: a Bearer token; None: a spelling the contract leaves open (``bearer``)."""
    if authorization is None:
        return True
    scheme, _, token = authorization.strip().partition(" ")
    if scheme == "Bearer":
        return not token.strip()
    if scheme.lower() == "bearer":
        return None
    return True


def business_id_problem(value: str | None) -> bool | None:
    """True: missing or certainly not a UUID; False: a UUID; None: a spelling parsers
    disagree on (braces, no dashes, ``urn:uuid:``)."""
    if value is None:
        return True
    if CANONICAL_UUID.match(value.strip()):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return True
    return None


def expect_refusals(operation: Operation, response: httpx.Response, token_accepted: bool) -> None:
    """CONTRACT §1's precedence, as far as the request shows it; and the shapes of 401/422."""
    request = response.request
    status = response.status_code
    no_token = bearer_problem(request.headers.get("authorization"))
    if no_token:
        require(
            status == 401,
            RULE_401,
            f"a request without a usable Bearer token got {status}",
            response,
        )
    if status == 401:
        challenge = response.headers.get("www-authenticate", "")
        require(
            challenge.strip().lower().startswith("bearer"),
            "CONTRACT §1 401 carries WWW-Authenticate: Bearer",
            f"WWW-Authenticate is {challenge!r}",
            response,
        )
    if no_token is not False:
        return
    bad_business = business_id_problem(request.headers.get("x-business-id"))
    if bad_business:
        allowed = (422,) if token_accepted else (401, 422)
        require(
            status in allowed,
            RULE_422_HEADER,
            f"x-business-id {request.headers.get('x-business-id')!r} got {status}"
            + ("" if token_accepted else " (the token may be unknown, so 401 would do)"),
            response,
        )
    body_locs = _bulk_body_locs(operation, request) if operation.route.endswith("/bulk") else []
    if status == 422:
        what = f"{operation.method} {operation.route}"
        expect_validation_error(response, [], RULE_422_SHAPE, what, prefix=True)
        if bad_business:
            expect_validation_error(response, ["header", "x-business-id"], RULE_422_LOC, what)
        elif bad_business is False and body_locs:
            _expect_one_loc(response, body_locs, what)
    if bad_business is False and body_locs and token_accepted:
        require(
            status == 422,
            RULE_422_BODY,
            f"the body {excerpt(_json(request))} got {status}",
            response,
        )
    if status == 422 and bad_business is False:
        _expect_valid_body_accepted(operation, response)


def _expect_valid_body_accepted(operation: Operation, response: httpx.Response) -> None:
    """A 422 that blames only the body of a JSON request the slices' schema accepts."""
    content = (operation.spec.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    request = response.request
    if schema is None or media_type(request.headers.get("content-type")) != "application/json":
        return
    body = _json(request)
    detail = (
        (body_of(response) or {}).get("detail") if isinstance(body_of(response), dict) else None
    )
    if body is ... or not isinstance(detail, list) or not detail:
        return
    locs = [entry.get("loc") for entry in detail if isinstance(entry, dict)]
    if not all(isinstance(loc, list) and loc[:1] == ["body"] for loc in locs):
        return
    validator = _request_validator(operation.operation_id)
    require(
        not validator.is_valid(body),
        RULE_ACCEPT,
        f"the body {excerpt(body)} is valid for the slices' schema but was refused at {locs}",
        response,
    )


@functools.cache
def _request_validator(operation_id: str) -> Any:
    operation = next(op for op in operations() if op.operation_id == operation_id)
    content = (operation.spec.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _json(request: httpx.Request) -> Any:
    try:
        return json.loads(request.content)
    except ValueError:
        return ...


def _bulk_body_locs(operation: Operation, request: httpx.Request) -> list[list[str]]:
    """Where a bulk body's problems must be reported (one of them is enough: FastAPI
    lists all, a stricter implementation may stop at the first), or ``[]`` when it has
    none certain: the body not JSON or not an object (sent as JSON); ``s3_key``
    missing, not a string or empty; a flag no lax reading makes a boolean (``"true"``
    or ``1`` may be accepted: CONTRACT §1 order 2)."""
    body = _json(request)
    if body is ... or not isinstance(body, dict):
        json_sent = media_type(request.headers.get("content-type")) == "application/json"
        return [["body"]] if json_sent else []
    locs = []
    key = body.get("s3_key")
    if key is None or not isinstance(key, str) or key == "":
        locs.append(["body", "s3_key"])
    content = (operation.spec.get("requestBody") or {}).get("content") or {}
    properties = ((content.get("application/json") or {}).get("schema") or {}).get(
        "properties"
    ) or {}
    for name in ("finalize", "approve"):
        value = body.get(name)
        if name in properties and value is not None and not coerce(properties[name], value):
            locs.append(["body", name])
    return locs


def _expect_one_loc(response: httpx.Response, locs: list[list[str]], what: str) -> None:
    """The 422 names at least one of the body's problems where it is."""
    first: ContractViolation | None = None
    for loc in locs:
        try:
            expect_validation_error(response, loc, RULE_422_LOC, what, prefix=len(loc) == 1)
        except ContractViolation as violation:
            first = first or violation
        else:
            return
    if first is not None:
        raise first


def judge_response(
    response: httpx.Response, token_accepted: bool = False
) -> Iterator[ContractViolation]:
    """Every stateless rule ``response`` (request attached) breaks; nothing for paths the
    slices do not document."""
    operation = operation_of(response.request.method, response.request.url.path)
    if operation is None:
        return
    rules: tuple[Callable[[], None], ...] = (
        lambda: expect_documented(operation, response),
        lambda: expect_documented_body(operation, response),
        lambda: expect_refusals(operation, response, token_accepted),
    )
    for rule in rules:
        try:
            rule()
        except ContractViolation as violation:
            yield violation


# -- what needs memory: tokens, uploads, created entities --------------------------------


@dataclass(frozen=True)
class Created:
    """When the bulk call that created an entity ran, and the entity's place in its 201."""

    started: datetime
    finished: datetime
    index: int

    def surely_older(self, other: Created) -> bool:
        """Created before ``other`` for certain: an earlier call that ended before the
        other began, or an earlier item of the same call (CONTRACT §5: within one file,
        later items first)."""
        if (self.started, self.finished) == (other.started, other.finished):
            return self.index < other.index
        return self.finished < other.started


NOT_REMEMBERED = "upload no longer remembered"
ROUTE_UNKNOWN = "a request to an upload URL whose presign answer is not remembered"
TOO_LARGE = "a body larger than keep_bytes was not kept"


@dataclass
class Presigned:
    """A presign answer whose ``upload_url`` leads through the proxy: what it handed out
    (the original path and query, decoded), to whom, when, and whether a PUT stored it."""

    business_id: str
    key: str
    path: str
    query: tuple[tuple[str, str], ...]
    content_type: str
    started: datetime
    finished: datetime
    expires_in: int
    tried: bool = False  # a PUT to the URL as handed out was answered
    put: bool = False  # a PUT through the route was accepted (2xx)

    def edited(self, path: str, query: str) -> bool | None:
        """True: a part handed out was changed or dropped; False: the URL as handed out
        (spelled alike or not); None: cannot tell (parameters added, which an
        implementation may refuse or ignore, or a value redacted in a recording)."""
        if urllib.parse.unquote(path) != urllib.parse.unquote(self.path):
            return True
        sent = collections.Counter(urllib.parse.parse_qsl(query, keep_blank_values=True))
        given = collections.Counter(self.query)
        if given - sent:
            return True
        if sent - given or any(v == REDACTED for _, v in given):
            return None
        return False


@dataclass(frozen=True)
class Entity:
    """What a bulk 201 said of one entity, under which business, and when."""

    business_id: str
    kind: str
    item: dict[str, Any]
    created: Created


class Business:
    """What the proxy remembers of one business: its parties per kind and the ids and
    invoice numbers it was given (both bounded; see :class:`ProxyConfig`)."""

    def __init__(self, config: ProxyConfig) -> None:
        self._max_parties = config.max_parties
        self.parties: dict[str, Lru[str, Party]] = {}  # kind -> key/id -> party
        self.registry = Registry(
            ids=LruSet(config.max_registered), numbers=Lru(config.max_registered)
        )

    def parties_of(self, kind: Kind) -> Lru[str, Party]:
        return self.parties.setdefault(kind.name, Lru(self._max_parties))


@dataclass
class Findings:
    """Violations counted exactly per rule, with the details of the first few of each
    (a day of a broken rule must not fill memory), and the exchanges that could not be
    judged, counted per reason with a few examples: never a silent gap."""

    details_per_rule: int = 20
    counts: dict[str, int] = field(default_factory=dict)
    details: dict[str, list[Violation]] = field(default_factory=dict)
    not_judged: dict[str, int] = field(default_factory=dict)
    not_judged_examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, violation: Violation) -> None:
        self.counts[violation.rule] = self.counts.get(violation.rule, 0) + 1
        kept = self.details.setdefault(violation.rule, [])
        if len(kept) < self.details_per_rule:
            kept.append(violation)

    def skip(self, reason: str, what: str) -> None:
        self.not_judged[reason] = self.not_judged.get(reason, 0) + 1
        examples = self.not_judged_examples.setdefault(reason, [])
        if len(examples) < self.details_per_rule:
            examples.append(what)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def snapshot(self) -> Findings:
        """A copy that later findings do not change (take it under the judge's lock)."""
        return Findings(
            self.details_per_rule,
            dict(self.counts),
            {rule: list(found) for rule, found in self.details.items()},
            dict(self.not_judged),
            {reason: list(found) for reason, found in self.not_judged_examples.items()},
        )

    def kept(self) -> list[Violation]:
        return [v for found in self.details.values() for v in found]

    def as_dict(self) -> dict[str, Any]:
        return {
            "violation_count": self.total,
            "violations_by_rule": dict(self.counts),
            "not_judged": {
                reason: {"count": count, "examples": self.not_judged_examples.get(reason, [])}
                for reason, count in self.not_judged.items()
            },
            "violations": [v.as_dict() for v in self.kept()],
        }


@dataclass
class Judge:
    """Judges exchanges in the order they happened; thread-safe (one lock). Everything
    it remembers is bounded by ``config`` (least recently used forgotten first)."""

    config: ProxyConfig = field(default_factory=ProxyConfig)
    exchanges: int = 0
    judged: int = 0
    oracle_checked: int = 0  # bulk 201s checked against the file the proxy saw go up
    read_backs: int = 0  # entities read back and compared with their bulk 201
    lock: threading.Lock = field(default_factory=threading.Lock)
    findings: Findings = field(init=False)
    accepted_tokens: LruSet[str] = field(init=False)
    # Tokens the proxy forwarded, kept only to blank them out of reports. A lock of
    # their own: the proxy adds one per request and must not wait for a judgment.
    secrets: LruSet[str] = field(init=False)
    secrets_lock: threading.Lock = field(default_factory=threading.Lock)
    uploaded_by: Lru[str, str] = field(init=False)  # s3_key -> business id
    uploads: Lru[tuple[str, str], bytes] = field(init=False)  # (business, s3_key) -> CSV
    forgotten: LruSet[tuple[str, str]] = field(init=False)  # uploads evicted
    entities: Lru[str, Entity] = field(init=False)  # id -> its 201 item
    pages: Lru[tuple[str, str], tuple[str, ...]] = field(init=False)  # next_cursor -> ids
    ends: Lru[tuple[str, str], tuple[str, ...]] = field(init=False)  # cursor -> a last page
    businesses: Lru[str, Business] = field(init=False)
    presigned: Lru[str, Presigned] = field(init=False)  # route id -> its presign answer
    presigned_keys: Lru[tuple[str, str], str] = field(init=False)  # (business, key) -> route
    # When a request through a route first began (the proxy's live routes; a recording
    # has none): a PUT on its way when a bulk call ended may have been stored before it.
    route_started: Callable[[str], datetime | None] = lambda _: None

    def __post_init__(self) -> None:
        config = self.config
        self.findings = Findings(config.details_per_rule)
        self.accepted_tokens = LruSet(config.max_tokens)
        self.secrets = LruSet(config.max_tokens)
        self.uploaded_by = Lru(config.max_keys)
        self.forgotten = LruSet(config.max_keys)
        self.uploads = Lru(
            config.max_uploads, config.max_upload_bytes, size=len, on_evict=self.forgotten.add
        )
        self.entities = Lru(config.max_entities)
        self.pages = Lru(config.max_pages)
        self.ends = Lru(config.max_pages)
        self.businesses = Lru(config.max_businesses)
        self.presigned = Lru(config.max_upload_routes)
        self.presigned_keys = Lru(config.max_upload_routes)

    def add_secret(self, secret: str) -> None:
        with self.secrets_lock:
            self.secrets.add(secret)

    def known_secrets(self) -> list[str]:
        with self.secrets_lock:
            return list(self.secrets)

    @property
    def violations(self) -> list[Violation]:
        """The violations whose details are kept (all of them up to ``details_per_rule``
        per rule; ``findings.counts`` has the exact numbers)."""
        return self.findings.kept()

    def judge(self, exchange: Exchange) -> list[Violation]:
        """Every violation this exchange shows (all of them, for the log), remembered in
        :attr:`findings` within its bounds."""
        with self.lock:
            self.exchanges += 1
            found = self._judge(exchange)
            for violation in found:
                self.findings.add(violation)
            return found

    def skip(self, reason: str, exchange: Exchange) -> None:
        """Record that ``exchange`` could not be judged, and why."""
        with self.lock:
            self.findings.skip(reason, f"{exchange.method} {redact_target(exchange.target)}")

    def _judge(self, exchange: Exchange) -> list[Violation]:
        routed = route_of(exchange.path)
        operation = operation_of(exchange.method, exchange.path)
        if operation is None and routed is None:
            return []
        if not exchange.body_complete:
            self.findings.skip(TOO_LARGE, f"{exchange.method} {redact_target(exchange.target)}")
            return []
        if routed is not None:
            return self._routed(exchange, *routed)
        assert operation is not None
        self.judged += 1
        response = exchange.response()
        accepted = exchange.token is not None and exchange.token in self.accepted_tokens
        broken = list(judge_response(response, accepted))
        if (
            exchange.token is not None
            and exchange.status not in (401, 422)
            and (bearer_problem(exchange.request_header("authorization")) is False)
        ):
            self.accepted_tokens.add(exchange.token)
        if not broken and (200 <= exchange.status < 300 or exchange.status == 404):
            business_id = (exchange.request_header("x-business-id") or "").strip().lower()
            if is_uuid(business_id):
                business = self.businesses.get(business_id)
                if business is None:
                    business = self.businesses[business_id] = Business(self.config)
                for rule in self._stateful(operation, exchange, response, business, business_id):
                    try:
                        rule()
                    except ContractViolation as violation:
                        broken.append(violation)
        secrets = self.known_secrets() if broken else []
        return [_violation(exchange, v, secrets) for v in broken]

    def _stateful(
        self,
        operation: Operation,
        exchange: Exchange,
        response: httpx.Response,
        business: Business,
        business_id: str,
    ) -> list[Callable[[], None]]:
        body = body_of(response)
        if exchange.status == 404:
            if operation.method == "GET" and operation.kind is not None and "{" in operation.route:
                return [lambda: self._not_lost(operation, exchange, response, business_id)]
            return []
        if operation.route == PRESIGN and operation.method == "POST" and isinstance(body, dict):
            self._presigned(exchange, body, business_id)
            return []
        if operation.route == f"{API}/upload/direct":
            data = uploaded_csv(exchange)
            if data is not None and len(data) > MAX_UPLOAD:
                size = len(data)
                return [lambda: fail(RULE_OVERSIZE, f"a {size}-byte file was accepted", response)]
            if data is not None and isinstance(body, dict) and isinstance(body.get("s3_key"), str):
                key = body["s3_key"]
                self.forgotten.discard((business_id, key))
                self.uploads[(business_id, key)] = data
                if key not in self.uploaded_by:
                    self.uploaded_by[key] = business_id
            return []
        kind = KIND_OF_BULK.get(operation.route) if operation.method == "POST" else None
        if kind is not None:
            return [lambda: self._bulk(kind, exchange, response, business, business_id)]
        if operation.method == "GET" and operation.kind is not None and isinstance(body, dict):
            kind_ = operation.kind
            if "{" in operation.route:
                return [
                    lambda: _expect_owner([body], response, business_id),
                    lambda: self._read_back(kind_, body, response, business_id),
                ]
            return [lambda: self._list(kind_, exchange, body, response, business_id)]
        return []

    def _bulk(
        self,
        kind: Kind,
        exchange: Exchange,
        response: httpx.Response,
        business: Business,
        business_id: str,
    ) -> None:
        request = _json(response.request)
        body = body_of(response)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(request, dict) or not isinstance(items, list):
            return
        key = request.get("s3_key")
        owner = self.uploaded_by.get(key) if isinstance(key, str) else None
        data = self.uploads.get((business_id, key)) if isinstance(key, str) else None
        if data is None and owner is not None and owner != business_id:
            self._remember(kind, business, business_id, items, exchange)
            fail(
                RULE_FOREIGN,
                f"s3_key {key!r} was uploaded under business {owner}, imported under {business_id}",
                response,
            )
        if data is None:
            self._remember(kind, business, business_id, items, exchange)
            self._expect_put(exchange, response, business_id, key)
            if (business_id, key) in self.forgotten:
                self.findings.skip(
                    NOT_REMEMBERED,
                    f"{exchange.method} {redact_target(exchange.target)} s3_key {key!r}",
                )
            return
        flag = request.get(kind.flag, False)
        file = parse_csv(data, kind)
        if file is None or not isinstance(flag, bool):
            self._remember(kind, business, business_id, items, exchange)
            return
        try:
            existing = self._existing(kind, file, items, business)
            wanted: Sequence[ExpectedEntity] | None = expected(kind, file, existing)
        except (ValueError, KeyError, ArithmeticError):
            wanted = None  # a file the oracle cannot read: the 201 is judged by schema alone
        try:
            if wanted is not None:
                self.oracle_checked += 1
                expect_bulk(
                    kind,
                    response,
                    wanted,
                    flag=flag,
                    business_id=business_id,
                    registry=business.registry,
                    window=Window.around(exchange.started, exchange.finished, response),
                )
        finally:
            self._remember(kind, business, business_id, items, exchange)

    def _presigned(self, exchange: Exchange, body: dict[str, Any], business_id: str) -> None:
        """Remember a presign answer whose upload URL leads through this proxy."""
        url, key, expires = body.get("upload_url"), body.get("s3_key"), body.get("expires_in")
        if not (isinstance(url, str) and isinstance(key, str) and isinstance(expires, int)):
            return
        parts = urllib.parse.urlsplit(url)
        routed = route_of(parts.path)
        if routed is None:
            return
        asked = _json(exchange.response().request)
        wanted = asked.get("content_type") if isinstance(asked, dict) else None
        route_id, path = routed
        self.presigned[route_id] = Presigned(
            business_id=business_id,
            key=key,
            path=path,
            query=tuple(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
            content_type=media_type(wanted if isinstance(wanted, str) else "text/csv"),
            started=exchange.started,
            finished=exchange.finished,
            expires_in=expires,
        )
        self.presigned_keys[(business_id, key)] = route_id

    def _routed(self, exchange: Exchange, route_id: str, path: str) -> list[Violation]:
        """A request to an upload URL the proxy rewrote (``--route-uploads``): the PUT's
        answer judged, and an accepted file kept for the oracle as a direct upload is."""
        ticket = self.presigned.get(route_id)
        if ticket is None:
            self.findings.skip(ROUTE_UNKNOWN, f"{exchange.method} {redact_target(exchange.target)}")
            return []
        self.judged += 1
        response = exchange.response()
        accepted = 200 <= exchange.status < 300
        if accepted and exchange.method == "PUT":
            ticket.put = True
            self.forgotten.discard((ticket.business_id, ticket.key))
            self.uploads[(ticket.business_id, ticket.key)] = exchange.request_body
            if ticket.key not in self.uploaded_by:
                self.uploaded_by[ticket.key] = ticket.business_id
        if exchange.method != "PUT" or exchange.request_header("authorization") is not None:
            return []  # the contract says how a PUT without Authorization is answered
        try:
            self._put(exchange, response, ticket, path)
        except ContractViolation as violation:
            secrets = self.known_secrets()
            return [_violation(exchange, violation, secrets)]
        return []

    def _put(
        self, exchange: Exchange, response: httpx.Response, ticket: Presigned, path: str
    ) -> None:
        status, size = exchange.status, len(exchange.request_body)
        edited = ticket.edited(path, urllib.parse.urlsplit(exchange.target).query)
        if edited:
            require(
                status == 403,
                RULE_TAMPER,
                f"a PUT to the upload URL with a part changed or dropped answered {status}",
                response,
            )
            return
        if edited is None:
            return
        first, ticket.tried = not ticket.tried, True
        lifetime = timedelta(seconds=ticket.expires_in)
        slack = timedelta(seconds=EXPIRY_SLACK)
        if exchange.started > ticket.finished + lifetime + slack:
            require(
                status == 403,
                RULE_TAMPER,
                f"a PUT {(exchange.started - ticket.finished).total_seconds():.0f} s after the "
                f"presign answer (expires_in {ticket.expires_in}) answered {status}",
                response,
            )
            return
        fresh = exchange.finished + slack < ticket.started + lifetime
        as_asked = media_type(exchange.request_header("content-type")) == ticket.content_type
        if size > MAX_UPLOAD:
            require(
                status == 413 if fresh and as_asked else not 200 <= status < 300,
                RULE_PUT_SIZE,
                f"a PUT of {size} bytes answered {status}",
                response,
            )
        elif fresh and as_asked and first:
            require(
                200 <= status < 300,
                RULE_PUT_SIZE if status == 413 else RULE_PUT,
                f"the first PUT to the upload URL as handed out (without Authorization, "
                f"Content-Type {ticket.content_type}, in time) answered {status}",
                response,
            )

    def _expect_put(
        self, exchange: Exchange, response: httpx.Response, business_id: str, key: Any
    ) -> None:
        """A bulk call accepted a presigned key whose upload URL led through this proxy,
        yet no PUT through it was accepted, or even on its way when the call ended."""
        route_id = self.presigned_keys.get((business_id, key)) if isinstance(key, str) else None
        ticket = self.presigned.get(route_id) if route_id is not None else None
        if ticket is None or ticket.put or route_id is None:
            return
        began = self.route_started(route_id)
        if began is not None and began < exchange.finished:
            return
        fail(
            RULE_BEFORE_PUT,
            f"s3_key {key!r} came from POST /upload; no PUT to its upload URL was accepted "
            f"(none had begun when this call ended), yet it answered {exchange.status}",
            response,
        )

    def _existing(
        self, kind: Kind, file: CsvFile, items: Sequence[Any], business: Business
    ) -> dict[str, Party]:
        """Parties as the oracle must take them: those the proxy saw, and for any it did
        not, what the response says (the proxy cannot know whether an unseen customer or
        vendor existed before, so either answer is accepted for its name and email)."""
        seen = business.parties_of(kind)
        existing = dict(seen.items())
        for row in file.rows:
            cell = (row.get(kind.party_id) or "").strip().lower()
            if cell and cell not in existing:
                existing[cell] = Party(cell, "", None)  # placeholder, replaced below
        rough = expected(kind, file, existing)
        existing = dict(seen.items())
        for entity, item in zip(rough, items, strict=False):
            row = file.rows[_first_row(entity) - 1]
            key = (row.get(kind.party_id) or "").strip().lower() or (
                row.get(kind.party_key) or ""
            ).strip().lower()
            if key in existing or not isinstance(item, dict):
                continue
            existing[key] = _party(kind, item)
        return existing

    def _remember(
        self,
        kind: Kind,
        business: Business,
        business_id: str,
        items: Sequence[Any],
        exchange: Exchange,
    ) -> None:
        parties = business.parties_of(kind)
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not is_uuid(item.get("id")):
                continue
            self.entities[item["id"]] = Entity(
                business_id, kind.name, item, Created(exchange.started, exchange.finished, index)
            )
            party = item.get(kind.party_id)
            if is_uuid(party):
                known = _party(kind, item)
                if party not in parties:
                    parties[party] = known
                key = item.get(f"{kind.party}_email" if kind is INVOICES else "vendor_name")
                if isinstance(key, str) and key and key.lower() not in parties:
                    parties[key.lower()] = known

    def _entity(self, entity_id: str, business_id: str, kind: str | None) -> Entity | None:
        known = self.entities.get(entity_id)
        if known is None or known.business_id != business_id or known.kind != kind:
            return None
        return known

    def _read_back(
        self, kind: Kind, body: dict[str, Any], response: httpx.Response, business_id: str
    ) -> None:
        known = self._entity(str(body.get("id")), business_id, kind.name)
        if known is not None:
            self.read_backs += 1
            expect_same_entity(kind.name, known.item, body, response)

    def _expect_same_end(
        self,
        where: str,
        has_next: Any,
        ids: list[str],
        response: httpx.Response,
        business_id: str,
    ) -> None:
        """The page at ``where`` (kind and cursor) once said nothing remained after these
        very items; asked again (another ``limit``), it must not say more remain.
        Identical items mean nothing moved in between (new entities come first), so the
        answers contradict each other whatever the cursor encodes."""
        key = (business_id, where)
        ended = self.ends.get(key)
        if has_next is False:
            self.ends[key] = tuple(ids)
        elif has_next is True and ended is not None and tuple(ids) == ended:
            fail(
                RULE_END,
                f"the page {excerpt(where, 60)} said nothing remained after its {len(ids)} "
                "item(s); the same items asked for again came with has_next true",
                response,
            )

    def _not_lost(
        self, operation: Operation, exchange: Exchange, response: httpx.Response, business_id: str
    ) -> None:
        """A 404 for an id this business's bulk call returned (CONTRACT §5)."""
        entity_id = exchange.path.rstrip("/").rsplit("/", 1)[-1]
        kind = operation.kind.name if operation.kind else None
        require(
            self._entity(entity_id, business_id, kind) is None,
            RULE_READ_BACK,
            f"GET of {entity_id}, created by an earlier bulk call of this business, answered 404",
            response,
        )

    def _list(
        self,
        kind: Kind,
        exchange: Exchange,
        body: dict[str, Any],
        response: httpx.Response,
        business_id: str,
    ) -> None:
        if "limit" not in exchange.query:
            said = body.get("limit")
            require(
                said is None or said == DEFAULT_LIMIT,
                RULE_DEFAULT,
                f"a page asked for without limit says limit={said!r}",
                response,
            )
        limits = exchange.query.get("limit") or [str(DEFAULT_LIMIT)]
        try:
            limit = int(limits[0])
        except ValueError:
            limit = None  # a spelling lax parsers may read (``1.0``): not judged
        if limit is not None:
            require(
                1 <= limit <= 1000,
                RULE_LIMIT,
                f"limit={limits[0]} was served with {exchange.status} instead of refused",
                response,
            )
            expect_list_page(response, body, limit)
        items = [item for item in body.get("items") or [] if isinstance(item, dict)]
        ids = [str(item.get("id")) for item in items]
        cursors = exchange.query.get("cursor") or []
        cursor = cursors[0] if cursors else None
        before = self.pages.get((business_id, cursor)) if cursor else None
        _expect_owner(items, response, business_id)
        if before is not None:
            # Entities are never deleted: what remained after that page remains.
            require(
                bool(items),
                RULE_END,
                f"the page after cursor {excerpt(cursor, 40)} is empty, though the page that "
                "gave it said more remained",
                response,
            )
            again = [i for i in ids if i in before]
            require(
                not again or _shifted_by_inserts(before, ids, len(again)),
                RULE_WALK,
                f"the page after cursor {excerpt(cursor, 40)} repeats {again[:5]} of the page "
                "that gave it",
                response,
            )
        # The first page too: a new entity would come first and change its items.
        where = f"{kind.name}:{cursor or ''}"
        self._expect_same_end(where, body.get("has_next"), ids, response, business_id)
        if isinstance(body.get("next_cursor"), str):
            self.pages[(business_id, body["next_cursor"])] = tuple(ids)
        known = [
            (i, entity.created)
            for i in ids
            if (entity := self._entity(i, business_id, kind.name)) is not None
        ]
        for (newer, a), (older, b) in itertools.pairwise(known):
            require(
                not a.surely_older(b),
                RULE_ORDER,
                f"{newer} is listed before {older}, which was created after it",
                response,
            )
        for item in items:
            self._read_back(kind, item, response, business_id)



def _shifted_by_inserts(before: Sequence[str], ids: Sequence[str], repeated: int) -> bool:
    """Whether a page that repeats ``repeated`` items of the page before it does so as an
    offset cursor would after as many entities were created in between: the last items of
    that page, first on this one, in the same order. CONTRACT §5 says "cursor (from
    next_cursor)" and nothing of a list that changes during a walk, and other clients may
    create in the business between two pages; the proxy cannot tell that from a cursor
    that repeats items, so it does not judge it (the suite runs its own walk alone)."""
    return tuple(ids[:repeated]) == tuple(before[len(before) - repeated :])

def _expect_owner(
    items: Sequence[Mapping[str, Any]], response: httpx.Response, business_id: str
) -> None:
    """Each listed or fetched entity is the caller's (its ``business_id`` compared
    case-insensitively: the header's spelling is the client's)."""
    for item in items:
        owner = item.get("business_id")
        require(
            not isinstance(owner, str) or owner.lower() == business_id,
            RULE_OWNER,
            f"{item.get('id')} of business {owner!r} served to {business_id}",
            response,
        )


def _party(kind: Kind, item: Mapping[str, Any]) -> Party:
    """The customer or vendor of a 201 item, as the oracle takes an existing one."""
    return Party(
        str(item.get(kind.party_id)),
        item.get(f"{kind.party}_name"),  # type: ignore[arg-type]  # may be null: compared as is
        item.get(f"{kind.party}_email"),
    )


def _first_row(entity: ExpectedEntity) -> int:
    return entity.lines[0].row if isinstance(entity, ExpectedInvoice) else entity.row


def uploaded_csv(exchange: Exchange) -> bytes | None:
    """The ``file`` part of a ``multipart/form-data`` direct upload, or ``None``."""
    content_type = exchange.request_header("content-type") or ""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    message = _multipart(content_type, exchange.request_body)
    if message is None or not message.is_multipart():
        return None
    for part in message.iter_parts():  # type: ignore[attr-defined]
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


def _multipart(content_type: str, body: bytes) -> email.message.Message | None:
    if "boundary=" not in content_type.lower():
        return None
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if message.is_multipart() and message.defects:
        return None
    return message


def parse_csv(data: bytes, kind: Kind) -> CsvFile | None:
    """The file as the oracle reads it (CONTRACT §3: UTF-8, BOM allowed, header names
    case-insensitive and trimmed, unknown columns ignored, blank lines skipped), or
    ``None`` when it is not a file the contract lets a 201 come from."""
    try:
        text = data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError:
        return None
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)]
    if len(rows) < 2:
        return None
    header = [name.strip().lower() for name in rows[0]]
    if not set(kind.required) - {kind.party_key} <= set(header):
        return None
    places: dict[str, int] = {}
    for index, name in enumerate(header):
        if name:
            places.setdefault(name, index)
    columns = tuple(places)
    records = tuple(
        {name: (row[i] if i < len(row) else "") for name, i in places.items()} for row in rows[1:]
    )
    return CsvFile(columns=columns, rows=records)


def _violation(
    exchange: Exchange, violation: ContractViolation, secrets: Iterable[str]
) -> Violation:
    safe = exchange.redacted(secrets)
    return Violation(
        rule=violation.rule,
        detail=redact_text(violation.detail, secrets),
        method=exchange.method,
        target=safe.target,
        status=exchange.status,
        curl=safe.curl(),
        at=exchange.started.isoformat(),
        response_excerpt=safe.response_body[:500].decode("utf-8", "replace"),
    )
