/**
 * The SIP bench's baseline arm: a bare drachtio-srf application that rejects every INVITE with 403 and
 * does nothing else (no plan, no decision, no logging per call). Run as its own process by
 * sip.bench.ts: `node dist/bench/sip-bare-app.js HOST PORT SECRET`; prints "ready" once connected to
 * drachtio-server's control port, exits on SIGTERM.
 */
import Srf from 'drachtio-srf';

const [host = '127.0.0.1', port = '9022', secret = 'cymru'] = process.argv.slice(2);
const srf = new Srf();

srf.on('connect', (error: Error | null) => {
  if (error) {
    process.stderr.write(`bare app: drachtio-server refused the connection: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write('ready\n');
});
srf.on('error', (error: Error) => process.stderr.write(`bare app: ${error.message}\n`));

srf.invite((_req, res) => {
  res.send(403);
});

srf.connect({ host, port: Number(port), secret } as Srf.SrfConfig);

const stop = () => {
  srf.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
