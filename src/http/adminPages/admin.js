// @ts-check
/**
 * The web admin's shell: sign-in with an API token (admin, or auditor to read only), one page per
 * `#hash` with the focus moved to its heading, and each page's data loaded from the API when shown.
 * Plain ES modules served as they are: no framework, no build step.
 */
import { api, ApiError, token } from './api.js';
import { auditLog } from './auditLog.js';
import { callRecords } from './callRecords.js';
import { grants } from './grants.js';
import { lists } from './lists.js';
import { liveCalls } from './liveCalls.js';
import { phones } from './phones.js';
import { report } from './report.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @typedef {(root: HTMLElement, who: {canEdit: boolean}) => () => Promise<unknown>} PageSetUp */
/** @type {Record<string, PageSetUp>} */
const PAGES = { lists, grants, phones, live: liveCalls, calls: callRecords, report, audit: auditLog };
const FIRST = 'lists';

/** Each page's loader, once set up for the signed-in role. */
/** @type {Map<string, () => Promise<unknown>>} */
let loaders = new Map();

function signedOut(/** @type {string} */ message = '') {
  token.clear();
  loaders = new Map();
  document.body.dataset.signedIn = 'no';
  for (const id of ['nav', 'who', 'sign-out']) $(id).hidden = true;
  for (const page of document.querySelectorAll('.page')) /** @type {HTMLElement} */ (page).hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
}

async function signIn() {
  const me = await api('GET', '/api/whoami');
  if (me.role !== 'admin' && me.role !== 'auditor') {
    signedOut(`${me.name} (${me.role}) may not open the admin pages: use an admin or auditor token.`);
    return;
  }
  const who = { canEdit: me.role === 'admin' };
  loaders = new Map(Object.entries(PAGES).map(([name, setUp]) => [name, setUp(/** @type {HTMLElement} */ ($(`page-${name}`).querySelector('.body')), who)]));
  document.body.dataset.signedIn = 'yes';
  document.body.dataset.role = me.role;
  $('who').textContent = `${me.name} (${me.role}${who.canEdit ? '' : ', read only'})`;
  for (const id of ['nav', 'who', 'sign-out']) $(id).hidden = false;
  $('sign-in').hidden = true;
  await route();
}

async function route() {
  if (loaders.size === 0) return;
  const name = location.hash.slice(1) in PAGES ? location.hash.slice(1) : FIRST;
  for (const [page] of Object.entries(PAGES)) $(`page-${page}`).hidden = page !== name;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${$(`h-${name}`).textContent} — callguard admin`;
  $(`h-${name}`).focus();
  try {
    await loaders.get(name)?.();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) $(`page-${name}`).querySelector('.body')?.prepend(Object.assign(document.createElement('p'), { className: 'status error', role: 'alert', textContent: `Could not load: ${/** @type {Error} */ (error).message}` }));
  }
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('token'));
  token.set(input.value.trim());
  input.value = '';
  signIn().catch((error) => signedOut(error instanceof ApiError && error.status === 401 ? 'That token was not accepted.' : `Cannot sign in: ${error.message}`));
});
$('sign-out').addEventListener('click', () => signedOut());
document.addEventListener('callguard:signed-out', () => signedOut('Signed out: the token is no longer accepted.'));
window.addEventListener('hashchange', () => void route());

if (token.get()) signIn().catch(() => signedOut());
else signedOut();
