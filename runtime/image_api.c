/* The public image entry points: decode + preprocess into one input sample. */
#include "loader/image.h"
#include "runtime/graph.h"

/* Checks that the model can take images and dst holds exactly one sample. */
static cnnrt_status check_target(const cnnrt_model *m, float *dst, size_t dst_count,
                                 const char *fn) {
  if (!m || !dst) return err_set(NULL, CNNRT_ERR_ARGUMENT, "%s: NULL argument", fn);
  if (!m->has_preprocess)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "%s: model has no \"preprocess\" section, so "
                   "it cannot take images",
                   m->source);
  size_t sample = shape_numel(&m->input_shape) / m->input_shape.dim[0];
  if (dst_count != sample)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "%s: dst_count is %zu, one input sample has %zu "
                   "floats",
                   fn, dst_count, sample);
  return CNNRT_OK;
}

cnnrt_status cnnrt_pixels_to_input(const cnnrt_model *m, const uint8_t *pixels, int width,
                                   int height, int channels, size_t stride, float *dst,
                                   size_t dst_count) {
  cnnrt_status st = check_target(m, dst, dst_count, "cnnrt_pixels_to_input");
  if (st != CNNRT_OK) return st;
  if (!pixels || width < 1 || height < 1 || (channels != 1 && channels != 3) ||
      stride < (size_t)width * (size_t)channels)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "cnnrt_pixels_to_input: bad image (pixels %s, "
                   "%dx%d, %d channels, stride %zu)",
                   pixels ? "set" : "NULL", width, height, channels, stride);
  pixel_view view = {pixels, width, height, channels, stride};
  preprocess_pixels(&m->preprocess, &view, m->input_shape.dim[2], m->input_shape.dim[3], dst);
  return CNNRT_OK;
}

/* Preprocesses a decoded image into dst and frees it. */
static cnnrt_status finish(const cnnrt_model *m, decoded_image *img, float *dst) {
  pixel_view view = {img->pixels, img->width, img->height, img->channels,
                     (size_t)img->width * (size_t)img->channels};
  preprocess_pixels(&m->preprocess, &view, m->input_shape.dim[2], m->input_shape.dim[3], dst);
  image_free(img);
  return CNNRT_OK;
}

cnnrt_status cnnrt_image_file_to_input(const cnnrt_model *m, const char *path, float *dst,
                                       size_t dst_count) {
  cnnrt_status st = check_target(m, dst, dst_count, "cnnrt_image_file_to_input");
  if (st != CNNRT_OK) return st;
  if (!path) return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_image_file_to_input: path is NULL");
  decoded_image img;
  if ((st = image_decode_file(path, m->preprocess.channels, &img))) return st;
  return finish(m, &img, dst);
}

cnnrt_status cnnrt_image_memory_to_input(const cnnrt_model *m, const void *data, size_t len,
                                         const char *name, float *dst, size_t dst_count) {
  cnnrt_status st = check_target(m, dst, dst_count, "cnnrt_image_memory_to_input");
  if (st != CNNRT_OK) return st;
  if (!data && len > 0)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_image_memory_to_input: data is NULL");
  decoded_image img;
  if ((st = image_decode(data ? data : "", len, name ? name : "<memory>", m->preprocess.channels,
                         &img)))
    return st;
  return finish(m, &img, dst);
}
