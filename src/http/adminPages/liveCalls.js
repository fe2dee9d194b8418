// @ts-check
/**
 * Calls in progress on every instance (caller, number, decision, duration), refreshed while shown. An
 * admin may end one (audited by the API); emergency and hotline calls are never offered for ending.
 */
import { api } from './api.js';
import { duration, h, say, show, table } from './dom.js';

const REFRESH_MS = 2_000;
const SAFETY = new Set(['emergency', 'security']);

export function liveCalls(/** @type {HTMLElement} */ root, /** @type {{canEdit: boolean}} */ who) {
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite' });
  const list = h('div', {});
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  async function load() {
    clearTimeout(timer);
    // A row's buttons are not replaced while one of them has the focus (the keyboard would lose its place).
    if (!list.contains(document.activeElement)) {
      const body = await api('GET', '/api/live-calls');
      const now = Date.now();
      const rows = body.calls.map((/** @type {any} */ c) => [
        `${c.from}${c.user ? ` (${c.user})` : ''}`,
        c.to,
        `${c.action} · ${c.class} · ${c.reason}`,
        c.answered ? `${duration((now - Date.parse(c.answered)) / 1000)} answered` : `${duration((now - Date.parse(c.started)) / 1000)} setting up`,
        c.instance,
        who.canEdit ? (SAFETY.has(c.action) ? h('span', { className: 'hint' }, 'never ended here') : h('button', { type: 'button', className: 'danger', 'aria-label': `End the call from ${c.from} to ${c.to}`, onclick: () => end(c) }, 'End call')) : '',
      ]);
      show(list, table(`Live calls (${body.calls.length})`, ['caller', 'number', 'decision', 'duration', 'instance', ...(who.canEdit ? ['actions'] : [])], rows, 'no call in progress'));
    }
    if (root.isConnected && !root.closest('[hidden]')) timer = setTimeout(() => void load().catch(() => {}), REFRESH_MS);
  }

  async function end(/** @type {any} */ c) {
    if (!confirm(`End the call from ${c.from} to ${c.to}? Both parties are hung up.`)) return;
    try {
      await api('POST', `/api/live-calls/${encodeURIComponent(c.callId)}/end`);
      say(status, `Ending the call from ${c.from} to ${c.to}.`, 'ok');
      /** @type {HTMLElement} */ (document.activeElement)?.blur();
      await load();
    } catch (error) {
      say(status, `Not ended: ${/** @type {Error} */ (error).message}`, 'error');
    }
  }

  show(root, status, list);
  return load;
}
