#!/usr/bin/env bash
# Captures real nvidia-smi / NUMA outputs into $OUT for fixtures/nvidia (run on a GPU machine via the device tool).
set -u
OUT=${OUT:-/tmp/gpu-capture}; mkdir -p "$OUT"
cap() { local name=$1; shift; { "$@"; echo "exit=$?" > "$OUT/$name.rc"; } > "$OUT/$name" 2> "$OUT/$name.err"; }
F_NEW=index,uuid,name,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,power.draw,power.limit,fan.speed,clocks.sm,clocks.mem,pstate,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,pcie.link.width.max,clocks_event_reasons.active
F_OLD=${F_NEW/clocks_event_reasons.active/clocks_throttle_reasons.active}
cap nvidia-smi-version.txt nvidia-smi --version
cap help-query-gpu.txt nvidia-smi --help-query-gpu
cap q-x-idle.xml nvidia-smi -q -x
cap query-gpu-new-once.csv nvidia-smi --query-gpu=$F_NEW --format=csv,noheader,nounits
cap query-gpu-old-once.csv nvidia-smi --query-gpu=$F_OLD --format=csv,noheader,nounits
cap query-gpu-bad-field.csv nvidia-smi --query-gpu=index,bogus.field --format=csv,noheader,nounits
cap topo-m.txt nvidia-smi topo -m
cap numactl-hardware.txt numactl --hardware
cap lscpu.txt lscpu
tar czf "$OUT/sys-node.tgz" /sys/devices/system/node/node*/cpulist /sys/devices/system/node/node*/meminfo /sys/devices/system/node/node*/distance /sys/devices/system/node/online /sys/devices/system/node/possible 2>/dev/null
cat /proc/meminfo > "$OUT/proc-meminfo.txt"; cat /proc/stat > "$OUT/proc-stat.txt"
# load: a tiny CUDA busy kernel when nvcc is present
LOADPID=
if command -v nvcc >/dev/null; then
  cat > /tmp/burn.cu <<'CU'
#include <cstdio>
__global__ void burn(float *a, int n){int i=blockIdx.x*blockDim.x+threadIdx.x; if(i<n){float x=a[i]; for(int k=0;k<20000;k++) x=x*1.0000001f+0.0000001f; a[i]=x;}}
int main(){int n=1<<24; float *a; cudaMalloc(&a,n*sizeof(float)); for(int r=0;r<4000;r++){burn<<<n/256,256>>>(a,n); cudaDeviceSynchronize();} printf("done\n"); return 0;}
CU
  nvcc -O2 -o /tmp/burn /tmp/burn.cu > "$OUT/nvcc.log" 2>&1 && { /tmp/burn > /dev/null 2>&1 & LOADPID=$!; sleep 4; }
fi
echo "loadpid=$LOADPID" > "$OUT/load.txt"
timeout 6 nvidia-smi --query-gpu=$F_NEW --format=csv,noheader,nounits -lms 500 > "$OUT/query-gpu-lms500-load.csv" 2> "$OUT/query-gpu-lms500-load.err"
cap q-x-load.xml nvidia-smi -q -x
cap compute-apps-load.csv nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv,noheader,nounits
[ -n "$LOADPID" ] && kill "$LOADPID" 2>/dev/null
sleep 2
timeout 3 nvidia-smi --query-gpu=$F_NEW --format=csv,noheader,nounits -lms 500 > "$OUT/query-gpu-lms500-idle.csv" 2>&1
ls -la "$OUT"
