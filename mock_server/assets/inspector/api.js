// The only calls the page makes: the admin API (/__mock/…) and the documented API, on
// the page's own origin. URLs are relative to /__mock/ so the page also works behind a
// path prefix. State-changing calls send JSON, which the admin API requires.

const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json" };
// With --admin-token set, the page is opened as /__mock/?admin_token=…; every admin call
// then carries the token in a header, never again in a URL that the journal would keep.
const ADMIN_TOKEN = new URLSearchParams(window.location.search).get("admin_token");
const TOKEN_HEADERS = ADMIN_TOKEN ? { "X-Mock-Admin-Token": ADMIN_TOKEN } : {};

/** An error carrying the HTTP status and the decoded body. */
export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && typeof body === "object" && "detail" in body ? body.detail : body;
    super(`${status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, url, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...TOKEN_HEADERS, ...headers } };
  if (method !== "GET") {
    init.headers = { ...JSON_HEADERS, ...TOKEN_HEADERS, ...headers };
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let decoded = text;
  try {
    decoded = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, ok: response.ok, body: decoded };
}

async function json(method, url, options) {
  const answer = await call(method, url, options);
  if (!answer.ok) throw new ApiError(answer.status, answer.body);
  return answer.body;
}

export const admin = {
  health: () => json("GET", "health"),
  world: () => json("GET", "world"),
  samples: () => json("GET", "samples"),
  businesses: (limit = 10) => json("GET", `businesses?limit=${limit}`),
  journal: (limit, businessId) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (businessId) query.set("business_id", businessId);
    return json("GET", `journal?${query}`);
  },
  scenarios: () => json("GET", "scenarios"),
  armScenario: (scenario) => json("POST", "scenarios", { body: scenario }),
  clearScenarios: () => call("DELETE", "scenarios"),
  reset: (businessId) =>
    json("POST", businessId ? `reset?business_id=${encodeURIComponent(businessId)}` : "reset"),
};

/** The bundled contract, for the operations a scenario can target. */
export const contract = () => json("GET", "../openapi.json");

/**
 * The documented bulk operation for a sample: its status and body, whatever they are
 * (a 400 for an invalid sample is an expected answer, not an error of the page).
 */
export function bulkImport(kind, s3Key, token, businessId) {
  return call("POST", `../api/v1/${kind}/bulk`, {
    body: { s3_key: s3Key },
    headers: { Authorization: `Bearer ${token}`, "x-business-id": businessId },
  });
}
