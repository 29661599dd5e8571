"""The world file format of mock_server.world: defaults, derived ids, clear errors."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from dayzero_twin.mock_server.domain.world import (
    DEFAULT_WORLD_FILE,
    customer_id_for,
    load_world,
    parse_world,
    vendor_id_for,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "mock_server/domain/worlds/example.yaml"
NORTHWIND = "b5a1c6de-0000-4000-8000-000000000001"
BAKERY = "b5a1c6de-0000-4000-8000-000000000002"


def test_default_world() -> None:
    world = load_world()
    assert world.tokens == {"dz_mock_token": {NORTHWIND, BAKERY},
                            "dz_your_token": {NORTHWIND, BAKERY}}
    assert [b.name for b in world.businesses.values()] == ["Northwind Studio",
                                                           "Blue Harbor Bakery"]
    for business in world.businesses.values():
        assert 4 <= len(business.customers) <= 6 and 4 <= len(business.vendors) <= 6
        for customer in business.customers:
            assert customer.id == customer_id_for(business.id, customer.email)
            # "Matching" email: the name's first word appears in the address.
            first_word = customer.name.split()[0].lower().strip("&")
            assert first_word[:4] in customer.email.replace("-", "")
        for vendor in business.vendors:
            assert vendor.id == vendor_id_for(business.id, vendor.name) and vendor.email


def test_derived_ids_are_stable_uuid5_values() -> None:
    # Pinned: documentation may cite these ids, so they must never drift.
    assert customer_id_for(NORTHWIND, "AP@acmerobotics.com") == str(uuid.uuid5(
        uuid.UUID("5d0e7a4c-3b8f-5a52-9c61-7f0a2d6b1e93"),
        f"{NORTHWIND}/customers/ap@acmerobotics.com"))
    assert load_world().businesses[NORTHWIND].customers[0].id == \
        "2fc10bf4-c4cc-5872-933d-3ea419736351"


def test_example_world_loads() -> None:
    world = load_world(EXAMPLE)
    assert world.may_act("dz_test_clerk", "0c0ffee0-0000-4000-8000-00000000000b")
    assert not world.may_act("dz_test_clerk", "0c0ffee0-0000-4000-8000-00000000000a")
    consulting = world.businesses["0c0ffee0-0000-4000-8000-00000000000a"]
    assert consulting.customers[0].id == "6f1d2c3b-1111-4a5b-8c7d-000000000001"
    assert consulting.vendors[0].email is None


def base() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_WORLD_FILE.read_text(encoding="utf-8"))


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(base())
    change(data)
    return data


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.pop("tokens"), "missing tokens"),
    (lambda d: d.update(extra=1), "unknown key(s) extra"),
    (lambda d: d.update(businesses=[]), "businesses must be a non-empty list"),
    (lambda d: d["businesses"][0].update(id="nope"), "businesses[0].id must be a UUID"),
    (lambda d: d["businesses"][1].update(id=d["businesses"][0]["id"]), "declared twice"),
    (lambda d: d["businesses"][0].pop("name"), "businesses[0] is missing name"),
    (lambda d: d["businesses"][0]["customers"][1].pop("email"),
     "businesses[0].customers[1] is missing email"),
    (lambda d: d["businesses"][0]["customers"][1].update(email="ap@ACMEROBOTICS.com"),
     "businesses[0].customers[1].email 'ap@ACMEROBOTICS.com' appears twice"),
    (lambda d: d["businesses"][0]["customers"][1].update(email="no-at-sign"),
     "must be an email address"),
    (lambda d: d["businesses"][0]["vendors"][2].update(name="summit office supply"),
     "businesses[0].vendors[2].name 'summit office supply' appears twice"),
    (lambda d: d["businesses"][0]["vendors"][0].update(colour="red"),
     "businesses[0].vendors[0] has unknown key(s) colour"),
    (lambda d: d["tokens"].update({"has space": [NORTHWIND]}), "printable ASCII"),
    (lambda d: d["tokens"].update(dz_x=[]), "tokens.dz_x must be a non-empty list"),
    (lambda d: d["tokens"].update(dz_x=["0badc0de-0000-4000-8000-000000000000"]),
     "names undeclared business"),
])
def test_bad_world_files_name_the_problem(change: Any, expected: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_world(broken(change))
    assert expected in str(caught.value)


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text("tokens: [unclosed", encoding="utf-8")
    with pytest.raises(ValueError, match=r"world\.yaml: not valid YAML"):
        load_world(path)
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"world\.yaml: the document must be a mapping"):
        load_world(path)
    with pytest.raises(ValueError, match="cannot be read"):
        load_world(tmp_path / "missing.yaml")
