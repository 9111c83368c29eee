#!/usr/bin/env bash
# CMake flags for building llama-cpp-python on this machine's CPU.
# -march=native would also switch on Intel AMX where the CPU advertises it, and ggml's AMX matmul
# crashes (SIGSEGV in ggml_backend_amx_mul_mat) in VMs that advertise AMX: so the x86 features are
# named one by one from /proc/cpuinfo, AMX left out.
set -euo pipefail
args="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
if [ "$(uname -m)" = "x86_64" ] && [ -r /proc/cpuinfo ]; then
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { case "$flags" in *" $1 "*) echo ON;; *) echo OFF;; esac; }
  avx512=$(has avx512f)
  [ "$(has avx512bw)" = ON ] && [ "$(has avx512vl)" = ON ] || avx512=OFF
  args="$args -DGGML_NATIVE=OFF -DGGML_AVX=$(has avx) -DGGML_AVX2=$(has avx2) -DGGML_FMA=$(has fma)"
  args="$args -DGGML_F16C=$(has f16c) -DGGML_BMI2=$(has bmi2) -DGGML_AVX_VNNI=$(has avx_vnni)"
  args="$args -DGGML_AVX512=$avx512 -DGGML_AVX512_VBMI=$(has avx512vbmi) -DGGML_AVX512_VNNI=$(has avx512_vnni)"
  args="$args -DGGML_AVX512_BF16=$(has avx512_bf16) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
fi
echo "$args"
