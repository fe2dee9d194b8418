// @ts-check
/** The monthly usage and exception report (the API's JSON of `callguard report`), shown inline. */
import { api, query } from './api.js';
import { field, h, show, table, values, when } from './dom.js';
import { queryPage } from './queryPage.js';

const money = (/** @type {number} */ minor, /** @type {string} */ currency) => `${(minor / 100).toFixed(2)} ${currency}`;

/** @param {any} r */
function render(r) {
  const t = r.totals;
  const c = r.currency;
  return h(
    'div',
    { className: 'report' },
    h('h3', {}, `${r.site} — ${r.month}${r.department ? ` — ${r.department}` : ''}`),
    h(
      'dl',
      { className: 'totals' },
      ...[
        ['Calls', t.calls],
        ['Answered', t.answered],
        ['Minutes', t.minutes],
        ['Estimated cost', money(t.cost, c)],
        ['Barred attempts', t.barredAttempts],
        ['Emergency calls', t.emergency],
        ['Hotline calls', t.hotline],
      ].flatMap(([k, v]) => [h('dt', {}, String(k)), h('dd', {}, String(v))]),
    ),
    table('Departments', ['department', 'extensions', 'calls', 'answered', 'minutes', 'cost', 'barred attempts', 'idle extensions'], r.departments.map((/** @type {any} */ d) => [d.department, d.extensions, d.calls, d.answered, d.minutes, money(d.cost, c), d.barredAttempts, d.idleExtensions])),
    table('Busiest users', ['ext', 'user', 'department', 'calls', 'minutes', 'cost'], r.busiest.map((/** @type {any} */ u) => [u.ext, u.name ?? u.user ?? '', u.department, u.calls, u.minutes, money(u.cost, c)])),
    table('Barred attempts', ['ext', 'user', 'department', 'class', 'attempts', 'numbers tried'], r.barred.map((/** @type {any} */ b) => [b.ext, b.user ?? '', b.department, b.class, b.attempts, b.numbers.join(' ')])),
    table('International calls by grant', ['grant', 'user', 'covers', 'calls', 'minutes', 'cost'], r.grants.map((/** @type {any} */ g) => [g.id, g.user, g.covers, g.calls, g.minutes, money(g.cost, c)])),
    table('Grants not used', ['grant', 'user', 'covers', 'where'], r.unusedGrants.map((/** @type {any} */ g) => [g.id, g.user, g.covers, g.where])),
    table('PIN prompts and lockouts', ['ext', 'user', 'prompts', 'wrong PINs', 'lockouts'], r.pin.map((/** @type {any} */ p) => [p.ext, p.user ?? '', p.prompts, p.failures, p.lockouts])),
    table('Emergency and hotline calls', ['when', 'kind', 'ext', 'location', 'dialled', 'outcome', 'failover'], r.safety.map((/** @type {any} */ s) => [when(s.at), s.kind, s.ext, s.location ?? '', s.dialled, s.disposition, s.failover ?? ''])),
    table(`Over the cost flag${r.costFlag ? ` (${money(r.costFlag, c)})` : ''}`, ['ext', 'user', 'cost', 'minutes'], r.costFlagged.map((/** @type {any} */ u) => [u.ext, u.name ?? u.user ?? '', money(u.cost, c), u.minutes])),
    table('Extensions with no call', ['ext', 'name', 'department'], r.idle.map((/** @type {any} */ i) => [i.ext, i.name, i.department])),
    h('p', { className: 'hint' }, `${r.records.records} call records read from ${r.records.files} files.`),
  );
}

export function report(/** @type {HTMLElement} */ root) {
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { className: 'entry-form', 'aria-label': 'Choose the month' },
      h('div', { className: 'fields' }, field({ name: 'month', label: 'Month', type: 'month', value: new Date().toISOString().slice(0, 7), required: true, hint: 'yyyy-mm' }, 'report'), field({ name: 'department', label: 'Department (optional)' }, 'report')),
      h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, 'Show report')),
    )
  );
  return queryPage(root, form, 'No report', async (answer, tell) => {
    tell('Reading the call records…');
    show(answer, render(await api('GET', `/api/report${query(values(form))}`)));
    tell('Report ready.');
  }).load;
}
