// oneDNN bf16 convolutions behind an NCHW float32 interface, and bf16 matrix products (see
// cmh_dnnl.h). Primitives and their reorders are made once per shape and kept; the bf16 copies live in scratch buffers shared
// by every shape (one call at a time, under a lock). Built without oneDNN's header, every call reports
// that oneDNN is missing.
#define _GNU_SOURCE
#include "cmh_dnnl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <dlfcn.h>
#include <pthread.h>
#include <oneapi/dnnl/dnnl.h>

// The functions used, resolved from libdnnl.so.2 by name with the header's own types.
#define DNNL_FUNCTIONS(X)                                                                            \
  X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_wait) X(dnnl_memory_desc_init_by_tag)     \
  X(dnnl_convolution_forward_desc_init) X(dnnl_convolution_backward_data_desc_init)                  \
  X(dnnl_convolution_backward_weights_desc_init) X(dnnl_primitive_desc_create)                       \
  X(dnnl_primitive_desc_query_md) X(dnnl_primitive_desc_query) X(dnnl_primitive_create) X(dnnl_primitive_execute)                 \
  X(dnnl_memory_create) X(dnnl_memory_set_data_handle) X(dnnl_memory_desc_get_size)                  \
  X(dnnl_reorder_primitive_desc_create) X(dnnl_version) X(dnnl_get_effective_cpu_isa)                \
  X(dnnl_primitive_destroy) X(dnnl_primitive_desc_destroy) X(dnnl_memory_destroy)                  \
  X(dnnl_memory_desc_init_by_strides) X(dnnl_matmul_desc_init) X(dnnl_primitive_attr_create)         \
  X(dnnl_primitive_attr_destroy) X(dnnl_post_ops_create) X(dnnl_post_ops_destroy)                    \
  X(dnnl_post_ops_append_sum) X(dnnl_primitive_attr_set_post_ops) X(dnnl_memory_desc_equal)         \
  X(dnnl_post_ops_append_eltwise) X(dnnl_pooling_forward_desc_init) X(dnnl_pooling_backward_desc_init)
#define DECLARE(name) static __typeof__(name) *p_##name;
DNNL_FUNCTIONS(DECLARE)

static int loaded = 0;  // 0: not tried, 1: ready, -1: failed
static char error[256], version[32];
static dnnl_engine_t engine;
static dnnl_stream_t stream;

#define TRY(call)                                                                      \
  do {                                                                                 \
    dnnl_status_t status_ = (call);                                                    \
    if (status_ != dnnl_success) {                                                     \
      snprintf(error, sizeof error, "oneDNN: %s failed (status %d)", #call, (int)status_); \
      return -1;                                                                       \
    }                                                                                  \
  } while (0)

int cmh_dnnl_load(int threads) {
  if (loaded) return loaded == 1 ? 0 : -1;
  loaded = -1;
  // OpenMP reads these when oneDNN's libgomp loads: cmh's thread count, and idle threads that
  // sleep instead of spinning on the cores BLAS and cmh's own workers use next.
  char count[16];
  snprintf(count, sizeof count, "%d", threads > 0 ? threads : 1);
  setenv("OMP_NUM_THREADS", count, 1);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(error, sizeof error, "libdnnl.so.2 cannot be loaded (%s); install it: apt-get install libdnnl-dev", dlerror());
    return -1;
  }
#define RESOLVE(name)                                                              \
  if (!(p_##name = (__typeof__(name) *)dlsym(lib, #name))) {                       \
    snprintf(error, sizeof error, "libdnnl.so.2 has no %s: oneDNN 2.x is needed", #name); \
    return -1;                                                                     \
  }
  DNNL_FUNCTIONS(RESOLVE)
  const dnnl_version_t *v = p_dnnl_version();
  snprintf(version, sizeof version, "%d.%d.%d", v->major, v->minor, v->patch);
  TRY(p_dnnl_engine_create(&engine, dnnl_cpu, 0));
  TRY(p_dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  loaded = 1;
  return 0;
}

const char *cmh_dnnl_error(void) { return error; }
const char *cmh_dnnl_version(void) { return loaded == 1 ? version : ""; }

const char *cmh_dnnl_isa(void) {
  if (loaded != 1) return "";
  switch (p_dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx2: return "avx2";
    default: return "other";
  }
}

// MARK: Scratch buffers, shared by every shape

enum { SRC, WEIGHTS, DST, DIFF_DST, DIFF_SRC, DIFF_WEIGHTS, SLOTS };
static void *scratch[SLOTS];
static size_t scratch_size[SLOTS];

static void *buffer(int slot, size_t bytes) {
  if (scratch_size[slot] < bytes) {
    free(scratch[slot]);
    scratch[slot] = aligned_alloc(64, (bytes + 63) / 64 * 64);
    scratch_size[slot] = scratch[slot] ? bytes : 0;
  }
  return scratch[slot];
}

static int activation_md(dnnl_memory_desc_t *md, int n, int c, int h, int w);

// MARK: One shape's primitives

/// A reorder between a plain float32 tensor (the engine's) and a primitive's memory.
typedef struct {
  dnnl_primitive_t reorder;
  dnnl_memory_t plain, inner;
  int slot;
  size_t bytes;
} bridge;

typedef struct {
  cmh_conv_shape shape;
  int slow;  // oneDNN has only its reference code for this shape: the float32 path runs instead
  int keeps_x;      // the backward weights pass reads x in the forward pass's layout: a kept copy serves
  int shares_dy;    // both backward passes read dy in one layout: it is reordered once
  int blocked;      // y and dy are in the activations' layout (cmh_dnnl_activation_bytes): a caller may keep them so
  int blocked_in;   // so are x (for both passes that read it) and dx
  dnnl_primitive_desc_t forward_pd, data_pd, weights_pd;
  dnnl_primitive_t forward, backward_data, backward_weights;
  bridge x, w, y;                       // forward: x, w in; y out
  bridge dy_data, w_data, dx;           // backward data: dy, w in; dx out
  bridge x_weights, dy_weights, dw;     // backward weights: x, dy in; dw out
} entry;

#define CACHE 512
static entry cache[CACHE];
static int cached = 0, next_slot = 0;

/// A bridge from (`to_inner`) or to the plain tensor `plain_md` and the primitive's `inner`
/// memory descriptor, whose data lives in scratch `slot`. A bridge out of the primitive that
/// `accumulates` adds to the plain tensor instead of overwriting it.
static int make_bridge(bridge *b, const dnnl_memory_desc_t *plain_md, const dnnl_memory_desc_t *inner_md, int slot, int to_inner,
                       int accumulates) {
  b->slot = slot;
  b->bytes = p_dnnl_memory_desc_get_size(inner_md);
  TRY(p_dnnl_memory_create(&b->plain, plain_md, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&b->inner, inner_md, engine, DNNL_MEMORY_NONE));
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t ops = NULL;
  if (accumulates) {
    TRY(p_dnnl_primitive_attr_create(&attr));
    TRY(p_dnnl_post_ops_create(&ops));
    TRY(p_dnnl_post_ops_append_sum(ops, 1.0f));
    TRY(p_dnnl_primitive_attr_set_post_ops(attr, ops));
  }
  dnnl_primitive_desc_t pd;
  dnnl_status_t status = to_inner ? p_dnnl_reorder_primitive_desc_create(&pd, plain_md, engine, inner_md, engine, attr)
                                  : p_dnnl_reorder_primitive_desc_create(&pd, inner_md, engine, plain_md, engine, attr);
  if (ops) p_dnnl_post_ops_destroy(ops);
  if (attr) p_dnnl_primitive_attr_destroy(attr);
  TRY(status);
  status = p_dnnl_primitive_create(&b->reorder, pd);
  p_dnnl_primitive_desc_destroy(pd);
  TRY(status);
  return 0;
}

static void free_bridge(bridge *b) {
  if (b->reorder) p_dnnl_primitive_destroy(b->reorder);
  if (b->plain) p_dnnl_memory_destroy(b->plain);
  if (b->inner) p_dnnl_memory_destroy(b->inner);
}

/// Points the bridge at `plain` and at `inner` (its scratch when NULL), and runs the reorder into
/// or out of the primitive.
static int run_bridge(bridge *b, const float *plain, int to_inner, void *inner) {
  if (!inner) inner = buffer(b->slot, b->bytes);
  if (!inner) {
    snprintf(error, sizeof error, "oneDNN: no memory for a %zu-byte buffer", b->bytes);
    return -1;
  }
  TRY(p_dnnl_memory_set_data_handle(b->plain, (void *)plain));
  TRY(p_dnnl_memory_set_data_handle(b->inner, inner));
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, to_inner ? b->plain : b->inner}, {DNNL_ARG_TO, to_inner ? b->inner : b->plain}};
  TRY(p_dnnl_primitive_execute(b->reorder, stream, 2, args));
  return 0;
}

static void free_entry(entry *e) {
  bridge *bridges[] = {&e->x, &e->w, &e->y, &e->dy_data, &e->w_data, &e->dx, &e->x_weights, &e->dy_weights, &e->dw};
  for (size_t i = 0; i < sizeof bridges / sizeof bridges[0]; i++) free_bridge(bridges[i]);
  dnnl_primitive_t primitives[] = {e->forward, e->backward_data, e->backward_weights};
  for (int i = 0; i < 3; i++) if (primitives[i]) p_dnnl_primitive_destroy(primitives[i]);
  dnnl_primitive_desc_t pds[] = {e->forward_pd, e->data_pd, e->weights_pd};
  for (int i = 0; i < 3; i++) if (pds[i]) p_dnnl_primitive_desc_destroy(pds[i]);
  memset(e, 0, sizeof *e);
}

typedef struct { dnnl_memory_desc_t x, w, y; } plain_mds;

/// oneDNN chose its reference code ("ref:any"), which is far slower than cmh's float32 kernels.
static int is_reference(const_dnnl_primitive_desc_t pd) {
  const char *name = "";
  p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
  return strncmp(name, "ref", 3) == 0;
}

static int plain_descriptors(const cmh_conv_shape *s, plain_mds *m, dnnl_data_type_t type, int tagged) {
  int oh = (s->h + 2 * s->padding - s->k) / s->stride + 1, ow = (s->w + 2 * s->padding - s->k) / s->stride + 1;
  dnnl_dims_t x = {s->n, s->c, s->h, s->w}, w = {s->o, s->c, s->k, s->k}, y = {s->n, s->o, oh, ow};
  TRY(p_dnnl_memory_desc_init_by_tag(&m->x, 4, x, type, tagged ? dnnl_nchw : dnnl_format_tag_any));
  TRY(p_dnnl_memory_desc_init_by_tag(&m->w, 4, w, type, tagged ? dnnl_oihw : dnnl_format_tag_any));
  TRY(p_dnnl_memory_desc_init_by_tag(&m->y, 4, y, type, tagged ? dnnl_nchw : dnnl_format_tag_any));
  return 0;
}

/// The shape's entry with its forward primitive, made on first use.
static entry *find(const cmh_conv_shape *s) {
  for (int i = 0; i < cached; i++)
    if (memcmp(&cache[i].shape, s, sizeof *s) == 0) return &cache[i];
  entry *e = &cache[cached < CACHE ? cached++ : (next_slot = (next_slot + 1) % CACHE)];
  if (e->forward) free_entry(e);
  memset(e, 0, sizeof *e);
  e->shape = *s;
  plain_mds plain, any;
  dnnl_dims_t strides = {s->stride, s->stride}, padding = {s->padding, s->padding};
  dnnl_convolution_desc_t d;
  if (plain_descriptors(s, &plain, dnnl_f32, 1) || plain_descriptors(s, &any, dnnl_bf16, 0) ||
      p_dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &any.x, &any.w, NULL, &any.y, strides, padding, padding) ||
      p_dnnl_primitive_desc_create(&e->forward_pd, &d, NULL, engine, NULL) || p_dnnl_primitive_create(&e->forward, e->forward_pd) ||
      make_bridge(&e->x, &plain.x, p_dnnl_primitive_desc_query_md(e->forward_pd, dnnl_query_src_md, 0), SRC, 1, 0) ||
      make_bridge(&e->w, &plain.w, p_dnnl_primitive_desc_query_md(e->forward_pd, dnnl_query_weights_md, 0), WEIGHTS, 1, 0) ||
      make_bridge(&e->y, &plain.y, p_dnnl_primitive_desc_query_md(e->forward_pd, dnnl_query_dst_md, 0), DST, 0, 0)) {
    if (!error[0]) snprintf(error, sizeof error, "oneDNN: no bf16 convolution for this shape");
    free_entry(e);
    return NULL;
  }
  e->slow = is_reference(e->forward_pd);
  return e;
}

/// The entry's backward primitives, made on first use.
static int prepare_backward(entry *e) {
  if (e->backward_weights) return 0;
  const cmh_conv_shape *s = &e->shape;
  plain_mds plain, any;
  dnnl_memory_desc_t dw_any;
  dnnl_dims_t strides = {s->stride, s->stride}, padding = {s->padding, s->padding}, w = {s->o, s->c, s->k, s->k};
  dnnl_convolution_desc_t data, weights;
  if (plain_descriptors(s, &plain, dnnl_f32, 1) || plain_descriptors(s, &any, dnnl_bf16, 0)) return -1;
  TRY(p_dnnl_memory_desc_init_by_tag(&dw_any, 4, w, dnnl_f32, dnnl_format_tag_any));  // weight gradients stay f32
  TRY(p_dnnl_convolution_backward_data_desc_init(&data, dnnl_convolution_direct, &any.x, &any.w, &any.y, strides, padding, padding));
  TRY(p_dnnl_primitive_desc_create(&e->data_pd, &data, NULL, engine, e->forward_pd));
  TRY(p_dnnl_primitive_create(&e->backward_data, e->data_pd));
  TRY(p_dnnl_convolution_backward_weights_desc_init(&weights, dnnl_convolution_direct, &any.x, &dw_any, NULL, &any.y, strides, padding, padding));
  TRY(p_dnnl_primitive_desc_create(&e->weights_pd, &weights, NULL, engine, e->forward_pd));
  TRY(p_dnnl_primitive_create(&e->backward_weights, e->weights_pd));
  e->slow |= is_reference(e->data_pd) || is_reference(e->weights_pd);
  if (make_bridge(&e->dy_data, &plain.y, p_dnnl_primitive_desc_query_md(e->data_pd, dnnl_query_diff_dst_md, 0), DIFF_DST, 1, 0) ||
      make_bridge(&e->w_data, &plain.w, p_dnnl_primitive_desc_query_md(e->data_pd, dnnl_query_weights_md, 0), WEIGHTS, 1, 0) ||
      make_bridge(&e->dx, &plain.x, p_dnnl_primitive_desc_query_md(e->data_pd, dnnl_query_diff_src_md, 0), DIFF_SRC, 0, 0) ||
      make_bridge(&e->x_weights, &plain.x, p_dnnl_primitive_desc_query_md(e->weights_pd, dnnl_query_src_md, 0), SRC, 1, 0) ||
      make_bridge(&e->dy_weights, &plain.y, p_dnnl_primitive_desc_query_md(e->weights_pd, dnnl_query_diff_dst_md, 0), DIFF_DST, 1, 0))
    return -1;
  e->keeps_x = p_dnnl_memory_desc_equal(p_dnnl_primitive_desc_query_md(e->weights_pd, dnnl_query_src_md, 0),
                                        p_dnnl_primitive_desc_query_md(e->forward_pd, dnnl_query_src_md, 0));
  e->shares_dy = p_dnnl_memory_desc_equal(p_dnnl_primitive_desc_query_md(e->weights_pd, dnnl_query_diff_dst_md, 0),
                                          p_dnnl_primitive_desc_query_md(e->data_pd, dnnl_query_diff_dst_md, 0));
  int oh = (s->h + 2 * s->padding - s->k) / s->stride + 1, ow = (s->w + 2 * s->padding - s->k) / s->stride + 1;
  dnnl_memory_desc_t activation;
  e->blocked = e->shares_dy && !activation_md(&activation, s->n, s->o, oh, ow) &&
               p_dnnl_memory_desc_equal(&activation, p_dnnl_primitive_desc_query_md(e->forward_pd, dnnl_query_dst_md, 0)) &&
               p_dnnl_memory_desc_equal(&activation, p_dnnl_primitive_desc_query_md(e->data_pd, dnnl_query_diff_dst_md, 0));
  e->blocked_in = e->keeps_x && s->c % 16 == 0 && !activation_md(&activation, s->n, s->c, s->h, s->w) &&
                  p_dnnl_memory_desc_equal(&activation, p_dnnl_primitive_desc_query_md(e->forward_pd, dnnl_query_src_md, 0)) &&
                  p_dnnl_memory_desc_equal(&activation, p_dnnl_primitive_desc_query_md(e->data_pd, dnnl_query_diff_src_md, 0));
  dnnl_memory_desc_t dw_plain;
  TRY(p_dnnl_memory_desc_init_by_tag(&dw_plain, 4, w, dnnl_f32, dnnl_oihw));
  return make_bridge(&e->dw, &dw_plain, p_dnnl_primitive_desc_query_md(e->weights_pd, dnnl_query_diff_weights_md, 0), DIFF_WEIGHTS, 0, 1);
}

/// Runs primitive `p` on `args` and waits for it.
static int execute(dnnl_primitive_t p, int count, const dnnl_exec_arg_t *args) {
  TRY(p_dnnl_primitive_execute(p, stream, count, args));
  TRY(p_dnnl_stream_wait(stream));
  return 0;
}

/// Runs primitive `p` with its inputs `in` (already in its layouts) into the inner memory of
/// `out`, then reorders that into the plain float32 tensor `plain`.
static int run_into(dnnl_primitive_t p, int in_arg0, dnnl_memory_t in0, int in_arg1, dnnl_memory_t in1, int out_arg, bridge *out, float *plain) {
  if (!buffer(out->slot, out->bytes)) {
    snprintf(error, sizeof error, "oneDNN: no memory for a %zu-byte buffer", out->bytes);
    return -1;
  }
  TRY(p_dnnl_memory_set_data_handle(out->inner, scratch[out->slot]));
  dnnl_exec_arg_t args[] = {{in_arg0, in0}, {in_arg1, in1}, {out_arg, out->inner}};
  TRY(p_dnnl_primitive_execute(p, stream, 3, args));
  if (run_bridge(out, plain, 0, NULL)) return -1;
  TRY(p_dnnl_stream_wait(stream));
  return 0;
}

static int conv_forward(const cmh_conv_shape *s, const float *x, const float *w, float *y, void *kept, void *y_blocked) {
  if (loaded != 1) return -1;
  entry *e = find(s);
  if (!e) return -1;
  if (e->slow) return 1;
  if (!x && !(kept && e->blocked_in)) {
    snprintf(error, sizeof error, "oneDNN: an input in the activations' layout for a convolution that does not read it");
    return -1;
  }
  if (x) { if (run_bridge(&e->x, x, 1, kept)) return -1; }
  else TRY(p_dnnl_memory_set_data_handle(e->x.inner, kept));  // x is already there
  if (run_bridge(&e->w, w, 1, NULL)) return -1;
  if (!y_blocked) return run_into(e->forward, DNNL_ARG_SRC, e->x.inner, DNNL_ARG_WEIGHTS, e->w.inner, DNNL_ARG_DST, &e->y, y);
  // y stays bf16 in the activations' layout, for a BatchNorm that reads it there.
  TRY(p_dnnl_memory_set_data_handle(e->y.inner, y_blocked));
  dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, e->x.inner}, {DNNL_ARG_WEIGHTS, e->w.inner}, {DNNL_ARG_DST, e->y.inner}};
  return execute(e->forward, 3, args);
}

static int conv_backward(const cmh_conv_shape *s, const float *x, const void *kept, const float *w, const float *dy,
                         const void *dy_blocked, float *dx, void *dx_blocked, float *dw) {
  if (loaded != 1) return -1;
  entry *e = find(s);
  if (!e || prepare_backward(e)) return -1;
  if (e->slow) return 1;
  if ((dy_blocked && !e->blocked) || (dx_blocked && !e->blocked_in) || (!x && !(kept && e->keeps_x))) {
    snprintf(error, sizeof error, "oneDNN: a gradient in the activations' layout for a convolution that does not read it");
    return -1;
  }
  // The weight gradient: x (the forward pass's bf16 copy when it fits) and dy into the
  // primitive's layouts, dW (f32) out and added to dw by the reorder.
  if (kept && e->keeps_x) TRY(p_dnnl_memory_set_data_handle(e->x_weights.inner, (void *)kept));
  else if (run_bridge(&e->x_weights, x, 1, NULL)) return -1;
  if (dy_blocked) TRY(p_dnnl_memory_set_data_handle(e->dy_weights.inner, (void *)dy_blocked));
  else if (run_bridge(&e->dy_weights, dy, 1, NULL)) return -1;
  if (run_into(e->backward_weights, DNNL_ARG_SRC, e->x_weights.inner, DNNL_ARG_DIFF_DST, e->dy_weights.inner, DNNL_ARG_DIFF_WEIGHTS, &e->dw, dw))
    return -1;
  if (!dx && !dx_blocked) return 0;
  // The input gradient: dy (still in scratch when both passes share its layout) and w in, dx out.
  if (dy_blocked) TRY(p_dnnl_memory_set_data_handle(e->dy_data.inner, (void *)dy_blocked));
  else if (e->shares_dy) TRY(p_dnnl_memory_set_data_handle(e->dy_data.inner, buffer(DIFF_DST, e->dy_data.bytes)));
  else if (run_bridge(&e->dy_data, dy, 1, NULL)) return -1;
  if (run_bridge(&e->w_data, w, 1, NULL)) return -1;
  if (!dx_blocked)
    return run_into(e->backward_data, DNNL_ARG_DIFF_DST, e->dy_data.inner, DNNL_ARG_WEIGHTS, e->w_data.inner, DNNL_ARG_DIFF_SRC, &e->dx, dx);
  TRY(p_dnnl_memory_set_data_handle(e->dx.inner, dx_blocked));
  dnnl_exec_arg_t args[] = {{DNNL_ARG_DIFF_DST, e->dy_data.inner}, {DNNL_ARG_WEIGHTS, e->w_data.inner}, {DNNL_ARG_DIFF_SRC, e->dx.inner}};
  return execute(e->backward_data, 3, args);
}

/// 1 when the shape's output and output gradient can stay in the activations' layout, plus 2
/// when its input and input gradient can.
static int conv_blocked(const cmh_conv_shape *s) {
  if (loaded != 1) return 0;
  entry *e = find(s);
  return e && !e->slow && !prepare_backward(e) ? e->blocked | e->blocked_in << 1 : 0;
}

/// Bytes of the bf16 copy of x that the forward pass can keep for the backward pass; 0 when
/// oneDNN does not run the shape.
static size_t conv_kept_bytes(const cmh_conv_shape *s) {
  if (loaded != 1) return 0;
  entry *e = find(s);
  return e && !e->slow ? e->x.bytes : 0;
}

// MARK: Matrix products

typedef struct {
  cmh_matmul_shape shape;
  int slow;
  dnnl_primitive_t primitive;
  dnnl_memory_t a, b, c;
} product;

#define PRODUCTS 64
static product products[PRODUCTS];
static int product_count = 0, next_product = 0;

static void free_product(product *p) {
  if (p->primitive) p_dnnl_primitive_destroy(p->primitive);
  dnnl_memory_t memories[] = {p->a, p->b, p->c};
  for (int i = 0; i < 3; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
  memset(p, 0, sizeof *p);
}

/// The primitive for `s`: plain row-major operands (transposed ones by their strides), the sum
/// post-op when it accumulates.
static int make_product(product *p, const cmh_matmul_shape *s) {
  dnnl_memory_desc_t a, b, c;
  dnnl_dims_t a_dims = {s->m, s->k}, b_dims = {s->k, s->n}, c_dims = {s->m, s->n};
  dnnl_dims_t a_strides = {s->transpose_a ? 1 : s->k, s->transpose_a ? s->m : 1};
  dnnl_dims_t b_strides = {s->transpose_b ? 1 : s->n, s->transpose_b ? s->k : 1}, c_strides = {s->ldc > 0 ? s->ldc : s->n, 1};
  TRY(p_dnnl_memory_desc_init_by_strides(&a, 2, a_dims, dnnl_bf16, a_strides));
  TRY(p_dnnl_memory_desc_init_by_strides(&b, 2, b_dims, dnnl_bf16, b_strides));
  TRY(p_dnnl_memory_desc_init_by_strides(&c, 2, c_dims, dnnl_f32, c_strides));
  dnnl_matmul_desc_t d;
  TRY(p_dnnl_matmul_desc_init(&d, &a, &b, NULL, &c));
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t ops = NULL;
  if (s->accumulate) {
    TRY(p_dnnl_primitive_attr_create(&attr));
    TRY(p_dnnl_post_ops_create(&ops));
    TRY(p_dnnl_post_ops_append_sum(ops, 1.0f));
    TRY(p_dnnl_primitive_attr_set_post_ops(attr, ops));
  }
  dnnl_primitive_desc_t pd;
  dnnl_status_t status = p_dnnl_primitive_desc_create(&pd, &d, attr, engine, NULL);
  if (ops) p_dnnl_post_ops_destroy(ops);
  if (attr) p_dnnl_primitive_attr_destroy(attr);
  TRY(status);
  p->slow = is_reference(pd);
  status = p_dnnl_primitive_create(&p->primitive, pd);
  p_dnnl_primitive_desc_destroy(pd);
  TRY(status);
  TRY(p_dnnl_memory_create(&p->a, &a, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&p->b, &b, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&p->c, &c, engine, DNNL_MEMORY_NONE));
  p->shape = *s;
  return 0;
}

static product *find_product(const cmh_matmul_shape *s) {
  for (int i = 0; i < product_count; i++)
    if (memcmp(&products[i].shape, s, sizeof *s) == 0) return &products[i];
  product *p = &products[product_count < PRODUCTS ? product_count++ : (next_product = (next_product + 1) % PRODUCTS)];
  free_product(p);
  if (make_product(p, s)) {
    free_product(p);
    return NULL;
  }
  return p;
}

static int matmul(const cmh_matmul_shape *s, const uint16_t *a, const uint16_t *b, float *c) {
  if (loaded != 1) return -1;
  if (s->m <= 0 || s->n <= 0 || s->k <= 0 || (s->ldc > 0 && s->ldc < s->n)) {
    snprintf(error, sizeof error, "oneDNN: a matrix product of %d × %d × %d (rows of C %d apart)", s->m, s->n, s->k, s->ldc);
    return -1;
  }
  product *p = find_product(s);
  if (!p) return -1;
  if (p->slow) return 1;
  TRY(p_dnnl_memory_set_data_handle(p->a, (void *)a));
  TRY(p_dnnl_memory_set_data_handle(p->b, (void *)b));
  TRY(p_dnnl_memory_set_data_handle(p->c, c));
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}};
  return execute(p->primitive, 3, args);
}

// MARK: Inference on bf16 activations in oneDNN's layout

/// The layout of a bf16 activation between layers: blocks of 16 channels (aBcd16b), or plain
/// NCHW for the few channels of an image.
static int activation_md(dnnl_memory_desc_t *md, int n, int c, int h, int w) {
  dnnl_dims_t dims = {n, c, h, w};
  TRY(p_dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_bf16, c % 16 == 0 ? dnnl_aBcd16b : dnnl_nchw));
  return 0;
}

typedef struct {
  int kind;  // 1: into the layout, 2: a convolution, 3: a max pool
  int key[12];
  int slow;
  dnnl_primitive_t primitive;
  bridge conversion;     // a convolution's f32 weights into its layout, or an activation's conversion
  dnnl_memory_t a, b, c; // the primitive's memories: src, bias, dst
} op;

#define OPS 512
static op ops[OPS];
static int op_count = 0, next_op = 0;

static void free_op(op *o) {
  if (o->primitive) p_dnnl_primitive_destroy(o->primitive);
  free_bridge(&o->conversion);
  dnnl_memory_t memories[] = {o->a, o->b, o->c};
  for (int i = 0; i < 3; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
  memset(o, 0, sizeof *o);
}

/// The cached op of this kind and key, or a cleared slot for it (`*fresh` set).
static op *find_op(int kind, const int key[12], int *fresh) {
  for (int i = 0; i < op_count; i++)
    if (ops[i].kind == kind && memcmp(ops[i].key, key, sizeof ops[i].key) == 0) return *fresh = 0, &ops[i];
  op *o = &ops[op_count < OPS ? op_count++ : (next_op = (next_op + 1) % OPS)];
  free_op(o);
  o->kind = kind;
  memcpy(o->key, key, sizeof o->key);
  *fresh = 1;
  return o;
}

static int make_primitive(op *o, const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr) {
  dnnl_primitive_desc_t pd;
  TRY(p_dnnl_primitive_desc_create(&pd, desc, attr, engine, NULL));
  o->slow = is_reference(pd);
  dnnl_status_t status = p_dnnl_primitive_create(&o->primitive, pd);
  p_dnnl_primitive_desc_destroy(pd);
  TRY(status);
  return 0;
}

/// 1 when oneDNN's own choice of layout for a typical bf16 convolution here is blocks of 16
/// channels (AVX512-BF16 kernels); elsewhere (AMX kernels may want channels-last) the layers keep
/// exchanging float32 NCHW rather than force a layout on kernels that run slower in it.
static int blocked_activations(void) {
  static int answer = -1;
  if (answer >= 0) return answer;
  answer = 0;
  cmh_conv_shape s = {32, 64, 64, 56, 56, 3, 1, 1};
  plain_mds any;
  dnnl_memory_desc_t blocked;
  dnnl_dims_t strides = {1, 1}, padding = {1, 1};
  dnnl_convolution_desc_t d;
  dnnl_primitive_desc_t pd;
  if (plain_descriptors(&s, &any, dnnl_bf16, 0) || activation_md(&blocked, 32, 64, 56, 56) ||
      p_dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &any.x, &any.w, NULL, &any.y, strides, padding, padding) ||
      p_dnnl_primitive_desc_create(&pd, &d, NULL, engine, NULL))
    return answer;
  answer = p_dnnl_memory_desc_equal(&blocked, p_dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)) &&
           p_dnnl_memory_desc_equal(&blocked, p_dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
  p_dnnl_primitive_desc_destroy(pd);
  return answer;
}

static size_t activation_bytes(int n, int c, int h, int w) {
  dnnl_memory_desc_t md;
  return activation_md(&md, n, c, h, w) ? 0 : p_dnnl_memory_desc_get_size(&md);
}

/// Float32 NCHW to the bf16 layout.
static int to_activation(int n, int c, int h, int w, const float *from, void *to) {
  if (loaded != 1) return -1;
  int key[12] = {n, c, h, w}, fresh;
  op *o = find_op(1, key, &fresh);
  if (fresh) {
    dnnl_memory_desc_t plain, inner;
    dnnl_dims_t dims = {n, c, h, w};
    if (activation_md(&inner, n, c, h, w)) return free_op(o), -1;
    TRY(p_dnnl_memory_desc_init_by_tag(&plain, 4, dims, dnnl_f32, dnnl_nchw));
    if (make_bridge(&o->conversion, &plain, &inner, SRC, 1, 0)) return free_op(o), -1;
  }
  return run_bridge(&o->conversion, from, 1, to) || p_dnnl_stream_wait(stream) != dnnl_success ? -1 : 0;
}

static int make_conv_infer(op *o, const cmh_conv_shape *s, int relu, int accumulate) {
  int oh = (s->h + 2 * s->padding - s->k) / s->stride + 1, ow = (s->w + 2 * s->padding - s->k) / s->stride + 1;
  dnnl_memory_desc_t x, w, b, y, w_plain;
  dnnl_dims_t w_dims = {s->o, s->c, s->k, s->k}, b_dims = {s->o};
  dnnl_dims_t strides = {s->stride, s->stride}, padding = {s->padding, s->padding};
  if (activation_md(&x, s->n, s->c, s->h, s->w) || activation_md(&y, s->n, s->o, oh, ow)) return -1;
  TRY(p_dnnl_memory_desc_init_by_tag(&w, 4, w_dims, dnnl_bf16, dnnl_format_tag_any));
  TRY(p_dnnl_memory_desc_init_by_tag(&w_plain, 4, w_dims, dnnl_f32, dnnl_oihw));
  TRY(p_dnnl_memory_desc_init_by_tag(&b, 1, b_dims, dnnl_f32, dnnl_a));
  dnnl_convolution_desc_t d;
  TRY(p_dnnl_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &x, &w, &b, &y, strides, padding, padding));
  // dst = relu(conv + bias + dst): the residual sum when accumulating, then the ReLU.
  dnnl_primitive_attr_t attr;
  dnnl_post_ops_t post;
  TRY(p_dnnl_primitive_attr_create(&attr));
  TRY(p_dnnl_post_ops_create(&post));
  if (accumulate) TRY(p_dnnl_post_ops_append_sum(post, 1.0f));
  if (relu) TRY(p_dnnl_post_ops_append_eltwise(post, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
  TRY(p_dnnl_primitive_attr_set_post_ops(attr, post));
  dnnl_primitive_desc_t pd;
  dnnl_status_t status = p_dnnl_primitive_desc_create(&pd, &d, attr, engine, NULL);
  p_dnnl_post_ops_destroy(post);
  p_dnnl_primitive_attr_destroy(attr);
  TRY(status);
  o->slow = is_reference(pd);
  status = p_dnnl_primitive_create(&o->primitive, pd);
  if (status == dnnl_success)
    status = make_bridge(&o->conversion, &w_plain, p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), WEIGHTS, 1, 0)
                 ? dnnl_runtime_error : dnnl_success;
  p_dnnl_primitive_desc_destroy(pd);
  TRY(status);
  TRY(p_dnnl_memory_create(&o->a, &x, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&o->b, &b, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&o->c, &y, engine, DNNL_MEMORY_NONE));
  return 0;
}

/// The inference convolution of this shape and these post-ops, made on first use; NULL on failure.
static op *conv_infer_op(const cmh_conv_shape *s, int relu, int accumulate) {
  if (loaded != 1) return NULL;
  int key[12] = {s->n, s->c, s->o, s->h, s->w, s->k, s->stride, s->padding, relu, accumulate}, fresh;
  op *o = find_op(2, key, &fresh);
  if (fresh && make_conv_infer(o, s, relu, accumulate)) {
    if (!error[0]) snprintf(error, sizeof error, "oneDNN: no bf16 convolution for this shape");
    free_op(o);
    return NULL;
  }
  return o;
}

static size_t conv_infer_weight_bytes(const cmh_conv_shape *s, int relu, int accumulate) {
  op *o = conv_infer_op(s, relu, accumulate);
  return o && !o->slow ? o->conversion.bytes : 0;
}

static int conv_infer_prepare(const cmh_conv_shape *s, int relu, int accumulate, const float *w, void *prepared) {
  op *o = conv_infer_op(s, relu, accumulate);
  if (!o || o->slow) return -1;
  return run_bridge(&o->conversion, w, 1, prepared) || p_dnnl_stream_wait(stream) != dnnl_success ? -1 : 0;
}

static int conv_infer(const cmh_conv_shape *s, const void *x, const float *w, const void *prepared, const float *bias, int relu,
                      int accumulate, void *y) {
  op *o = conv_infer_op(s, relu, accumulate);
  if (!o) return -1;
  if (o->slow) return 1;
  if (prepared) TRY(p_dnnl_memory_set_data_handle(o->conversion.inner, (void *)prepared));
  else if (run_bridge(&o->conversion, w, 1, NULL)) return -1;
  TRY(p_dnnl_memory_set_data_handle(o->a, (void *)x));
  TRY(p_dnnl_memory_set_data_handle(o->b, (void *)bias));
  TRY(p_dnnl_memory_set_data_handle(o->c, y));
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, o->a}, {DNNL_ARG_WEIGHTS, o->conversion.inner}, {DNNL_ARG_BIAS, o->b}, {DNNL_ARG_DST, o->c}};
  return execute(o->primitive, 4, args);
}

/// The pooling descriptor of shape `s` for `kind`, with its activations' descriptors.
static int maxpool_desc(const cmh_pool_shape *s, dnnl_prop_kind_t kind, dnnl_pooling_desc_t *d, dnnl_memory_desc_t *src,
                        dnnl_memory_desc_t *dst) {
  int oh = (s->h + 2 * s->padding - s->k) / s->stride + 1, ow = (s->w + 2 * s->padding - s->k) / s->stride + 1;
  // The right padding that gives PyTorch's (floored) output size.
  dnnl_dims_t kernel = {s->k, s->k}, strides = {s->stride, s->stride}, left = {s->padding, s->padding};
  dnnl_dims_t right = {(oh - 1) * s->stride + s->k - s->h - s->padding, (ow - 1) * s->stride + s->k - s->w - s->padding};
  if (activation_md(src, s->n, s->c, s->h, s->w) || activation_md(dst, s->n, s->c, oh, ow)) return -1;
  if (kind == dnnl_backward_data) {
    TRY(p_dnnl_pooling_backward_desc_init(d, dnnl_pooling_max, src, dst, strides, kernel, left, right));
  } else {
    TRY(p_dnnl_pooling_forward_desc_init(d, kind, dnnl_pooling_max, src, dst, strides, kernel, left, right));
  }
  return 0;
}

static int maxpool_infer(const cmh_pool_shape *s, const void *x, void *y) {
  if (loaded != 1) return -1;
  int key[12] = {s->n, s->c, s->h, s->w, s->k, s->stride, s->padding}, fresh;
  op *o = find_op(3, key, &fresh);
  if (fresh) {
    dnnl_memory_desc_t src, dst;
    dnnl_pooling_desc_t d;
    if (maxpool_desc(s, dnnl_forward_inference, &d, &src, &dst) ||
        make_primitive(o, &d, NULL) || p_dnnl_memory_create(&o->a, &src, engine, DNNL_MEMORY_NONE) ||
        p_dnnl_memory_create(&o->c, &dst, engine, DNNL_MEMORY_NONE)) {
      if (!error[0]) snprintf(error, sizeof error, "oneDNN: no bf16 max pool for this shape");
      free_op(o);
      return -1;
    }
  }
  if (o->slow) return 1;
  TRY(p_dnnl_memory_set_data_handle(o->a, (void *)x));
  TRY(p_dnnl_memory_set_data_handle(o->c, y));
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, o->a}, {DNNL_ARG_DST, o->c}};
  return execute(o->primitive, 2, args);
}

/// A max pool in training: the forward pass writes where each maximum was (its workspace), which
/// the backward pass reads.
typedef struct {
  cmh_pool_shape shape;
  int slow;
  dnnl_primitive_t forward, backward;
  dnnl_memory_t x, y, workspace, dy, dx;
  size_t workspace_bytes;
} pool;

#define POOLS 16
static pool pools[POOLS];
static int pool_count = 0, next_pool = 0;

static void free_pool(pool *p) {
  dnnl_primitive_t primitives[] = {p->forward, p->backward};
  for (int i = 0; i < 2; i++) if (primitives[i]) p_dnnl_primitive_destroy(primitives[i]);
  dnnl_memory_t memories[] = {p->x, p->y, p->workspace, p->dy, p->dx};
  for (int i = 0; i < 5; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
  memset(p, 0, sizeof *p);
}

static int make_pool(pool *p, const cmh_pool_shape *s) {
  dnnl_memory_desc_t src, dst;
  dnnl_pooling_desc_t forward, backward;
  dnnl_primitive_desc_t forward_pd, backward_pd;
  if (maxpool_desc(s, dnnl_forward_training, &forward, &src, &dst) || maxpool_desc(s, dnnl_backward_data, &backward, &src, &dst)) return -1;
  TRY(p_dnnl_primitive_desc_create(&forward_pd, &forward, NULL, engine, NULL));
  dnnl_status_t status = p_dnnl_primitive_desc_create(&backward_pd, &backward, NULL, engine, forward_pd);
  if (status != dnnl_success) p_dnnl_primitive_desc_destroy(forward_pd);
  TRY(status);
  const dnnl_memory_desc_t *workspace = p_dnnl_primitive_desc_query_md(forward_pd, dnnl_query_workspace_md, 0);
  p->slow = is_reference(forward_pd) || is_reference(backward_pd);
  p->workspace_bytes = workspace ? p_dnnl_memory_desc_get_size(workspace) : 0;
  status = p_dnnl_primitive_create(&p->forward, forward_pd);
  if (status == dnnl_success) status = p_dnnl_primitive_create(&p->backward, backward_pd);
  if (status == dnnl_success && workspace) status = p_dnnl_memory_create(&p->workspace, workspace, engine, DNNL_MEMORY_NONE);
  p_dnnl_primitive_desc_destroy(forward_pd);
  p_dnnl_primitive_desc_destroy(backward_pd);
  TRY(status);
  TRY(p_dnnl_memory_create(&p->x, &src, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&p->y, &dst, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&p->dy, &dst, engine, DNNL_MEMORY_NONE));
  TRY(p_dnnl_memory_create(&p->dx, &src, engine, DNNL_MEMORY_NONE));
  return p->workspace ? 0 : -1;
}

static pool *find_pool(const cmh_pool_shape *s) {
  for (int i = 0; i < pool_count; i++)
    if (memcmp(&pools[i].shape, s, sizeof *s) == 0) return &pools[i];
  pool *p = &pools[pool_count < POOLS ? pool_count++ : (next_pool = (next_pool + 1) % POOLS)];
  free_pool(p);
  p->shape = *s;
  if (make_pool(p, s)) {
    if (!error[0]) snprintf(error, sizeof error, "oneDNN: no bf16 max pool for training at this shape");
    free_pool(p);
    return NULL;
  }
  return p;
}

static size_t maxpool_workspace_bytes(const cmh_pool_shape *s) {
  if (loaded != 1) return 0;
  pool *p = find_pool(s);
  return p && !p->slow ? p->workspace_bytes : 0;
}

static int maxpool_forward(const cmh_pool_shape *s, const void *x, void *y, void *workspace) {
  pool *p = loaded == 1 ? find_pool(s) : NULL;
  if (!p) return -1;
  TRY(p_dnnl_memory_set_data_handle(p->x, (void *)x));
  TRY(p_dnnl_memory_set_data_handle(p->y, y));
  TRY(p_dnnl_memory_set_data_handle(p->workspace, workspace));
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->x}, {DNNL_ARG_DST, p->y}, {DNNL_ARG_WORKSPACE, p->workspace}};
  return execute(p->forward, 3, args);
}

static int maxpool_backward(const cmh_pool_shape *s, const void *dy, const void *workspace, void *dx) {
  pool *p = loaded == 1 ? find_pool(s) : NULL;
  if (!p) return -1;
  TRY(p_dnnl_memory_set_data_handle(p->dy, (void *)dy));
  TRY(p_dnnl_memory_set_data_handle(p->workspace, (void *)workspace));
  TRY(p_dnnl_memory_set_data_handle(p->dx, dx));
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, p->dy}, {DNNL_ARG_WORKSPACE, p->workspace}, {DNNL_ARG_DIFF_SRC, p->dx}};
  return execute(p->backward, 3, args);
}

// The caches and the scratch buffers are shared: one call at a time, whichever thread makes it.
static pthread_mutex_t calls = PTHREAD_MUTEX_INITIALIZER;

size_t cmh_dnnl_conv_kept_bytes(const cmh_conv_shape *s) {
  pthread_mutex_lock(&calls);
  size_t result = conv_kept_bytes(s);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_conv_blocked(const cmh_conv_shape *s) {
  pthread_mutex_lock(&calls);
  int result = conv_blocked(s);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_conv_forward(const cmh_conv_shape *s, const float *x, const float *w, float *y, void *kept, void *y_blocked) {
  pthread_mutex_lock(&calls);
  int result = conv_forward(s, x, w, y, kept, y_blocked);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_conv_backward(const cmh_conv_shape *s, const float *x, const void *kept, const float *w, const float *dy,
                           const void *dy_blocked, float *dx, void *dx_blocked, float *dw) {
  pthread_mutex_lock(&calls);
  int result = conv_backward(s, x, kept, w, dy, dy_blocked, dx, dx_blocked, dw);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_matmul(const cmh_matmul_shape *s, const uint16_t *a, const uint16_t *b, float *c) {
  pthread_mutex_lock(&calls);
  int result = matmul(s, a, b, c);
  pthread_mutex_unlock(&calls);
  return result;
}

size_t cmh_dnnl_activation_bytes(int n, int c, int h, int w) {
  pthread_mutex_lock(&calls);
  size_t result = loaded == 1 && blocked_activations() ? activation_bytes(n, c, h, w) : 0;
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_to_activation(int n, int c, int h, int w, const float *x, void *y) {
  pthread_mutex_lock(&calls);
  int result = to_activation(n, c, h, w, x, y);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_conv_infer(const cmh_conv_shape *s, const void *x, const float *w, const void *prepared, const float *bias, int relu,
                        int accumulate, void *y) {
  pthread_mutex_lock(&calls);
  int result = conv_infer(s, x, w, prepared, bias, relu, accumulate, y);
  pthread_mutex_unlock(&calls);
  return result;
}

size_t cmh_dnnl_conv_infer_weight_bytes(const cmh_conv_shape *s, int relu, int accumulate) {
  pthread_mutex_lock(&calls);
  size_t result = conv_infer_weight_bytes(s, relu, accumulate);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_conv_infer_prepare(const cmh_conv_shape *s, int relu, int accumulate, const float *w, void *prepared) {
  pthread_mutex_lock(&calls);
  int result = conv_infer_prepare(s, relu, accumulate, w, prepared);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_maxpool_infer(const cmh_pool_shape *s, const void *x, void *y) {
  pthread_mutex_lock(&calls);
  int result = maxpool_infer(s, x, y);
  pthread_mutex_unlock(&calls);
  return result;
}

size_t cmh_dnnl_maxpool_workspace_bytes(const cmh_pool_shape *s) {
  pthread_mutex_lock(&calls);
  size_t result = maxpool_workspace_bytes(s);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_maxpool_forward(const cmh_pool_shape *s, const void *x, void *y, void *workspace) {
  pthread_mutex_lock(&calls);
  int result = maxpool_forward(s, x, y, workspace);
  pthread_mutex_unlock(&calls);
  return result;
}

int cmh_dnnl_maxpool_backward(const cmh_pool_shape *s, const void *dy, const void *workspace, void *dx) {
  pthread_mutex_lock(&calls);
  int result = maxpool_backward(s, dy, workspace, dx);
  pthread_mutex_unlock(&calls);
  return result;
}

#else

int cmh_dnnl_load(int threads) { (void)threads; return -1; }
const char *cmh_dnnl_error(void) { return "this cmh was built without oneDNN's header (apt-get install libdnnl-dev, then touch Sources/CDNNL/cmh_dnnl.c and make build: the glue must be compiled again)"; }
const char *cmh_dnnl_version(void) { return ""; }
const char *cmh_dnnl_isa(void) { return ""; }
size_t cmh_dnnl_conv_kept_bytes(const cmh_conv_shape *s) { (void)s; return 0; }
int cmh_dnnl_conv_blocked(const cmh_conv_shape *s) { (void)s; return 0; }
int cmh_dnnl_conv_forward(const cmh_conv_shape *s, const float *x, const float *w, float *y, void *kept, void *y_blocked) {
  (void)s; (void)x; (void)w; (void)y; (void)kept; (void)y_blocked;
  return -1;
}
int cmh_dnnl_conv_backward(const cmh_conv_shape *s, const float *x, const void *kept, const float *w, const float *dy,
                           const void *dy_blocked, float *dx, void *dx_blocked, float *dw) {
  (void)s; (void)x; (void)kept; (void)w; (void)dy; (void)dy_blocked; (void)dx; (void)dx_blocked; (void)dw;
  return -1;
}
int cmh_dnnl_matmul(const cmh_matmul_shape *s, const uint16_t *a, const uint16_t *b, float *c) { (void)s; (void)a; (void)b; (void)c; return -1; }

size_t cmh_dnnl_activation_bytes(int n, int c, int h, int w) { (void)n; (void)c; (void)h; (void)w; return 0; }
int cmh_dnnl_to_activation(int n, int c, int h, int w, const float *x, void *y) { (void)n; (void)c; (void)h; (void)w; (void)x; (void)y; return -1; }
int cmh_dnnl_conv_infer(const cmh_conv_shape *s, const void *x, const float *w, const void *prepared, const float *bias, int relu,
                        int accumulate, void *y) {
  (void)s; (void)x; (void)w; (void)prepared; (void)bias; (void)relu; (void)accumulate; (void)y;
  return -1;
}
size_t cmh_dnnl_conv_infer_weight_bytes(const cmh_conv_shape *s, int relu, int accumulate) { (void)s; (void)relu; (void)accumulate; return 0; }
int cmh_dnnl_conv_infer_prepare(const cmh_conv_shape *s, int relu, int accumulate, const float *w, void *prepared) {
  (void)s; (void)relu; (void)accumulate; (void)w; (void)prepared;
  return -1;
}
int cmh_dnnl_maxpool_infer(const cmh_pool_shape *s, const void *x, void *y) { (void)s; (void)x; (void)y; return -1; }
size_t cmh_dnnl_maxpool_workspace_bytes(const cmh_pool_shape *s) { (void)s; return 0; }
int cmh_dnnl_maxpool_forward(const cmh_pool_shape *s, const void *x, void *y, void *workspace) { (void)s; (void)x; (void)y; (void)workspace; return -1; }
int cmh_dnnl_maxpool_backward(const cmh_pool_shape *s, const void *dy, const void *workspace, void *dx) { (void)s; (void)dy; (void)workspace; (void)dx; return -1; }

#endif

// Sixteen lanes with clang's vector extension; a bf16 number is the upper half of its float32.
typedef float cmh_f16x __attribute__((ext_vector_type(16)));
typedef uint16_t cmh_h16x __attribute__((ext_vector_type(16)));
typedef uint32_t cmh_u16x __attribute__((ext_vector_type(16)));

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void cmh_bf16_dots(const uint16_t *w, long width, int rows, const float *x0, const float *x1, const float *x2, const float *x3,
                   long from, long to, float *sums) {
  const float *x[4] = {x0, x1, x2, x3};
  long c = from;
  for (int i = 0; i < 16; i++) sums[i] = 0;
  if (rows == 4) {
    cmh_f16x acc[16];
    for (int i = 0; i < 16; i++) acc[i] = (cmh_f16x)0;
    for (; c + 16 <= to; c += 16) {
      cmh_f16x wv[4], xv[4];
      for (int t = 0; t < 4; t++) {
        cmh_h16x h;
        memcpy(&h, w + t * width + c, sizeof h);
        cmh_u16x bits = __builtin_convertvector(h, cmh_u16x) << 16;
        memcpy(&wv[t], &bits, sizeof bits);
      }
      for (int j = 0; j < 4; j++) memcpy(&xv[j], x[j] + c, sizeof xv[j]);
      for (int j = 0; j < 4; j++)
        for (int t = 0; t < 4; t++) acc[4 * j + t] += wv[t] * xv[j];
    }
    for (int i = 0; i < 16; i++)
      for (int l = 0; l < 16; l++) sums[i] += acc[i][l];
  }
  for (; c < to; c++)
    for (int t = 0; t < rows; t++) {
      uint32_t bits = (uint32_t)w[t * width + c] << 16;
      float v;
      memcpy(&v, &bits, sizeof v);
      for (int j = 0; j < 4; j++) sums[4 * j + t] += v * x[j][c];
    }
}
