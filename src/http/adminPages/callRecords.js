// @ts-check
/** Call records: search by extension, number, days, class, action and outcome; export the calls found as CSV. */
import { api, query } from './api.js';
import { duration, field, h, say, show, table, values, when } from './dom.js';
import { queryPage } from './queryPage.js';

const CLASSES = ['emergency', 'internal', 'public-service', 'freephone', 'geographic', 'national', 'mobile', 'pager', 'personal-number', 'service-charge', 'premium', 'chat-line', 'directory', 'operator', 'international', 'high-risk', 'invalid', 'inbound'];
const ACTIONS = ['allow', 'reject', 'emergency', 'security', 'pin-required'];
const OUTCOMES = ['answered', 'rejected', 'busy', 'no-answer', 'cancelled', 'failed'];
const any = (/** @type {string[]} */ list) => /** @type {[string, string][]} */ ([['', 'any'], ...list.map((v) => [v, v])]);
const day = (/** @type {number} */ ms) => new Date(ms).toISOString().slice(0, 10);

export function callRecords(/** @type {HTMLElement} */ root) {
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { className: 'entry-form', role: 'search', 'aria-label': 'Search call records' },
      h(
        'div',
        { className: 'fields' },
        field({ name: 'ext', label: 'Extension (caller or called)', inputmode: 'numeric' }, 'calls'),
        field({ name: 'number', label: 'Number dialled (or part)' }, 'calls'),
        field({ name: 'from', label: 'From day', type: 'date', value: day(Date.now() - 6 * 86_400_000) }, 'calls'),
        field({ name: 'to', label: 'To day', type: 'date', value: day(Date.now()) }, 'calls'),
        field({ name: 'class', label: 'Class', type: 'select', options: any(CLASSES) }, 'calls'),
        field({ name: 'action', label: 'Action', type: 'select', options: any(ACTIONS) }, 'calls'),
        field({ name: 'outcome', label: 'Outcome', type: 'select', options: any(OUTCOMES) }, 'calls'),
      ),
      h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, 'Search'), h('button', { type: 'button', onclick: () => void exportCsv() }, 'Export CSV')),
    )
  );

  const page = queryPage(root, form, 'Search refused', async (results, tell) => {
    const body = await api('GET', `/api/calls${query(values(form))}`);
    const rows = body.calls.map((/** @type {any} */ c) => [when(c.invite), `${c.from}${c.user ? ` (${c.user})` : ''}`, c.to, c.class, `${c.action} (${c.reason})`, c.disp, c.status ?? '', duration(c.dur)]);
    show(results, table(`Calls found: ${body.calls.length}${body.more ? ` (${body.more} more not shown)` : ''}`, ['when', 'caller', 'dialled', 'class', 'decision', 'outcome', 'SIP', 'duration'], rows, 'no call matches'));
    const matching = body.calls.length + body.more;
    tell(`${matching} ${matching === 1 ? 'call matches' : 'calls match'}; ${body.scanned} records read.`);
  });

  /** The same search as CSV, one row per call, saved through a link to a Blob (the token stays in the header). */
  async function exportCsv() {
    try {
      const q = values(form);
      const response = await api('GET', `/api/calls.csv${query({ ...q, limit: '100000' })}`, { raw: true });
      const link = h('a', { href: URL.createObjectURL(await response.blob()), download: `calls-${q.from}-to-${q.to}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      say(page.status, 'CSV exported.', 'ok');
    } catch (error) {
      say(page.status, `Export refused: ${/** @type {Error} */ (error).message}`, 'error');
    }
  }

  return page.load;
}
