/* The G matrices of the Winograd variants (their rows: conv2d_winograd_portable.c) applied to
 * WINO_CHUNK filters at once: x[i][j] is tap i of filter j, y[b][j] row b of G times filter j.
 * Included by the portable weight transform and the AVX2 packer (conv2d_winograd_pack_avx2.c),
 * so that both compute every value with the same operations in the same order: the packed
 * weights are the same bits either way (no FMA contraction: ISO C, and -ffp-contract=off on
 * the AVX2 file). Fixed-size local arrays: the compiler vectorises the loops (on strided rows
 * of one buffer it would need more alias checks than it makes). */
#ifndef CNNRT_OPS_CONV2D_WINOGRAD_G_H
#define CNNRT_OPS_CONV2D_WINOGRAD_G_H
#include <stddef.h>
#include "ops/conv2d_winograd_portable.h"

#define WINO_CHUNK 8
typedef float wino_chunk_in[WINO_MAX_K][WINO_CHUNK];
typedef float wino_chunk_out[WINO_MAX_TILE_IN][WINO_CHUNK];
typedef void (*wino_g_fn)(const wino_chunk_in, wino_chunk_out);

static inline void wino_g4_k3(const wino_chunk_in x, wino_chunk_out y) {
  for (size_t j = 0; j < WINO_CHUNK; j++) {
    float g0 = x[0][j], g1 = x[1][j], g2 = x[2][j], e = g0 + g2;
    y[0][j] = g0, y[1][j] = (e + g1) * 0.5f, y[2][j] = (e - g1) * 0.5f, y[3][j] = g2;
  }
}

static inline void wino_g6_k3(const wino_chunk_in x, wino_chunk_out y) {
  for (size_t j = 0; j < WINO_CHUNK; j++) {
    float g0 = x[0][j], g1 = x[1][j], g2 = x[2][j];
    float e = g0 + g2, q = g0 * 0.25f + g2, h = g1 * 0.5f;
    y[0][j] = g0 * 0.25f, y[1][j] = (e + g1) * (-1.0f / 6.0f);
    y[2][j] = (e - g1) * (-1.0f / 6.0f), y[3][j] = (q + h) * (1.0f / 6.0f);
    y[4][j] = (q - h) * (1.0f / 6.0f), y[5][j] = g2;
  }
}

static inline void wino_g6_k5(const wino_chunk_in x, wino_chunk_out y) {
  for (size_t j = 0; j < WINO_CHUNK; j++) {
    float g0 = x[0][j], g1 = x[1][j], g2 = x[2][j], g3 = x[3][j], g4 = x[4][j];
    float e = (g0 + g2) + g4, o = g1 + g3;
    float q = (g0 * 0.25f + g2) + g4 * 4.0f, h = g1 * 0.5f + g3 * 2.0f;
    y[0][j] = g0 * 0.25f, y[1][j] = (e + o) * (-1.0f / 6.0f);
    y[2][j] = (e - o) * (-1.0f / 6.0f), y[3][j] = (q + h) * (1.0f / 6.0f);
    y[4][j] = (q - h) * (1.0f / 6.0f), y[5][j] = g4;
  }
}

static inline void wino_g8_k3(const wino_chunk_in x, wino_chunk_out y) {
  for (size_t j = 0; j < WINO_CHUNK; j++) {
    float g0 = x[0][j], g1 = x[1][j], g2 = x[2][j];
    float e = g0 + g2, q = g0 + g2 * 4.0f, q2 = g0 * 4.0f + g2, h = g1 * 2.0f;
    y[0][j] = g0, y[1][j] = (e + g1) * (-2.0f / 9.0f), y[2][j] = (e - g1) * (-2.0f / 9.0f);
    y[3][j] = (q + h) * (1.0f / 90.0f), y[4][j] = (q - h) * (1.0f / 90.0f);
    y[5][j] = (q2 + h) * (8.0f / 45.0f), y[6][j] = (q2 - h) * (8.0f / 45.0f);
    y[7][j] = g2;
  }
}

static inline void wino_g8_k5(const wino_chunk_in x, wino_chunk_out y) {
  for (size_t j = 0; j < WINO_CHUNK; j++) {
    float g0 = x[0][j], g1 = x[1][j], g2 = x[2][j], g3 = x[3][j], g4 = x[4][j];
    float e = (g0 + g2) + g4, o = g1 + g3;
    float q = (g0 + g2 * 4.0f) + g4 * 16.0f, h = g1 * 2.0f + g3 * 8.0f;
    float q2 = (g0 * 16.0f + g2 * 4.0f) + g4, h2 = g1 * 8.0f + g3 * 2.0f;
    y[0][j] = g0, y[1][j] = (e + o) * (-2.0f / 9.0f), y[2][j] = (e - o) * (-2.0f / 9.0f);
    y[3][j] = (q + h) * (1.0f / 90.0f), y[4][j] = (q - h) * (1.0f / 90.0f);
    y[5][j] = (q2 + h2) * (2.0f / 45.0f), y[6][j] = (q2 - h2) * (2.0f / 45.0f);
    y[7][j] = g4;
  }
}

/* The G of kernel side k (3 or 5) and input tile side tile_in (4, 6 or 8). */
static inline wino_g_fn wino_g_of(size_t k, size_t tile_in) {
  return tile_in == 4   ? wino_g4_k3
         : tile_in == 6 ? (k == 3 ? wino_g6_k3 : wino_g6_k5)
                        : (k == 3 ? wino_g8_k3 : wino_g8_k5);
}

#endif
