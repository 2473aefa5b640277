/* The process-wide limits of cnnrt_set_limit (include/cnnrt.h) and the checks that enforce
 * them: every check fails with CNNRT_ERR_LIMIT and a message naming the limit. */
#ifndef CNNRT_RUNTIME_LIMITS_H
#define CNNRT_RUNTIME_LIMITS_H

#include <stdint.h>
#include "cnnrt.h"
#include "runtime/error.h"
#include "runtime/shape.h"

/* The current value of a limit (a valid one). */
uint64_t limit_get(cnnrt_limit limit);

/* Fails when value is over the limit; the message reads "WHAT is VALUE UNIT, over
 * NAME = LIMIT (raise it with cnnrt_set_limit)", after e's prefix. */
cnnrt_status limit_check(cnnrt_limit limit, uint64_t value, const err_ctx *e, const char *what, ...)
    __attribute__((format(printf, 4, 5)));

/* A tensor's bytes (4 per element) against CNNRT_LIMIT_TENSOR_BYTES; an element count that
 * overflows is over any limit. what names the tensor ("output", "weights.bias", ...). */
cnnrt_status limit_check_tensor(const shape *s, const err_ctx *e, const char *what);

#endif
