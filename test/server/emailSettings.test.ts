/** SMTP_URL, SMTP_FROM and CALLGUARD_CONSOLE_URL: read, checked, and the console link derived when unset. */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/server/settings.js';

const BASE = { DRACHTIO_SECRET: 's3cret' };

describe('alert e-mail settings', () => {
  it('no SMTP_URL: no e-mail', () => {
    expect(readSettings(BASE)).toMatchObject({ ok: true, settings: { email: undefined } });
  });

  it('takes smtp:// and smtps:// with the console URL given, or this instance’s own HTTP address', () => {
    const given = readSettings({ ...BASE, SMTP_URL: 'smtps://alerts:pw@mail.herts.example.ac.uk:465', SMTP_FROM: 'Security <security@herts.example.ac.uk>', CALLGUARD_CONSOLE_URL: 'https://callguard.herts.example.ac.uk/console' });
    expect(given).toMatchObject({ ok: true, settings: { email: { smtpUrl: 'smtps://alerts:pw@mail.herts.example.ac.uk:465', from: 'Security <security@herts.example.ac.uk>', consoleUrl: 'https://callguard.herts.example.ac.uk/console' } } });
    const derived = readSettings({ ...BASE, SMTP_URL: 'smtp://mail:25', CALLGUARD_HTTP_HOST: '10.1.2.3', CALLGUARD_HTTP_PORT: '8081' });
    expect(derived).toMatchObject({ ok: true, settings: { email: { consoleUrl: 'http://10.1.2.3:8081/console', from: `callguard <callguard@${hostname()}>` } } });
    const everywhere = readSettings({ ...BASE, SMTP_URL: 'smtp://mail:25', CALLGUARD_HTTP_HOST: '0.0.0.0' });
    expect(everywhere).toMatchObject({ ok: true, settings: { email: { consoleUrl: `http://${hostname()}:8080/console` } } });
  });

  it('refuses what is not an SMTP URL, or a console URL that is not http(s), without echoing the URL (it may hold a password)', () => {
    const r = readSettings({ ...BASE, SMTP_URL: 'mailto:pw-secret@x', CALLGUARD_CONSOLE_URL: 'console' });
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toEqual(['CALLGUARD_CONSOLE_URL is not an http(s) URL', 'SMTP_URL is not an smtp:// or smtps:// URL (smtp://user:password@host:port)']);
    expect(problems.join('\n')).not.toContain('pw-secret');
  });
});
