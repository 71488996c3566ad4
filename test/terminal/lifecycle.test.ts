import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  createTerminalSession,
  ENTER_SEQUENCE,
  installTerminalGuards,
  LEAVE_SEQUENCE,
} from '../../src/terminal/lifecycle.js';

const ESC = '\u001b';

describe('createTerminalSession', () => {
  it('enters the alternate screen with a hidden cursor, and restores once, with stdin back from raw mode', () => {
    const out = { data: '', write(s: string) { this.data += s; } };
    const stdin = { isTTY: true, isRaw: true, setRawMode: vi.fn((m: boolean) => (stdin.isRaw = m)) };
    const s = createTerminalSession({ out, stdin });
    s.enter();
    s.enter();
    expect(out.data).toBe(ENTER_SEQUENCE);
    expect(ENTER_SEQUENCE).toContain(`${ESC}[?1049h`);
    expect(ENTER_SEQUENCE).toContain(`${ESC}[?25l`);
    expect(ENTER_SEQUENCE).not.toContain(`${ESC}[3J`);
    s.restore();
    s.restore();
    expect(out.data).toBe(ENTER_SEQUENCE + LEAVE_SEQUENCE);
    expect(LEAVE_SEQUENCE).toContain(`${ESC}[?1049l`);
    expect(LEAVE_SEQUENCE).toContain(`${ESC}[?25h`);
    expect(stdin.setRawMode).toHaveBeenCalledTimes(1);
    expect(stdin.setRawMode).toHaveBeenCalledWith(false);
  });

  it('does not throw when the terminal is gone', () => {
    const s = createTerminalSession({ out: { write: () => { throw new Error('EIO'); } } });
    expect(() => { s.enter(); s.restore(); }).not.toThrow();
  });
});

class FakeProcess extends EventEmitter {
  exit = vi.fn();
}

describe('installTerminalGuards', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ])('restores once and exits on %s', (signal, code) => {
    const proc = new FakeProcess();
    const restore = vi.fn();
    installTerminalGuards(restore, { proc });
    proc.emit(signal);
    proc.emit('exit', code);
    expect(restore).toHaveBeenCalledTimes(1);
    expect(proc.exit).toHaveBeenCalledWith(code);
  });

  it.each(['uncaughtException', 'unhandledRejection'])('on %s: restores first, then reports the error, exit 1', (event) => {
    const proc = new FakeProcess();
    const order: string[] = [];
    installTerminalGuards(() => order.push('restore'), { proc, report: (t) => order.push(t) });
    proc.emit(event, new Error('kaboom'));
    expect(order[0]).toBe('restore');
    expect(order[1]).toMatch(/^sov: Error: kaboom/);
    expect(proc.exit).toHaveBeenCalledWith(1);
  });

  it('restores on a normal exit, and can be removed', () => {
    const proc = new FakeProcess();
    const restore = vi.fn();
    const remove = installTerminalGuards(restore, { proc });
    proc.emit('exit', 0);
    proc.emit('exit', 0);
    expect(restore).toHaveBeenCalledTimes(1);
    remove();
    expect(proc.eventNames()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real thing: a child process with the guards, ended in the ways a session ends.

const fixture = fileURLToPath(new URL('./fixtures/guarded.ts', import.meta.url));

function runChild(mode: string, signal?: NodeJS.Signals): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (signal && stdout.includes('ready')) child.kill(signal);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

describe('terminal guards in a real process', () => {
  it.each([
    ['wait', 'SIGHUP' as const, 129],
    ['wait', 'SIGTERM' as const, 143],
    ['exit', undefined, 0],
  ])('mode %s, signal %s: the terminal is restored exactly once (exit %s)', async (mode, signal, code) => {
    const r = await runChild(mode, signal);
    expect(r.stdout.startsWith(ENTER_SEQUENCE)).toBe(true);
    expect(count(r.stdout, LEAVE_SEQUENCE)).toBe(1);
    expect(r.stdout.endsWith(LEAVE_SEQUENCE)).toBe(true);
    expect(r.code).toBe(code);
  });

  it('an uncaught exception: restored, then the error on stderr, exit 1', async () => {
    const r = await runChild('throw');
    expect(count(r.stdout, LEAVE_SEQUENCE)).toBe(1);
    expect(r.stderr).toContain('Error: boom');
    expect(r.code).toBe(1);
  });
});
