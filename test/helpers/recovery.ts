/**
 * The real recovery authority (src/recovery/authority.ts) on a private temp state dir, for tests of the flows around
 * it (the cockpit's overlay, the palette): a real audit log and tripcode key. `lock()` applies a signed
 * RECOVERY:LOCKDOWN tripcode as a user would; `audit()` reads back what the authority wrote.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_FILE } from '../../src/recovery/audit.js';
import { createAuthority, initKey, type Authority } from '../../src/recovery/authority.js';
import { whoAmI } from '../../src/recovery/perform.js';
import { KEY_FILE, sign } from '../../src/recovery/tripcode.js';

export interface AuditEntry { kind: string; seq?: number; begin?: string; action?: string; tier?: string; args?: Record<string, string>; outcome?: string; message?: string; code?: string; reason?: string; confirmation?: { kind: string } }

export interface TestAuthority {
  auth: Authority;
  stateDir: string;
  /** puts the box in lockdown with a signed RECOVERY:LOCKDOWN tripcode; throws when the authority refuses it */
  lock(): Promise<void>;
  /** the audit log's entries, oldest first */
  audit(): AuditEntry[];
  close(): void;
}

export function realRecovery(): TestAuthority {
  const stateDir = mkdtempSync(join(tmpdir(), 'sov-test-auth-'));
  initKey(stateDir);
  const auth = createAuthority({ stateDir });
  const key = Buffer.from(readFileSync(join(stateDir, KEY_FILE), 'utf8').trim(), 'hex');
  return {
    auth, stateDir,
    async lock() {
      const r = await auth.applyTripcode(sign(key, 'RECOVERY:LOCKDOWN', Math.floor(Date.now() / 1000)), whoAmI('cli'));
      if (!r.ok || !auth.locked()) throw new Error(`lockdown refused: ${JSON.stringify(r)}`);
    },
    audit() {
      return readFileSync(join(stateDir, AUDIT_FILE), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
    },
    close() {
      auth.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
