import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';

/** Node's FileHandle class (fs/promises exports only its instances), for watching its methods in tests. */
const handle = await open(tmpdir(), 'r');
export const FileHandle = handle.constructor as { prototype: Awaited<ReturnType<typeof open>> };
await handle.close();
