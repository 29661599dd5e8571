"""The whole flow with the generated Python client: upload → bulk → list → get, a 400, a 422.

``PYTHONPATH=build/clients/python python flow.py http://127.0.0.1:4010``; the token and
business default to the mock's default world. Prints one JSON summary line; any surprise
is an AssertionError.
"""

from __future__ import annotations

import io
import json
import sys

from dayzero_client import AuthenticatedClient
from dayzero_client.api.invoices import (
    create_bulk_invoices_api_v1_invoices_bulk_post as create_invoices,
)
from dayzero_client.api.invoices import (
    get_invoice_api_v1_invoices_invoice_id_get as get_invoice,
)
from dayzero_client.api.invoices import (
    list_invoices_api_v1_invoices_get as list_invoices,
)
from dayzero_client.api.uploads import upload_direct_api_v1_upload_direct_post as upload_direct
from dayzero_client.models import (
    BodyUploadDirectApiV1UploadDirectPost,
    DirectUploadResponse,
    ErrorResponse,
    HTTPValidationError,
    InvoiceBulkRequest,
    InvoiceListResponse,
    InvoiceResponse,
)
from dayzero_client.types import File

TOKEN = "dz_mock_token"
BUSINESS_ID = "b5a1c6de-0000-4000-8000-000000000001"  # a str: see generate.py
CSV = (
    "customer_email,customer_name,customer_id,due_date,currency,description,"
    "item_description,quantity,unit_price,invoice_ref\n"
    "ap@acmerobotics.com,Acme Robotics,,2026-02-14,USD,January retainer,Design sprint,2,1250.50,\n"
)


def main(base_url: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=TOKEN)
    file = File(payload=io.BytesIO(CSV.encode()), file_name="my-invoices.csv", mime_type="text/csv")
    uploaded = upload_direct.sync(
        client=client, body=BodyUploadDirectApiV1UploadDirectPost(file=file),
        x_business_id=BUSINESS_ID,
    )
    assert isinstance(uploaded, DirectUploadResponse), uploaded

    created = create_invoices.sync_detailed(
        client=client, body=InvoiceBulkRequest(s3_key=uploaded.s3_key, finalize=True),
        x_business_id=BUSINESS_ID,
    )
    assert created.status_code == 201 and isinstance(created.parsed, InvoiceListResponse)
    first = created.parsed.items[0]

    page = list_invoices.sync(client=client, x_business_id=BUSINESS_ID, limit=10)
    assert isinstance(page, InvoiceListResponse) and first.id in {i.id for i in page.items}
    got = get_invoice.sync(client=client, invoice_id=str(first.id), x_business_id=BUSINESS_ID)
    assert isinstance(got, InvoiceResponse) and got.id == first.id

    # The client parses each documented error into its own model: isinstance narrows.
    invalid = create_invoices.sync(
        client=client, body=InvoiceBulkRequest(s3_key="samples/invoices-invalid.csv"),
        x_business_id=BUSINESS_ID,
    )
    assert isinstance(invalid, ErrorResponse) and isinstance(invalid.errors, list), invalid
    empty = create_invoices.sync(
        client=client, body=InvoiceBulkRequest(s3_key=""), x_business_id=BUSINESS_ID
    )
    assert isinstance(empty, HTTPValidationError) and isinstance(empty.detail, list), empty
    problem = empty.detail[0]
    print(json.dumps({
        "uploaded": uploaded.s3_key,
        "created": len(created.parsed.items),
        "got": str(got.id),
        "bad_cells": len(invalid.errors),
        "validation": {"loc": problem.loc, "type": problem.type_,
                       "min_length": problem.ctx["min_length"] if problem.ctx else None},
    }))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:4010")
