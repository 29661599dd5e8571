// The journal panel: recent requests newest first, and one request in full on click.

import { fill, h, pretty, statusClass } from "./dom.js";

const ADMIN_PREFIX = "/__mock";

/** Whether an entry is the mock's own admin API (the inspector's calls included). */
export const isAdmin = (entry) => entry.path.startsWith(ADMIN_PREFIX);

/**
 * Renders journal entries into the table and keeps the selected one shown in detail.
 */
export class JournalView {
  /**
   * @param {HTMLElement} rows the table body
   * @param {HTMLElement} empty shown when there is nothing to list
   * @param {HTMLElement} detail where the selected entry goes
   */
  constructor(rows, empty, detail) {
    this.rows = rows;
    this.empty = empty;
    this.detail = detail;
    this.selected = null;
    this.entries = [];
  }

  /** Show `entries` (newest first); `hideAdmin` drops the admin API's own calls. */
  render(entries, hideAdmin) {
    this.entries = hideAdmin ? entries.filter((entry) => !isAdmin(entry)) : entries;
    fill(this.rows, ...this.entries.map((entry) => this.row(entry)));
    this.empty.hidden = this.entries.length > 0;
    const selected = this.entries.find((entry) => entry.id === this.selected);
    if (selected) this.show(selected);
  }

  row(entry) {
    const row = h(
      "tr",
      {
        class: entry.id === this.selected ? "selected" : "",
        tabindex: "0",
        dataset: { id: String(entry.id), status: String(entry.status) },
        onclick: () => this.select(entry),
        onkeydown: (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            this.select(entry);
          }
        },
      },
      h("td", { class: "time", title: entry.at }, clockTime(entry.at)),
      h("td", {}, h("span", { class: `method ${entry.method.toLowerCase()}` }, entry.method)),
      h("td", { class: "path", title: entry.path }, entry.path + (entry.query ? `?${entry.query}` : "")),
      h("td", {}, h("span", { class: statusClass(entry.status) }, entry.status || "—")),
      h("td", { class: "num" }, entry.duration_ms.toFixed(1)),
      h("td", { class: "note" }, entry.note ?? ""),
    );
    return row;
  }

  select(entry) {
    this.selected = entry.id;
    for (const row of this.rows.querySelectorAll("tr")) {
      row.classList.toggle("selected", row.dataset.id === String(entry.id));
    }
    this.show(entry);
  }

  show(entry) {
    fill(
      this.detail,
      h(
        "div",
        { class: "detail-head" },
        h("span", { class: `method ${entry.method.toLowerCase()}` }, entry.method),
        h("code", { class: "detail-path" }, entry.path + (entry.query ? `?${entry.query}` : "")),
        h("span", { class: statusClass(entry.status) }, entry.status || "—"),
      ),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "request id"), h("dd", {}, `#${entry.id}`),
        h("dt", {}, "at"), h("dd", {}, entry.at),
        h("dt", {}, "operation"), h("dd", {}, entry.operation_id ?? "—"),
        h("dt", {}, "business"), h("dd", {}, entry.business_id ?? "—"),
        h("dt", {}, "duration"), h("dd", {}, `${entry.duration_ms} ms`),
        entry.note ? h("dt", {}, "note") : null,
        entry.note ? h("dd", {}, entry.note) : null,
      ),
      message("Request", entry.request),
      message("Response", entry.response),
    );
  }
}

/** "2026-01-15T09:00:02.123456Z" → "09:00:02.123": the time of day, to the millisecond. */
function clockTime(at) {
  return at.slice(11).replace("Z", "").slice(0, 12);
}

function message(title, part) {
  const headers = Object.entries(part.headers ?? {});
  return h(
    "section",
    { class: "message" },
    h("h3", {}, title, part.truncated ? h("span", { class: "tag" }, "truncated") : null),
    headers.length
      ? h(
          "table",
          { class: "headers" },
          h("tbody", {}, ...headers.map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, value)))),
        )
      : h("p", { class: "empty" }, "no headers"),
    part.body === null || part.body === undefined
      ? h("p", { class: "empty" }, "no body")
      : h("pre", { class: "body" }, pretty(part.body)),
  );
}
