import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyNvidiaError, FAST_FIELDS, parseQueryCsv, parseQX } from '../../../backends/nvidia/parse.js';
import { fixture, fixturePath, mutations, readSample, sampleFiles } from '../../helpers/samples.js';

const inputs: [string, string][] = [
  ...readdirSync(fixturePath('nvidia', 'h100-real')).map((f) => [`fixtures/${f}`, fixture('nvidia', 'h100-real', f)] as [string, string]),
  ...sampleFiles('nvidia').map((p) => [`samples/${basename(p)}`, readSample(p)] as [string, string]),
];

describe('nvidia parsers never throw', () => {
  for (const [name, text] of inputs) {
    it(`${name} × 300 mutations`, () => {
      let n = 0;
      for (const m of mutations(text, 300, name.length)) {
        n++;
        const x = parseQX(m);
        expect(Array.isArray(x.gpus)).toBe(true);
        expect(Array.isArray(x.warnings)).toBe(true);
        for (const g of x.gpus) { expect(Array.isArray(g.processes)).toBe(true); expect(Array.isArray(g.throttleReasons)).toBe(true); }
        const c = parseQueryCsv(m, FAST_FIELDS);
        expect(Array.isArray(c.gpus)).toBe(true);
        expect(Array.isArray(c.warnings)).toBe(true);
        for (const g of c.gpus) for (const v of [g.utilPct, g.tempC, g.powerDrawW, g.memUsedBytes]) if (v !== undefined) expect(Number.isFinite(v)).toBe(true);
        classifyNvidiaError(m);
      }
      expect(n).toBe(300);
    });
  }
});
