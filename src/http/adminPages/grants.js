// @ts-check
/**
 * International calling grants: those in the dialplan files (edited with a dry run first, like the lists)
 * and run-time grants kept in the shared state (issued and revoked at once, as the CLI does).
 */
import { api, ApiError } from './api.js';
import { field, h, say, show, table, values, when, words } from './dom.js';
import { planEditor } from './planEdit.js';

/** @param {any} g */
const covers = (g) => [g.worldwide ? 'worldwide' : '', g.countries?.length ? g.countries.join(', ') : '', g.prefixes?.length ? `prefixes ${g.prefixes.join(', ')}` : ''].filter(Boolean).join('; ');

const GRANT_FIELDS = [
  { name: 'user', label: 'User', required: true, hint: 'The user id in the dialplan (amoreno).' },
  { name: 'worldwide', label: 'Worldwide', type: 'checkbox' },
  { name: 'countries', label: 'Countries', hint: 'ISO codes, comma separated (CH, FR).' },
  { name: 'prefixes', label: 'Prefixes', hint: 'E.164 prefixes for high-risk ranges (+881).' },
  { name: 'from', label: 'From', type: 'date' },
  { name: 'until', label: 'Until', type: 'date' },
  { name: 'reason', label: 'Reason', required: true },
  { name: 'approver', label: 'Approved by', required: true },
];

/** @param {Record<string, string>} f */
const grantBody = (f) => ({
  user: f.user,
  worldwide: f.worldwide === 'true' || undefined,
  countries: words(f.countries),
  prefixes: words(f.prefixes),
  from: f.from || undefined,
  until: f.until || undefined,
  reason: f.reason,
  approver: f.approver,
});

/** @type {import('./planEdit.js').Resource} */
const PLAN_GRANTS = {
  key: 'grants',
  title: 'Grants in the dialplan',
  path: '/api/grants',
  sections: [{ name: 'grants', title: 'Grants in the dialplan', addPath: '/api/grants' }],
  entries: (body) => body.grants,
  columns: ['id', 'user', 'covers', 'from', 'until', 'reason', 'approver'],
  cells: (e) => [e.id ?? '', e.user, covers(e), e.from ?? '', e.until ?? '', e.reason, e.approver],
  fields: GRANT_FIELDS,
  formValues: (e) => ({ ...e, worldwide: e.worldwide ? 'true' : '', countries: e.countries?.join(', ') ?? '', prefixes: e.prefixes?.join(', ') ?? '' }),
  toBody: grantBody,
};

export function grants(/** @type {HTMLElement} */ root, /** @type {{canEdit: boolean}} */ who) {
  const planPart = h('div', {});
  const runtimePart = h('div', {});
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite' });
  const loadPlan = planEditor(planPart, PLAN_GRANTS, who);

  async function loadRuntime() {
    const body = await api('GET', '/api/grants');
    const rows = body.runtime.map((/** @type {any} */ g) => [
      g.id,
      g.user,
      covers(g),
      when(g.from),
      when(g.until),
      g.reason,
      g.approver,
      who.canEdit ? h('button', { type: 'button', className: 'danger', 'aria-label': `Revoke ${g.id}`, onclick: () => revoke(g.id) }, 'Revoke') : '',
    ]);
    show(runtimeTable, table('Run-time grants', ['id', 'user', 'covers', 'from', 'until', 'reason', 'approver', ...(who.canEdit ? ['actions'] : [])], rows, 'none issued'));
  }

  async function revoke(/** @type {string} */ id) {
    try {
      await api('DELETE', `/api/runtime-grants/${encodeURIComponent(id)}`);
      say(status, `Revoked ${id}.`, 'ok');
      await loadRuntime();
    } catch (error) {
      say(status, `Not revoked: ${/** @type {Error} */ (error).message}`, 'error');
    }
  }

  const runtimeTable = h('div', {});
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { className: 'entry-form', 'aria-label': 'Issue a run-time grant', novalidate: true },
      h('h3', {}, 'Issue a run-time grant'),
      h('p', { className: 'hint' }, 'Takes effect at once on every instance; not in the dialplan files, so not replayed.'),
      h('div', { className: 'fields' }, ...GRANT_FIELDS.map((f) => field(f, 'runtime-grant'))),
      h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, 'Issue grant')),
    )
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const grant = await api('POST', '/api/runtime-grants', { body: grantBody(values(form)) });
      say(status, `Issued ${grant.id} to ${grant.user}.`, 'ok');
      form.reset();
      await loadRuntime();
    } catch (error) {
      say(status, `Not issued: ${error instanceof ApiError ? error.message : String(error)}`, 'error');
    }
  });

  show(root, planPart, h('h3', {}, 'Run-time grants'), status, runtimeTable, who.canEdit ? form : '');
  return () => Promise.all([loadPlan(), loadRuntime()]);
}
