"""The contract-coverage plugin: its rules come from the contract, labels map onto them."""

from __future__ import annotations

from types import SimpleNamespace

from dayzero_twin.contract_tests.coverage import (
    BROKEN,
    HELD,
    NOT_CHECKED,
    Check,
    ContractCoverage,
    contract_rules,
)


def coverage() -> ContractCoverage:
    return ContractCoverage(SimpleNamespace(), None)  # type: ignore[arg-type]


def test_every_contract_section_and_reference_fact_is_a_rule() -> None:
    ids = {rule.id for rule in contract_rules()}
    for section in ("1", "2", "3", "3.1", "3.2", "3.3", "4", "5"):
        assert f"CONTRACT §{section}" in ids
    for kind in ("invoices", "bills"):
        assert f"reference {kind}: status 201 field items.business_id" in ids
        assert f"reference {kind}: status 422 field detail.loc" in ids
        assert f"reference {kind}: authentication" in ids
    assert "reference bills: request field approve" in ids


def test_labels_cover_sections_ranges_and_named_fields() -> None:
    plugin = coverage()
    check = Check(["CONTRACT §3.2 vendor_email as resolved"], "test_hard_bill_file[x]")
    ids = {rule.id for rule in plugin.covered(check)}
    assert "CONTRACT §3.2" in ids
    assert "reference bills: status 201 field items.vendor_email" in ids
    assert not any(rule_id.startswith("reference invoices") for rule_id in ids)
    ranged = Check(["schema + CONTRACT §2–§5 over the OpenAPI links"], "test_links_chain")
    assert {"CONTRACT §2", "CONTRACT §3", "CONTRACT §4", "CONTRACT §5"} <= {
        rule.id for rule in plugin.covered(ranged)
    }
    schema = Check(["schema: documented status"], "test_operation[POST /api/v1/invoices/bulk]")
    page = [r.id for r in plugin.covered(schema) if r.id.startswith("reference invoices")]
    assert len(page) > 30


def test_verdicts() -> None:
    held, broken, unchecked = contract_rules()[:3]
    held.passed.add("t1")
    broken.passed.add("t1")
    broken.failed.add("t2")
    unchecked.skipped["t3"] = "needs a second business"
    assert (held.verdict, broken.verdict, unchecked.verdict) == (HELD, BROKEN, NOT_CHECKED)
    assert "needs a second business" in unchecked.why()
    assert "t2" in broken.why()


def test_a_skipped_label_is_not_checked_even_when_its_section_held() -> None:
    plugin = coverage()
    skipped = Check(["CONTRACT §2 keys belong to the business that uploaded them"], "t_foreign")
    passed = Check(["CONTRACT §2 direct upload returns 200"], "t_direct")
    for rule in plugin.covered(skipped):
        rule.skipped["t_foreign"] = "needs a second business"
    for rule in plugin.covered(passed):
        rule.passed.add("t_direct")
    verdicts = {rule.id: (rule.verdict, rule.why()) for rule in plugin.rules}
    assert verdicts["CONTRACT §2"][0] == HELD
    label = verdicts["CONTRACT §2 keys belong to the business that uploaded them"]
    assert label == (NOT_CHECKED, "needs a second business")
