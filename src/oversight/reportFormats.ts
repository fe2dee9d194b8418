import { count } from '../plural.js';
import { zonedTime } from '../zonedTime.js';
import type { Report, UserRow } from './report.js';

/** The report as CSV, one file per table: name to text (RFC 4180, CRLF, a header row). */
export function reportCsv(r: Report): Map<string, string> {
  const files = new Map<string, string>();
  const table = (name: string, header: string[], rows: unknown[][]) => files.set(`${name}.csv`, [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n');
  const classCols = r.classes.flatMap((c) => [`${c} calls`, `${c} minutes`, `${c} cost`]);
  const byClass = (b: Record<string, { calls: number; minutes: number; cost: number }>) => r.classes.flatMap((c) => [b[c]?.calls ?? 0, b[c]?.minutes ?? 0, b[c]?.cost ?? 0]);
  table('departments', ['department', 'extensions', 'callers', 'idle extensions', 'calls', 'answered', 'minutes', `cost ${r.currency}`, 'barred attempts', ...classCols],
    r.departments.map((d) => [d.department, d.extensions, d.users, d.idleExtensions, d.calls, d.answered, d.minutes, d.cost, d.barredAttempts, ...byClass(d.byClass)]));
  table('users', ['extension', 'user', 'name', 'department', 'calls', 'answered', 'minutes', `cost ${r.currency}`, 'barred attempts', 'PIN prompts', 'PIN failures', 'PIN lockouts', ...classCols],
    r.users.map((u) => [u.ext, u.user, u.name, u.department, u.calls, u.answered, u.minutes, u.cost, u.barredAttempts, u.pinPrompts, u.pinFailures, u.pinLockouts, ...byClass(u.byClass)]));
  table('barred-attempts', ['extension', 'user', 'department', 'class', 'attempts', 'numbers tried'], r.barred.map((b) => [b.ext, b.user, b.department, b.class, b.attempts, b.numbers.join(' ')]));
  table('pin', ['extension', 'user', 'department', 'PIN prompts', 'PIN failures', 'PIN lockouts'], r.pin.map((p) => [p.ext, p.user, p.department, p.prompts, p.failures, p.lockouts]));
  table('international-by-grant', ['grant', 'user', 'covers', 'calls', 'answered', 'minutes', `cost ${r.currency}`, 'countries called', 'where'],
    r.grants.map((g) => [g.id, g.user, g.covers, g.calls, g.answered, g.minutes, g.cost, Object.entries(g.countries).map(([c, n]) => `${c}:${n}`).join(' '), g.where]));
  table('unused-grants', ['grant', 'user', 'covers', 'where'], r.unusedGrants.map((g) => [g.id, g.user, g.covers, g.where]));
  table('emergency-and-hotline', ['time', 'kind', 'extension', 'name', 'location', 'dialled', 'disposition', 'answered', 'failover'],
    r.safety.map((s) => [s.at, s.kind, s.ext, s.name, s.location, s.dialled, s.disposition, s.answered ? 'yes' : 'no', s.failover]));
  table('cost-flagged', ['extension', 'user', 'name', 'department', `cost ${r.currency}`, 'minutes', 'calls'], r.costFlagged.map((u) => [u.ext, u.user, u.name, u.department, u.cost, u.minutes, u.calls]));
  table('idle-extensions', ['extension', 'name', 'user', 'department'], r.idle.map((i) => [i.ext, i.name, i.user, i.department]));
  return files;
}

export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  // A leading =, +, - or @ would be a formula to a spreadsheet: quote it with a leading apostrophe.
  const safe = /^[=+\-@]/.test(text) && !/^[+-]?\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// One formatter each: toLocaleString builds a new one per call (a year's report formats thousands of figures).
const NUMBER = new Intl.NumberFormat('en-GB');
const PENCE = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const num = (n: number) => NUMBER.format(n);
const CLASS_COLOURS: Record<string, string> = {
  internal: '#9aa5b1', geographic: '#2b6cb0', national: '#4299e1', mobile: '#38a169', freephone: '#a0aec0', 'public-service': '#718096',
  'service-charge': '#d69e2e', operator: '#805ad5', pager: '#b794f4', 'personal-number': '#ed64a6', international: '#dd6b20', 'high-risk': '#c53030', emergency: '#e53e3e',
};

/** Horizontal stacked bars: one per label, segments by class, value labels at the end. Inline SVG, no script. */
function stackedBars(rows: { label: string; parts: [string, number][]; total: number; note: string }[], unit: string): string {
  const width = 680;
  const labelW = 200;
  const noteW = 110;
  const barH = 16;
  const gap = 6;
  const max = Math.max(1, ...rows.map((r) => r.total));
  const plotW = width - labelW - noteW;
  const height = rows.length * (barH + gap) + 4;
  const bars = rows.map((r, i) => {
    const y = i * (barH + gap) + 2;
    let x = labelW;
    const segs = r.parts.map(([cls, v]) => {
      const w = (v / max) * plotW;
      const seg = `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0, w).toFixed(1)}" height="${barH}" fill="${CLASS_COLOURS[cls] ?? '#4a5568'}"><title>${esc(cls)}: ${num(v)} ${unit}</title></rect>`;
      x += w;
      return seg;
    });
    const label = r.label.length > 30 ? `${r.label.slice(0, 29)}…` : r.label;
    return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(label)}</text>${segs.join('')}<text x="${(x + 4).toFixed(1)}" y="${y + 12}">${esc(r.note)}</text>`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">${bars.join('')}</svg>`;
}

function legend(classes: string[]): string {
  return `<p class="legend">${classes.filter((c) => c !== 'internal').map((c) => `<span><i style="background:${CLASS_COLOURS[c] ?? '#4a5568'}"></i>${esc(c)}</span>`).join(' ')}</p>`;
}

function tableHtml(caption: string, header: string[], rows: unknown[][], empty: string, numeric: number[] = []): string {
  if (rows.length === 0) return `<h2>${esc(caption)}</h2><p class="none">${esc(empty)}</p>`;
  const th = header.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${esc(typeof c === 'number' ? num(c) : c)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>${esc(caption)}</h2><table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** One self-contained, printable page: key figures, two charts, then the exception tables. */
export function reportHtml(r: Report): string {
  const cur = r.currency ? `${r.currency} ` : '';
  const money = (n: number) => `${cur}${PENCE.format(n)}`;
  const title = `Telephone usage ${r.month}${r.department ? `: ${r.department}` : ''}`;
  const external = (b: Record<string, { minutes: number }>) => Object.entries(b).filter(([c]) => c !== 'internal' && c !== 'emergency').map(([c, v]) => [c, v.minutes] as [string, number]);
  const depts = r.departments.filter((d) => d.calls > 0);
  const minutesChart = stackedBars(
    depts.map((d) => {
      const parts = r.classes.filter((c) => c !== 'internal' && c !== 'emergency').map((c) => [c, d.byClass[c]?.minutes ?? 0] as [string, number]);
      const total = external(d.byClass).reduce((t, [, v]) => t + v, 0);
      return { label: d.department, parts, total, note: `${num(Math.round(total))} min` };
    }),
    'minutes',
  );
  const costChart = stackedBars(
    depts.map((d) => ({ label: d.department, parts: r.classes.map((c) => [c, d.byClass[c]?.cost ?? 0] as [string, number]), total: d.cost, note: money(d.cost) })),
    r.currency,
  );
  const userCells = (u: UserRow) => [u.ext, u.name ?? u.user ?? '', u.department, u.calls, u.minutes, money(u.cost)];
  const t = r.totals;
  const flagNote = r.costFlag === undefined ? 'no cost flag set (site.review.costFlag)' : `estimated cost over ${money(r.costFlag)}`;
  // The total row is the key figures again: the tables and the figures above add up to the same.
  const departmentRows = r.departments.map((d) => [d.department, d.extensions, d.idleExtensions, d.calls, d.minutes, money(d.cost), d.barredAttempts]);
  if (r.departments.length > 1) departmentRows.push(['total', r.departments.reduce((n, d) => n + d.extensions, 0), r.idle.length, t.calls, t.minutes, money(t.cost), t.barredAttempts]);
  const idleByDept = r.departments.filter((d) => d.idleExtensions > 0).map((d) => [d.department, d.idleExtensions, d.extensions]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
@page { size: A4; margin: 14mm; }
body { font: 12px/1.4 sans-serif; color: #1a202c; max-width: 190mm; margin: 0 auto; padding: 8px; }
h1 { font-size: 20px; margin: 0 0 2px; } h2 { font-size: 14px; margin: 18px 0 6px; border-bottom: 1px solid #cbd5e0; break-after: avoid; }
.sub { color: #4a5568; margin: 0 0 10px; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; }
.figures div { border: 1px solid #cbd5e0; border-radius: 4px; padding: 6px; } .figures b { display: block; font-size: 18px; }
.figures .alert b { color: #c53030; }
table { border-collapse: collapse; width: 100%; table-layout: auto; } th, td { border-bottom: 1px solid #e2e8f0; padding: 2px 4px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #edf2f7; } td:first-child, th:first-child { white-space: nowrap; } td.n, th.n { text-align: right; white-space: nowrap; } tr { break-inside: avoid; }
.chart { display: block; max-width: 100%; height: auto; } .legend span { margin-right: 10px; white-space: nowrap; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; vertical-align: middle; }
.none { color: #4a5568; font-style: italic; } .numbers { font-family: monospace; font-size: 11px; }
</style></head><body>
<h1>${esc(title)}</h1>
<p class="sub">${esc(r.site)} · calls made in ${esc(r.month)} (${esc(r.timezone)}) · costs are estimates from the plan's tariffs${r.tariffs ? ` (${esc(r.tariffs.split('/').slice(-1)[0])})` : ' (none set: costs show as 0)'}</p>
<div class="figures">
<div>calls<b>${num(t.calls)}</b></div><div>minutes (answered)<b>${num(t.minutes)}</b></div><div>estimated cost<b>${money(t.cost)}</b></div><div class="${t.barredAttempts ? 'alert' : ''}">barred attempts<b>${num(t.barredAttempts)}</b></div>
<div class="${t.emergency ? 'alert' : ''}">emergency calls<b>${num(t.emergency)}</b></div><div>hotline calls<b>${num(t.hotline)}</b></div><div class="${r.costFlagged.length ? 'alert' : ''}">users over cost flag<b>${num(r.costFlagged.length)}</b></div><div>extensions with no calls<b>${num(r.idle.length)}</b></div>
</div>
<h2>Minutes outside the organisation by department and class</h2>
${legend(r.classes)}
${depts.length ? minutesChart : '<p class="none">No calls.</p>'}
<h2>Estimated cost by department</h2>
${depts.length ? costChart : '<p class="none">No calls.</p>'}
${tableHtml(`Users over the cost flag (${flagNote})`, ['ext', 'name', 'department', 'calls', 'minutes', 'cost'], r.costFlagged.map(userCells), 'Nobody passed the cost flag.', [3, 4, 5])}
${tableHtml('Departments', ['department', 'extensions', 'no calls', 'calls', 'minutes', 'cost', 'barred'], departmentRows, 'No departments.', [1, 2, 3, 4, 5, 6])}
${tableHtml('Busiest users (minutes)', ['ext', 'name', 'department', 'calls', 'minutes', 'cost'], r.busiest.map(userCells), 'No calls.', [3, 4, 5])}
${tableHtml('Barred attempts (most first)', ['ext', 'user', 'department', 'class', 'attempts', 'numbers tried'], r.barred.slice(0, 40).map((b) => [b.ext, b.user ?? '', b.department, b.class, b.attempts, b.numbers.slice(0, 3).join(' ') + (b.numbers.length > 3 ? ' …' : '')]), 'No barred attempts.', [4])}
${r.barred.length > 40 ? `<p class="none">${num(r.barred.length - 40)} more rows in barred-attempts.csv.</p>` : ''}
${tableHtml('International calls by the grant that allowed them', ['grant', 'user', 'covers', 'calls', 'minutes', 'cost', 'countries'], r.grants.map((g) => [g.id, g.user, g.covers, g.calls, g.minutes, money(g.cost), Object.entries(g.countries).map(([c, n]) => `${c} ${n}`).join(', ')]), 'No international calls.', [3, 4, 5])}
${tableHtml('Grants in force but never used', ['grant', 'user', 'covers'], r.unusedGrants.map((g) => [g.id, g.user, g.covers]), 'Every grant in force was used.')}
${tableHtml('Emergency and hotline calls', ['time', 'kind', 'ext', 'where', 'dialled', 'answered', 'failover'], r.safety.map((s) => [zonedTime(Date.parse(s.at), r.timezone, true), s.kind, s.ext, s.location ?? s.name ?? '', s.dialled, s.answered ? 'yes' : `no (${s.disposition})`, s.failover ?? '']), 'No emergency or hotline calls.')}
${tableHtml('PIN prompts, failures and lockouts', ['ext', 'user', 'department', 'prompts', 'wrong PINs', 'lockouts'], r.pin.slice(0, 40).map((p) => [p.ext, p.user ?? '', p.department, p.prompts, p.failures, p.lockouts]), 'No PIN prompts.', [3, 4, 5])}
${tableHtml('Extensions with no calls (low utilisation), by department', ['department', 'no calls', 'extensions'], idleByDept, 'Every extension made calls.', [1, 2])}
<p class="sub">${count(r.records.records, 'record')} read from ${count(r.records.files, 'file')}${r.records.skipped ? `, ${count(r.records.skipped, 'torn line')} skipped` : ''}. ${t.inbound || t.outsideRefused ? ` From outside: ${count(t.inbound, 'call')} to an extension, ${count(t.outsideRefused, 'call')} refused (it reached no extension); neither is counted as anyone's.` : ''} The full lists are in the CSV files (callguard report --format csv).</p>
</body></html>
`;
}
