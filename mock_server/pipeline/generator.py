"""Schema-driven fake values that look like DayZero data.

One generator, seeded from ``config.seed``, for every operation without a domain handler
and for every property a domain handler does not know about (a field added to a slice).
It reads property names and formats as a person would: ``customer_email`` is the email of
``customer_name``, money is positive cents that add up, dates sit around the mock's clock,
``*_url`` is a URL. Whatever it picks, the schema's constraints win: the tests validate
generated bodies against every response schema of the bundle.
"""

from __future__ import annotations

import base64
import functools
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker

Schema = Mapping[str, Any]

# Only what the generator uses: all of Faker's providers would triple the start-up cost.
FAKER_PROVIDERS = tuple(
    f"faker.providers.{name}"
    for name in ("person", "company", "internet", "phone_number", "address")
)
SERVICES = (
    "Website redesign",
    "Monthly retainer",
    "Consulting hours",
    "Brand strategy workshop",
    "Cloud hosting",
    "Mobile app development",
    "SEO audit",
    "Bookkeeping services",
    "Photography session",
    "Copywriting package",
    "Support plan",
    "Data migration",
)
EXPENSES = (
    "Office supplies",
    "Cloud infrastructure",
    "Office rent",
    "Software subscriptions",
    "Legal services",
    "Freight and shipping",
    "Marketing campaign",
    "Equipment lease",
    "Utilities",
    "Contractor services",
)
ROW_MESSAGES = (
    "is required",
    "is not a valid date (expected YYYY-MM-DD)",
    "is not a valid amount (at most two decimals, no currency sign)",
    "is not a supported currency (USD, CAD, AUD, EUR, GBP)",
    "is not a valid UUID",
    "must be one_time or recurring",
)
FALLBACK_COLUMNS = ("customer_email", "due_date", "unit_price", "amount", "currency")
CURRENCIES = ("USD", "USD", "USD", "CAD", "EUR", "GBP", "AUD")
QUANTITIES = (1, 1, 1, 2, 3, 4, 5, 10, 0.5, 1.5, 2.25, 12)
NULL_CHANCE = 0.1
MONEY_WORDS = ("amount", "total", "price", "balance", "paid", "cents", "cost", "fee", "subtotal")
# Never null when nullable: without them an invoice or bill stops adding up.
CORE_FIELDS = frozenset({"quantity", "line_items", "status", "currency", "due_date", "items"})
PAID_STATUSES = frozenset({"manual_paid", "stripe_paid", "paid"})
PARTIAL_STATUSES = frozenset({"partially_paid"})


@dataclass
class GenContext:
    """Facts one response shares so its values agree with the request and each other."""

    base_url: str = "http://127.0.0.1:4010"
    business_id: str | None = None
    csv_columns: tuple[str, ...] = ()
    overrides: dict[str, Any] = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower()) or "contact"


def _round_half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _non_null(members: list[Any]) -> list[Any]:
    return [m for m in members if not (isinstance(m, Mapping) and m.get("type") == "null")]


class Generator:
    """Fake values for schemas; deterministic for a given seed and sequence of calls."""

    def __init__(self, seed: int, now: Callable[[], datetime]) -> None:
        self._rng = random.Random(seed)
        self._seed = seed
        self._now = now
        self._invoice_number = 1000

    @functools.cached_property
    def _faker(self) -> Faker:
        # Made on first use: importing Faker and building it is a tenth of the mock's
        # start-up, and the domain's answers (bulk, lists, reads) never need it.
        from faker import Faker

        faker = Faker("en_US", providers=list(FAKER_PROVIDERS))
        faker.seed_instance(self._seed)
        return faker

    # ------------------------------------------------------------------ entry points

    def value(self, schema: Schema | bool, name: str = "", ctx: GenContext | None = None) -> Any:
        """A value for ``schema``; ``name`` is the property it is for, if any."""
        return self._value(schema, name, ctx or GenContext(), required=True)

    def csv_text(self, columns: tuple[str, ...] = ("name", "email", "amount")) -> str:
        """A small CSV document, for operations that answer ``text/csv`` generically."""
        rows = [",".join(columns)]
        for _ in range(2):
            rows.append(",".join(str(self._string({}, c, GenContext())) for c in columns))
        return "\r\n".join(rows) + "\r\n"

    # ------------------------------------------------------------------ dispatch

    def _value(self, schema: Schema | bool, name: str, ctx: GenContext, required: bool) -> Any:
        if schema is True or schema is None:
            return self._untyped(name, ctx)
        if schema is False:
            return None
        if name in ctx.overrides:
            return ctx.overrides[name]
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._enum(list(schema["enum"]), name)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._union(schema, list(schema[key]), name, ctx, required)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                merged = {**merged, **part, "properties": props}
            return self._value(merged, name, ctx, required)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            return self._value({**schema, "type": kinds[0]}, name, ctx, required)
        if kind == "object" or "properties" in schema:
            return self._object(schema, name, ctx)
        if kind == "array":
            return self._array(schema, name, ctx)
        if kind == "string":
            return self._string(schema, name, ctx)
        if kind == "integer":
            return self._integer(schema, name)
        if kind == "number":
            return self._number(schema, name)
        if kind == "boolean":
            return self._boolean(name)
        if kind == "null":
            return None
        return self._untyped(name, ctx)

    def _union(
        self, schema: Schema, members: list[Any], name: str, ctx: GenContext, required: bool
    ) -> Any:
        concrete = _non_null(members)
        if not concrete:
            return None
        core = name in CORE_FIELDS or any(word in name for word in MONEY_WORDS)
        if len(concrete) < len(members) and not core and self._rng.random() < NULL_CHANCE:
            return None
        strings = schema.get("x-enum-strings")
        if strings:
            for member in concrete:
                if member.get("type") == "string":
                    return self._enum(list(strings), name)
        return self._value(concrete[0], name, ctx, required)

    def _enum(self, values: list[Any], name: str) -> Any:
        if name == "currency":
            preferred = [c for c in CURRENCIES if c in values]
            if preferred:
                return self._rng.choice(preferred)
        return self._rng.choice(values)

    # ------------------------------------------------------------------ containers

    def _array(self, schema: Schema, name: str, ctx: GenContext) -> list[Any]:
        low = int(schema.get("minItems", 1))
        high = int(schema.get("maxItems", max(low, 3)))
        count = self._rng.randint(low, max(low, min(high, 3)))
        item_name = name[:-1] if name.endswith("s") else name
        if name == "loc" and low <= 2 <= high:
            return list(self._rng.choice((("body", "s3_key"), ("header", "x-business-id"))))
        items = schema.get("items", {})
        return [self._value(items, item_name, ctx, required=True) for _ in range(count)]

    def _object(self, schema: Schema, name: str, ctx: GenContext) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        if not properties:
            return self._free_object(name, ctx)
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        # Names before emails, so an email can be made from its name.
        ordered = sorted(properties, key=lambda p: 1 if "email" in p else 0)
        for prop in ordered:
            sub = properties[prop]
            if prop == "business_id" and ctx.business_id:
                out[prop] = ctx.business_id
                continue
            value = self._value(sub, prop, ctx, required=prop in required)
            if isinstance(value, str) and "email" in prop:
                value = self._email_for(out, prop, value, sub)
            out[prop] = value
        self._cohere(out, properties, ctx)
        return {prop: out[prop] for prop in properties}

    def _free_object(self, name: str, ctx: GenContext) -> dict[str, Any]:
        if "journal" in name:
            amount = self._cents()
            return {
                "account": self._rng.choice(("Accounts Receivable", "Revenue", "Accounts Payable")),
                "debit": amount,
                "credit": 0,
                "memo": self._rng.choice(SERVICES),
            }
        if "payment" in name:
            return {
                "id": str(self._uuid()),
                "amount": self._cents(),
                "paid_on": self._datetime("paid_on"),
            }
        if name == "ctx":
            return {"min_length": 1}
        return {"id": str(self._uuid()), "created_at": self._datetime("created_at")}

    def _untyped(self, name: str, ctx: GenContext) -> Any:
        if name == "input":
            return ""
        return self._string({}, name, ctx)

    # ------------------------------------------------------------------ coherence

    def _email_for(self, out: dict[str, Any], prop: str, value: str, schema: Schema) -> str:
        prefix = prop[: -len("email")]
        owner = out.get(f"{prefix}name") or out.get("name")
        if not isinstance(owner, str) or not owner:
            return value
        if "vendor" in prop or "company" in prop:
            email = f"billing@{_slug(owner)}.com"
        else:
            parts = [_slug(p) for p in owner.split() if _slug(p)]
            local = ".".join(parts[:2]) or "contact"
            email = f"{local}@{self._faker.free_email_domain()}"
        return email if self._fits(email, schema) else value

    @staticmethod
    def _fits(text: str, schema: Schema) -> bool:
        candidates = _non_null(list(schema.get("anyOf", []))) or [schema]
        return any(
            len(text) >= c.get("minLength", 0) and len(text) <= c.get("maxLength", len(text))
            for c in candidates
        )

    def _cohere(self, out: dict[str, Any], properties: Mapping[str, Any], ctx: GenContext) -> None:
        """Make related fields of one object agree: sums, paid amounts, dates, envelopes."""
        priced = isinstance(out.get("quantity"), int | float) and isinstance(
            out.get("unit_price"), int
        )
        if priced and "amount" in out and _is_int_schema(properties.get("amount")):
            out["amount"] = _round_half_up(out["quantity"] * out["unit_price"])
        lines = out.get("line_items")
        if isinstance(lines, list) and _is_int_schema(properties.get("total")):
            amounts = [li.get("amount") for li in lines if isinstance(li, dict)]
            out["total"] = sum(a for a in amounts if isinstance(a, int)) or self._cents()
        self._cohere_paid(out, properties)
        if isinstance(out.get("created_at"), str) and isinstance(out.get("updated_at"), str):
            out["updated_at"] = max(out["updated_at"], out["created_at"])
        if out.get("status") == "draft":
            for key in ("number", "delivered_on", "hosted_invoice_url"):
                if key in out:
                    out[key] = None
            if "delivered" in out:
                out["delivered"] = False
        elif "number" in out and out["number"] is None and "line_items" in out:
            self._invoice_number += 1
            out["number"] = f"INV-{self._invoice_number:05d}"
        if "expected_paid_on_date" in out and isinstance(out.get("due_on"), str):
            out["expected_paid_on_date"] = out["due_on"]
        if isinstance(out.get("items"), list) and "has_next" in out:
            self._cohere_envelope(out)
        if isinstance(out.get("column"), str) and isinstance(out.get("message"), str):
            out["message"] = _row_message(out["column"], out["message"])

    def _cohere_paid(self, out: dict[str, Any], properties: Mapping[str, Any]) -> None:
        total_key = "total" if "total_paid" in out and "total" in out else "amount"
        total = out.get(total_key)
        if not isinstance(total, int) or "total_paid" not in out:
            return
        status = out.get("status")
        if status in PAID_STATUSES:
            paid = total
        elif status in PARTIAL_STATUSES:
            paid = total // 2
        else:
            paid = 0
        if _is_int_schema(properties.get("total_paid")):
            out["total_paid"] = paid
        if "expected_amount" in out and isinstance(out["expected_amount"], int):
            out["expected_amount"] = total
        if "balance_due" in out and _is_int_schema(properties.get("balance_due")):
            out["balance_due"] = total - paid
        if "paid_on" in out and paid < total:
            out["paid_on"] = None
        payments = out.get("payments")
        if isinstance(payments, list):
            if paid == 0:
                out["payments"] = []
            elif payments and all(isinstance(p, dict) and "amount" in p for p in payments):
                share, rest = divmod(paid, len(payments))
                for index, payment in enumerate(payments):
                    payment["amount"] = share + (rest if index == 0 else 0)

    def _cohere_envelope(self, out: dict[str, Any]) -> None:
        count = len(out["items"])
        has_next = bool(out.get("has_next"))
        if "total" in out:
            out["total"] = count + (self._rng.randint(1, 40) if has_next else 0)
        if isinstance(out.get("limit"), int):
            out["limit"] = max(out["limit"], count, 1)
        if "next_cursor" in out:
            out["next_cursor"] = self._cursor() if has_next else None
        if "has_prev" in out:
            out["has_prev"] = False
        if "prev_cursor" in out:
            out["prev_cursor"] = None

    # ------------------------------------------------------------------ scalars

    def _string(self, schema: Schema, name: str, ctx: GenContext) -> str:
        fmt = schema.get("format", "")
        text = self._semantic_string(fmt, name, ctx)
        return self._fit_length(text, schema)

    def _semantic_string(self, fmt: str, name: str, ctx: GenContext) -> str:
        lname = name.lower()
        if fmt == "uuid":
            return str(self._uuid())
        if fmt == "date":
            return self._date(lname).isoformat()
        if fmt == "date-time":
            return self._datetime(lname)
        if fmt in ("uri", "url") or lname.endswith("url"):
            return self._url(lname, ctx)
        if fmt == "email" or "email" in lname:
            return self._faker.email()
        if fmt == "binary":
            return self.csv_text()
        if lname == "s3_key":
            owner = ctx.business_id or str(self._uuid())
            return f"uploads/{owner}/{self._uuid()}/{self._filename()}"
        if lname.endswith("cursor"):
            return self._cursor()
        if lname == "id" or lname.endswith("_id"):
            return self._identifier(lname)
        if lname == "filename":
            return self._filename()
        if lname == "content_type":
            return "text/csv"
        if lname == "currency":
            return "USD"
        if lname == "token":
            return "dz_" + self._hex(24)
        return self._text(lname, ctx)

    def _text(self, lname: str, ctx: GenContext) -> str:
        faker = self._faker
        if lname in ("customer_name", "name", "contact_name") or lname.endswith("person"):
            return faker.name()
        if lname.endswith("_name") or lname in ("company", "vendor"):
            return faker.company()
        if lname == "detail":
            return "The request could not be processed"
        if lname == "message":
            return self._rng.choice(ROW_MESSAGES)
        if lname == "column":
            return self._rng.choice(ctx.csv_columns or FALLBACK_COLUMNS)
        if lname == "msg":
            return "Field required"
        if lname == "type":
            return "missing"
        if lname == "number":
            self._invoice_number += 1
            return f"INV-{self._invoice_number:05d}"
        if lname == "bill_number":
            return f"{self._rng.choice(('BILL', 'INV', 'PO'))}-{self._rng.randint(1000, 99999)}"
        if lname == "status":
            return "active"
        if lname in ("description", "item_description", "memo", "notes"):
            return self._description()
        if "phone" in lname:
            return faker.phone_number()
        if "address" in lname:
            return faker.address().replace("\n", ", ")
        if "city" in lname:
            return faker.city()
        if "country" in lname:
            return faker.country_code()
        return faker.catch_phrase()

    def _description(self) -> str:
        month = self._now().strftime("%B %Y")
        if self._rng.random() < 0.5:
            return f"{self._rng.choice(SERVICES)} — {month}"
        return f"{self._rng.choice(EXPENSES)} for {month}"

    def _fit_length(self, text: str, schema: Schema) -> str:
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if high is not None and len(text) > int(high):
            text = text[: int(high)]
        return text

    def _identifier(self, lname: str) -> str:
        if lname.startswith("stripe_"):
            prefix = {"invoice": "in", "customer": "cus", "payment": "pi"}.get(
                lname.removeprefix("stripe_").removesuffix("_id"), "obj"
            )
            return f"{prefix}_{self._alnum(24)}"
        return str(self._uuid())

    def _url(self, lname: str, ctx: GenContext) -> str:
        token = self._alnum(16)
        if "pdf" in lname:
            business = ctx.business_id or str(self._uuid())
            return f"{ctx.base_url}/__mock/invoices/{business}/{self._uuid()}.pdf"
        if "upload" in lname:
            return f"{ctx.base_url}/__mock/uploads/{token}?expires=900&signature={self._hex(32)}"
        if "hosted" in lname or "invoice" in lname:
            return f"https://pay.ondayzero.com/i/{token}"
        if "signed" in lname:
            return (
                f"https://dayzero-uploads.s3.amazonaws.com/{self._uuid()}/{self._filename()}"
                f"?X-Amz-Expires=900&X-Amz-Signature={self._hex(32)}"
            )
        return f"https://{self._faker.domain_name()}/{token.lower()}"

    def _filename(self) -> str:
        kind = self._rng.choice(("invoices", "bills"))
        return f"{kind}-{self._now().strftime('%Y-%m')}.csv"

    def _integer(self, schema: Schema, name: str) -> int:
        lname = name.lower()
        if any(word in lname for word in MONEY_WORDS) and lname != "total":
            value = 0 if lname in ("total_paid",) else self._cents()
        elif lname == "total":
            value = self._cents()
        elif lname == "row":
            value = self._rng.randint(1, 25)
        elif lname == "size":
            value = self._rng.randint(200, 250_000)
        elif lname.endswith("_in") or "seconds" in lname:
            value = 900
        elif lname == "limit":
            value = 50
        elif lname in ("quantity", "count"):
            value = self._rng.randint(1, 10)
        else:
            value = self._rng.randint(1, 100)
        return int(_clamp(value, schema, integer=True))

    def _number(self, schema: Schema, name: str) -> float:
        if "quantity" in name.lower():
            value: float = self._rng.choice(QUANTITIES)
        else:
            value = round(self._rng.uniform(1, 100), 2)
        return _clamp(value, schema, integer=False)

    def _boolean(self, name: str) -> bool:
        if name in ("has_next", "has_prev"):
            return False
        return self._rng.random() < 0.5

    def _cents(self) -> int:
        dollars = self._rng.choice((self._rng.randint(10, 400), self._rng.randint(400, 9000)))
        cents = self._rng.choice((0, 0, 0, 50, 99, 25))
        return dollars * 100 + cents

    def _date(self, lname: str) -> date:
        today = self._now().date()
        if "due" in lname or "expected" in lname:
            return today + timedelta(days=self._rng.randint(7, 45))
        return today - timedelta(days=self._rng.randint(0, 60))

    def _datetime(self, lname: str) -> str:
        now = self._now()
        if any(word in lname for word in ("due", "expected")):
            day = now.date() + timedelta(days=self._rng.randint(7, 45))
            return _rfc3339(datetime.combine(day, time(), tzinfo=UTC))
        if "received" in lname:
            day = now.date() - timedelta(days=self._rng.randint(1, 30))
            return _rfc3339(datetime.combine(day, time(), tzinfo=UTC))
        # created 30-60 days ago, everything that happens to it since within the last 20,
        # so paid_on or delivered_on never precede created_at.
        if "created" in lname:
            return _rfc3339(now - timedelta(days=self._rng.randint(30, 60), seconds=self._secs()))
        if "updated" in lname:
            return _rfc3339(now - timedelta(minutes=self._rng.randint(0, 600)))
        return _rfc3339(now - timedelta(days=self._rng.randint(0, 20), seconds=self._secs()))

    def _secs(self) -> int:
        return self._rng.randint(0, 86_399)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def _hex(self, length: int) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def _alnum(self, length: int) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def _cursor(self) -> str:
        raw = f"{self._rng.randint(1, 10_000)}:{self._uuid()}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _row_message(column: str, fallback: str) -> str:
    """What an import error says about a cell of this column."""
    for words, message in (
        (("date", "_on"), "is not a valid date (expected YYYY-MM-DD)"),
        (("price", "amount", "quantity"), "is not a valid amount (at most two decimals)"),
        (("currency",), "is not a supported currency (USD, CAD, AUD, EUR, GBP)"),
        (("_id",), "is not a valid UUID"),
        (("type",), "must be one_time or recurring"),
        (("email", "name"), "is required"),
    ):
        if any(word in column for word in words):
            return message
    return fallback if column in FALLBACK_COLUMNS else "could not be read"


def _is_int_schema(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    members = _non_null(list(schema.get("anyOf", []))) or [schema]
    return any(
        m.get("type") == "integer" and "maximum" not in m and "minimum" not in m for m in members
    )


def _clamp(value: float, schema: Schema, integer: bool) -> float:
    """Pull ``value`` inside the schema's bounds (inclusive, exclusive, multipleOf)."""
    low = schema.get("minimum")
    high = schema.get("maximum")
    xlow = schema.get("exclusiveMinimum")
    xhigh = schema.get("exclusiveMaximum")
    step = 1 if integer else 0.01
    if isinstance(xlow, int | float) and not isinstance(xlow, bool):
        low = max(low, xlow + step) if low is not None else xlow + step
    if isinstance(xhigh, int | float) and not isinstance(xhigh, bool):
        high = min(high, xhigh - step) if high is not None else xhigh - step
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    multiple = schema.get("multipleOf")
    if multiple:
        value = math.ceil(value / multiple) * multiple
        if high is not None and value > high:
            value -= multiple
    return math.ceil(value) if integer else value


# ---------------------------------------------------------------------- filling gaps


class Filler:
    """Adds the properties a domain dict lacks, for one response schema.

    The plan (which keys each object level must have, and where nested objects sit) is
    computed once per schema; a dict that already has every key costs one set check.
    Dicts are copied before they are extended, so the service's own data stays as it is.
    """

    def __init__(self, schema: Schema | None) -> None:
        self._plan = _plan(schema)

    def fill(self, value: Any, generator: Generator, ctx: GenContext) -> Any:
        return _apply(self._plan, value, generator, ctx)


@dataclass(frozen=True)
class _Plan:
    keys: frozenset[str] = frozenset()
    properties: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[tuple[str, _Plan], ...] = ()
    items: _Plan | None = None

    @property
    def empty(self) -> bool:
        return not self.keys and not self.children and self.items is None


_EMPTY_PLAN = _Plan()


def _plan(schema: Any) -> _Plan:
    if not isinstance(schema, Mapping):
        return _EMPTY_PLAN
    for key in ("anyOf", "oneOf"):
        if key in schema:
            plans = [p for p in (_plan(m) for m in schema[key]) if not p.empty]
            return plans[0] if plans else _EMPTY_PLAN
    if schema.get("type") == "array":
        inner = _plan(schema.get("items"))
        return _EMPTY_PLAN if inner.empty else _Plan(items=inner)
    properties = schema.get("properties")
    if not properties:
        return _EMPTY_PLAN
    children = tuple(
        (name, p) for name, sub in properties.items() if not (p := _plan(sub)).empty
    )
    return _Plan(keys=frozenset(properties), properties=properties, children=children)


# The hot path of every domain response (10,000 invoices in one bulk answer): plain loops,
# one C-level key-set check per dict, no copy unless something is missing.


def _apply(plan: _Plan, value: Any, generator: Generator, ctx: GenContext) -> Any:
    if plan.items is not None:
        return _apply_list(plan.items, value, generator, ctx) if type(value) is list else value
    if type(value) is not dict or plan.empty:
        return value
    return _apply_dict(plan, value, generator, ctx)


def _apply_list(plan: _Plan, value: list[Any], generator: Generator, ctx: GenContext) -> Any:
    changed: list[Any] | None = None
    keys, children, nested = plan.keys, plan.children, plan.items is not None
    for index, item in enumerate(value):
        if nested or type(item) is not dict:
            filled = _apply(plan, item, generator, ctx)
        elif children or not item.keys() >= keys:
            filled = _apply_dict(plan, item, generator, ctx)
        else:
            continue
        if filled is not item:
            if changed is None:
                changed = list(value)
            changed[index] = filled
    return value if changed is None else changed


def _apply_dict(
    plan: _Plan, value: dict[str, Any], generator: Generator, ctx: GenContext
) -> dict[str, Any]:
    out = value
    if not value.keys() >= plan.keys:
        out = dict(value)
        for name in plan.keys - value.keys():
            out[name] = generator.value(plan.properties[name], name, ctx)
    for name, child in plan.children:
        current = out.get(name)
        if current:
            filled = _apply(child, current, generator, ctx)
            if filled is not current:
                if out is value:
                    out = dict(value)
                out[name] = filled
    return out
