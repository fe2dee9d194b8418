// @ts-check
/** Allow and deny lists: a number or prefix, for whom, why, approved by whom, from and until when. */
import { words } from './dom.js';
import { planEditor } from './planEdit.js';

/** @param {any} f */
const forText = (f) => (f === 'everyone' || !f ? 'everyone' : ['users', 'extensions', 'classes'].filter((k) => f[k]).map((k) => `${k}: ${f[k].join(', ')}`).join('; '));

/** @type {import('./planEdit.js').Resource} */
const LISTS = {
  key: 'lists',
  title: 'Allow and deny lists',
  path: '/api/lists',
  sections: [
    { name: 'deny', title: 'Deny list', addPath: '/api/lists/deny' },
    { name: 'allow', title: 'Allow list', addPath: '/api/lists/allow' },
  ],
  entries: (body) => [...body.deny, ...body.allow],
  columns: ['number or prefix', 'for', 'reason', 'approver', 'from', 'until'],
  cells: (e) => [e.number ? `number ${e.number}` : `prefix ${e.prefix}`, forText(e.for), e.reason ?? '', e.approver ?? '', e.from ?? '', e.until ?? ''],
  fields: [
    { name: 'match', label: 'Matches', type: 'select', options: [['number', 'this number exactly'], ['prefix', 'numbers starting with']] },
    { name: 'digits', label: 'Number or prefix', required: true, hint: 'As dialled (02079460999) or E.164 (+442079460999).' },
    { name: 'users', label: 'For users', hint: 'User ids, comma separated. Leave users, extensions and classes empty for everyone.' },
    { name: 'extensions', label: 'For extensions' },
    { name: 'classes', label: 'For classes of service' },
    { name: 'reason', label: 'Reason', required: true },
    { name: 'approver', label: 'Approved by' },
    { name: 'from', label: 'From', type: 'date' },
    { name: 'until', label: 'Until', type: 'date' },
  ],
  formValues: (e) => ({
    match: e.prefix ? 'prefix' : 'number',
    digits: e.number ?? e.prefix ?? '',
    users: e.for?.users?.join(', ') ?? '',
    extensions: e.for?.extensions?.join(', ') ?? '',
    classes: e.for?.classes?.join(', ') ?? '',
    reason: e.reason ?? '',
    approver: e.approver ?? '',
    from: e.from ?? '',
    until: e.until ?? '',
  }),
  toBody: (f) => {
    const who = { users: words(f.users), extensions: words(f.extensions), classes: words(f.classes) };
    const named = Object.values(who).some(Boolean);
    return {
      [f.match === 'prefix' ? 'prefix' : 'number']: f.digits,
      for: named ? who : 'everyone',
      reason: f.reason,
      approver: f.approver || undefined,
      from: f.from || undefined,
      until: f.until || undefined,
    };
  },
};

export const lists = (/** @type {HTMLElement} */ root, /** @type {{canEdit: boolean}} */ who) => planEditor(root, LISTS, who);
