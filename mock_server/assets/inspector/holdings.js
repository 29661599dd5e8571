// The businesses panel: per business, the counts of what it holds and the newest items
// of each kind, from GET /__mock/businesses.

import { bytes, fill, h, money } from "./dom.js";

const KINDS = ["invoices", "bills", "customers", "vendors", "uploads"];

// Which columns each kind shows: [heading, value of an item].
const COLUMNS = {
  invoices: [
    ["number", (i) => (i.number === null ? "draft" : String(i.number))],
    ["customer", (i) => i.customer_name ?? ""],
    ["total", (i) => money(i.total, i.currency)],
    ["status", (i) => i.status],
    ["created", (i) => (i.created_at ?? "").slice(0, 19).replace("T", " ")],
  ],
  bills: [
    ["bill", (b) => b.bill_number ?? ""],
    ["vendor", (b) => b.vendor_name ?? ""],
    ["amount", (b) => money(b.amount, b.currency)],
    ["status", (b) => b.status],
    ["created", (b) => (b.created_at ?? "").slice(0, 19).replace("T", " ")],
  ],
  customers: [
    ["name", (c) => c.name],
    ["email", (c) => c.email ?? ""],
  ],
  vendors: [
    ["name", (v) => v.name],
    ["email", (v) => v.email ?? ""],
  ],
  uploads: [
    ["file", (u) => u.filename],
    ["size", (u) => bytes(u.size)],
    ["s3_key", (u) => u.s3_key],
  ],
};

export class HoldingsView {
  /**
   * @param {HTMLElement} root
   * @param {(businessId: string) => void} onReset
   */
  constructor(root, onReset) {
    this.root = root;
    this.onReset = onReset;
    this.tabs = new Map(); // business id → the kind shown
  }

  render(businesses) {
    fill(this.root, ...businesses.map((business) => this.card(business)));
  }

  card(business) {
    const shown = this.tabs.get(business.id) ?? "invoices";
    const body = h("div", { class: "kind-body" }, this.table(business, shown));
    const tabs = h(
      "div",
      { class: "tabs", role: "tablist" },
      ...KINDS.map((kind) =>
        h(
          "button",
          {
            type: "button",
            role: "tab",
            class: kind === shown ? "tab active" : "tab",
            "aria-selected": kind === shown ? "true" : "false",
            dataset: { kind, testid: `count-${kind}` },
            onclick: (event) => {
              this.tabs.set(business.id, kind);
              for (const tab of tabs.children) {
                const active = tab === event.currentTarget;
                tab.classList.toggle("active", active);
                tab.setAttribute("aria-selected", active ? "true" : "false");
              }
              fill(body, this.table(business, kind));
            },
          },
          kind,
          h("span", { class: "count" }, business.counts[kind]),
        ),
      ),
    );
    return h(
      "article",
      { class: "business", dataset: { business: business.id } },
      h(
        "header",
        {},
        h("div", {}, h("h3", {}, business.name), h("code", { class: "muted" }, business.id)),
        h(
          "div",
          { class: "business-actions" },
          h("span", { class: "muted" }, `${bytes(business.upload_bytes)} uploaded`),
          h(
            "button",
            { type: "button", class: "danger small", onclick: () => this.onReset(business.id) },
            "Reset",
          ),
        ),
      ),
      tabs,
      body,
    );
  }

  table(business, kind) {
    const items = business[kind] ?? [];
    if (!items.length) return h("p", { class: "empty" }, `No ${kind} yet.`);
    const columns = COLUMNS[kind];
    const more = business.counts[kind] - items.length;
    return h(
      "div",
      {},
      h(
        "table",
        { class: `items ${kind}`, dataset: { testid: `items-${kind}` } },
        h("thead", {}, h("tr", {}, ...columns.map(([title]) => h("th", {}, title)))),
        h(
          "tbody",
          {},
          ...items.map((item) => h("tr", {}, ...columns.map(([, value]) => h("td", {}, value(item))))),
        ),
      ),
      more > 0 ? h("p", { class: "muted more" }, `and ${more} older`) : null,
    );
  }
}
