"""CONTRACT §3 file and cell rules of mock_server.csv_import, one rule per test."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dayzero_twin.mock_server.domain.csv_import import (
    INVOICE_COLUMNS,
    MEMO_MAX_BYTES,
    _read_header,
    parse_bills,
    parse_invoices,
    records,
    sort_errors,
    summarize,
    template,
)
from dayzero_twin.mock_server.domain.errors import ImportFailed, RowError

INVOICE_HEADER = "customer_email,due_date,item_description,unit_price"
BILL_HEADER = "vendor_name,amount"


def invoices(*lines: str, header: str = INVOICE_HEADER, max_rows: int = 10_000):
    text = "\n".join((header, *lines)) + "\n"
    return parse_invoices(text.encode("utf-8"), max_rows)


def bills(*lines: str, header: str = BILL_HEADER, max_rows: int = 10_000):
    text = "\n".join((header, *lines)) + "\n"
    return parse_bills(text.encode("utf-8"), max_rows)


def cells(errors: list[RowError]) -> set[tuple[int, str]]:
    return {(error.row, error.column) for error in errors}


def file_error(data: bytes, parse=parse_invoices, max_rows: int = 10_000) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        parse(data, max_rows)
    assert caught.value.errors == []
    return caught.value


# --- file level -------------------------------------------------------------------------


def test_bom_and_crlf_are_accepted() -> None:
    data = codecs.BOM_UTF8 + b"Customer_Email ,DUE_DATE,item_description,unit_price\r\n" \
        b"a@x.com,2026-01-31,Work,10\r\n"
    rows, errors = parse_invoices(data, 10)
    assert errors == []
    assert rows[0].customer_email == "a@x.com" and rows[0].unit_price == 1000


def test_not_utf8_is_a_file_level_error() -> None:
    data = f"{INVOICE_HEADER}\ncafé@x.com,2026-01-31,Café,10\n".encode("latin-1")
    assert "not UTF-8" in file_error(data).detail


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", codecs.BOM_UTF8, b",,,\r\n"])
def test_no_header_row(data: bytes) -> None:
    assert "no header row" in file_error(data).detail


def test_header_only_has_no_data_rows() -> None:
    assert "no data rows" in file_error(f"{INVOICE_HEADER}\n\n\n".encode()).detail


def test_missing_required_columns_are_named() -> None:
    failure = file_error(b"customer_email,item_description\na@x.com,Work\n")
    assert "due_date" in failure.detail and "unit_price" in failure.detail
    assert "item_description" not in failure.detail


def test_customer_id_column_can_replace_customer_email() -> None:
    rows, errors = invoices("3f1c0e52-9d4a-4f59-8a55-0c2b7a1d9e10,2026-01-31,Work,10",
                            header="customer_id,due_date,item_description,unit_price")
    assert errors == [] and rows[0].customer_id == "3f1c0e52-9d4a-4f59-8a55-0c2b7a1d9e10"
    failure = file_error(b"due_date,item_description,unit_price\n2026-01-31,Work,10\n")
    assert "customer_email or customer_id" in failure.detail


def test_bills_need_vendor_and_amount_columns() -> None:
    failure = file_error(b"vendor_email,description\nx@y.com,z\n", parse=parse_bills)
    assert "vendor_name or vendor_id" in failure.detail and "amount" in failure.detail


def test_too_many_rows_is_file_level_and_wins_over_cell_errors() -> None:
    lines = ["a@x.com,not-a-date,Work,10"] * 6
    failure = file_error(("\n".join([INVOICE_HEADER, *lines]) + "\n").encode(), max_rows=5)
    assert "more than 5 data rows" in failure.detail
    rows, _ = invoices(*lines, max_rows=6)
    assert len(rows) == 6


def test_limit_counts_data_rows_not_blank_lines() -> None:
    rows, errors = invoices("a@x.com,2026-01-31,Work,10", "", "  ", ",,,",
                            "a@x.com,2026-01-31,Work,10", max_rows=2)
    assert errors == [] and [row.row for row in rows] == [1, 2]


def test_blank_lines_are_skipped_and_not_numbered() -> None:
    _, errors = invoices("", "a@x.com,2026-01-31,Work,10", "", "", "a@x.com,bad,Work,10")
    assert cells(errors) == {(2, "due_date")}


def test_huge_cell_is_a_file_level_error_not_a_crash() -> None:
    data = f'{INVOICE_HEADER}\na@x.com,2026-01-31,"{"x" * 200_000}",10\n'.encode()
    assert "not valid CSV" in file_error(data).detail


def test_unterminated_quote_swallows_rest_without_crashing() -> None:
    rows, errors = invoices('a@x.com,2026-01-31,"Work,10', "b@x.com,2026-01-31,Work,10")
    assert len(rows) == 1 and cells(errors) == {(1, "unit_price")}


# --- RFC 4180 and robustness ------------------------------------------------------------


def test_quoted_commas_quotes_and_newlines_in_cells() -> None:
    rows, errors = invoices('a@x.com,2026-01-31,"Design, ""phase 1""\nand review",10')
    assert errors == []
    assert rows[0].item_description == 'Design, "phase 1"\nand review'


def test_lone_carriage_returns_end_lines() -> None:
    data = f"{INVOICE_HEADER}\ra@x.com,2026-01-31,Work,10\rb@x.com,2026-01-31,Work,5\r"
    rows, errors = parse_invoices(data.encode(), 10)
    assert errors == [] and [row.customer_email for row in rows] == ["a@x.com", "b@x.com"]


def test_nul_bytes_do_not_crash() -> None:
    rows, errors = invoices("a@x.com,2026-01-31,Wo\x00rk,1\x000")
    assert cells(errors) == {(1, "unit_price")} and rows[0].item_description == "Wo\x00rk"


def test_header_names_trimmed_any_case_unknown_ignored_duplicates_first_wins() -> None:
    header = " UNIT_PRICE ,Notes,customer_email,Due_Date,item_description,unit_price"
    rows, errors = invoices("12.50,hello,a@x.com,2026-01-31,Work,99", header=header)
    assert errors == [] and rows[0].unit_price == 1250


def test_cells_are_trimmed_and_short_rows_padded() -> None:
    rows, errors = invoices("  a@x.com  , 2026-01-31 ,  Work  ,  10  ", "b@x.com,2026-01-31")
    assert rows[0].customer_email == "a@x.com" and rows[0].item_description == "Work"
    assert cells(errors) == {(2, "item_description"), (2, "unit_price")}


def test_thousands_of_extra_columns_are_ignored() -> None:
    wide_header = INVOICE_HEADER + "," + ",".join(f"extra{i}" for i in range(5000))
    wide_row = "a@x.com,2026-01-31,Work,10," + ",".join("v" for _ in range(5000))
    rows, errors = invoices(*[wide_row] * 200, header=wide_header)
    assert errors == [] and len(rows) == 200
    assert rows[-1].customer_email == "a@x.com" and rows[-1].unit_price == 1000


# --- cells ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "2026-1-5", "26-01-05",
                                   "2026/01/05", "20260105", "2026-01-05T00:00", "0000-01-01",
                                   "２０２６-01-05"])
def test_bad_dates(value: str) -> None:
    _, errors = invoices(f"a@x.com,{value},Work,10")
    assert cells(errors) == {(1, "due_date")}
    assert errors[0].message == f"due_date must be a date YYYY-MM-DD, got {value!r}"


def test_leap_day_is_a_date() -> None:
    rows, errors = invoices("a@x.com,2028-02-29,Work,10")
    assert errors == [] and rows[0].due_date == "2028-02-29"


@pytest.mark.parametrize(("value", "cents"), [("1250", 125000), ("1250.5", 125050),
                                              ("1250.50", 125050), ("0", 0), ("0.01", 1),
                                              ("007.10", 710)])
def test_unit_price_converts_exactly(value: str, cents: int) -> None:
    rows, errors = invoices(f"a@x.com,2026-01-31,Work,{value}")
    assert errors == [] and rows[0].unit_price == cents


@pytest.mark.parametrize("value", ["-5", "+5", "$5", "1,250.00", "1 250", "1.234", "1e3",
                                   ".5", "5.", "abc", "١٢", "99999999999999999999"])
def test_bad_unit_prices(value: str) -> None:
    _, errors = invoices(f'a@x.com,2026-01-31,Work,"{value}"')
    assert cells(errors) == {(1, "unit_price")}
    assert repr(value) in errors[0].message


@pytest.mark.parametrize(("value", "hundredths"), [("", 100), ("3", 300), ("1.5", 150),
                                                   ("0.25", 25), ("0.01", 1)])
def test_quantity(value: str, hundredths: int) -> None:
    rows, errors = invoices(f"a@x.com,2026-01-31,Work,10,{value}",
                            header=INVOICE_HEADER + ",quantity")
    assert errors == [] and rows[0].quantity == hundredths


@pytest.mark.parametrize("value", ["0", "0.00", "-1", "1.255", "x"])
def test_bad_quantities(value: str) -> None:
    _, errors = invoices(f"a@x.com,2026-01-31,Work,10,{value}",
                         header=INVOICE_HEADER + ",quantity")
    assert cells(errors) == {(1, "quantity")}


@pytest.mark.parametrize(("value", "code"), [("", "USD"), ("usd", "USD"), ("Eur", "EUR"),
                                             ("GBP", "GBP"), ("cad", "CAD"), ("aud", "AUD")])
def test_currency_any_case_blank_is_usd(value: str, code: str) -> None:
    rows, errors = invoices(f"a@x.com,2026-01-31,Work,10,{value}",
                            header=INVOICE_HEADER + ",currency")
    assert errors == [] and rows[0].currency == code


@pytest.mark.parametrize("value", ["JPY", "US", "uſd", "US D"])
def test_bad_currencies(value: str) -> None:
    _, errors = invoices(f"a@x.com,2026-01-31,Work,10,{value}",
                         header=INVOICE_HEADER + ",currency")
    assert cells(errors) == {(1, "currency")}


def test_bad_uuid_and_blank_customer() -> None:
    header = "customer_email,customer_id,due_date,item_description,unit_price"
    _, errors = invoices("a@x.com,not-a-uuid,2026-01-31,Work,10", ",,2026-01-31,Work,10",
                         ",3F1C0E52-9D4A-4F59-8A55-0C2B7A1D9E10,2026-01-31,Work,10",
                         header=header)
    assert cells(errors) == {(1, "customer_id"), (2, "customer_email")}


def test_every_bad_cell_of_every_row_is_listed() -> None:
    _, errors = invoices(",2026-13-01,,-1", "a@x.com,2026-01-31,Work,10", "b@x.com,x,Work,1.001")
    assert cells(errors) == {(1, "customer_email"), (1, "due_date"), (1, "item_description"),
                             (1, "unit_price"), (3, "due_date"), (3, "unit_price")}


def test_bill_cells() -> None:
    header = "vendor_name,vendor_id,amount,currency,due_on,received_on,type,bill_number"
    rows, errors = bills(
        "Acme,,10.5,eur,2026-01-31,,recurring,A-1",
        "Acme,,10,,,,,",
        ",,0,XXX,2026-02-30,31/01/2026,One_Time,",
        "Acme,nope,-3,USD,,,monthly,",
        header=header)
    assert rows[0].amount == 1050 and rows[0].currency == "EUR" and rows[0].type == "recurring"
    assert rows[1].type == "one_time" and rows[1].due_on == "" and rows[1].currency == "USD"
    assert cells(errors) == {(3, "vendor_name"), (3, "amount"), (3, "currency"), (3, "due_on"),
                             (3, "received_on"), (3, "type"), (4, "vendor_id"), (4, "amount"),
                             (4, "type")}


def test_bill_amount_must_be_positive_and_present() -> None:
    _, errors = bills("Acme,0", "Acme,", "Acme,0.01")
    assert cells(errors) == {(1, "amount"), (2, "amount")}
    assert errors[0].message == "amount must be greater than 0, got '0'"


def test_long_cells_are_shortened_in_messages() -> None:
    _, errors = invoices(f"a@x.com,{'9' * 5000},Work,10")
    assert len(errors[0].message) < 120 and errors[0].message.endswith("...'")


# --- helpers ----------------------------------------------------------------------------


def test_summary_and_sorting() -> None:
    errors = [RowError(2, "unit_price", "b"), RowError(2, "customer_email", "a"),
              RowError(1, "due_date", "c")]
    ordered = sort_errors(errors, INVOICE_COLUMNS)
    assert [(e.row, e.column) for e in ordered] == [(1, "due_date"), (2, "customer_email"),
                                                    (2, "unit_price")]
    assert summarize(errors) == "3 invalid cells in 2 rows; nothing was imported"
    assert summarize(errors[:1]) == "1 invalid cell in 1 row; nothing was imported"


def test_template_is_header_with_crlf() -> None:
    assert template(INVOICE_COLUMNS) == ",".join(INVOICE_COLUMNS) + "\r\n"


def test_ten_thousand_rows_parse() -> None:
    lines = [f"c{i % 50}@x.com,2026-01-31,Item {i},{i}.25" for i in range(10_000)]
    rows, errors = invoices(*lines)
    assert errors == [] and len(rows) == 10_000
    assert rows[-1].row == 10_000 and rows[-1].unit_price == 999_925


# --- parsing a small file once ------------------------------------------------------------


def test_a_repeated_small_file_is_parsed_once_and_each_caller_owns_its_lists() -> None:
    data = f"{INVOICE_HEADER}\na@x.com,2026-01-31,Work,10\nb@x.com,,Work,x\n".encode()
    rows, errors = parse_invoices(data, 10)
    rows.clear()
    errors.append(RowError(9, "due_date", "planted"))
    again_rows, again_errors = parse_invoices(bytearray(data), 10)
    assert [row.customer_email for row in again_rows] == ["a@x.com", "b@x.com"]
    assert cells(again_errors) == {(2, "due_date"), (2, "unit_price")}
    with pytest.raises(AttributeError):
        again_rows[0].unit_price = 0  # type: ignore[misc]


def test_the_row_limit_is_part_of_what_is_remembered() -> None:
    data = f"{INVOICE_HEADER}\na@x.com,2026-01-31,Work,10\nb@x.com,2026-01-31,Work,10\n"
    assert len(parse_invoices(data.encode(), 10)[0]) == 2
    assert "more than 1" in file_error(data.encode(), max_rows=1).detail


def test_a_file_over_the_memo_limit_is_parsed_every_time() -> None:
    line = "a@x.com,2026-01-31," + "W" * 200 + ",10"
    data = "\n".join([INVOICE_HEADER, *[line] * (MEMO_MAX_BYTES // len(line) + 1)]).encode()
    assert len(data) > MEMO_MAX_BYTES
    first, _ = parse_invoices(data, 10_000)
    second, _ = parse_invoices(data, 10_000)
    assert first == second and first[0] is not second[0]


def test_a_bad_small_file_is_judged_afresh() -> None:
    data = b"customer_email\nx@y.com\n"
    assert file_error(data).detail == file_error(data).detail


# --- fuzz -------------------------------------------------------------------------------

_CSV_ALPHABET = st.sampled_from([",", '"', "\n", "\r", " ", "\x00", "\ufeff", "a", "1", ".",
                                 "-", "é", "2026-01-31", "customer_email", "due_date",
                                 "item_description", "unit_price", "vendor_name", "amount"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400),
                 st.lists(_CSV_ALPHABET, max_size=80).map(lambda parts: "".join(parts).encode())))
def test_any_input_ends_in_rows_or_import_failed(data: bytes) -> None:
    for parse in (parse_invoices, parse_bills):
        try:
            rows, errors = parse(data, 50)
        except ImportFailed as failure:
            assert failure.detail and failure.errors == []
            continue
        assert 1 <= len(rows) <= 50
        assert all(error.row >= 1 and error.column and error.message for error in errors)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([",", "\n", "\r", "\r\n", " ", "\x00", "a", "é", "\u2028",
                                 "\x0b", '"']), max_size=60).map("".join))
def test_records_are_what_csv_reader_reads(text: str) -> None:
    assert list(records(text)) == list(csv.reader(io.StringIO(text, newline="")))


def test_a_cell_over_csvs_size_limit_still_goes_through_csv() -> None:
    text = "a," + "x" * (csv.field_size_limit() + 1) + "\n"
    with pytest.raises(csv.Error):
        list(records(text))


def test_only_small_headers_are_remembered() -> None:
    _read_header.cache_clear()
    huge_names = INVOICE_HEADER + "," + ",".join("x" * 3000 for _ in range(3))
    many_columns = INVOICE_HEADER + "," + ",".join(f"c{i}" for i in range(100))
    for header in (INVOICE_HEADER, huge_names, many_columns):
        rows, errors = invoices("a@x.com,2026-01-31,Work,10", header=header)
        assert errors == [] and rows[0].unit_price == 1000
    assert _read_header.cache_info().currsize == 1
