/* Single-core FP32 peak of this machine: independent AVX2 FMA chains, enough of them to
 * cover the FMA latency. Prints GFLOP/s (2 flops per lane per FMA). Built and run by
 * bench/run_bench.py. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 20000000L /* x 10 FMAs */

/* Named accumulators: an array would be kept in memory by the compiler. */
#define FMA10(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9)                                              \
  a0 = _mm256_fmadd_ps(a0, mul, add), a1 = _mm256_fmadd_ps(a1, mul, add),                          \
  a2 = _mm256_fmadd_ps(a2, mul, add), a3 = _mm256_fmadd_ps(a3, mul, add),                          \
  a4 = _mm256_fmadd_ps(a4, mul, add), a5 = _mm256_fmadd_ps(a5, mul, add),                          \
  a6 = _mm256_fmadd_ps(a6, mul, add), a7 = _mm256_fmadd_ps(a7, mul, add),                          \
  a8 = _mm256_fmadd_ps(a8, mul, add), a9 = _mm256_fmadd_ps(a9, mul, add)

int main(void) {
  __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2);
  __m256 a3 = _mm256_set1_ps(3), a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5);
  __m256 a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7), a8 = _mm256_set1_ps(8);
  __m256 a9 = _mm256_set1_ps(9);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long n = 0; n < ROUNDS; n++) FMA10(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  sum = _mm256_add_ps(sum, _mm256_add_ps(a8, a9));
  double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.2f GFLOP/s (checksum %g)\n", (double)ROUNDS * 10 * 16 / seconds / 1e9,
         (double)_mm256_cvtss_f32(sum));
  return 0;
}
