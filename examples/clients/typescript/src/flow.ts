/**
 * The whole flow with the generated types and openapi-fetch: upload → bulk → list → get,
 * then a 400 and a 422, each narrowed to its own error shape.
 *
 * `DAYZERO_BASE_URL=http://127.0.0.1:4010 npm run flow`; the token and business default
 * to the mock's default world. Prints one JSON summary line; throws on any surprise.
 */
import createClient from "openapi-fetch";
import type {
  ErrorResponse,
  HttpValidationError,
  InvoiceResponse,
  paths,
} from "./schema.js";

const baseUrl = process.env.DAYZERO_BASE_URL ?? "http://127.0.0.1:4010";
const token = process.env.DAYZERO_TOKEN ?? "dz_mock_token";
const businessId = process.env.DAYZERO_BUSINESS_ID ?? "b5a1c6de-0000-4000-8000-000000000001";

const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
// x-business-id is a required parameter of every operation: the types insist on it per call.
const header = { "x-business-id": businessId };

/** 422 bodies carry a list of pydantic errors; every other error body a one-line string. */
function isValidationError(error: ErrorResponse | HttpValidationError): error is HttpValidationError {
  return Array.isArray(error.detail);
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const CSV = [
  "customer_email,customer_name,customer_id,due_date,currency,description,item_description,quantity,unit_price,invoice_ref",
  "ap@acmerobotics.com,Acme Robotics,,2026-02-14,USD,January retainer,Design sprint,2,1250.50,",
  "ap@acmerobotics.com,Acme Robotics,,2026-02-14,USD,,Hosting,1.5,80,",
].join("\n");

// 1. Upload: `file` is typed Blob (generate.ts); FormData is built by the bodySerializer.
const upload = await client.POST("/api/v1/upload/direct", {
  params: { header },
  body: { file: new Blob([CSV], { type: "text/csv" }) },
  bodySerializer(body) {
    const form = new FormData();
    form.append("file", body.file, "my-invoices.csv");
    return form;
  },
});
check(upload.data, `upload failed: ${upload.response.status}`);

// 2. Bulk-create; `finalize` is optional because it has a default.
const created = await client.POST("/api/v1/invoices/bulk", {
  params: { header },
  body: { s3_key: upload.data.s3_key, finalize: true },
});
check(created.data, `bulk failed: ${created.response.status}`);
check(created.response.status === 201, "bulk is not a 201");
const first: InvoiceResponse | undefined = created.data.items[0];
check(first, "no invoice created");
// anyOf [T, null] comes out as `T | null`: the compiler makes us handle null.
const total: number = first.total ?? 0;

// 3. List, newest first, and 4. read back the invoice.
const listed = await client.GET("/api/v1/invoices", { params: { header, query: { limit: 10 } } });
check(listed.data?.items.some((invoice) => invoice.id === first.id), "created invoice not listed");
const got = await client.GET("/api/v1/invoices/{invoice_id}", {
  params: { header, path: { invoice_id: first.id } },
});
check(got.data?.id === first.id, "read-back differs");

// 5. A 400: an unimportable file lists its bad cells.
const invalid = await client.POST("/api/v1/invoices/bulk", {
  params: { header },
  body: { s3_key: "samples/invoices-invalid.csv" },
});
check(invalid.error && invalid.response.status === 400, "expected a 400");
check(!isValidationError(invalid.error), "a 400 is not a validation error");
const badCells = (invalid.error.errors ?? []).map((e) => `${e.row}:${e.column}`);

// 6. A 422: an empty s3_key; ctx is an open object (`{ [key: string]: unknown }`).
const empty = await client.POST("/api/v1/invoices/bulk", { params: { header }, body: { s3_key: "" } });
check(empty.error && empty.response.status === 422, "expected a 422");
check(isValidationError(empty.error), "a 422 is a validation error");
const problem = empty.error.detail?.[0];
check(problem, "422 without detail");
const minLength = problem.ctx?.["min_length"];

console.log(JSON.stringify({
  uploaded: upload.data.s3_key,
  created: created.data.items.length,
  total,
  listed: listed.data?.items.length,
  got: got.data?.id,
  badCells: badCells.length,
  validation: { loc: problem.loc, type: problem.type, minLength },
}));
