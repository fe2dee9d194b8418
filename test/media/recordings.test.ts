import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listRecordings,
  parseAdminDate,
  prepareRecording,
  recordingFiles,
  recordingPath,
  sidecarPath,
  startRetentionTimer,
  sweepRecordings,
  writeSidecar,
  zonedInstant,
} from '../../src/media/recordings.js';
import type { Plan } from '../../src/policy/plan.js';

const ZONE = 'Europe/London';
const DAY = 86_400_000;
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-rec-'));
  roots.push(dir);
  return join(dir, 'recordings');
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** A recording and its sidecar as the media code leaves them. */
async function record(directory: string, ext: string, at: number, callId: string, other = '+442071234567'): Promise<string> {
  const wav = await prepareRecording({ directory, ext, at, callId, timezone: ZONE });
  writeFileSync(wav, Buffer.alloc(1000));
  await writeSidecar(wav, { ext, other, direction: 'outbound', notice: 'general', at, callId, durationSeconds: 42 });
  return wav;
}

describe('recording paths', () => {
  it('put the call under its local date, with extension, local time and Call-ID in the name', () => {
    // 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    const at = Date.parse('2025-07-01T23:30:05Z');
    expect(recordingPath({ directory: '/var/rec', ext: '4120', at, callId: 'a84b4c76e66710@pc33.example.ac.uk', timezone: ZONE })).toBe(
      '/var/rec/2025/07/02/4120-003005-a84b4c76e66710_pc33.example.ac.uk.wav',
    );
    expect(recordingPath({ directory: '/var/rec', ext: '4120', at: new Date('2025-01-09T08:07:06Z'), callId: 'x-y/../z', timezone: ZONE })).toBe('/var/rec/2025/01/09/4120-080706-x-y_.._z.wav');
    expect(recordingPath({ directory: '/var/rec', ext: '41-20', at, callId: '..hidden', timezone: 'UTC' })).toBe('/var/rec/2025/07/01/41_20-233005-_hidden.wav');
    expect(sidecarPath('/var/rec/2025/07/02/4120-003005-abc.wav')).toBe('/var/rec/2025/07/02/4120-003005-abc.json');
  });

  it('read back to the instant they were made at, across clock changes', () => {
    for (const iso of ['2025-03-30T00:59:59Z', '2025-03-30T01:00:00Z', '2025-07-01T23:30:05Z', '2025-10-26T00:30:00Z', '2025-12-31T23:59:59Z']) {
      const at = Date.parse(iso);
      const [y, mo, d, time] = recordingPath({ directory: '/r', ext: '1', at, callId: 'c', timezone: ZONE }).split('/').slice(2);
      const hms = time!.split('-')[1]!;
      expect(zonedInstant(+y!, +mo!, +d!, +hms.slice(0, 2), +hms.slice(2, 4), +hms.slice(4), ZONE), iso).toBe(at);
    }
    // 01:30 on 26 October 2025 happened twice in London: the earlier one (BST) is taken.
    expect(zonedInstant(2025, 10, 26, 1, 30, 0, ZONE)).toBe(Date.parse('2025-10-26T00:30:00Z'));
    // 01:30 on 30 March 2025 never happened: the clocks went from 01:00 to 02:00.
    expect(zonedInstant(2025, 3, 30, 1, 30, 0, ZONE)).toBe(Date.parse('2025-03-30T01:30:00Z'));
  });
});

describe('recording files and sidecars', () => {
  it('are created 0750 (directories) and 0640 (files) whatever the umask', async () => {
    const directory = root();
    const old = process.umask(0o077);
    try {
      const wav = await prepareRecording({ directory, ext: '4120', at: Date.parse('2025-07-02T10:00:00Z'), callId: 'abc', timezone: ZONE });
      for (const dir of [directory, join(directory, '2025'), join(directory, '2025/07'), join(directory, '2025/07/02')]) expect(mode(dir), dir).toBe(0o750);
      writeFileSync(wav, 'RIFF', { mode: 0o600 });
      const sidecar = await writeSidecar(wav, { ext: '4120', other: '01707284000', direction: 'inbound', notice: 'general', at: Date.parse('2025-07-02T10:00:00Z'), callId: 'abc', durationSeconds: 61 });
      expect(mode(sidecar)).toBe(0o640);
      expect(mode(wav)).toBe(0o640);
      expect(JSON.parse(readFileSync(sidecar, 'utf8'))).toEqual({
        recording: '4120-110000-abc.wav',
        ext: '4120',
        other: '01707284000',
        direction: 'inbound',
        notice: 'general',
        at: '2025-07-02T10:00:00.000Z',
        callId: 'abc',
        durationSeconds: 61,
      });
      expect(readdirSync(join(directory, '2025/07/02')).sort()).toEqual(['4120-110000-abc.json', '4120-110000-abc.wav']);
    } finally {
      process.umask(old);
    }
  });

  it('sidecar can be written at the start and rewritten with the duration at the end', async () => {
    const directory = root();
    const at = Date.parse('2025-07-02T10:00:00Z');
    const wav = recordingPath({ directory, ext: '4120', at, callId: 'abc', timezone: ZONE });
    await writeSidecar(wav, { ext: '4120', other: '3000', direction: 'internal', at, callId: 'abc', extra: { noticeUnavailable: true } });
    expect(JSON.parse(readFileSync(sidecarPath(wav), 'utf8'))).toMatchObject({ notice: null, durationSeconds: null, noticeUnavailable: true });
    await writeSidecar(wav, { ext: '4120', other: '3000', direction: 'internal', notice: 'general', at, callId: 'abc', durationSeconds: 5 });
    expect(JSON.parse(readFileSync(sidecarPath(wav), 'utf8'))).toMatchObject({ notice: 'general', durationSeconds: 5 });
    expect(readdirSync(join(directory, '2025/07/02'))).toEqual(['4120-110000-abc.json']);
  });
});

describe('retention sweep (age from the date and time in the path, not the mtime)', () => {
  const now = Date.parse('2025-09-15T12:00:00Z');

  async function tree(directory: string) {
    const old = [await record(directory, '4120', now - 200 * DAY, 'old-1'), await record(directory, '4121', now - 181 * DAY, 'old-2'), await record(directory, '4120', now - 180 * DAY - 60_000, 'old-3')];
    const young = [await record(directory, '4120', now - 180 * DAY + 60_000, 'new-1'), await record(directory, '4121', now - 3 * DAY, 'new-2'), await record(directory, '4120', now, 'new-3')];
    // Not ours: a note an admin left, and a directory that is not a date.
    const note = join(directory, '2025/03/01/README.txt');
    mkdirSync(join(directory, '2025/03/01'), { recursive: true });
    writeFileSync(note, 'kept');
    mkdirSync(join(directory, 'exports'), { recursive: true });
    writeFileSync(join(directory, 'exports/4120-000000-x.wav'), '');
    return { old, young, note };
  }

  it('removes exactly the recordings and sidecars older than retentionDays, and the directories left empty', async () => {
    const directory = root();
    const { old, young, note } = await tree(directory);
    const logged: object[] = [];
    const logger = { info: (o: object) => logged.push(o), warn: () => undefined, error: () => undefined };
    const result = await sweepRecordings({ directory, retentionDays: 180, timezone: ZONE, now, logger });

    expect(result.removed.sort()).toEqual(old.flatMap((w) => [w, sidecarPath(w)]).sort());
    expect(result.kept).toBe(young.length * 2);
    expect(result.bytes).toBeGreaterThan(3000);
    for (const w of old) expect(existsSync(w) || existsSync(sidecarPath(w))).toBe(false);
    for (const w of young) expect(existsSync(w) && existsSync(sidecarPath(w))).toBe(true);
    expect(logged).toHaveLength(6);
    expect(logged[0]).toMatchObject({ file: expect.stringMatching(/^2025\/02\/\d\d\/4120-\d{6}-old-1\.(wav|json)$/), ext: '4120', callId: 'old-1', retentionDays: 180, dryRun: false });

    // The month of old-1 (February) went entirely; March keeps the admin's note; the root stays.
    expect(existsSync(join(directory, '2025/02'))).toBe(false);
    expect(existsSync(note)).toBe(true);
    expect(existsSync(join(directory, 'exports/4120-000000-x.wav'))).toBe(true);
    expect(result.removedDirs.map((d) => d.slice(directory.length + 1)).sort()).toContain('2025/02');
  });

  it('ignores mtimes: a young recording with an old mtime stays', async () => {
    const directory = root();
    const wav = await record(directory, '4120', now - DAY, 'touched');
    const { utimesSync } = await import('node:fs');
    utimesSync(wav, new Date('2020-01-01'), new Date('2020-01-01'));
    expect((await sweepRecordings({ directory, retentionDays: 30, timezone: ZONE, now })).removed).toEqual([]);
  });

  it('in a dry run says what would go and removes nothing', async () => {
    const directory = root();
    const { old } = await tree(directory);
    const before = (await recordingFiles(directory, ZONE)).length;
    const result = await sweepRecordings({ directory, retentionDays: 180, timezone: ZONE, now, dryRun: true });
    expect(result.removed).toHaveLength(old.length * 2);
    expect(result.removedDirs).toEqual([]);
    expect((await recordingFiles(directory, ZONE)).length).toBe(before);
  });

  it('finds nothing to do in a recording directory that does not exist yet', async () => {
    expect(await sweepRecordings({ directory: root(), retentionDays: 1, timezone: ZONE, now })).toMatchObject({ removed: [], kept: 0 });
  });

  it('runs from a timer with the plan in force, once at a time', async () => {
    const [one, two] = [root(), root()];
    const realNow = Date.now();
    const expired = [await record(one, '4120', realNow - 200 * DAY, 'old'), await record(two, '4121', realNow - 20 * DAY, 'old')];
    await record(one, '4120', realNow - DAY, 'young');
    const logged: string[] = [];
    const logger = { info: (_: object, msg?: string) => logged.push(msg ?? ''), warn: () => undefined, error: (_: object, msg?: string) => logged.push(`error ${msg}`) };
    const planOf = (directory: string, retentionDays: number) => ({ site: { timezone: ZONE, recording: { directory, retentionDays } } }) as unknown as Plan;
    let current = planOf(one, 180);
    const timer = startRetentionTimer(() => current, logger, 3_600_000, 3_600_000);
    try {
      const [a, b] = [timer.sweepNow(), timer.sweepNow()];
      expect(a).toBe(b);
      expect(await a).toMatchObject({ removed: [sidecarPath(expired[0]!), expired[0]], kept: 2 });
      expect(logged).toEqual(['recording removed (retention)', 'recording removed (retention)', 'retention sweep done']);
      // A reload that moves the directory and shortens retention is followed at the next sweep.
      current = planOf(two, 10);
      expect(await timer.sweepNow()).toMatchObject({ removed: [sidecarPath(expired[1]!), expired[1]], kept: 0 });
      current = {
        get site(): never {
          throw new Error('no plan');
        },
      } as unknown as Plan;
      expect(await timer.sweepNow()).toBeUndefined();
      expect(logged.at(-1)).toBe('error retention sweep failed');
    } finally {
      timer.stop();
    }
  });
});

describe('listing recordings', () => {
  it('filters by extension and start date, oldest first, with their sidecars', async () => {
    const directory = root();
    await record(directory, '4120', Date.parse('2025-06-30T22:59:00Z'), 'a'); // 23:59 on 30 June in London
    await record(directory, '4120', Date.parse('2025-06-30T23:01:00Z'), 'b'); // 00:01 on 1 July
    await record(directory, '4121', Date.parse('2025-07-03T09:00:00Z'), 'c');
    await record(directory, '4120', Date.parse('2025-07-05T09:00:00Z'), 'd');
    const ids = (list: { callId: string }[]) => list.map((r) => r.callId);

    expect(ids(await listRecordings({ directory, timezone: ZONE }))).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(await listRecordings({ directory, timezone: ZONE, ext: '4120' }))).toEqual(['a', 'b', 'd']);
    const july = parseAdminDate('2025-07-01', ZONE);
    expect(ids(await listRecordings({ directory, timezone: ZONE, ext: '4120', from: july }))).toEqual(['b', 'd']);
    expect(ids(await listRecordings({ directory, timezone: ZONE, from: july, to: parseAdminDate('2025-07-05', ZONE) }))).toEqual(['b', 'c']);
    const [first] = await listRecordings({ directory, timezone: ZONE, ext: '4121' });
    expect(first).toMatchObject({ ext: '4121', callId: 'c', at: Date.parse('2025-07-03T09:00:00Z'), sidecar: { direction: 'outbound', durationSeconds: 42, notice: 'general' } });
  });

  it('reads admin dates in the site time zone', () => {
    expect(parseAdminDate('2025-07-01', ZONE)).toBe(Date.parse('2025-06-30T23:00:00Z'));
    expect(parseAdminDate('2025-01-01T09:30', ZONE)).toBe(Date.parse('2025-01-01T09:30:00Z'));
    expect(parseAdminDate('2025-07-01T09:30:00Z', ZONE)).toBe(Date.parse('2025-07-01T09:30:00Z'));
    expect(() => parseAdminDate('yesterday', ZONE)).toThrow(/not a date/);
    expect(() => parseAdminDate('2025-13-01', ZONE)).toThrow(/not a date/);
  });
});
