/**
 * The cockpit hands the terminal to the user's own ssh and takes it back (issue 9), against a real sshd on
 * 127.0.0.1 with throwaway keys: from the palette, vm.ssh on a VM declared with an ssh_config alias; a command
 * runs in the remote shell; `exit` brings the cockpit back fully redrawn at 80×24 and 120×40, with ssh's exit code
 * in the status line. `sov do vm.ssh` exits with ssh's own code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { SOV, Tmux } from './tmux.js';

let t: Tmux | undefined;
let sshd: Sshd | undefined;
let home: string | undefined;
afterEach(() => {
  t?.kill(); t = undefined;
  sshd?.stop(); sshd = undefined;
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

async function setup(): Promise<{ env: Record<string, string>; config: string; path: string }> {
  sshd = await startSshd('agentvm');
  home = mkdtempSync(join(tmpdir(), 'sov-attach-'));
  const config = join(home, 'config.yaml');
  writeFileSync(config, 'vms:\n  - name: agentvm\n    ssh: agentvm\n');
  const env = {
    HOME: home, XDG_RUNTIME_DIR: join(home, 'run'), XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'cfg'),
  };
  // the shim first on PATH, set on the command line (tmux's -e does not reach the pane's PATH here)
  return { env, config, path: `PATH=${sshd.shimDir}:$PATH` };
}

describe('ssh hand-off (a real sshd on loopback)', () => {
  for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
    it(`the palette's vm.ssh runs ssh in this terminal; exit brings the cockpit back intact at ${cols}×${rows}`, async () => {
      const { env, config, path } = await setup();
      t = new Tmux().start(cols, rows, env);
      t.typeLine(`${path} node ${SOV} --config ${config}`);
      await t.waitFor((s) => s.includes('sov ') && s.includes('Host') && /\d\d:\d\d:\d\d/.test(s), 15_000);
      t.keys(':');
      t.text('ssh into');
      await t.waitFor(':ssh into');
      t.keys('Enter');
      // the VM is asked for, with the declared one offered
      await t.waitFor(/vm — the VM/);
      t.keys('Enter');
      // the remote shell: the cockpit has left the alternate screen
      await t.waitFor(() => !t!.alternateOn(), 15_000);
      t.typeLine('echo REMOTE-$((6*7)) on $SSH_CONNECTION');
      await t.waitFor(/REMOTE-42 on 127\.0\.0\.1/, 15_000);
      t.typeLine('exit 0');
      const back = await t.waitFor((s) => t!.alternateOn() && /back from ssh agentvm: exit 0/.test(s), 15_000);
      const lines = back.replace(/\n$/, '').split('\n');
      expect(lines.length).toBe(rows);
      for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(cols);
      expect(lines[0]).toMatch(/^sov /);
      // data still live: the clock in the header moves
      const clock = /\d\d:\d\d:\d\d/.exec(lines[0]!)?.[0];
      await t.waitFor((s) => /\d\d:\d\d:\d\d/.exec(s.split('\n')[0]!)?.[0] !== clock, 5000);
      t.keys('q');
    });
  }

  it('sov do vm.ssh exits with ssh\'s own code', async () => {
    const { env, config, path } = await setup();
    t = new Tmux().start(100, 30, env);
    t.typeLine(`${path} node ${SOV} do vm.ssh --arg vm=agentvm --config ${config}; echo "SOV-EXIT=$?"`);
    t.typeLine('echo REMOTE-$((6*7)); exit 7');
    await t.waitFor(/REMOTE-42/, 15_000);
    await t.waitFor(/SOV-EXIT=7/, 15_000);
    // sshd saw the connection (its log names the accepted key)
    expect(execFileSync('cat', [sshd!.log], { encoding: 'utf8' })).toMatch(/Accepted publickey/);
  });
});
