/**
 * Where the daemon and its clients find each other and their files (XDG):
 *   socket   $XDG_RUNTIME_DIR/sov/sovd.sock  (dir 0700, socket 0600), else <state>/sovd.sock
 *   state    $XDG_STATE_HOME/sov (default ~/.local/state/sov): engines.json, logs/, daemon.log, daemon.out
 *   config   $XDG_CONFIG_HOME/sov/config.yaml (default ~/.config/sov/config.yaml), unless --config
 * SOV_RUNTIME_DIR / SOV_STATE_DIR override the directories themselves (tests).
 */
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export interface SovPaths {
  /** the directory holding the socket and the daemon's pid lock (0700, ours) */
  runtimeDir: string;
  socket: string;
  /** pid lock of the running daemon: {"pid":…, "startTime":…} */
  pidFile: string;
  stateDir: string;
  logDir: string;
  /** the daemon's own event log */
  daemonLog: string;
  /** stdout/stderr of a daemon started detached by a client */
  daemonOut: string;
  configPath: string;
}

export class UnsafeDirError extends Error {}

/** the longest path a unix socket address can hold on Linux (sun_path is 108 bytes, NUL-terminated) */
const MAX_SOCKET_PATH = 107;

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v !== '' ? v : undefined;
}

/** Resolves every path without touching the disk. `config` is the --config value, if any. */
export function resolvePaths(opts: { config?: string; env?: NodeJS.ProcessEnv } = {}): SovPaths {
  const env = opts.env ?? process.env;
  const home = nonEmpty(env.HOME) ?? homedir();
  // XDG says relative values are invalid and must be ignored
  const xdg = (name: string, def: string) => {
    const v = nonEmpty(env[name]);
    return v !== undefined && isAbsolute(v) ? v : def;
  };
  const stateDir = nonEmpty(env.SOV_STATE_DIR) ?? join(xdg('XDG_STATE_HOME', join(home, '.local', 'state')), 'sov');
  const xdgRuntime = nonEmpty(env.XDG_RUNTIME_DIR);
  const runtimeDir = nonEmpty(env.SOV_RUNTIME_DIR) ?? (xdgRuntime !== undefined && isAbsolute(xdgRuntime) && isDir(xdgRuntime) ? join(xdgRuntime, 'sov') : stateDir);
  const configPath = opts.config !== undefined ? resolve(opts.config) : join(xdg('XDG_CONFIG_HOME', join(home, '.config')), 'sov', 'config.yaml');
  return {
    runtimeDir,
    socket: join(runtimeDir, 'sovd.sock'),
    pidFile: join(runtimeDir, 'sovd.pid'),
    stateDir,
    logDir: join(stateDir, 'logs'),
    daemonLog: join(stateDir, 'daemon.log'),
    daemonOut: join(stateDir, 'daemon.out'),
    configPath,
  };
}

function isDir(p: string): boolean {
  try { return lstatSync(p).isDirectory(); } catch { return false; }
}

/**
 * Creates `dir` (and parents) if needed and makes sure it is a private directory of ours: not a symlink, owned by
 * this user, not writable by group or others. A directory of ours with looser read bits is tightened to 0700; one
 * owned by someone else, or group/world-writable, is refused (someone could swap the socket under us).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UnsafeDirError(`${dir} is not a directory (a symlink or a file is refused)`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new UnsafeDirError(`${dir} is owned by uid ${st.uid}, not by this user (${uid}); refusing to use it`);
  if ((st.mode & 0o022) !== 0) throw new UnsafeDirError(`${dir} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); refusing to use it (chmod 700 it)`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Creates the runtime and state directories the daemon needs, private. Throws UnsafeDirError with a reason. */
export function ensureDaemonDirs(p: SovPaths): void {
  ensurePrivateDir(p.stateDir);
  if (p.runtimeDir !== p.stateDir) ensurePrivateDir(p.runtimeDir);
  ensurePrivateDir(p.logDir);
  if (Buffer.byteLength(p.socket) > MAX_SOCKET_PATH) {
    throw new UnsafeDirError(`socket path too long for a unix socket (${Buffer.byteLength(p.socket)} > ${MAX_SOCKET_PATH} bytes): ${p.socket}; set XDG_RUNTIME_DIR or SOV_RUNTIME_DIR to a shorter directory`);
  }
}
