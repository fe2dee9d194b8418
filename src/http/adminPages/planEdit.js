// @ts-check
/**
 * Editing entries of the dialplan files through the API (allow/deny lists, dialplan grants): a table of
 * the entries, a form to add or change one, and removal. Every change is first sent as a dry run: the
 * page shows the API's diff of the file and its replay of the last 31 days of calls (what would now be
 * decided differently), and only then offers to save, with the version read (If-Match).
 */
import { api, ApiError } from './api.js';
import { field, h, say, show, table, values, when } from './dom.js';

/**
 * @typedef {{id: string, section: string, where: string, entry: Record<string, any>}} Located
 * @typedef {{name: string, label: string, type?: string, options?: [string, string][], required?: boolean, hint?: string}} FieldSpec
 * @typedef {{
 *   key: string,
 *   title: string,
 *   path: string,
 *   sections: {name: string, title: string, addPath: string}[],
 *   entries(body: any): Located[],
 *   columns: string[],
 *   cells(entry: Record<string, any>): (string | Node)[],
 *   fields: FieldSpec[],
 *   formValues(entry: Record<string, any>): Record<string, string>,
 *   toBody(form: Record<string, string>): Record<string, unknown>,
 * }} Resource
 */

/** The dry-run result: the diff, then what the replay found. */
function preview(/** @type {any} */ result) {
  const calls = result.calls;
  const impact = !calls
    ? h('p', {}, 'No call records to replay on this server.')
    : h(
        'div',
        {},
        h('p', { className: 'impact' }, `Replayed the last 31 days: ${calls.replayed} calls, ${calls.changed} would be decided differently.`),
        calls.byChange.length > 0 ? table('Changes by decision', ['old → new', 'calls'], calls.byChange.map((/** @type {[string, number]} */ [change, n]) => [change, n])) : '',
        calls.examples.length > 0
          ? table(
              'Calls that would change (first 100)',
              ['when', 'caller', 'dialled', 'was', 'would be'],
              calls.examples.map((/** @type {any} */ c) => [when(c.invite), c.from, c.to, `${c.before.action} (${c.before.reason})`, `${c.after.action} (${c.after.reason})${c.after.sipStatus ? ` ${c.after.sipStatus}` : ''}`]),
            )
          : '',
      );
  return h('div', { className: 'preview' }, h('h4', {}, `Change to ${result.file}`), h('pre', { className: 'diff', tabindex: '0', 'aria-label': 'Diff of the file' }, ...diffLines(result.diff)), impact);
}

function diffLines(/** @type {string} */ diff) {
  return diff.split('\n').map((line) => h('span', { className: line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : '' }, `${line}\n`));
}

function problems(/** @type {unknown} */ error) {
  if (!(error instanceof ApiError)) return String(error);
  const list = error.body?.problems;
  return list?.length ? `${error.message}: ${list.map((/** @type {any} */ p) => `${p.where}: ${p.message}`).join('; ')}` : error.message;
}

/**
 * One resource's page section: table, editor and preview.
 * @param {HTMLElement} root
 * @param {Resource} r
 * @param {{canEdit: boolean}} who
 */
export function planEditor(root, r, who) {
  let version = '';
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
  const listing = h('div', {});
  const editor = h('div', { className: 'editor' });

  async function load() {
    const body = await api('GET', r.path);
    version = body.version;
    const entries = r.entries(body);
    show(
      listing,
      ...r.sections.map((section) => {
        const rows = entries.filter((e) => e.section === section.name);
        return h(
          'div',
          { className: 'section' },
          table(
            section.title,
            [...r.columns, 'file', ...(who.canEdit ? ['actions'] : [])],
            rows.map((e) => [
              ...r.cells(e.entry),
              e.where,
              ...(who.canEdit
                ? [
                    h(
                      'span',
                      { className: 'actions' },
                      h('button', { type: 'button', onclick: () => edit({ op: 'change', located: e }), 'aria-label': `Edit ${e.id}` }, 'Edit'),
                      h('button', { type: 'button', className: 'danger', onclick: () => remove(e), 'aria-label': `Remove ${e.id}` }, 'Remove'),
                    ),
                  ]
                : []),
            ]),
          ),
          who.canEdit ? h('button', { type: 'button', onclick: () => edit({ op: 'add', section: section.addPath, title: section.title }) }, `Add to ${section.title.toLowerCase()}`) : '',
        );
      }),
    );
  }

  /**
   * Sends the change as a dry run, shows it, and offers to save it (or cancel).
   * @param {string} method @param {string} path @param {Record<string, unknown> | undefined} body @param {string} what
   * @param {HTMLElement} where
   */
  async function dryRunThenSave(method, path, body, what, where) {
    const result = await api(method, `${path}?dryRun=true`, { body, ifMatch: version });
    const save = h('button', { type: 'button', className: 'primary' }, `Save: ${what}`);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const box = h('section', { className: 'confirm', 'aria-label': 'Preview of the change' }, preview(result), h('div', { className: 'buttons' }, save, cancel));
    show(where, box);
    save.focus();
    say(status, 'Preview ready: review the diff and the replayed calls, then save or cancel.');
    cancel.addEventListener('click', () => {
      show(where);
      say(status, 'Nothing was changed.');
    });
    save.addEventListener('click', async () => {
      save.setAttribute('disabled', '');
      try {
        const done = await api(method, path, { body, ifMatch: version });
        show(editor);
        await load();
        say(status, `Saved: ${what} (${done.id}).`, 'ok');
        status.focus();
      } catch (error) {
        save.removeAttribute('disabled');
        say(status, `Not saved: ${problems(error)}`, 'error');
      }
    });
  }

  /** @param {{op: 'add', section: string, title: string} | {op: 'change', located: Located}} what */
  function edit(what) {
    const entry = what.op === 'change' ? what.located.entry : {};
    const current = r.formValues(entry);
    const heading = what.op === 'add' ? `Add to ${what.title.toLowerCase()}` : `Edit ${what.located.id}`;
    const previewArea = h('div', {});
    const form = /** @type {HTMLFormElement} */ (
      h(
        'form',
        { className: 'entry-form', 'aria-label': heading, novalidate: true },
        h('h3', {}, heading),
        h('div', { className: 'fields' }, ...r.fields.map((f) => field({ ...f, value: current[f.name] ?? '' }, `${r.key}-edit`))),
        h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, 'Preview change'), h('button', { type: 'button', onclick: () => show(editor) }, 'Cancel')),
        previewArea,
      )
    );
    // Any edit after a preview makes that preview stale.
    form.addEventListener('input', () => show(previewArea));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      let body;
      try {
        body = r.toBody(values(form));
      } catch (error) {
        return say(status, String(/** @type {Error} */ (error).message), 'error');
      }
      const [method, path] = what.op === 'add' ? ['POST', what.section] : ['PUT', `${r.path}/${encodeURIComponent(what.located.id)}`];
      try {
        say(status, 'Checking the change (dry run)…');
        await dryRunThenSave(method, path, body, what.op === 'add' ? `add ${describe(body)}` : `change ${what.located.id}`, previewArea);
      } catch (error) {
        say(status, `Refused: ${problems(error)}`, 'error');
      }
    });
    show(editor, form);
    /** @type {HTMLElement | null} */ (form.querySelector('input, select'))?.focus();
  }

  async function remove(/** @type {Located} */ located) {
    const area = h('div', {});
    show(editor, h('section', { className: 'entry-form', 'aria-label': `Remove ${located.id}` }, h('h3', {}, `Remove ${located.id}`), area));
    try {
      say(status, 'Checking the removal (dry run)…');
      await dryRunThenSave('DELETE', `${r.path}/${encodeURIComponent(located.id)}`, undefined, `remove ${located.id}`, area);
    } catch (error) {
      say(status, `Refused: ${problems(error)}`, 'error');
    }
  }

  show(root, status, listing, editor);
  return load;
}

function describe(/** @type {Record<string, unknown>} */ body) {
  return String(body.number ?? body.prefix ?? body.user ?? '');
}
