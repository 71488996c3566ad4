import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../../../backends/nvidia/xml.js';
import { fixture, fixturePath, readSample, sampleFiles } from '../../helpers/samples.js';

// the oracle: fast-xml-parser as this backend configured it before backends/nvidia/xml.ts replaced it
const IS_ARRAY = (name: string) => name === 'gpu' || name === 'process_info' || name === 'mig_device';
const fxp = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true, processEntities: true, isArray: IS_ARRAY,
});
const oracle = (s: string) => { const d = fxp.parse(s) as Record<string, unknown>; delete d['?xml']; return d; };

const inputs: [string, string][] = [
  ...readdirSync(fixturePath('nvidia', 'h100-real')).filter((f) => f.endsWith('.xml')).map((f) => [`fixtures/${f}`, fixture('nvidia', 'h100-real', f)] as [string, string]),
  ...sampleFiles('nvidia').filter((p) => p.endsWith('.xml')).map((p) => [`samples/${basename(p)}`, readSample(p)] as [string, string]),
];

describe('parseXml (nvidia-smi -q -x) reads what fast-xml-parser read', () => {
  it('on small cases: attributes, repeated and isArray elements, entities, comments, CDATA, a cut or broken document', () => {
    const cases = ['<a>x</a>', '<a></a>', '<a/>', '<a id="1"/>', '<a id="1">t</a>', '<a id="1"><b>2</b></a>', '<r><b>1</b><b>2</b></r>',
      '<r>  <b> 1 </b>  </r>', '<a>&lt;&amp;&#65;&quot;&apos;&gt;&foo;</a>', '<?xml version="1.0" ?>\n<!DOCTYPE x SYSTEM "y.dtd">\n<r><gpu id="0"><n>1</n></gpu></r>',
      '<r><!-- c --><b>1</b></r>', '<r><b><![CDATA[x<y]]></b></r>', '<r><gpu/></r>', '<r><b>1</b><b/></r>', `<a b='q' c="&amp;">x</a>`,
      '<a>x', '<a><b></a>', '<a></b>', 'text only', '<r><b>1</b><c>2</c><b>3</b></r>', '<r><b>1</b><c>2'];
    for (const c of cases) expect(parseXml(c, IS_ARRAY), c).toEqual(oracle(c));
  });

  for (const [name, text] of inputs) {
    it(`${name} whole, and cut at 200 points (a timed-out nvidia-smi) wherever fast-xml-parser read it`, () => {
      expect(parseXml(text, IS_ARRAY)).toEqual(oracle(text));
      let compared = 0;
      for (let k = 1; k < 200; k++) {
        const cut = text.slice(0, Math.floor((text.length * k) / 200));
        let want: unknown;
        try { want = oracle(cut); } catch { continue; } // it refused: parseQX went to salvage(); ours reads on
        expect(parseXml(cut, IS_ARRAY), `cut at ${cut.length}`).toEqual(want);
        compared++;
      }
      expect(compared).toBeGreaterThan(20);
    });
  }
});
