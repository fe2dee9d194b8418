/** A WebAssembly module's bytes from its text, by wabt (the reference WebAssembly tool kit, as a library): the build's and the tests' one way to compile. */
export async function compileWat(name: string, source: string): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await (await import('wabt')).default();
  const parsed = wabt.parseWat(name, source);
  try {
    parsed.validate();
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}
