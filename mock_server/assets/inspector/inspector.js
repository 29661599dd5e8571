// The inspector page: wires the panels to the admin API and polls the journal.

import { admin, bulkImport, contract } from "./api.js";
import { fill, h, statusClass } from "./dom.js";
import { HoldingsView } from "./holdings.js";
import { JournalView, isAdmin } from "./journal.js";

const POLL_MS = 2000;
const JOURNAL_LIMIT = 100;
const HELD_ITEMS = 10;
const TOAST_MS = 6000;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  world: { tokens: {}, businesses: [] },
  lastEntryId: -1,
  lastApiEntryId: -1,
  polling: false,
  again: false,
  toastTimer: 0,
};

const journal = new JournalView($("journal-rows"), $("journal-empty"), $("entry-detail"));
const holdings = new HoldingsView($("businesses"), (id) => reset(id));

function toast(text, kind = "info") {
  const node = $("toast");
  node.textContent = text;
  node.className = `toast ${kind}`;
  node.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => {
    node.hidden = true;
  }, TOAST_MS);
}

/** Run an action, report its failure as a toast, and never leave a rejected promise. */
async function attempt(what, action) {
  try {
    return await action();
  } catch (error) {
    toast(`${what} failed: ${error.message}`, "bad");
    return undefined;
  }
}

/** A token of the world that may act for the business (the first one listed). */
function tokenFor(businessId) {
  const found = Object.entries(state.world.tokens).find(([, ids]) => ids.includes(businessId));
  return found ? found[0] : null;
}

function businessName(businessId) {
  return state.world.businesses.find((b) => b.id === businessId)?.name ?? businessId;
}

// --------------------------------------------------------------------------- loading

async function loadWorld() {
  state.world = await admin.world();
  const options = () =>
    state.world.businesses.map((b) => h("option", { value: b.id }, `${b.name} (${b.id.slice(-4)})`));
  fill($("import-business"), ...options());
  fill($("journal-business"), h("option", { value: "" }, "all"), ...options());
}

async function loadSamples() {
  const { items } = await admin.samples();
  fill(
    $("sample-rows"),
    ...items.map((sample) =>
      h(
        "tr",
        { dataset: { key: sample.key } },
        h(
          "td",
          {},
          h("code", {}, sample.key),
          h("div", { class: "muted description" }, sample.description),
        ),
        h("td", { class: "num" }, sample.rows),
        h("td", {}, h("span", { class: statusClass(sample.expect) }, sample.expect)),
        h(
          "td",
          {},
          h(
            "button",
            {
              type: "button",
              class: "primary small",
              title: `POST /api/v1/${sample.kind}/bulk with this s3_key`,
              onclick: () => importSample(sample),
            },
            "Import",
          ),
        ),
      ),
    ),
  );
}

async function loadOperations() {
  const document_ = await contract();
  const operations = [];
  for (const [path, item] of Object.entries(document_.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (operation && typeof operation === "object" && operation.operationId) {
        operations.push({ id: operation.operationId, label: `${method.toUpperCase()} ${path}` });
      }
    }
  }
  fill(
    $("scenario-operation"),
    ...operations.map((op) => h("option", { value: op.id, title: op.id }, op.label)),
  );
}

async function refreshHealth() {
  const health = await admin.health();
  fill(
    $("health"),
    h("span", { class: "dot" }),
    `${health.status} · mock time ${health.now.slice(0, 19).replace("T", " ")} · seed ${health.seed}`,
  );
  $("health").classList.remove("down");
}

async function refreshHoldings() {
  const { items } = await admin.businesses(HELD_ITEMS);
  holdings.render(items);
}

async function refreshScenarios() {
  const { items } = await admin.scenarios();
  const list = $("scenario-list");
  if (!items.length) {
    fill(list, h("li", { class: "empty" }, "No scenario armed: every request is answered normally."));
    return;
  }
  fill(
    list,
    ...items.map((scenario) => {
      const what = [
        scenario.code !== null && scenario.code !== undefined ? `code ${scenario.code}` : null,
        scenario.fault ? `fault ${scenario.fault}` : null,
        scenario.delay_ms !== null && scenario.delay_ms !== undefined ? `delay ${scenario.delay_ms} ms` : null,
      ].filter(Boolean);
      return h(
        "li",
        { class: "scenario" },
        h("code", {}, scenario.operation_id),
        h("span", {}, what.join(", ") || "no change"),
        h("span", { class: "muted" }, `${scenario.remaining} left`),
      );
    }),
  );
}

async function refreshJournal(force = false) {
  const business = /** @type {HTMLSelectElement} */ ($("journal-business")).value;
  const { items } = await admin.journal(JOURNAL_LIMIT, business);
  const newest = items.length ? items[0].id : 0;
  if (force || newest !== state.lastEntryId) {
    state.lastEntryId = newest;
    journal.render(items, /** @type {HTMLInputElement} */ ($("hide-admin")).checked);
  }
  // Only requests to the API change what businesses hold or consume scenarios; the
  // inspector's own admin calls are journaled too, and must not trigger a reload loop.
  const api = items.find((entry) => !isAdmin(entry));
  const newestApi = api ? api.id : 0;
  if (newestApi !== state.lastApiEntryId) {
    state.lastApiEntryId = newestApi;
    await Promise.all([refreshHoldings(), refreshScenarios()]);
  }
}

async function poll(force = false) {
  if (state.polling) {
    // One poll at a time; a forced one asked for meanwhile runs right after.
    state.again = state.again || force;
    return;
  }
  state.polling = true;
  try {
    await Promise.all([refreshJournal(force), refreshHealth()]);
  } catch (error) {
    $("health").textContent = `unreachable: ${error.message}`;
    $("health").classList.add("down");
  } finally {
    state.polling = false;
  }
  if (state.again) {
    state.again = false;
    await poll(true);
  }
}

// --------------------------------------------------------------------------- actions

async function importSample(sample) {
  const businessId = /** @type {HTMLSelectElement} */ ($("import-business")).value;
  const token = tokenFor(businessId);
  if (!token) {
    toast(`No token of the world may act for ${businessId}`, "bad");
    return;
  }
  const answer = await attempt("Import", () => bulkImport(sample.kind, sample.key, token, businessId));
  if (!answer) return;
  const where = businessName(businessId);
  if (answer.ok) {
    const items = Array.isArray(answer.body) ? answer.body : answer.body?.items;
    const created = Array.isArray(items) ? items.length : "?";
    toast(`${sample.key} → ${where}: ${answer.status}, ${created} ${sample.kind} created`, "ok");
  } else {
    const detail = answer.body?.detail;
    const text = typeof detail === "string" ? detail : JSON.stringify(detail ?? answer.body);
    toast(`${sample.key} → ${where}: ${answer.status} ${text}`.slice(0, 300), "warn");
  }
  await Promise.all([poll(true), attempt("Refresh", refreshHoldings)]);
}

async function armScenario(event) {
  event.preventDefault();
  const form = new FormData(/** @type {HTMLFormElement} */ (event.target));
  const scenario = { operation_id: form.get("operation_id"), count: Number(form.get("count") || 1) };
  for (const key of ["code", "delay_ms"]) {
    const value = String(form.get(key) ?? "").trim();
    if (value) scenario[key] = Number(value);
  }
  const fault = String(form.get("fault") ?? "");
  if (fault) scenario.fault = fault;
  const armed = await attempt("Arming", () => admin.armScenario(scenario));
  if (armed) toast(`Armed for the next ${armed.remaining} × ${armed.operation_id}`, "ok");
  await attempt("Refresh", refreshScenarios);
}

async function clearScenarios() {
  await attempt("Clearing", () => admin.clearScenarios());
  toast("Scenarios cleared", "ok");
  await attempt("Refresh", refreshScenarios);
}

async function reset(businessId) {
  const what = businessId ? businessName(businessId) : "every business";
  const done = await attempt("Reset", () => admin.reset(businessId));
  if (!done) return;
  toast(`Reset ${what}`, "ok");
  await Promise.all([attempt("Refresh", refreshHoldings), attempt("Refresh", refreshScenarios)]);
}

// --------------------------------------------------------------------------- start

function start() {
  $("scenario-form").addEventListener("submit", armScenario);
  $("clear-scenarios").addEventListener("click", clearScenarios);
  $("reset-all").addEventListener("click", () => reset(null));
  $("refresh").addEventListener("click", () => poll(true));
  $("hide-admin").addEventListener("change", () => poll(true));
  $("journal-business").addEventListener("change", () => poll(true));
  setInterval(() => {
    const live = /** @type {HTMLInputElement} */ ($("live")).checked;
    if (live && !document.hidden) poll();
  }, POLL_MS);
  Promise.all([
    attempt("Loading the world", loadWorld),
    attempt("Loading the samples", loadSamples),
    attempt("Loading the operations", loadOperations),
  ]).then(async () => {
    await Promise.all([poll(true), attempt("Loading", refreshHoldings), attempt("Loading", refreshScenarios)]);
    document.body.dataset.ready = "true";
  });
}

start();
