/** Captured from the 2-core dev VM these tests were written on (kernel 6.x). */
export const CAPTURED = {
  stat: 'cpu  11436 0 6559 84354 255 0 85 12 0 0\ncpu0 4944 0 3019 43275 58 0 17 4 0 0\ncpu1 6491 0 3539 41078 196 0 67 8 0 0\n'
    + 'intr 449680 0 0 0 0\nctxt 1245445\nbtime 1795445121\nprocesses 6016\nprocs_running 5\nprocs_blocked 0\nsoftirq 159428 0 16977 6 17762 37200 0 2 46026 0 41455\n',
  loadavg: '0.27 0.33 0.14 1/86 3872\n',
  uptime: '280.10 452.28\n',
  diskstats: [
    '   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    '   7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    ' 254       0 vda 34066 8153 1947050 8575 5491 27127 1122896 6853 0 4116 15969 6858 44 173992 530 235 9',
    ' 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
  ].join('\n') + '\n',
  netdev: 'Inter-|   Receive                                                |  Transmit\n'
    + ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n'
    + '    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n'
    + '  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n'
    + '  eth0: 508055516   15374    0    0    0     0          0         0  1483796    9855    0    0    0     0       0          0\n',
};
