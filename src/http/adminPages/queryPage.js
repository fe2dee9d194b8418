// @ts-check
/** A page that asks the API through a form and shows the answer under it: the form, a status line, the answer. */
import { h, say, show } from './dom.js';

/**
 * Lays out `form`, a status line and the answer's place in `root`. Submitting the form runs `ask` with a
 * place for its answer and a way to say how it goes on the status line; what it throws is said after
 * `refused`. Answers may come back out of order (a search sent while the page's first one is still out):
 * only the latest ask's words and answer are shown, so an earlier, slower one never replaces it.
 * Returns the page's loader (the same ask, run when the page is opened) and the status line.
 * @param {HTMLElement} root
 * @param {HTMLFormElement} form
 * @param {string} refused how a failure is announced, e.g. 'Search refused'
 * @param {(answer: HTMLElement, tell: (text: string, kind?: string) => void) => Promise<void>} ask
 */
export function queryPage(root, form, refused, ask) {
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite' });
  const answer = h('div', {});
  let latest = 0;
  async function load() {
    const mine = ++latest;
    const tell = (/** @type {string} */ text, kind = 'info') => {
      if (mine === latest) say(status, text, kind);
    };
    const fresh = h('div', {});
    try {
      await ask(fresh, tell);
      if (mine === latest) show(answer, ...fresh.childNodes);
    } catch (error) {
      tell(`${refused}: ${/** @type {Error} */ (error).message}`, 'error');
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  show(root, form, status, answer);
  return { load, status };
}
