"""Decimal text → integer cents and hundredths, and the one rounding rule.

CONTRACT §3 writes money in major units with at most two decimals, so every amount is
an exact integer number of cents and every quantity an exact integer number of
hundredths. Working on those integers (instead of ``float`` or even ``Decimal``) keeps
the conversion exact and cheap: 10,000-row files parse in milliseconds.
"""

from __future__ import annotations

# Largest integer a JSON client (JavaScript included) reads exactly: 2**53 - 1.
MAX_SAFE_INTEGER = 2**53 - 1
# Longer integer parts cannot be below MAX_SAFE_INTEGER anyway; checking the length first
# keeps int() away from Python's 4,300-digit conversion limit on hostile cells.
_MAX_INTEGER_DIGITS = 17


class MoneyError(ValueError):
    """The text is not a decimal with at most two decimals; ``reason`` says why.

    ``reason`` is ``"format"``, ``"decimals"`` or ``"range"``, so callers can word their
    own message for the cell at hand.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_hundredths(text: str) -> int:
    """``"1250.5"`` → ``125050``: a non-negative decimal with at most two decimals, ×100.

    Raises ``MoneyError`` for a sign, a thousands separator, an exponent, more than two
    decimals, a value past ``MAX_SAFE_INTEGER`` hundredths, or anything else.
    """
    # str.partition and isdigit instead of a regex: this runs for every amount cell of a
    # 10,000-row file. isascii keeps out the non-ASCII digits isdigit would accept.
    whole, dot, fraction = text.partition(".")
    if not (text.isascii() and whole.isdigit() and (fraction.isdigit() or not dot)):
        raise MoneyError("format")
    if len(fraction) > 2:
        raise MoneyError("decimals")
    if len(whole) > _MAX_INTEGER_DIGITS:
        raise MoneyError("range")
    value = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if value > MAX_SAFE_INTEGER:
        raise MoneyError("range")
    return value


def line_amount(quantity_hundredths: int, unit_price_cents: int) -> int:
    """round-half-up(quantity × unit_price) in cents, exactly (CONTRACT §3.1).

    Both factors are non-negative integers, so adding half the divisor before the floor
    division is round-half-up without any floating point: 0.5 × 1 ¢ = 1 ¢, 1.5 × 1 ¢ = 2 ¢.
    """
    return (quantity_hundredths * unit_price_cents + 50) // 100


def hundredths_to_number(hundredths: int) -> int | float:
    """A quantity as the JSON number clients expect: ``2`` for 200, ``1.5`` for 150.

    ``hundredths / 100`` is the float nearest the decimal, whose shortest repr is that
    decimal again (``115 / 100`` prints ``1.15``), so no digits are invented.
    """
    whole, rest = divmod(hundredths, 100)
    return whole if rest == 0 else hundredths / 100
