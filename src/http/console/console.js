// @ts-check
/**
 * The Security Control console: signs in with a token (kept in sessionStorage for this tab), follows
 * /api/alerts/stream (Server-Sent Events read with fetch, so the token travels in a header, never in a
 * URL), shows alerts newest first, pins unacknowledged emergencies with a repeating tone (WebAudio),
 * and says plainly when the feed is down while it reconnects. No framework, no build step.
 */

const TOKEN_KEY = 'callguard.console.token';
/** The server sends a keep-alive every 5 s; silence this long means the feed is gone. */
const SILENCE_MS = 15_000;
const TONE_EVERY_MS = 1_500;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @typedef {{kind: 'emergency'|'hotline'|'pin-lockout'|'fraud', ext: string, name?: string, dialled: string, callback: string, callbackUntil?: string, location: string, at: string, callId: string, note?: string, callOutAck?: {by: string, at: string}}} Alert */
/** @typedef {{id: string, alert: Alert, ack?: {by: string, at: string}, late?: {deliveredAt: string}}} Item */

/** @typedef {{callId: string, phase: 'calling'|'joined'|'left'|'failed', mode: 'listen'|'talk', note?: string, by?: string, at: string}} Join */

/** @type {Map<string, Item>} */
const items = new Map();
/** Security's part in each emergency call, by Call-ID. @type {Map<string, Join>} */
const joins = new Map();
let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
/** @type {AbortController | undefined} */
let feed;
let signedIn = false;

// ---- the page's observable state (the browser tests read it) ------------------------------------------
const consoleState = { feed: 'signed-out', alarm: false, beeps: 0, audio: 'none', connects: 0 };
// @ts-ignore
window.callguardConsole = consoleState;

function setFeed(/** @type {string} */ state, /** @type {string} */ label) {
  consoleState.feed = state;
  document.body.dataset.feed = state;
  $('feed-state').textContent = label;
  $('disconnected').hidden = state !== 'disconnected';
}

// ---- sound --------------------------------------------------------------------------------------------
/** @type {AudioContext | undefined} */
let audio;
/** @type {ReturnType<typeof setInterval> | undefined} */
let alarmTimer;

function audioContext() {
  if (!audio) {
    audio = new AudioContext();
    audio.addEventListener('statechange', showAudioState);
  }
  if (audio.state === 'suspended') void audio.resume().catch(() => {});
  return audio;
}

function showAudioState() {
  consoleState.audio = audio ? audio.state : 'none';
  $('sound').hidden = !(consoleState.alarm && audio && audio.state !== 'running');
}

/** Two short tones, high then low: distinct from a phone ring. */
function beep() {
  const ctx = audioContext();
  const start = ctx.currentTime + 0.02;
  [880, 660].forEach((frequency, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + i * 0.3);
    gain.gain.exponentialRampToValueAtTime(0.25, start + i * 0.3 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.3 + 0.26);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + i * 0.3);
    osc.stop(start + i * 0.3 + 0.28);
  });
  if (ctx.state === 'running') consoleState.beeps++;
  showAudioState();
}

function setAlarm(/** @type {number} */ open) {
  const on = open > 0;
  document.title = on ? `(${open}) EMERGENCY — Security Control` : 'Security Control — callguard';
  if (on === consoleState.alarm) return;
  consoleState.alarm = on;
  document.body.dataset.alarm = on ? 'on' : 'off';
  if (on) {
    beep();
    alarmTimer = setInterval(beep, TONE_EVERY_MS);
  } else {
    clearInterval(alarmTimer);
    alarmTimer = undefined;
  }
  showAudioState();
}

// ---- rendering ----------------------------------------------------------------------------------------
const order = (/** @type {string} */ id) => id.split('-').map(Number);
function newestFirst(/** @type {Item} */ a, /** @type {Item} */ b) {
  const [am = 0, as = 0] = order(a.id);
  const [bm = 0, bs = 0] = order(b.id);
  return bm - am || bs - as;
}

const KIND = { emergency: 'EMERGENCY', hotline: 'HOTLINE', 'pin-lockout': 'PIN LOCKOUT', fraud: 'FRAUD' };
const time = (/** @type {string} */ iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString('en-GB');
};
const day = (/** @type {string} */ iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });
};

function el(/** @type {string} */ tag, /** @type {string} */ className, /** @type {string} */ text = '') {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}

/** @typedef {{notes: string[], callOutAcks: {by: string, at: string}[]}} FollowUps */

const RAISED_AGAIN = 'alerted again: the call was set up once more through another callguard server';

/**
 * Follow-ups (a hotline answered by a failover, an emergency trunk failover, a call-out responder who
 * pressed 1) carry the first alert's call id and a note or an acknowledgement: they are shown on the
 * first alert's card rather than as alerts of their own. So is the same call alerted again with
 * neither: one callguard server stopped while setting it up and the SIP front moved it to another,
 * which alerted as the first had. One emergency, one card, one alarm.
 */
function grouped() {
  const all = [...items.values()].sort(newestFirst);
  /** @type {Map<string, string>} */
  const firstOf = new Map();
  /** @type {Map<string, FollowUps>} */
  const followUpsOf = new Map();
  const followUps = new Set();
  for (const item of [...all].reverse()) {
    const a = item.alert;
    if (!a.callId || a.kind === 'pin-lockout') continue;
    const key = `${a.kind}|${a.callId}`;
    const first = firstOf.get(key);
    if (first === undefined) {
      firstOf.set(key, item.id);
      continue;
    }
    const of = followUpsOf.get(first) ?? { notes: [], callOutAcks: [] };
    if (a.note) of.notes.push(a.note);
    if (a.callOutAck) of.callOutAcks.push(a.callOutAck);
    if (!a.note && !a.callOutAck) of.notes.push(RAISED_AGAIN);
    followUpsOf.set(first, of);
    followUps.add(item.id);
  }
  return { shown: all.filter((i) => !followUps.has(i.id)), followUpsOf };
}

const NO_FOLLOW_UPS = { notes: [], callOutAcks: [] };

function card(/** @type {Item} */ item, /** @type {FollowUps} */ followUps, /** @type {boolean} */ pinned) {
  const { alert } = item;
  const li = el('li', `alert ${alert.kind}`);
  li.tabIndex = 0;
  li.dataset.id = item.id;
  li.dataset.kind = alert.kind;
  const what = alert.kind === 'pin-lockout' ? 'PIN entry locked out' : `dialled ${alert.dialled}`;
  const late = item.late ? `Delivered late at ${time(item.late.deliveredAt)}: alerts could not be sent when it was raised` : '';
  const callbackLine = callbackWindow(alert);
  li.setAttribute('aria-label', `${KIND[alert.kind]} from extension ${alert.ext} ${alert.name ?? ''} at ${alert.location || 'unknown location'}, ${what}, ${time(alert.at)}${callbackLine ? `, ${callbackLine}` : ''}${late ? `, ${late}` : ''}${followUps.callOutAcks.map((a) => `, call-out acknowledged by ${a.by}`).join('')}${item.ack ? `, acknowledged by ${item.ack.by}` : ''}`);
  li.append(el('span', 'kind', KIND[alert.kind]), el('span', 'where', alert.location || 'Location unknown'), el('span', 'time', time(alert.at)));
  const who = el('span', 'who', `Ext ${alert.ext}${alert.name ? ` · ${alert.name}` : ''}`);
  const meta = el('span', 'meta', `${alert.kind === 'pin-lockout' ? 'PIN lockout' : `Dialled ${alert.dialled}`} · Callback ${alert.callback || '—'}`);
  li.append(who, meta, el('span', 'meta day', day(alert.at)));
  // While the PSAP may call back, its call goes to this extension: say so, until the window ends.
  if (callbackLine) li.append(el('span', 'outcome callback-window', callbackLine));
  const notes = [...(alert.note ? [alert.note] : []), ...followUps.notes];
  if (alert.kind === 'hotline' && notes.length === 0) li.append(el('span', 'outcome', 'To Security Control'));
  for (const note of notes) li.append(el('span', `outcome${/not answered|failed|did not take/.test(note) ? ' bad' : /^callback from/.test(note) ? ' callback' : ''}`, note.charAt(0).toUpperCase() + note.slice(1)));
  // Responders the call-out phoned who pressed 1: someone is on the way.
  for (const ack of followUps.callOutAcks) li.append(el('span', 'outcome callout-ack', `Call-out acknowledged by ${ack.by} at ${time(ack.at)}`));
  // An alert from the outbox: its time above is when it was raised, this line when it arrived.
  if (late) li.append(el('span', 'outcome late bad', late));
  const join = alert.kind === 'emergency' ? joins.get(alert.callId) : undefined;
  if (join) li.append(el('span', `outcome join ${join.phase}${join.phase === 'failed' ? ' bad' : ''}`, joinLine(join)));
  if (item.ack) li.append(el('span', 'acked', `Acknowledged by ${item.ack.by} at ${time(item.ack.at)}`));
  else if (alert.kind === 'emergency') {
    const button = el('button', 'ack', 'Acknowledge');
    button.setAttribute('type', 'button');
    button.setAttribute('aria-label', `Acknowledge emergency from extension ${alert.ext}`);
    button.addEventListener('click', () => acknowledge(item.id, button));
    li.append(button);
  }
  // Security Control's phone rung and joined to the call, while nobody from Security is on it.
  if (alert.kind === 'emergency' && alert.callId && join?.phase !== 'calling' && join?.phase !== 'joined') {
    const button = el('button', 'join', 'Call me in');
    button.setAttribute('type', 'button');
    button.setAttribute('aria-label', `Call Security Control into the emergency call from extension ${alert.ext}`);
    button.addEventListener('click', () => askToJoin(alert.callId, button));
    li.append(button);
  }
  if (pinned) li.classList.add('open');
  return li;
}

/** "Calling Security (talk)", "Security on the call (listen)", "Security left: Security hung up"... */
function joinLine(/** @type {Join} */ join) {
  const asked = join.by ? `, asked by ${join.by}` : '';
  if (join.phase === 'calling') return `Calling Security (${join.mode})${asked}`;
  if (join.phase === 'joined') return `Security on the call (${join.mode})${asked}`;
  if (join.phase === 'left') return `Security left: ${join.note ?? ''} at ${time(join.at)}`;
  return `Security not joined: ${join.note ?? ''}`;
}

/** "Callback window: +44… → 4150 until 14:32" while a PSAP callback number leads back to the extension. */
function callbackWindow(/** @type {Alert} */ alert) {
  const until = alert.callbackUntil ? Date.parse(alert.callbackUntil) : NaN;
  return until > Date.now() ? `Callback window: ${alert.callback} → ${alert.ext} until ${time(alert.callbackUntil ?? '')}` : '';
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let windowTimer;
/** Renders again when the next callback window ends, so the line goes when the window does. */
function renderAtWindowEnd(/** @type {Item[]} */ shown) {
  clearTimeout(windowTimer);
  const now = Date.now();
  const ends = shown.map((i) => Date.parse(i.alert.callbackUntil ?? '')).filter((t) => t > now);
  if (ends.length > 0) windowTimer = setTimeout(render, Math.min(...ends) - now + 50);
}

function render() {
  const { shown, followUpsOf } = grouped();
  renderAtWindowEnd(shown);
  const open = shown.filter((i) => i.alert.kind === 'emergency' && !i.ack);
  const rest = shown.filter((i) => !open.includes(i));
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.closest('[data-id]')?.getAttribute('data-id') : undefined;
  const focusedButton = document.activeElement instanceof HTMLButtonElement;
  $('pinned').replaceChildren(...open.map((i) => card(i, followUpsOf.get(i.id) ?? NO_FOLLOW_UPS, true)));
  $('recent').replaceChildren(...rest.map((i) => card(i, followUpsOf.get(i.id) ?? NO_FOLLOW_UPS, false)));
  $('empty').hidden = shown.length > 0;
  if (focused) {
    const again = document.querySelector(`[data-id="${CSS.escape(focused)}"]`);
    const target = focusedButton ? again?.querySelector('button') ?? again : again;
    if (target instanceof HTMLElement) target.focus();
  }
  setAlarm(open.length);
}

// ---- acknowledgement ------------------------------------------------------------------------------
async function acknowledge(/** @type {string} */ id, /** @type {HTMLElement | undefined} */ button) {
  audioContext(); // a key press or click is the gesture that lets the page make sound
  if (button) button.setAttribute('disabled', '');
  try {
    const r = await fetch(`/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (r.status === 401 || r.status === 403) return signOut('Your token is no longer accepted: sign in again.');
    if (r.ok) {
      const item = await r.json();
      items.set(item.id, item);
      render();
    }
  } finally {
    button?.removeAttribute('disabled');
  }
}

// ---- Security on the call -------------------------------------------------------------------------------
async function askToJoin(/** @type {string} */ callId, /** @type {HTMLElement} */ button) {
  button.setAttribute('disabled', '');
  try {
    const r = await fetch(`/api/calls/${encodeURIComponent(callId)}/security-join`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (r.status === 401 || r.status === 403) return signOut('Your token is no longer accepted: sign in again.');
    const body = await r.json();
    if (r.status === 200) joins.set(callId, body.state);
    else if (r.status === 404) button.textContent = 'Call has ended';
    if (r.ok) render();
  } finally {
    if (button.textContent !== 'Call has ended') button.removeAttribute('disabled');
  }
}

document.addEventListener('keydown', (event) => {
  if (!signedIn || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target instanceof HTMLInputElement) return;
  if (event.key === 'a' || event.key === 'A') {
    const top = document.querySelector('#pinned [data-id]');
    if (top instanceof HTMLElement && top.dataset.id) {
      event.preventDefault();
      void acknowledge(top.dataset.id, top.querySelector('button') ?? undefined);
    }
  }
});

// ---- the feed -----------------------------------------------------------------------------------------
function onEvent(/** @type {string} */ name, /** @type {string} */ data) {
  const value = JSON.parse(data);
  if (name === 'snapshot') {
    items.clear();
    for (const item of value.alerts) items.set(item.id, item);
    joins.clear();
    for (const join of value.joins ?? []) joins.set(join.callId, join);
    $('stream-down').hidden = value.connected !== false;
    setFeed('connected', 'Live');
    render();
  } else if (name === 'alert' || name === 'ack') {
    items.set(value.id, value);
    render();
  } else if (name === 'join') {
    joins.set(value.callId, value);
    render();
  } else if (name === 'status') {
    $('stream-down').hidden = value.connected !== false;
  }
}

async function follow(/** @type {AbortSignal} */ signal) {
  const response = await fetch('/api/alerts/stream', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    signOut(response.status === 403 ? 'This token may not open the console.' : 'Your token is no longer accepted: sign in again.');
    return;
  }
  if (!response.ok || !response.body) throw new Error(`feed answered ${response.status}`);
  consoleState.connects++;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let silence;
    const chunk = await Promise.race([
      reader.read(),
      new Promise((_, reject) => {
        silence = setTimeout(() => reject(new Error('feed silent')), SILENCE_MS);
      }),
    ]).finally(() => clearTimeout(silence));
    const { value, done } = /** @type {ReadableStreamReadResult<string>} */ (chunk);
    if (done) throw new Error('feed ended');
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(name, data.join('\n'));
    }
  }
}

async function run() {
  feed?.abort();
  const controller = new AbortController();
  feed = controller;
  let wait = 500;
  while (!controller.signal.aborted) {
    try {
      await follow(controller.signal);
      if (!signedIn) return;
    } catch {
      if (controller.signal.aborted) return;
    }
    setFeed('disconnected', 'Disconnected');
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 4_000);
    if (consoleState.feed === 'connected') wait = 500;
  }
}

// ---- signing in ---------------------------------------------------------------------------------------
function showBoard(/** @type {{name: string, role: string}} */ who) {
  signedIn = true;
  $('sign-in').hidden = true;
  $('board').hidden = false;
  $('officer').hidden = false;
  $('officer').textContent = `${who.name} (${who.role})`;
  $('sign-out').hidden = false;
  setFeed('disconnected', 'Connecting…');
  $('disconnected').hidden = true;
  void run();
}

function signOut(/** @type {string} */ message = '') {
  signedIn = false;
  feed?.abort();
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  items.clear();
  render();
  $('board').hidden = true;
  $('officer').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  setFeed('signed-out', 'Signed out');
  /** @type {HTMLInputElement} */ ($('token')).focus();
}

async function signIn(/** @type {string} */ candidate) {
  const r = await fetch('/api/whoami', { headers: { authorization: `Bearer ${candidate}` } });
  if (r.status === 429) return signOut('Too many failed attempts from here: wait a minute and try again.');
  if (!r.ok) return signOut('That token was not accepted.');
  const who = await r.json();
  if (who.role !== 'security' && who.role !== 'admin') return signOut('This token may not open the console (it needs role security or admin).');
  token = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  showBoard(who);
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  audioContext(); // the sign-in is the user gesture that allows the alarm tone later
  const input = /** @type {HTMLInputElement} */ ($('token'));
  const value = input.value.trim();
  input.value = '';
  void signIn(value);
});
$('sign-out').addEventListener('click', () => signOut());
$('sound').addEventListener('click', () => {
  audioContext();
  showAudioState();
});

if (token) void signIn(token);
else /** @type {HTMLInputElement} */ ($('token')).focus();
