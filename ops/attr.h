/* Typed helpers over attr_reader: defaults, int-or-pair, range checks, weight shapes. */
#ifndef CNNRT_OPS_ATTR_H
#define CNNRT_OPS_ATTR_H

#include "ops/op.h"

/* Optional integer with a default. */
cnnrt_status attr_int(const attr_reader *a, const char *key, int64_t def, int64_t *out,
                      const err_ctx *e);
/* Required integer. */
cnnrt_status attr_int_required(const attr_reader *a, const char *key, int64_t *out,
                               const err_ctx *e);
/* Integer at least min (message "KEY must be >= MIN, got V"). */
cnnrt_status attr_check_min(const char *key, int64_t value, int64_t min, const err_ctx *e);
/* An int or [h, w] pair (PyTorch's _pair); absent -> def for both; present requires
 * every value >= min. required: absent is an error. */
cnnrt_status attr_pair(const attr_reader *a, const char *key, bool required, int64_t def,
                       int64_t min, int64_t out[2], const err_ctx *e);
cnnrt_status attr_bool(const attr_reader *a, const char *key, bool def, bool *out,
                       const err_ctx *e);
cnnrt_status attr_number(const attr_reader *a, const char *key, double def, double *out,
                         const err_ctx *e);
/* Optional string with a default. */
cnnrt_status attr_string(const attr_reader *a, const char *key, const char *def, const char **out,
                         const err_ctx *e);
/* A weight that must exist with exactly the given dims (rank = n_dims); the message names
 * both shapes and what the dims mean (what: e.g. "out_channels, in_channels/groups, kH, kW"). */
cnnrt_status attr_weight(const attr_reader *a, const char *key, const size_t *dims, int n_dims,
                         const char *what, weight_ref *w, const err_ctx *e);
/* A weight that must be absent (e.g. bias when bias=false). */
cnnrt_status attr_weight_absent(const attr_reader *a, const char *key, const char *why,
                                const err_ctx *e);

/* Normalises a possibly negative dim against rank (PyTorch's wrap_dim); error names key. */
cnnrt_status attr_wrap_dim(const char *key, int64_t dim, int rank, int *out, const err_ctx *e);

#endif
