import { describe, expect, it } from 'vitest';
import { HOST_SOURCES } from '../../backends/ids.js';
import { BACKENDS } from '../../backends/index.js';

describe('HOST_SOURCES', () => {
  it('names the sources BACKENDS registers, in its order', () => {
    expect([...HOST_SOURCES]).toEqual(BACKENDS.map((b) => b.id));
  });
});
