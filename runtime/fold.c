/* Load-time folding of eval-mode BatchNorm2d into the preceding Conv2d. */
#include <stdlib.h>
#include "ops/affine_fold.h"
#include "runtime/graph.h"

/* Number of nodes reading value v (the model output counts as one more reader). */
static size_t readers_of(const cnnrt_model *m, size_t v) {
  size_t count = v == m->output_value;
  for (size_t i = 0; i < m->node_count; i++)
    for (int k = 0; k < m->nodes[i].n_inputs; k++) count += m->nodes[i].inputs[k] == v;
  return count;
}

/* Folds node bn (a BatchNorm2d) into its producer when that is a Conv2d read only by bn. */
static cnnrt_status try_fold(cnnrt_model *m, size_t bn, float *scale, float *shift) {
  graph_node *norm = &m->nodes[bn];
  size_t value = norm->inputs[0], channels;
  if (value == GRAPH_INPUT_VALUE || m->nodes[value - 1].op != op_find("Conv2d") ||
      readers_of(m, value) != 1)
    return CNNRT_OK;
  graph_node *conv = &m->nodes[value - 1];
  if (conv2d_out_channels(conv->params) != batchnorm2d_channels(norm->params) ||
      !batchnorm2d_affine(norm->params, &channels, scale, shift))
    return CNNRT_OK; /* a channel mismatch is reported by shape inference */
  float *weight = graph_alloc_floats(m, conv2d_weight_count(conv->params));
  float *bias = weight ? graph_alloc_floats(m, channels) : NULL;
  size_t packed_count = conv2d_packed_count(conv->params);
  float *packed = bias && packed_count ? graph_alloc_floats(m, packed_count) : NULL;
  if (!bias || (packed_count && !packed)) {
    err_ctx e = graph_node_ctx(m, bn);
    return err_set(&e, CNNRT_ERR_MEMORY, "out of memory folding into '%s'", conv->name);
  }
  conv2d_absorb_affine(conv->params, scale, shift, weight, bias, packed);
  norm->op = &op_batchnorm2d_folded;
  return CNNRT_OK;
}

cnnrt_status graph_fold_batchnorm(cnnrt_model *m) {
  size_t max_channels = 0;
  for (size_t i = 0; i < m->node_count; i++)
    if (m->nodes[i].op == &op_batchnorm2d &&
        batchnorm2d_channels(m->nodes[i].params) > max_channels)
      max_channels = batchnorm2d_channels(m->nodes[i].params);
  if (max_channels == 0) return CNNRT_OK;
  float *scale = malloc(2 * max_channels * sizeof *scale);
  if (!scale) return err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory folding", m->source);
  cnnrt_status st = CNNRT_OK;
  for (size_t i = 0; st == CNNRT_OK && i < m->node_count; i++)
    if (m->nodes[i].op == &op_batchnorm2d) st = try_fold(m, i, scale, scale + max_channels);
  free(scale);
  return st;
}
