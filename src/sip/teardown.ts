import type Srf from 'drachtio-srf';

/**
 * Tearing down a leg that is already gone must not take the process with it: drachtio-srf throws, or
 * (Dialog#destroy without a callback) returns a promise that rejects with ENODIALOG.
 */
export function safely(fn: () => unknown): void {
  try {
    const result = fn();
    if (result instanceof Promise) result.catch(() => {});
  } catch {
    // the dialog or transaction had already ended
  }
}

export function cancelSafely(req: Srf.SrfRequest): void {
  safely(() => req.cancel(() => {}));
}
