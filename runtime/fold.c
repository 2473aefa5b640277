/* Load-time fusion: BatchNorm2d folded into the preceding Conv2d, then ReLU / ReLU6
 * folded into the epilogue of the preceding Conv2d / Linear (see ops/fusion.h). */
#include <stdlib.h>
#include "ops/fusion.h"
#include "runtime/graph.h"

/* Number of nodes reading each value (the model output counts as one more reader), counted
 * once per load: counting per question made fusing a long chain cubic in its length. */
static size_t *count_readers(const cnnrt_model *m) {
  size_t *readers = calloc(m->node_count + 1, sizeof *readers);
  if (!readers) return NULL;
  readers[m->output_value]++;
  for (size_t i = 0; i < m->node_count; i++)
    for (int k = 0; k < m->nodes[i].n_inputs; k++) readers[m->nodes[i].inputs[k]]++;
  return readers;
}

/* The producer of node i's only input when node i is that output's only reader. Through
 * fused nodes: a node fused into its producer passes the producer on. */
static graph_node *sole_producer(cnnrt_model *m, const size_t *readers, size_t i) {
  size_t value = m->nodes[i].inputs[0];
  if (value == GRAPH_INPUT_VALUE || readers[value] != 1) return NULL;
  graph_node *p = &m->nodes[value - 1];
  while (p->fused) {
    size_t up = p->inputs[0];
    if (up == GRAPH_INPUT_VALUE || readers[up] != 1) return NULL;
    p = &m->nodes[up - 1];
  }
  return p;
}

/* Folds node bn (a BatchNorm2d) into its producer when that is a Conv2d read only by bn. */
static cnnrt_status fold_batchnorm(cnnrt_model *m, const size_t *readers, size_t bn, float *scale,
                                   float *shift) {
  graph_node *norm = &m->nodes[bn], *conv = sole_producer(m, readers, bn);
  size_t channels;
  if (!conv || conv->op != &op_conv2d ||
      conv2d_out_channels(conv->params) != batchnorm2d_channels(norm->params) ||
      !batchnorm2d_affine(norm->params, &channels, scale, shift))
    return CNNRT_OK; /* a channel mismatch is reported by shape inference */
  float *new_scale = graph_alloc_floats(m, channels);
  float *bias = new_scale ? graph_alloc_floats(m, channels) : NULL;
  if (!bias) {
    err_ctx e = graph_node_ctx(m, bn);
    return err_set(&e, CNNRT_ERR_MEMORY, "out of memory folding into '%s'", conv->name);
  }
  conv2d_absorb_affine(conv->params, scale, shift, new_scale, bias);
  norm->fused = true;
  return CNNRT_OK;
}

static cnnrt_status fold_batchnorms(cnnrt_model *m, const size_t *readers) {
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
    if (m->nodes[i].op == &op_batchnorm2d)
      st = fold_batchnorm(m, readers, i, scale, scale + max_channels);
  free(scale);
  return st;
}

/* Clamping activations whose producer is a Conv2d / Linear read only by them. */
static void fuse_activations(cnnrt_model *m, const size_t *readers) {
  for (size_t i = 0; i < m->node_count; i++) {
    float min, max;
    graph_node *producer;
    if (!activation_clamp(m->nodes[i].op, m->nodes[i].params, &min, &max) ||
        !(producer = sole_producer(m, readers, i)))
      continue;
    if (gemm_op_absorb_clamp(producer->op, producer->params, min, max)) m->nodes[i].fused = true;
  }
}

cnnrt_status graph_fuse(cnnrt_model *m) {
  size_t *readers = count_readers(m);
  if (!readers) return err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory fusing", m->source);
  cnnrt_status st = fold_batchnorms(m, readers);
  if (st == CNNRT_OK) fuse_activations(m, readers);
  free(readers);
  return st;
}
