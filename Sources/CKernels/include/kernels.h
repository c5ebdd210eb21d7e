// Elementwise kernels in C, for loops that Swift leaves scalar: C's restrict lets the compiler vectorize
// them, and each entry's arithmetic is the Swift rule's, operation for operation (no contraction into
// fused multiply-adds, no reassociation), so the results are the same bits.
#include <stddef.h>

/// One Adam step over n entries (Training/Optimizers/Adam.swift):
///   g ← g + l2 θ;  m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  θ ← θ shrink − lr (m c1) / (√(v c2) + ε)
void descent_adam_f32(float *restrict theta, const float *restrict grad, float *restrict m, float *restrict v, ptrdiff_t n,
                      float lr, float beta1, float beta2, float c1, float c2, float epsilon, float shrink, float l2);
void descent_adam_f64(double *restrict theta, const double *restrict grad, double *restrict m, double *restrict v, ptrdiff_t n,
                      double lr, double beta1, double beta2, double c1, double c2, double epsilon, double shrink, double l2);

#include <stdint.h>

/// Causal multi-head attention after the projections (Models/Transformer.swift's attentionForward, whose
/// comment gives the layout): scores, softmax into att [B, NH, TQ, T], y = Σ_s att · v. With an index
/// (queries, keys; NULL for none) row r of a sequence reads q, or k and v, at the row index[r] gives.
void descent_attention_forward_f32(float *restrict y, float *restrict att, const float *q, const float *k, const float *v,
                                   ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH, ptrdiff_t HS,
                                   const int32_t *queries, const int32_t *keys);
void descent_attention_forward_f64(double *restrict y, double *restrict att, const double *q, const double *k, const double *v,
                                   ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH, ptrdiff_t HS,
                                   const int32_t *queries, const int32_t *keys);
/// dq, dk, dv += the gradients of the forward pass given dy (three distinct buffers; scratch holds Tlen).
void descent_attention_backward_f32(float *restrict dq, float *restrict dk, float *restrict dv, const float *dy, const float *att,
                                    const float *q, const float *k, const float *v, ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ,
                                    ptrdiff_t NH, ptrdiff_t HS, float *restrict scratch, const int32_t *queries, const int32_t *keys);
void descent_attention_backward_f64(double *restrict dq, double *restrict dk, double *restrict dv, const double *dy, const double *att,
                                    const double *q, const double *k, const double *v, ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ,
                                    ptrdiff_t NH, ptrdiff_t HS, double *restrict scratch, const int32_t *queries, const int32_t *keys);

/// LayerNorm over R rows of C (Models/Transformer.swift's layerNormForward and layerNormBackward):
/// out = (x − mean)·rstd·g + b, ε = 1e-5; the backward pass adds into dinp, dg and db.
void descent_layernorm_forward_f32(float *restrict out, float *restrict mean, float *restrict rstd, const float *restrict inp,
                                   const float *restrict g, const float *restrict b, ptrdiff_t R, ptrdiff_t C);
void descent_layernorm_forward_f64(double *restrict out, double *restrict mean, double *restrict rstd, const double *restrict inp,
                                   const double *restrict g, const double *restrict b, ptrdiff_t R, ptrdiff_t C);
void descent_layernorm_backward_f32(float *restrict dinp, float *restrict dg, float *restrict db, const float *restrict dout,
                                    const float *restrict inp, const float *restrict g, const float *restrict mean,
                                    const float *restrict rstd, ptrdiff_t R, ptrdiff_t C);
void descent_layernorm_backward_f64(double *restrict dinp, double *restrict dg, double *restrict db, const double *restrict dout,
                                    const double *restrict inp, const double *restrict g, const double *restrict mean,
                                    const double *restrict rstd, ptrdiff_t R, ptrdiff_t C);

/// out[i] = sign[i] > 0 ? value[i] : 0, on the bits (Linalg's reluMask); out may be value or sign.
void descent_relu_mask_f32(float *out, const float *value, const float *sign, ptrdiff_t n);
void descent_relu_mask_f64(double *out, const double *value, const double *sign, ptrdiff_t n);

/// A spin-wait hint for the processor (PAUSE on x86-64), for the worker team's short waits.
static inline void descent_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
