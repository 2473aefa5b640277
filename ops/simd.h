/* SIMD_CLONES marks a hot loop function to be compiled twice, for AVX2 and for the baseline
 * ISA, with the right one picked at load time (function multiversioning). One feature per
 * clone ("arch=haswell" clones are picked by CPU model, which misses AMD parts), so the
 * AVX2 clone has no FMA contraction. Used on loops the compiler vectorises by itself
 * (depthwise); the GEMM micro-kernel has hand-written AVX2 + FMA (ops/gemm_avx2.c). */
#ifndef CNNRT_OPS_SIMD_H
#define CNNRT_OPS_SIMD_H

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) &&                             \
    !defined(__SANITIZE_THREAD__) && !defined(CNNRT_GENERIC_CPU)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

#endif
