// Building DOM nodes from data. Everything the journal shows came from some client, so
// text is only ever set as text (textContent), never parsed as HTML.

/**
 * An element with attributes, listeners (`on*` keys) and children (nodes or text).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node|string|number|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "class") {
      node.className = String(value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace every child of `parent` with `children`. */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

/** A JSON value as indented text, or a body that is already text as it is. */
export function pretty(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** CSS class for a status: 2xx ok, 4xx warn, 5xx and no answer bad. */
export function statusClass(status) {
  if (status >= 200 && status < 400) return "status ok";
  if (status >= 400 && status < 500) return "status warn";
  return "status bad";
}

/** Minor units (what the API returns) as a decimal amount with its currency. */
export function money(minor, currency) {
  if (typeof minor !== "number") return "";
  return `${(minor / 100).toFixed(2)} ${currency ?? ""}`.trim();
}

/** Bytes in a short human form. */
export function bytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}
