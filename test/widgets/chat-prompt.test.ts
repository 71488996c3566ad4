import { describe, expect, it } from 'vitest';
import { noColor } from '../../themes/index.js';
import { promptLines, promptRows } from '../../widgets/panels/chat.js';

describe('chat prompt sizing', () => {
  it('the rows the layout reserves are the rows the prompt draws, at every width', () => {
    const drafts = ['x'.repeat(75), 'word '.repeat(40), 'one\ntwo\nthree', 'a'.repeat(300)];
    for (const d of drafts) {
      for (let w = 10; w <= 120; w += 7) {
        expect(promptRows(d, d.length, w), `${JSON.stringify(d.slice(0, 12))} at ${w}`).toBe(promptLines(d, d.length, w, 999, noColor).length);
      }
    }
  });
  it('a 75-character draft in an 80-column terminal takes two rows', () => {
    expect(promptRows('x'.repeat(75), 75, 78)).toBe(2);
  });
});
