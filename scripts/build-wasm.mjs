/**
 * Build step (npm run build, after tsc): compiles the record reader's line scanner from its text
 * (src/oversight/lineScanner.wat) to dist/src/oversight/lineScanner.wasm, which the compiled module loads.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { compileWat } from '../dist/src/oversight/compileWat.js';

const source = readFileSync(new URL('../src/oversight/lineScanner.wat', import.meta.url), 'utf8');
writeFileSync(new URL('../dist/src/oversight/lineScanner.wasm', import.meta.url), await compileWat('lineScanner.wat', source));
