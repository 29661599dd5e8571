"""CONTRACT §2 "that URL carries its own signature … a tampered or expired URL is refused
with 403", for every part of the URL a client could edit, each on its own.

The URL is opaque: whatever query parameters it has (key, business, expiry, content
type, signature, …) are edited one at a time — a number pushed a day later (an expiry
extended), a value that names the business swapped for the second business the suite was
given, any other value changed in its last character — and each is dropped once; the
last path segment is changed too. Every such PUT must be 403. Then the key must still be
unknown (nothing was stored: 400), and the genuine URL must work, which proves the
refusals came from the edits.

Nothing is created outside the businesses the suite is given: a business id is never
edited into another one. Without ``--second-business-id`` a part naming the business is
only dropped, not changed.
"""

from __future__ import annotations

from dayzero_twin.contract_tests.checks.test_uploads import presign
from dayzero_twin.contract_tests.support.assertions import expect_import_failed, expect_status
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_file
from dayzero_twin.contract_tests.support.flows import bulk_body
from dayzero_twin.contract_tests.support.rules import require, rule
from dayzero_twin.contract_tests.support.tampering import tamperings

RULE_PART = "CONTRACT §2 a tampered upload URL is refused with 403: every part is signed"
RULE_PRESIGN = "CONTRACT §2 presigned upload: URL, key, expiry; PUT without Authorization"


@rule(RULE_PART)
def test_every_part_of_an_upload_url_is_signed(api: Api, marks: RunMarks) -> None:
    ticket = presign(api)
    file = simple_file("invoices", marks, 1, "tamper-parts")
    data = file.to_bytes()
    settings = api.settings
    edits = tamperings(ticket["upload_url"], settings.business_id, settings.second_business_id)
    for tampered in edits:
        response = api.put_upload_url(tampered.url, data)
        expect_status(response, 403, RULE_PART, f"PUT to the upload URL, {tampered.part}")
    unknown = api.bulk("invoices", bulk_body("invoices", ticket["s3_key"], None))
    expect_import_failed(
        unknown, "the key after refused (tampered) PUTs must still be unknown", rule=RULE_PART
    )
    put = api.put_upload_url(ticket["upload_url"], data)
    require(
        200 <= put.status_code < 300,
        RULE_PRESIGN,
        f"PUT to the genuine upload URL answered {put.status_code}",
        put,
    )
