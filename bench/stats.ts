import { cpus } from 'node:os';

/** Percentile of sorted nanosecond samples. */
export function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function machine(): string {
  const cpu = cpus();
  return `node ${process.version}, ${cpu[0]?.model.trim() ?? 'unknown CPU'} x ${cpu.length}`;
}

export interface Measured {
  p50: number;
  p99: number;
  perSecond: number;
}

/**
 * Times `run(i)` once per sample with hrtime (p50/p99 include ~40 ns of timer cost), then the same
 * inputs in one tight loop for the throughput figure. Warm-up rounds let the JIT settle first.
 */
export function measure(samples: number, run: (i: number) => unknown): Measured {
  let sink = 0;
  for (let i = 0; i < Math.min(samples, 50_000); i++) sink ^= run(i) ? 1 : 0;
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    sink ^= run(i) ? 1 : 0;
    times[i] = Number(process.hrtime.bigint() - start);
  }
  times.sort();
  const start = process.hrtime.bigint();
  for (let i = 0; i < samples; i++) sink ^= run(i) ? 1 : 0;
  const elapsed = Number(process.hrtime.bigint() - start);
  if (sink === 2) console.log(''); // keeps the calls observable so they are not optimised away
  return { p50: percentile(times, 50), p99: percentile(times, 99), perSecond: (samples / elapsed) * 1e9 };
}

export function row(label: string, m: Measured): string {
  const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`.padStart(10);
  return `${label.padEnd(34)}${us(m.p50)}${us(m.p99)}${Math.round(m.perSecond).toLocaleString('en-GB').padStart(14)}`;
}
