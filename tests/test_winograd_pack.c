/* The Winograd weight packing (winograd_pack_weights): the AVX2 packer gives the portable
 * transform's bits for every variant, on channel counts that are not multiples of the panel
 * (6 rows), the vector (8 lanes) or the portable step (16 channels), with and without a folded
 * BatchNorm's scale, writes every packed float, and packing the panels in pieces gives the
 * same bits as packing them all at once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "tests/test_util.h"

static const struct {
  int k;
  wino_variant variant;
} variants[] = {{3, WINO_F2_3}, {3, WINO_F4_3}, {3, WINO_F6_3}, {5, WINO_F2_5}, {5, WINO_F4_5}};

static const int channels[][2] = {{6, 16},  {13, 5}, {64, 64},  {61, 37},
                                  {24, 19}, {7, 33}, {130, 72}, {1, 1}};

/* p's packed weights, written over a fill of byte fill (a float left unwritten shows). */
static float *pack(const conv2d_params *p, int fill, bool portable, size_t pieces) {
  size_t floats = winograd_packed_floats(p), panels = winograd_pack_panels(p);
  float *packed = malloc(floats * sizeof *packed);
  cr_assert(packed);
  memset(packed, fill, floats * sizeof *packed);
  gemm_force_portable(portable);
  for (size_t i = 0; i < pieces; i++)
    winograd_pack_weights(p, packed, panels * i / pieces, panels * (i + 1) / pieces);
  gemm_force_portable(false);
  return packed;
}

Test(winograd_pack, avx2_matches_portable) {
  if (!gemm_simd_active()) cr_skip_test("no AVX2 kernel on this CPU");
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++)
    for (size_t c = 0; c < sizeof channels / sizeof channels[0]; c++)
      for (int scaled = 0; scaled < 2; scaled++) {
        int oc = channels[c][0], ic = channels[c][1], k = variants[v].k;
        conv2d_params p = {.in_channels = ic, .out_channels = oc, .path = CONV_WINOGRAD};
        p.axis[0].kernel = p.axis[1].kernel = k;
        p.wino = variants[v].variant;
        float *w = tu_random_floats((size_t)(oc * ic * k * k), (uint64_t)(oc * 100 + ic));
        float *scale = tu_random_floats((size_t)oc, 5);
        p.weight.data = w;
        p.weight_scale = scaled ? scale : NULL;
        float *want = pack(&p, 0x55, true, 1), *got = pack(&p, 0x66, false, 1);
        float *pieces = pack(&p, 0x77, false, 3);
        size_t bytes = winograd_packed_floats(&p) * sizeof(float);
        char what[128];
        snprintf(what, sizeof what, "k %d, tile in %zu, %d -> %d channels%s", k,
                 winograd_tile_in(p.wino), ic, oc, scaled ? ", scaled" : "");
        cr_assert(memcmp(got, want, bytes) == 0, "%s: AVX2 packing differs from portable", what);
        cr_assert(memcmp(pieces, want, bytes) == 0, "%s: packing in 3 pieces differs", what);
        free(want), free(got), free(pieces), free(w), free(scale);
      }
}
