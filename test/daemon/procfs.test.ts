import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeHexAddress, isAlive, isLoopback, listenSockets, parseCmdline, parseNetTcp, parseNumaMaps, parseStat,
  parseStatusRss, processTree, readCmdline, readStat, sameProcess, socketInodes, threadStates, treeNuma, treeRss,
} from '../../src/daemon/procfs.js';

const STAT = '4242 (llama-server) S 1 4242 4242 0 -1 4194560 9102 0 12 0 55 31 0 0 20 0 17 0 987654 8049111040 120934 18446744073709551615 1 1 0 0 0 0 0 4096 17475 0 0 0 17 3 0 0 0 0 0';

describe('parseStat', () => {
  it('reads state, ppid, pgid, sid and start time (field 22)', () => {
    expect(parseStat(STAT)).toEqual({ pid: 4242, comm: 'llama-server', state: 'S', ppid: 1, pgid: 4242, sid: 4242, startTime: '987654' });
  });

  it('handles command names with spaces and parentheses', () => {
    const s = parseStat('77 (a) (b c)) Z 12 77 70 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5550 0 0 0');
    expect(s).toMatchObject({ pid: 77, comm: 'a) (b c)', state: 'Z', ppid: 12, pgid: 77, sid: 70, startTime: '5550' });
  });

  it('never throws on junk', () => {
    for (const junk of ['', 'garbage', '12 (x', '12 (x) S 1 2', 'x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20']) {
      expect(parseStat(junk)).toBeUndefined();
    }
    expect(parseStat(undefined as unknown as string)).toBeUndefined();
  });
});

describe('parseCmdline / parseStatusRss', () => {
  it('splits NUL-separated argv, keeping empty and spaced arguments', () => {
    expect(parseCmdline('llama-server\u0000-m\u0000/models/a b.gguf\u0000\u0000--port\u00008080\u0000')).toEqual(['llama-server', '-m', '/models/a b.gguf', '', '--port', '8080']);
    expect(parseCmdline(Buffer.from('a\u0000b'))).toEqual(['a', 'b']);
    expect(parseCmdline('')).toEqual([]);
  });

  it('reads VmRSS in bytes; kernel threads have none', () => {
    expect(parseStatusRss('Name:\tx\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t4\n')).toBe(123456 * 1024);
    expect(parseStatusRss('Name:\tkworker/0:1\nThreads:\t1\n')).toBeUndefined();
  });
});

describe('parseNumaMaps', () => {
  it('sums pages per node times the page size of each mapping', () => {
    const text = [
      '7f0000000000 default anon=512 dirty=512 N0=256 N1=256 kernelpagesize_kB=4',
      '7f1000000000 interleave:0-1 file=/models/x.gguf mapped=1000 N0=600 N1=400 kernelpagesize_kB=4',
      '7f2000000000 bind:1 huge anon=4 dirty=4 N1=4 kernelpagesize_kB=2048',
      '7f3000000000 default stack anon=3 N0=3',
      '7f4000000000 default',
      'garbage line N=5 NX=3',
    ].join('\n');
    expect(parseNumaMaps(text)).toEqual({
      0: (256 + 600 + 3) * 4096,
      1: (256 + 400) * 4096 + 4 * 2048 * 1024,
    });
    expect(parseNumaMaps('')).toEqual({});
  });
});

describe('/proc/net/tcp decoding', () => {
  it('decodes IPv4, IPv6 and v4-mapped addresses (little-endian words)', () => {
    expect(decodeHexAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeHexAddress('00000000')).toBe('0.0.0.0');
    expect(decodeHexAddress('0A01A8C0')).toBe('192.168.1.10');
    expect(decodeHexAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeHexAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeHexAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeHexAddress('0000000000000000FFFF00000A01A8C0')).toBe('::ffff:192.168.1.10');
    // fe80::1 with the words in host order
    expect(decodeHexAddress('000080FE000000000000000001000000')).toBe('fe80::1');
    // 2001:db8::8a2e:370:7334
    expect(decodeHexAddress('B80D0120000000002E8A000034737003')).toBe('2001:db8::8a2e:370:7334');
    expect(decodeHexAddress('xyz')).toBeUndefined();
    expect(decodeHexAddress('0100')).toBeUndefined();
  });

  it('loopback: 127/8, ::1 and ::ffff:127.x only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.8.9.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('::')).toBe(false);
    expect(isLoopback('::ffff:10.0.0.1')).toBe(false);
  });

  it('keeps only LISTEN rows with their inodes', () => {
    const v4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51235 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 51299 1 0000000000000000 20 4 30 10 -1
`;
    const v6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61000 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61001 1 0000000000000000 100 0 0 10 0
`;
    expect(parseNetTcp(v4)).toEqual([
      { address: '127.0.0.1', port: 8080, inode: 51234, loopback: true },
      { address: '0.0.0.0', port: 8081, inode: 51235, loopback: false },
    ]);
    expect(parseNetTcp(v6)).toEqual([
      { address: '::', port: 8082, inode: 61000, loopback: false },
      { address: '::1', port: 8083, inode: 61001, loopback: true },
    ]);
    expect(parseNetTcp('nonsense\n\n 0: zz')).toEqual([]);
  });
});

describe('this machine, this process', () => {
  let server: Server | undefined;
  afterAll(async () => { await new Promise<void>((r) => (server ? server.close(() => r()) : r())); });

  it('reads its own stat, cmdline, threads, tree, RSS and NUMA placement', () => {
    const me = readStat(process.pid);
    expect(me).toBeDefined();
    expect(me!.pid).toBe(process.pid);
    expect(me!.ppid).toBe(process.ppid);
    expect(me!.state).not.toBe('Z');
    expect(isAlive(process.pid)).toBe(true);
    const argv = readCmdline(process.pid)!;
    expect(argv[0]).toMatch(/node/);
    expect(sameProcess(process.pid, { startTime: me!.startTime, cmdline: argv })).toBe(true);
    expect(sameProcess(process.pid, { startTime: String(Number(me!.startTime) + 1), cmdline: argv })).toBe(false);
    expect(sameProcess(process.pid, { startTime: me!.startTime, cmdline: [...argv, 'x'] })).toBe(false);
    // a wrapper that exec'd into the engine (numactl --interleave=all <argv>) is the same process; another head is not
    expect(sameProcess(process.pid, { startTime: me!.startTime, cmdline: ['numactl', '--interleave=all', ...argv] })).toBe(true);
    expect(sameProcess(process.pid, { startTime: me!.startTime, cmdline: ['numactl', ...argv.slice(1)] })).toBe(false);
    expect(threadStates(process.pid).length).toBeGreaterThan(1);
    expect(processTree(process.ppid)).toContain(process.pid);
    expect(processTree(process.pid)[0]).toBe(process.pid);
    expect(treeRss([process.pid])).toBeGreaterThan(1024 * 1024);
    const numa = treeNuma([process.pid]);
    if (numa) expect(Object.values(numa).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(isAlive(2 ** 22 + 12345)).toBe(false);
    expect(readStat(2 ** 22 + 12345)).toBeUndefined();
  });

  it('finds the socket this process listens on, by inode', async () => {
    server = createServer();
    const port = await new Promise<number>((r) => server!.listen(0, '127.0.0.1', () => r((server!.address() as { port: number }).port)));
    expect(socketInodes([process.pid]).size).toBeGreaterThan(0);
    const l = listenSockets([process.pid]);
    expect(l).toContainEqual(expect.objectContaining({ address: '127.0.0.1', port, loopback: true }));
  });
});
