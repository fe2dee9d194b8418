// @ts-check
/** Small DOM helpers shared by the pages: elements, tables, forms, status messages. No framework. */

/**
 * An element with attributes (`on…` functions become listeners; false/undefined are left out) and children.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string | number | undefined | null | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'className') node.className = value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== undefined && child !== null && child !== false) node.append(typeof child === 'number' ? String(child) : child);
  return node;
}

/**
 * A data table with a caption, in a scroll container of its own (wide tables scroll, the page does not).
 * @param {string} caption
 * @param {string[]} headers
 * @param {(Node | string | number | undefined)[][]} rows
 * @param {string} [empty] what to say when there are no rows
 */
export function table(caption, headers, rows, empty = 'None.') {
  if (rows.length === 0) return h('p', { className: 'empty' }, `${caption}: ${empty}`);
  return h(
    'div',
    { className: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell ?? ''))))),
    ),
  );
}

/**
 * A labelled input. `type` select takes `options`; checkbox puts the label after the box.
 * @param {{name: string, label: string, type?: string, value?: string, options?: [string, string][], required?: boolean, hint?: string, placeholder?: string, inputmode?: string, autocomplete?: string}} f
 * @param {string} idPrefix
 */
export function field(f, idPrefix) {
  const id = `${idPrefix}-${f.name}`;
  const hintId = f.hint ? `${id}-hint` : undefined;
  let input;
  if (f.type === 'select') {
    input = h('select', { id, name: f.name, required: f.required }, ...(f.options ?? []).map(([value, text]) => h('option', { value, selected: value === f.value }, text)));
  } else if (f.type === 'checkbox') {
    input = h('input', { id, name: f.name, type: 'checkbox', checked: f.value === 'true' });
    return h('div', { className: 'field check' }, input, h('label', { for: id }, f.label), hintId && h('p', { id: hintId, className: 'hint' }, f.hint));
  } else {
    input = h('input', { id, name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required, placeholder: f.placeholder, inputmode: f.inputmode, autocomplete: f.autocomplete ?? 'off', 'aria-describedby': hintId, spellcheck: 'false' });
  }
  return h('div', { className: 'field' }, h('label', { for: id }, f.label), input, hintId && h('p', { id: hintId, className: 'hint' }, f.hint));
}

/** The form's values by name (checkboxes as 'true' / ''). */
export function values(/** @type {HTMLFormElement} */ form) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const el of Array.from(form.elements)) {
    const input = /** @type {HTMLInputElement} */ (el);
    if (!input.name) continue;
    out[input.name] = input.type === 'checkbox' ? (input.checked ? 'true' : '') : input.value.trim();
  }
  return out;
}

/** Comma- or space-separated words; undefined when there are none. */
export function words(/** @type {string | undefined} */ text) {
  const list = (text ?? '').split(/[\s,]+/).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/** A status line the screen reader announces: `kind` ok, error or info. */
export function say(/** @type {HTMLElement} */ where, /** @type {string} */ text, kind = 'info') {
  where.textContent = text;
  where.className = `status ${kind}`;
}

export const when = (/** @type {string | undefined} */ iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
};

/** Seconds as h:mm:ss or m:ss. */
export function duration(/** @type {number} */ seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * Replaces a container's content.
 * @param {HTMLElement} container
 * @param {...(Node | string)} nodes
 */
export function show(container, ...nodes) {
  container.replaceChildren(...nodes);
}
