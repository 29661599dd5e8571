"""What of an answer two implementations must agree on, and what they may choose.

Ids and invoice numbers are each implementation's own, but not arbitrary: the id a bulk
201 gave must be the one a GET answers, numbers must not repeat, ``business_id`` must be
the caller's. So they are not blanked but *named*: the business ids by their role, every
other UUID and number by the order in which the run first saw it (``<id 3>``,
``<number 2>``). Two faithful implementations give the same names; one that reuses a
number, answers another id or another business's entity does not.

Inside texts (messages), a UUID is named only if the run met it as an id. ``null`` and
absent are the same (CONTRACT §1). Creation times must be "now": they are compared as
recent or not, by the suite's own :class:`Window` (the server's clock where its ``Date``
header tells it, so a faithful API whose clock is off is still recent; ± 5 minutes). Other
date-times (a bill's ``due_on``) are compared as instants, whatever offset spells them. Keys, URLs,
file names and sizes, expiry seconds and cursors are compared by type only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dayzero_twin.contract_tests.support.assertions import Window

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
# Fields whose values an implementation chooses freely: compared by presence and type.
CHOSEN = frozenset(
    {
        "s3_key",
        "upload_url",
        "expires_in",
        "next_cursor",
        "prev_cursor",
        "filename",
        "size",
        "content_type",
    }
)
NUMBERED = frozenset({"number"})
# "created_at"/"updated_at" record when the run created the entity.
MOMENT_SUFFIX = "_at"


class Masker:
    """Masks the answers of one run; its names live as long as the run.

    ``started``: when the run began, the earliest a creation time of the run can be."""

    def __init__(self, roles: Mapping[str, str], started: datetime | None = None) -> None:
        self.roles = {uuid.lower(): name for uuid, name in roles.items()}
        self.started = started or datetime.now(UTC)
        self.ids: dict[str, str] = {}
        self.numbers: dict[str, str] = {}

    def __call__(self, value: Any, window: Window | None = None) -> Any:
        """Mask ``value``, an answer received inside ``window`` (default: from the run's
        start until now, by the local clock)."""
        return self._mask(value, "", window or Window(self.started, datetime.now(UTC)))

    def _mask(self, value: Any, key: str, window: Window) -> Any:
        if isinstance(value, dict):
            # CONTRACT §1: an optional field "may be absent or null"; both read as absent.
            return {k: self._mask(v, k, window) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [self._mask(v, key, window) for v in value]
        if value is None:
            return None
        if key in CHOSEN:
            return f"<{type(value).__name__}>"
        if key in NUMBERED:
            return self._name(self.numbers, str(value), "number")
        if isinstance(value, str):
            return self._text(value, key, window)
        return value

    def _text(self, value: str, key: str, window: Window) -> str:
        if TIMESTAMP.match(value):
            return self._moment(value, window if key.endswith(MOMENT_SUFFIX) else None)
        if value.startswith(("http://", "https://")):
            return "<url>"  # each implementation names its own host
        if UUID.fullmatch(value):
            return self._uuid(value)
        return UUID.sub(lambda match: self._mentioned(match.group(0)), value)

    def _uuid(self, value: str) -> str:
        role = self.roles.get(value.lower())
        return f"<{role}>" if role else self._name(self.ids, value.lower(), "id")

    def _mentioned(self, value: str) -> str:
        """A UUID inside a text (a message, a key it quotes): named if the run has met it
        as an id, else just a UUID. Texts do not name new ids, so one implementation
        quoting a key the other does not cannot shift every later id's name."""
        role = self.roles.get(value.lower())
        return f"<{role}>" if role else self.ids.get(value.lower(), "<uuid>")

    def _moment(self, value: str, recency: Window | None) -> str:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if recency is not None:
            if recency.contains(moment):
                return "<recent>"
            return f"<not made during the run ({recency.describe()}): {value}>"
        return moment.astimezone(UTC).isoformat()

    @staticmethod
    def _name(table: dict[str, str], value: str, kind: str) -> str:
        return table.setdefault(value, f"<{kind} {len(table) + 1}>")
