// oneDNN's convolutions and matrix products in bfloat16 for an engine that keeps float32
// tensors: a convolution reorders its NCHW float32 inputs into oneDNN's layout and bf16, runs the
// primitive (fp32 accumulation), and reorders the result back to float32; a matrix product takes
// operands already rounded to bf16 (CVector's cmh_bf16_round) and writes float32. libdnnl.so.2 is loaded at run time, so
// cmh runs where it is missing (cmh_dnnl_load then says why).
#ifndef CMH_DNNL_H
#define CMH_DNNL_H

#include <stddef.h>
#include <stdint.h>

/// One convolution: batch n, channels c → o, input h × w, square kernel k, stride, padding.
typedef struct { int n, c, o, h, w, k, stride, padding; } cmh_conv_shape;

/// Loads oneDNN with `threads` OpenMP threads that sleep when idle; 0 on success, else -1 with
/// the reason in cmh_dnnl_error(). Later calls return the first call's result.
int cmh_dnnl_load(int threads);
const char *cmh_dnnl_error(void);
/// "2.6.3" and the instruction set oneDNN runs ("avx512_core_bf16", "avx512_core_amx", …).
const char *cmh_dnnl_version(void);
const char *cmh_dnnl_isa(void);

/// Bytes of the bf16 copy of x in oneDNN's layout that the forward pass writes into `kept`; 0
/// when oneDNN does not run the shape (then nothing is kept).
size_t cmh_dnnl_conv_kept_bytes(const cmh_conv_shape *s);
/// y [n, o, oh, ow] = w [o, c, k, k] ⋆ x [n, c, h, w], bf16 products. `kept` (may be NULL) receives
/// the bf16 copy of x for the backward pass, which then need not make it again; with x NULL,
/// `kept` holds x already, in the activations' layout (cmh_dnnl_activation_bytes; where
/// cmh_dnnl_conv_blocked says so). With `y_blocked` (where cmh_dnnl_conv_blocked says so) y is
/// written there, bf16 in the activations' layout, and not to `y`. 0 on success, 1 when oneDNN has
/// only its slow reference code for the shape (nothing is written; run float32), -1 on failure.
int cmh_dnnl_conv_forward(const cmh_conv_shape *s, const float *x, const float *w, float *y, void *kept, void *y_blocked);
/// dw [o, c, k, k] += the weight gradient; the input gradient into dx (float32 NCHW) or dx_blocked
/// (the activations' layout), or nowhere when both are NULL. `kept` (may be NULL) is what the
/// forward pass of the same x kept (x may then be NULL). dy comes as float32 NCHW, or in
/// `dy_blocked` when not NULL. 0, 1 or -1 as for the forward pass.
int cmh_dnnl_conv_backward(const cmh_conv_shape *s, const float *x, const void *kept, const float *w, const float *dy,
                           const void *dy_blocked, float *dx, void *dx_blocked, float *dw);
/// 1 when the shape's output and its gradient can be exchanged in the activations' layout, plus 2
/// when its input and input gradient can.
int cmh_dnnl_conv_blocked(const cmh_conv_shape *s);

/// Inference on bf16 activations kept in oneDNN's layout between layers (blocks of 16 channels;
/// plain NCHW for an image's few channels), so that a run of convolutions, max pools and residual
/// sums reorders only its input and its output.
typedef struct { int n, c, h, w, k, stride, padding; } cmh_pool_shape;

/// Bytes of a bf16 activation [n, c, h, w] in that layout; 0 when oneDNN is not loaded, or when
/// its convolutions here prefer another layout (AMX kernels may want channels-last): then the
/// layers exchange float32 NCHW as before.
size_t cmh_dnnl_activation_bytes(int n, int c, int h, int w);
/// Float32 NCHW into the layout (the way back is CBlockedLayout's). 0 on success, -1 on failure.
int cmh_dnnl_to_activation(int n, int c, int h, int w, const float *x, void *y);
/// y = w ⋆ x + bias per output channel, plus y's previous contents when `accumulate` (a residual
/// sum), floored at 0 when `relu`; x and y in the layout, w [o, c, k, k] and bias [o] float32.
/// `prepared`, when not NULL, holds w already in the convolution's own layout (from
/// cmh_dnnl_conv_infer_prepare) and w is not read. 0, 1 (only oneDNN's reference code: nothing
/// written) or -1, as cmh_dnnl_conv_forward.
int cmh_dnnl_conv_infer(const cmh_conv_shape *s, const void *x, const float *w, const void *prepared, const float *bias, int relu,
                        int accumulate, void *y);
/// Bytes of the weights of that convolution in its own layout; 0 when it cannot run (oneDNN not
/// loaded, no bf16 convolution, or only the reference code).
size_t cmh_dnnl_conv_infer_weight_bytes(const cmh_conv_shape *s, int relu, int accumulate);
/// w [o, c, k, k] float32 into that layout at `prepared` (that many bytes), for layers whose
/// weights stay as they are over many passes. 0 on success, -1 on failure.
int cmh_dnnl_conv_infer_prepare(const cmh_conv_shape *s, int relu, int accumulate, const float *w, void *prepared);
/// y = the k × k max pool of x (padding ignored, output size floored as PyTorch's), both in the layout.
int cmh_dnnl_maxpool_infer(const cmh_pool_shape *s, const void *x, void *y);
/// The same in training: bytes of the workspace in which the forward pass notes where each
/// maximum was (0 when it cannot run: oneDNN not loaded, or only its reference code), the forward
/// pass, and the backward pass dx = the gradient dy routed to those places; all in the layout.
/// 0 on success, -1 on failure.
size_t cmh_dnnl_maxpool_workspace_bytes(const cmh_pool_shape *s);
int cmh_dnnl_maxpool_forward(const cmh_pool_shape *s, const void *x, void *y, void *workspace);
int cmh_dnnl_maxpool_backward(const cmh_pool_shape *s, const void *dy, const void *workspace, void *dx);

/// C [m, n] = op(A) [m, k] · op(B) [k, n], or C += that when `accumulate`; bf16 operands, float32
/// sums and result. A is stored row-major as [m, k], or as [k, m] when `transpose_a`; B as [k, n],
/// or as [n, k] when `transpose_b`; C as [m, n] with rows `ldc` apart (0: n, packed), so that C
/// can be a block of columns of a larger matrix.
typedef struct { int m, n, k, transpose_a, transpose_b, accumulate, ldc; } cmh_matmul_shape;

/// 0 on success, 1 when oneDNN has only its slow reference code for the shape (nothing is
/// written; run float32), -1 on failure (the reason in cmh_dnnl_error()).
int cmh_dnnl_matmul(const cmh_matmul_shape *s, const uint16_t *a, const uint16_t *b, float *c);

/// Over columns [from, to): sums[4·j + t] = Σ w[t][c] · x_j[c] for `rows` (1 to 4) bf16 weight rows
/// at w, `width` apart, and the four float32 rows x0…x3; the streaming path of a fixed dense layer.
void cmh_bf16_dots(const uint16_t *w, long width, int rows, const float *x0, const float *x1, const float *x2, const float *x3,
                   long from, long to, float *sums);

#endif
