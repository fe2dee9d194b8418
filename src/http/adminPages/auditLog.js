// @ts-check
/** The audit log: every change made through the API (and so through these pages), newest first. */
import { api, query } from './api.js';
import { field, h, show, table, values, when } from './dom.js';
import { queryPage } from './queryPage.js';

const compact = (/** @type {unknown} */ v) => (v === undefined ? '' : JSON.stringify(v));

export function auditLog(/** @type {HTMLElement} */ root) {
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { className: 'entry-form search', 'aria-label': 'Audit log since' },
      field({ name: 'since', label: 'Since', type: 'date', value: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10) }, 'audit'),
      h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, 'Show')),
    )
  );
  return queryPage(root, form, 'Not shown', async (answer) => {
    const body = await api('GET', `/api/audit${query(values(form))}`);
    const rows = [...body.records].reverse().map((/** @type {any} */ r) => [when(r.at), `${r.who} (${r.role})`, r.action, r.target, r.address, h('code', {}, compact(r.before)), h('code', {}, compact(r.after))]);
    show(answer, table(`Audit log (${rows.length})`, ['when', 'who', 'action', 'target', 'from address', 'before', 'after'], rows, 'no change recorded'));
  }).load;
}
