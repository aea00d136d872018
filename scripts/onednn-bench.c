// oneDNN's convolutions on ResNet-34's shapes, float32 and bfloat16, beside `cmh bench engine`'s
// conv2d figures (issue 38: which kernel runs where is decided by measurement, per processor).
// Same shapes, batch and flop count as EngineBench: forward 2·n·o·c·k²·oh·ow, backward twice that
// (input and weight gradients; the stem once). Layouts are oneDNN's choice ("any"), reordered once
// before timing, as a framework that keeps oneDNN's layout would run; bf16 passes take bf16 inputs
// and weights, write bf16 activations and keep weight gradients in f32; `forward_nchw_f32` adds the
// reorders from and to NCHW float32 that a drop-in layer of cmh's engine would pay. One JSON line
// per figure.
//
//   cc -O2 scripts/onednn-bench.c -ldnnl -o /tmp/onednn-bench && /tmp/onednn-bench [batch] [repeats]

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                           \
  do {                                                                        \
    dnnl_status_t status_ = (call);                                           \
    if (status_ != dnnl_success) {                                            \
      fprintf(stderr, "onednn-bench: %s failed (%d)\n", #call, (int)status_); \
      exit(1);                                                                \
    }                                                                         \
  } while (0)

typedef struct { const char *name; int c, o, side, k, s, p; } shape_t;

static const shape_t shapes[] = {
    {"stem 3→64 7×7/2 @224", 3, 64, 224, 7, 2, 3}, {"3×3 64 @56", 64, 64, 56, 3, 1, 1},
    {"3×3 128 @28", 128, 128, 28, 3, 1, 1},       {"3×3 256 @14", 256, 256, 14, 3, 1, 1},
    {"3×3 512 @7", 512, 512, 7, 3, 1, 1},         {"3×3 64 @32", 64, 64, 32, 3, 1, 1},
    {"3×3 128 @16", 128, 128, 16, 3, 1, 1},       {"3×3 256 @8", 256, 256, 8, 3, 1, 1},
    {"3×3 512 @4", 512, 512, 4, 3, 1, 1},
};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/// A memory object of `md`'s layout, filled with small values.
static dnnl_memory_t filled(const dnnl_memory_desc_t *md) {
  dnnl_memory_t m;
  CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
  void *p;
  CHECK(dnnl_memory_get_data_handle(m, &p));
  memset(p, 0x3c, dnnl_memory_desc_get_size(md));  // 0x3c3c: about 0.01 in f32 and in bf16
  return m;
}

/// Median seconds of `repeats` runs of `primitive` (one untimed run first).
static double median_time(dnnl_primitive_t primitive, int nargs, dnnl_exec_arg_t *args, int repeats) {
  double times[64];
  CHECK(dnnl_primitive_execute(primitive, stream, nargs, args));
  CHECK(dnnl_stream_wait(stream));
  for (int r = 0; r < repeats; r++) {
    double t = now();
    CHECK(dnnl_primitive_execute(primitive, stream, nargs, args));
    CHECK(dnnl_stream_wait(stream));
    times[r] = now() - t;
  }
  qsort(times, repeats, sizeof times[0], compare);
  return times[repeats / 2];
}

static const char *implementation(const_dnnl_primitive_desc_t pd) {
  const char *name = "?";
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
  return name;
}

static void measure(const shape_t *sh, int batch, int repeats, dnnl_data_type_t type, const char *precision) {
  int oh = (sh->side + 2 * sh->p - sh->k) / sh->s + 1;
  dnnl_dims_t src_dims = {batch, sh->c, sh->side, sh->side}, w_dims = {sh->o, sh->c, sh->k, sh->k};
  dnnl_dims_t dst_dims = {batch, sh->o, oh, oh}, strides = {sh->s, sh->s}, pad = {sh->p, sh->p};
  dnnl_memory_desc_t src, w, dst, dw;
  CHECK(dnnl_memory_desc_init_by_tag(&src, 4, src_dims, type, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&w, 4, w_dims, type, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, type, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&dw, 4, w_dims, dnnl_f32, dnnl_format_tag_any));

  dnnl_convolution_desc_t fd, bdd, bwd;
  dnnl_primitive_desc_t fpd, bdpd, bwpd;
  CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src, &w, NULL, &dst, strides, pad, pad));
  CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
  CHECK(dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &src, &w, &dst, strides, pad, pad));
  CHECK(dnnl_primitive_desc_create(&bdpd, &bdd, NULL, engine, fpd));
  CHECK(dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src, &dw, NULL, &dst, strides, pad, pad));
  CHECK(dnnl_primitive_desc_create(&bwpd, &bwd, NULL, engine, fpd));

  const dnnl_memory_desc_t *q = dnnl_primitive_desc_query_md(fpd, dnnl_query_src_md, 0);
  dnnl_memory_t m_src = filled(q);
  dnnl_memory_t m_w = filled(dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0));
  dnnl_memory_t m_dst = filled(dnnl_primitive_desc_query_md(fpd, dnnl_query_dst_md, 0));
  dnnl_memory_t m_dsrc = filled(dnnl_primitive_desc_query_md(bdpd, dnnl_query_diff_src_md, 0));
  dnnl_memory_t m_ddst = filled(dnnl_primitive_desc_query_md(bwpd, dnnl_query_diff_dst_md, 0));
  dnnl_memory_t m_dw = filled(dnnl_primitive_desc_query_md(bwpd, dnnl_query_diff_weights_md, 0));
  dnnl_memory_t m_bw = filled(dnnl_primitive_desc_query_md(bdpd, dnnl_query_weights_md, 0));
  dnnl_memory_t m_bddst = filled(dnnl_primitive_desc_query_md(bdpd, dnnl_query_diff_dst_md, 0));
  dnnl_memory_t m_bsrc = filled(dnnl_primitive_desc_query_md(bwpd, dnnl_query_src_md, 0));

  dnnl_primitive_t forward, backward_data, backward_weights;
  CHECK(dnnl_primitive_create(&forward, fpd));
  CHECK(dnnl_primitive_create(&backward_data, bdpd));
  CHECK(dnnl_primitive_create(&backward_weights, bwpd));
  dnnl_exec_arg_t fargs[] = {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_w}, {DNNL_ARG_DST, m_dst}};
  dnnl_exec_arg_t dargs[] = {{DNNL_ARG_DIFF_DST, m_bddst}, {DNNL_ARG_WEIGHTS, m_bw}, {DNNL_ARG_DIFF_SRC, m_dsrc}};
  dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, m_bsrc}, {DNNL_ARG_DIFF_DST, m_ddst}, {DNNL_ARG_DIFF_WEIGHTS, m_dw}};

  // The forward pass as a drop-in layer of an NCHW float32 engine runs it: the input reordered
  // into oneDNN's layout and type, the output back.
  dnnl_memory_desc_t user_src, user_dst;
  CHECK(dnnl_memory_desc_init_by_tag(&user_src, 4, src_dims, dnnl_f32, dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&user_dst, 4, dst_dims, dnnl_f32, dnnl_nchw));
  dnnl_memory_t m_user_src = filled(&user_src), m_user_dst = filled(&user_dst);
  dnnl_primitive_desc_t rin_pd, rout_pd;
  CHECK(dnnl_reorder_primitive_desc_create(&rin_pd, &user_src, engine, q, engine, NULL));
  CHECK(dnnl_reorder_primitive_desc_create(&rout_pd, dnnl_primitive_desc_query_md(fpd, dnnl_query_dst_md, 0), engine, &user_dst, engine, NULL));
  dnnl_primitive_t reorder_in, reorder_out;
  CHECK(dnnl_primitive_create(&reorder_in, rin_pd));
  CHECK(dnnl_primitive_create(&reorder_out, rout_pd));
  dnnl_exec_arg_t inargs[] = {{DNNL_ARG_FROM, m_user_src}, {DNNL_ARG_TO, m_src}};
  dnnl_exec_arg_t outargs[] = {{DNNL_ARG_FROM, m_dst}, {DNNL_ARG_TO, m_user_dst}};
  double tin = median_time(reorder_in, 2, inargs, repeats), tout = median_time(reorder_out, 2, outargs, repeats);

  int first = sh->c == 3;
  double flops = 2.0 * batch * sh->o * sh->c * sh->k * sh->k * oh * oh;
  double tf = median_time(forward, 3, fargs, repeats);
  double tw = median_time(backward_weights, 3, wargs, repeats);
  double td = first ? 0 : median_time(backward_data, 3, dargs, repeats);
  printf("{\"bench\": \"onednn.conv2d.forward\", \"unit\": \"GFLOP/s\", \"value\": %.1f, \"shape\": \"%s\", \"precision\": \"%s\", \"batch\": %d, \"impl\": \"%s\"}\n",
         flops / tf / 1e9, sh->name, precision, batch, implementation(fpd));
  printf("{\"bench\": \"onednn.conv2d.backward\", \"unit\": \"GFLOP/s\", \"value\": %.1f, \"shape\": \"%s\", \"precision\": \"%s\", \"batch\": %d, \"impl\": \"%s + %s\"}\n",
         flops * (first ? 1 : 2) / (tw + td) / 1e9, sh->name, precision, batch, implementation(bwpd), first ? "-" : implementation(bdpd));
  printf("{\"bench\": \"onednn.conv2d.forward_nchw_f32\", \"unit\": \"GFLOP/s\", \"value\": %.1f, \"shape\": \"%s\", \"precision\": \"%s\", \"batch\": %d, \"reorders_ms\": %.2f}\n",
         flops / (tin + tf + tout) / 1e9, sh->name, precision, batch, (tin + tout) * 1e3);
  fflush(stdout);
  dnnl_memory_destroy(m_user_src);
  dnnl_memory_destroy(m_user_dst);
  dnnl_primitive_destroy(reorder_in);
  dnnl_primitive_destroy(reorder_out);
  dnnl_primitive_desc_destroy(rin_pd);
  dnnl_primitive_desc_destroy(rout_pd);

  dnnl_memory_t all[] = {m_src, m_w, m_dst, m_dsrc, m_ddst, m_dw, m_bw, m_bddst, m_bsrc};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) dnnl_memory_destroy(all[i]);
  dnnl_primitive_destroy(forward);
  dnnl_primitive_destroy(backward_data);
  dnnl_primitive_destroy(backward_weights);
  dnnl_primitive_desc_destroy(fpd);
  dnnl_primitive_desc_destroy(bdpd);
  dnnl_primitive_desc_destroy(bwpd);
}

int main(int argc, char **argv) {
  int batch = argc > 1 ? atoi(argv[1]) : 32, repeats = argc > 2 ? atoi(argv[2]) : 3;
  if (batch < 1 || repeats < 1 || repeats > 64) {
    fprintf(stderr, "usage: onednn-bench [batch ≥ 1] [repeats 1-64]\n");
    return 2;
  }
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  const dnnl_version_t *v = dnnl_version();
  printf("{\"bench\": \"onednn.version\", \"value\": \"%d.%d.%d\", \"isa\": %d}\n", v->major, v->minor, v->patch, (int)dnnl_get_effective_cpu_isa());
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    measure(&shapes[i], batch, repeats, dnnl_f32, "fp32");
    measure(&shapes[i], batch, repeats, dnnl_bf16, "bf16");
  }
  return 0;
}
