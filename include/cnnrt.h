/*
 * cnnrt — CPU inference runtime for convolutional networks trained in PyTorch.
 *
 * The one public header. ABI rule: every object is an opaque handle created and freed by
 * the library; no struct layout is part of the API, so new fields never break callers.
 *
 * Threading: a cnnrt_model is immutable after loading and may be shared by any number of
 * threads. A cnnrt_session owns the working memory (one arena) and must be used by one
 * thread at a time. Error messages are per thread (cnnrt_last_error).
 *
 * Every function that can fail returns a cnnrt_status; on failure it sets a message that
 * names what is wrong (file, node, field) and leaves its outputs untouched or NULL.
 * NULL arguments are reported as CNNRT_ERR_ARGUMENT, never dereferenced.
 */
#ifndef CNNRT_H
#define CNNRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CNNRT_VERSION_MAJOR 0
#define CNNRT_VERSION_MINOR 1
#define CNNRT_VERSION_PATCH 0
#define CNNRT_VERSION_STRING "0.1.0"
/* The model format version this library reads (docs/format.md). */
#define CNNRT_FORMAT_VERSION 1

/* Symbols exported from the shared library (everything else is hidden). */
#if defined(CNNRT_BUILDING) && defined(__GNUC__)
#define CNNRT_API __attribute__((visibility("default")))
#else
#define CNNRT_API
#endif

typedef struct cnnrt_model cnnrt_model;     /* immutable after load, shareable between threads */
typedef struct cnnrt_session cnnrt_session; /* owns the arena; one per thread */

typedef enum {
  CNNRT_OK = 0,
  CNNRT_ERR_IO = 1,          /* a file could not be opened or read */
  CNNRT_ERR_FORMAT = 2,      /* malformed JSON, wrong field type, bad weight blob */
  CNNRT_ERR_SHAPE = 3,       /* shapes or sizes that do not fit together */
  CNNRT_ERR_UNSUPPORTED = 4, /* a valid PyTorch op or parameter value cnnrt does not run */
  CNNRT_ERR_MEMORY = 5,      /* an allocation failed or a size overflowed */
  CNNRT_ERR_ARGUMENT = 6,    /* a bad argument to an API call (NULL, wrong count, range) */
  CNNRT_ERR_IMAGE = 7,       /* an image could not be decoded or preprocessed */
  CNNRT_ERR_LIMIT = 8        /* a size is over one of the limits below (cnnrt_set_limit) */
} cnnrt_status;

/* Library version, e.g. "0.1.0" (same as CNNRT_VERSION_STRING of the built library). */
CNNRT_API const char *cnnrt_version(void);

/* Short constant name of a status, e.g. "CNNRT_ERR_FORMAT". */
CNNRT_API const char *cnnrt_status_name(cnnrt_status status);

/* Message of this thread's last failed call ("" if none). Valid until the next failing
 * call on the same thread. */
CNNRT_API const char *cnnrt_last_error(void);

/* ---- Models ------------------------------------------------------------------------ */

/* Loads model.json and the weight blob it names (resolved beside the JSON file). */
CNNRT_API cnnrt_status cnnrt_model_load(const char *json_path, cnnrt_model **out);

/* Loads from memory: the JSON text (json_len bytes, no NUL needed) and the weight blob.
 * The weight bytes are copied; the caller's buffers may be freed after the call.
 * weights may be NULL when weights_len is 0 (a model without weights). */
CNNRT_API cnnrt_status cnnrt_model_load_memory(const char *json, size_t json_len,
                                               const void *weights, size_t weights_len,
                                               cnnrt_model **out);

/* Frees a model. Accepts NULL. All sessions of the model must be freed first. */
CNNRT_API void cnnrt_model_free(cnnrt_model *m);

/* Floats in one input / output tensor at the model's declared batch size (0 for NULL). */
CNNRT_API size_t cnnrt_model_input_count(const cnnrt_model *m);
CNNRT_API size_t cnnrt_model_output_count(const cnnrt_model *m);

/* Input shape [N, C, H, W] at the declared batch size. */
CNNRT_API cnnrt_status cnnrt_model_input_shape(const cnnrt_model *m, size_t dims[4]);

/* Output shape at the declared batch size: writes up to max_dims dims, sets *rank. */
CNNRT_API cnnrt_status cnnrt_model_output_shape(const cnnrt_model *m, size_t *dims, int max_dims,
                                                int *rank);

/* Class labels: count (0 when the model has none) and the i-th label (NULL if out of range). */
CNNRT_API size_t cnnrt_model_label_count(const cnnrt_model *m);
CNNRT_API const char *cnnrt_model_label(const cnnrt_model *m, size_t i);

/* 1 when the model's output rows are already probabilities (it ends in Softmax / Softmin),
 * 0 when they are logits (cnnrt_probabilities applies a softmax). */
CNNRT_API int cnnrt_model_output_is_probability(const cnnrt_model *m);

/* ---- Model introspection (nodes in execution order) --------------------------------- */

CNNRT_API size_t cnnrt_model_node_count(const cnnrt_model *m);
CNNRT_API const char *cnnrt_model_node_name(const cnnrt_model *m, size_t node);
CNNRT_API const char *cnnrt_model_node_op(const cnnrt_model *m, size_t node);
/* The kernel chosen at load for an op that has several: "gemm", "winograd", "depthwise"
 * or "direct" for Conv2d, "gemm" for Linear; "" for other ops and fused nodes; NULL for
 * a bad node. */
CNNRT_API const char *cnnrt_model_node_kernel(const cnnrt_model *m, size_t node);
/* Output shape of a node at the declared batch size (rank in *rank, dims up to max_dims). */
CNNRT_API cnnrt_status cnnrt_model_node_shape(const cnnrt_model *m, size_t node, size_t *dims,
                                              int max_dims, int *rank);
/* 1 when the node's computation was fused at load into the node producing its input (a
 * BatchNorm2d folded into a Conv2d, a ReLU into a Conv2d / Linear epilogue): its output is
 * then its producer's output. 0 otherwise. */
CNNRT_API int cnnrt_model_node_is_fused(const cnnrt_model *m, size_t node);
/* The values a node reads, in the order of its "inputs": how many (0 for a bad node), and
 * the producer of the i-th, a node index or CNNRT_GRAPH_INPUT for the graph input. */
#define CNNRT_GRAPH_INPUT ((size_t)-1)
CNNRT_API size_t cnnrt_model_node_input_count(const cnnrt_model *m, size_t node);
CNNRT_API cnnrt_status cnnrt_model_node_input(const cnnrt_model *m, size_t node, size_t i,
                                              size_t *producer);
/* Number of weight floats of the node, and its multiply-accumulates at the declared batch. */
CNNRT_API size_t cnnrt_model_node_param_count(const cnnrt_model *m, size_t node);
CNNRT_API uint64_t cnnrt_model_node_macs(const cnnrt_model *m, size_t node);

/* ---- Sessions ---------------------------------------------------------------------- */

/* Creates a session at the model's declared batch size. threads <= 0 means 1.
 * All working memory (one arena) is allocated here; cnnrt_run allocates nothing. */
CNNRT_API cnnrt_status cnnrt_session_create(const cnnrt_model *m, int threads, cnnrt_session **out);

/* Same for another batch size (>= 1); the planner plans the arena for that batch. */
CNNRT_API cnnrt_status cnnrt_session_create_batch(const cnnrt_model *m, int threads, size_t batch,
                                                  cnnrt_session **out);

/* Frees a session. Accepts NULL. */
CNNRT_API void cnnrt_session_free(cnnrt_session *s);

/* The session's batch size, and its input/output float counts (batch included). */
CNNRT_API size_t cnnrt_session_batch(const cnnrt_session *s);
CNNRT_API size_t cnnrt_session_input_count(const cnnrt_session *s);
CNNRT_API size_t cnnrt_session_output_count(const cnnrt_session *s);

/* Arena size in bytes, and the sum of all intermediate tensors and scratch buffers if each
 * had its own allocation (what the planner saved is the difference). */
CNNRT_API size_t cnnrt_session_arena_bytes(const cnnrt_session *s);
CNNRT_API size_t cnnrt_session_naive_bytes(const cnnrt_session *s);

/* Where a node's output lives in the arena: byte offset and size. A node whose output is
 * a view of its input (Flatten) reports its input's buffer; a node reading the graph input
 * through a view reports *bytes = 0. */
CNNRT_API cnnrt_status cnnrt_session_node_arena(const cnnrt_session *s, size_t node, size_t *offset,
                                                size_t *bytes);

/* Runs the model: input has cnnrt_session_input_count(s) floats (NCHW, batch first),
 * output receives cnnrt_session_output_count(s) floats. Counts must match exactly.
 * The same input gives bit-identical output in every session and for every thread count. */
CNNRT_API cnnrt_status cnnrt_run(cnnrt_session *s, const float *input, size_t input_count,
                                 float *output, size_t output_count);

/* Called after each node by cnnrt_run_observed with the node's output (count floats,
 * valid only during the call). */
typedef void (*cnnrt_node_observer)(void *user, size_t node, const float *data, size_t count);

/* cnnrt_run that also shows every node's output to observer (for dumps and debugging). */
CNNRT_API cnnrt_status cnnrt_run_observed(cnnrt_session *s, const float *input, size_t input_count,
                                          float *output, size_t output_count,
                                          cnnrt_node_observer observer, void *user);

/* ---- Images and classification ------------------------------------------------------ */

/* Decodes an image file and preprocesses it as the model's "preprocess" section says into
 * one sample of the input (C*H*W floats: dst_count must equal that). */
CNNRT_API cnnrt_status cnnrt_image_file_to_input(const cnnrt_model *m, const char *path, float *dst,
                                                 size_t dst_count);

/* Same from an image file's bytes held in memory (len bytes; JPEG or PNG, recognised by
 * its first bytes). name is used in messages (may be NULL: "<memory>"). */
CNNRT_API cnnrt_status cnnrt_image_memory_to_input(const cnnrt_model *m, const void *data,
                                                   size_t len, const char *name, float *dst,
                                                   size_t dst_count);

/* Same from interleaved 8-bit pixels: channels 1 (gray) or 3 (RGB), row stride in bytes. */
CNNRT_API cnnrt_status cnnrt_pixels_to_input(const cnnrt_model *m, const uint8_t *pixels, int width,
                                             int height, int channels, size_t stride, float *dst,
                                             size_t dst_count);

/* Images: JPEG (baseline, progressive; gray, YCbCr, CMYK/YCCK with Adobe's inverted CMYK;
 * any chroma subsampling TurboJPEG decodes) and PNG (1 to 16 bits, gray, gray + alpha,
 * palette, RGB, RGBA; interlaced or not), told apart by their first bytes, never by the
 * file name. Alpha (and palette transparency) is dropped, not composited, as Pillow's
 * convert("RGB") does; 16-bit samples keep their high byte; gamma, ICC profiles and text
 * chunks are ignored (raw values, as Pillow gives them). Broken, truncated (including
 * JPEG data the decoder warns about), empty or non-image files fail with CNNRT_ERR_IMAGE
 * naming the file; missing files and directories with CNNRT_ERR_IO. */

/* Turns one output row (n floats) into probabilities: copies when the model ends in
 * Softmax, applies a numerically stable softmax otherwise. */
CNNRT_API cnnrt_status cnnrt_probabilities(const cnnrt_model *m, const float *row, float *probs,
                                           size_t n);

/* Indices of the k largest values of scores[0..n) in descending order (ties: lower index
 * first). k must be <= n. */
CNNRT_API cnnrt_status cnnrt_top_k(const float *scores, size_t n, size_t k, size_t *indices);

/* ---- Limits -------------------------------------------------------------------------
 *
 * Model files, weight blobs and images are untrusted input: every size cnnrt computes from
 * them is overflow-checked, and these limits bound what they can make cnnrt allocate. A
 * size over a limit fails with CNNRT_ERR_LIMIT and a message naming the limit, before
 * anything of that size is allocated. The limits are process-wide, read at each check, and
 * may be changed at any time from any thread (atomics); a change applies to later loads,
 * sessions and decodes, not to objects that already exist. */
typedef enum {
  /* Largest tensor, in bytes: the input at the session's batch, any node's output, any
   * weight tensor. Default 1 GiB. */
  CNNRT_LIMIT_TENSOR_BYTES = 0,
  /* Largest session arena (all intermediate tensors and scratch, planned). Default 4 GiB. */
  CNNRT_LIMIT_ARENA_BYTES = 1,
  /* Largest image, width x height, read from the file's header before anything is
   * decoded or allocated. Default 2^27 (134,217,728: e.g. 16384 x 8192). */
  CNNRT_LIMIT_IMAGE_PIXELS = 2,
  /* Most nodes in a model. Default 10000. */
  CNNRT_LIMIT_NODES = 3,
  /* Deepest graph: nodes on the longest path from the input to any node. Default 4096. */
  CNNRT_LIMIT_GRAPH_DEPTH = 4,
  /* Largest model.json (text), in bytes. Default 16 MiB. */
  CNNRT_LIMIT_MODEL_BYTES = 5,
  /* Largest weight blob, in bytes. Default 4 GiB. */
  CNNRT_LIMIT_WEIGHTS_BYTES = 6,
  /* Largest image file, in bytes. Default 256 MiB. */
  CNNRT_LIMIT_IMAGE_BYTES = 7
} cnnrt_limit;

#define CNNRT_LIMIT_COUNT 8

/* Sets a limit. value 0 restores the default; values from 1 to cnnrt_limit_max(limit) are
 * accepted; anything else (or an unknown limit) is CNNRT_ERR_ARGUMENT. */
CNNRT_API cnnrt_status cnnrt_set_limit(cnnrt_limit limit, uint64_t value);

/* The current value, the default, and the largest accepted value of a limit (0 for an
 * unknown limit). */
CNNRT_API uint64_t cnnrt_get_limit(cnnrt_limit limit);
CNNRT_API uint64_t cnnrt_limit_default(cnnrt_limit limit);
CNNRT_API uint64_t cnnrt_limit_max(cnnrt_limit limit);

/* Constant name of a limit, e.g. "CNNRT_LIMIT_TENSOR_BYTES" ("CNNRT_LIMIT_UNKNOWN"). */
CNNRT_API const char *cnnrt_limit_name(cnnrt_limit limit);

#ifdef __cplusplus
}
#endif

#endif
