// DOM helpers. Every value reaches the page as text (textContent or a text node): nothing
// here ever parses HTML, so server data, token claims and user input cannot become markup.

/** The element with this id; throws when the page lacks it (a bug, not a user error). */
export function byId(id) {
  const found = document.getElementById(id);
  if (found === null) throw new Error('The page is missing #' + id);
  return found;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/**
 * Creates an HTML element. `props`: `className`, `text` (textContent), `attrs` (set with
 * setAttribute; never `style` or `on*`), `hidden`, `disabled`, `type`, `value`.
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  const p = props || {};
  if (p.className) node.className = p.className;
  if (p.text !== undefined) node.textContent = String(p.text);
  if (p.type !== undefined) node.type = p.type;
  if (p.hidden) node.hidden = true;
  if (p.disabled) node.disabled = true;
  if (p.attrs) for (const [name, value] of Object.entries(p.attrs)) node.setAttribute(name, String(value));
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with presentation attributes (no inline style: the CSP forbids it). */
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  append(node, children);
  return node;
}

/** Removes every child of `node`, then appends `children`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Sets the text of the element with this id. */
export function setText(id, value) {
  byId(id).textContent = value === undefined || value === null ? '' : String(value);
}
