// A browser client of the bulk-import API with nothing but fetch: no build step, no
// library. It talks to whatever base URL it is given, so the same page runs against the
// mock directly or through `dayzero-contract proxy` (which must not change a thing).
"use strict";

const $ = (id) => document.getElementById(id);

const params = new URLSearchParams(location.search);
for (const [param, input] of [["api", "api"], ["token", "token"], ["business", "business"]]) {
  if (params.get(param)) $(input).value = params.get(param);
}

function headers() {
  return {
    Authorization: `Bearer ${$("token").value}`,
    "x-business-id": $("business").value,
  };
}

async function call(path, init) {
  const base = $("api").value.replace(/\/+$/, "");
  const response = await fetch(base + path, init);
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = text; }
  if (!response.ok) {
    throw new Error(`${init && init.method || "GET"} ${path}: ${response.status} ${text}`);
  }
  return body;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = String(text);
  row.appendChild(td);
}

async function importFile(event) {
  event.preventDefault();
  $("status").textContent = "working";
  $("error").textContent = "";
  try {
    const form = new FormData();
    form.append("file", new Blob([$("csv").value], { type: "text/csv" }), "invoices.csv");
    const uploaded = await call("/api/v1/upload/direct", {
      method: "POST", headers: headers(), body: form,
    });
    $("s3-key").textContent = uploaded.s3_key;

    const created = await call("/api/v1/invoices/bulk", {
      method: "POST",
      headers: { ...headers(), "Content-Type": "application/json" },
      body: JSON.stringify({ s3_key: uploaded.s3_key, finalize: $("finalize").checked }),
    });
    $("created").textContent = String(created.items.length);
    const rows = $("invoices");
    rows.replaceChildren();
    for (const invoice of created.items) {
      const row = document.createElement("tr");
      row.dataset.id = invoice.id;
      cell(row, invoice.number ?? "");
      cell(row, invoice.customer_name ?? invoice.customer_email ?? "");
      cell(row, invoice.status);
      cell(row, invoice.total);
      cell(row, invoice.line_items.length);
      rows.appendChild(row);
    }

    const page = await call("/api/v1/invoices?limit=10", { headers: headers() });
    const newest = page.items.map((item) => item.id);
    const found = created.items.filter((item) => newest.includes(item.id)).length;
    $("listed").textContent = `${page.items.length} listed, ${found} of them just created`;

    const first = created.items[0];
    const again = await call(`/api/v1/invoices/${first.id}`, { headers: headers() });
    $("read-back").textContent = again.id === first.id && again.total === first.total
      ? `${again.id} total ${again.total}` : `mismatch: ${JSON.stringify(again)}`;
    $("status").textContent = "done";
  } catch (error) {
    $("error").textContent = String(error.message || error);
    $("status").textContent = "failed";
  }
}

$("form").addEventListener("submit", importFile);
