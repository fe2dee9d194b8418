// @ts-check
/** A page that asks the API through a form and shows the answer under it: the form, a status line, the answer. */
import { h, say, show } from './dom.js';

/**
 * Lays out `form`, a status line and the answer's place in `root`. Submitting the form runs `ask` with
 * the answer's place and the status line; what it throws is said on the status line after `refused`.
 * Returns the page's loader (the same ask, run when the page is opened) and the status line.
 * @param {HTMLElement} root
 * @param {HTMLFormElement} form
 * @param {string} refused how a failure is announced, e.g. 'Search refused'
 * @param {(answer: HTMLElement, status: HTMLElement) => Promise<void>} ask
 */
export function queryPage(root, form, refused, ask) {
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite' });
  const answer = h('div', {});
  async function load() {
    try {
      await ask(answer, status);
    } catch (error) {
      say(status, `${refused}: ${/** @type {Error} */ (error).message}`, 'error');
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  show(root, form, status, answer);
  return { load, status };
}
