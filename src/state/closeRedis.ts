/** Closes a Redis client: flushes a ready one; one still trying to reach Redis has nothing to flush, so its retries stop outright. */
export function closeRedis(client: { isReady: boolean; isOpen: boolean; close(): Promise<void>; destroy(): void }): Promise<void> {
  if (client.isReady) return client.close().catch(() => client.destroy());
  if (client.isOpen) client.destroy();
  return Promise.resolve();
}
