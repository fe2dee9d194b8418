import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every `.yaml`/`.yml` file under `dir`, in a stable order: the files a dialplan is made of. */
export async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
