/* The loaded model: nodes in execution order, their parsed parameters and the weights. */
#ifndef CNNRT_RUNTIME_GRAPH_H
#define CNNRT_RUNTIME_GRAPH_H

#include "cnnrt.h"
#include "ops/op.h"
#include "runtime/preprocess.h"

/* Values are tensors: value 0 is the graph input, value i + 1 the output of node i. */
#define GRAPH_INPUT_VALUE 0

typedef struct {
  char *name;
  const op_def *op;
  void *params; /* op->params_size bytes, filled by op->parse */
  int n_inputs;
  size_t inputs[CNNRT_MAX_INPUTS]; /* value ids */
  size_t param_count;              /* weight floats, for summaries */
  size_t json_index;               /* position in the file's "nodes" array, for messages */
  bool fused; /* computed by its producer (runtime/fold.c): its output is a view */
} graph_node;

struct cnnrt_model {
  char *source; /* file name used in messages */
  char *input_name;
  shape input_shape; /* declared batch */
  graph_node *nodes; /* execution (topological) order */
  size_t node_count;
  size_t output_value;
  shape *value_shapes; /* node_count + 1, at the declared batch */
  bool has_preprocess;
  preprocess_spec preprocess;
  char **labels;
  size_t label_count;
  const float *blob; /* the weight file: mapped, or a 64-byte aligned copy */
  size_t blob_bytes;
  size_t blob_mapped_bytes; /* > 0: blob is a mapping of that many bytes (big_unmap) */
  float **owned;            /* weights made at load (folded BatchNorm), freed with the model */
  size_t owned_count;
};

/* Allocates floats owned by the model (freed by graph_free); NULL when out of memory. */
float *graph_alloc_floats(cnnrt_model *m, size_t count);

/* Load-time rewrites: folds eval-mode BatchNorm2d into the Conv2d that feeds it, then
 * ReLU / ReLU6 into the Conv2d / Linear that feeds them, each when the producer's output
 * has no other reader; the absorbed node stays in the graph, marked fused (a view). */
cnnrt_status graph_fuse(cnnrt_model *m);

/* Calls each unfused node's prepare hook (kernel choice, weight packing) with the input
 * shapes in m->value_shapes; after graph_infer and graph_fuse. */
cnnrt_status graph_prepare(cnnrt_model *m);

/* Infers every value's shape (values[0] = input shape with the given batch) and each
 * node's scratch bytes (scratch may be NULL). Messages are prefixed with the model's
 * source and the node. */
cnnrt_status graph_infer(const cnnrt_model *m, size_t batch, shape *values, size_t *scratch);

/* Frees everything a model owns; accepts a partly built model. */
void graph_free(cnnrt_model *m);

/* err_ctx naming node i of m. */
err_ctx graph_node_ctx(const cnnrt_model *m, size_t i);

#endif
