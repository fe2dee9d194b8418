// @ts-check
/** Every extension with its lock state and the last admin change; lock, unlock and PIN reset. */
import { api } from './api.js';
import { h, say, show, table, when } from './dom.js';

const ACTION = { 'phone.lock': 'locked', 'phone.unlock': 'unlocked', 'pin.reset': 'PIN reset' };

/** @param {any} p */
function lockText(p) {
  if (p.lockoutUntil) return `locked; PIN entry suspended until ${when(p.lockoutUntil)}`;
  if (p.lock === 'unlocked') return `unlocked since ${when(p.unlockedSince)}; locks again ${when(p.relocksAt)}`;
  return p.lock;
}

export function phones(/** @type {HTMLElement} */ root, /** @type {{canEdit: boolean}} */ who) {
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite' });
  const search = /** @type {HTMLInputElement} */ (h('input', { id: 'phones-q', type: 'search', name: 'q', autocomplete: 'off' }));
  const list = h('div', {});
  const pinArea = h('div', {});

  async function load() {
    const body = await api('GET', `/api/phones${search.value.trim() ? `?q=${encodeURIComponent(search.value.trim())}` : ''}`);
    const rows = body.phones.map((/** @type {any} */ p) => [
      p.ext,
      p.name,
      p.user ?? '',
      p.location ?? '',
      h('span', { className: `lock ${p.lock}` }, lockText(p)),
      p.hasPin ? 'yes' : 'no',
      p.failures,
      p.lastChange ? `${ACTION[/** @type {keyof typeof ACTION} */ (p.lastChange.action)] ?? p.lastChange.action} by ${p.lastChange.who}, ${when(p.lastChange.at)}` : '',
      who.canEdit
        ? h(
            'span',
            { className: 'actions' },
            h('button', { type: 'button', 'aria-label': `Lock ${p.ext}`, onclick: () => act(p.ext, 'lock') }, 'Lock'),
            h('button', { type: 'button', 'aria-label': `Unlock ${p.ext}`, onclick: () => act(p.ext, 'unlock') }, 'Unlock'),
            h('button', { type: 'button', 'aria-label': `Reset PIN of ${p.ext}`, onclick: () => pinForm(p.ext) }, 'Reset PIN'),
          )
        : '',
    ]);
    show(list, table('Phones', ['ext', 'name', 'user', 'location', 'lock', 'PIN set', 'wrong PINs', 'last change', ...(who.canEdit ? ['actions'] : [])], rows, 'no extension matches'), body.more ? h('p', {}, `${body.more} more: narrow the search.`) : '');
  }

  async function act(/** @type {string} */ ext, /** @type {'lock' | 'unlock'} */ action) {
    try {
      await api('POST', `/api/phones/${encodeURIComponent(ext)}/${action}`);
      say(status, `${ext} ${action}ed.`, 'ok');
      await load();
    } catch (error) {
      say(status, `${ext} not ${action}ed: ${/** @type {Error} */ (error).message}`, 'error');
    }
  }

  function pinForm(/** @type {string} */ ext) {
    const input = /** @type {HTMLInputElement} */ (h('input', { id: 'pin-new', name: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'new-password', required: true }));
    const form = h(
      'form',
      { className: 'entry-form', 'aria-label': `Reset the PIN of ${ext}` },
      h('h3', {}, `Reset the PIN of ${ext}`),
      h('p', { className: 'hint' }, 'The phone locks; tell the user the new PIN. It is never shown or logged again.'),
      h('div', { className: 'field' }, h('label', { for: 'pin-new' }, 'New PIN'), input),
      h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, 'Set PIN'), h('button', { type: 'button', onclick: () => show(pinArea) }, 'Cancel')),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await api('PUT', `/api/phones/${encodeURIComponent(ext)}/pin`, { body: { pin: input.value } });
        show(pinArea);
        say(status, `New PIN set for ${ext}; the phone is locked.`, 'ok');
        await load();
      } catch (error) {
        say(status, `PIN not set: ${/** @type {Error} */ (error).message}`, 'error');
      }
    });
    show(pinArea, form);
    input.focus();
  }

  const searchForm = h('form', { className: 'search', role: 'search', onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), void load()) }, h('label', { for: 'phones-q' }, 'Find extension, name or user'), search, h('button', { type: 'submit' }, 'Find'));
  show(root, searchForm, status, pinArea, list);
  return load;
}
