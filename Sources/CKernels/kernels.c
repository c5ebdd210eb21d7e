// See include/kernels.h. Built with -ffp-contract=off (no fused multiply-adds: the Swift code has none)
// and -fno-math-errno (so that sqrt vectorizes; it is correctly rounded either way). Each kernel has
// clones for AVX-512 and AVX2 beside the baseline, picked when the program loads; they compute the same
// bits, since every operation here is exactly rounded in each of them.
#include "kernels.h"
#include <math.h>

#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

#define ADAM(NAME, T, SQRT)                                                                                            \
    CLONES void NAME(T *restrict theta, const T *restrict grad, T *restrict m, T *restrict v, ptrdiff_t n, T lr,       \
                     T beta1, T beta2, T c1, T c2, T epsilon, T shrink, T l2) {                                        \
        const T a1 = 1 - beta1, a2 = 1 - beta2;                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) {                                                                            \
            const T g = grad[i] + l2 * theta[i];                                                                       \
            const T mi = beta1 * m[i] + a1 * g;                                                                        \
            const T vi = beta2 * v[i] + a2 * g * g;                                                                    \
            m[i] = mi;                                                                                                 \
            v[i] = vi;                                                                                                 \
            theta[i] = theta[i] * shrink - lr * (mi * c1) / (SQRT(vi * c2) + epsilon);                                \
        }                                                                                                              \
    }

ADAM(descent_adam_f32, float, sqrtf)
ADAM(descent_adam_f64, double, sqrt)

// The row that sequence row `sequence` reads: the index's entry when there is one, else `dense`.
static inline ptrdiff_t table_row(const int32_t *index, ptrdiff_t sequence, ptrdiff_t dense) {
    return index ? (ptrdiff_t)index[sequence] : dense;
}

// Dot products and sums add in increasing index order, as in the Swift loops; only the loops whose
// entries are independent (y += a v, dv += w dy, dq += ds k, dk += ds q) vectorize.
#define ATTENTION(FORWARD, BACKWARD, T, EXP, SQRT)                                                                     \
    CLONES void FORWARD(T *restrict y, T *restrict att, const T *q, const T *k, const T *v, ptrdiff_t B,               \
                        ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH, ptrdiff_t HS, const int32_t *queries,              \
                        const int32_t *keys) {                                                                         \
        const ptrdiff_t A = NH * HS;                                                                                   \
        const T scale = 1 / SQRT((T)HS);                                                                               \
        for (ptrdiff_t b = 0; b < B; b++)                                                                              \
            for (ptrdiff_t h = 0; h < NH; h++)                                                                         \
                for (ptrdiff_t i = 0; i < TQ; i++) {                                                                   \
                    const ptrdiff_t t = Tlen - TQ + i;                                                                 \
                    const T *qi = q + table_row(queries, b * Tlen + t, b * TQ + i) * A + h * HS;                       \
                    T *w = att + ((b * NH + h) * TQ + i) * Tlen;                                                       \
                    T maxv = -(T)INFINITY;                                                                             \
                    for (ptrdiff_t s = 0; s <= t; s++) {                                                               \
                        const T *ks = k + table_row(keys, b * Tlen + s, b * Tlen + s) * A + h * HS;                    \
                        T dot = 0;                                                                                     \
                        for (ptrdiff_t e = 0; e < HS; e++) dot += qi[e] * ks[e];                                       \
                        w[s] = dot * scale;                                                                            \
                        if (w[s] > maxv) maxv = w[s];                                                                  \
                    }                                                                                                  \
                    T sum = 0;                                                                                         \
                    for (ptrdiff_t s = 0; s <= t; s++) {                                                               \
                        w[s] = EXP(w[s] - maxv);                                                                       \
                        sum += w[s];                                                                                   \
                    }                                                                                                  \
                    for (ptrdiff_t s = 0; s <= t; s++) w[s] /= sum;                                                    \
                    for (ptrdiff_t s = t + 1; s < Tlen; s++) w[s] = 0;                                                 \
                    T *yi = y + (b * TQ + i) * A + h * HS;                                                             \
                    for (ptrdiff_t e = 0; e < HS; e++) yi[e] = 0;                                                      \
                    for (ptrdiff_t s = 0; s <= t; s++) {                                                               \
                        const T *vs = v + table_row(keys, b * Tlen + s, b * Tlen + s) * A + h * HS;                    \
                        const T a = w[s];                                                                              \
                        for (ptrdiff_t e = 0; e < HS; e++) yi[e] += a * vs[e];                                         \
                    }                                                                                                  \
                }                                                                                                      \
    }                                                                                                                  \
    CLONES void BACKWARD(T *restrict dq, T *restrict dk, T *restrict dv, const T *dy, const T *att, const T *q,        \
                         const T *k, const T *v, ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH,              \
                         ptrdiff_t HS, T *restrict datt, const int32_t *queries, const int32_t *keys) {                \
        const ptrdiff_t A = NH * HS;                                                                                   \
        const T scale = 1 / SQRT((T)HS);                                                                               \
        for (ptrdiff_t b = 0; b < B; b++)                                                                              \
            for (ptrdiff_t h = 0; h < NH; h++)                                                                         \
                for (ptrdiff_t i = 0; i < TQ; i++) {                                                                   \
                    const ptrdiff_t t = Tlen - TQ + i;                                                                 \
                    const T *w = att + ((b * NH + h) * TQ + i) * Tlen;                                                 \
                    const T *dyi = dy + (b * TQ + i) * A + h * HS;                                                     \
                    /* y = Σ_s w_s v_s:  dw_s = dy · v_s;  dv_s += w_s dy */                                           \
                    for (ptrdiff_t s = 0; s <= t; s++) {                                                               \
                        const ptrdiff_t r = table_row(keys, b * Tlen + s, b * Tlen + s) * A + h * HS;                  \
                        const T *vs = v + r;                                                                           \
                        T *dvs = dv + r;                                                                               \
                        const T ws = w[s];                                                                             \
                        T d = 0;                                                                                       \
                        for (ptrdiff_t e = 0; e < HS; e++) d += dyi[e] * vs[e];                                        \
                        for (ptrdiff_t e = 0; e < HS; e++) dvs[e] += ws * dyi[e];                                      \
                        datt[s] = d;                                                                                   \
                    }                                                                                                  \
                    /* softmax: dscore_s = w_s (dw_s − Σ_r w_r dw_r) */                                                \
                    T dot = 0;                                                                                         \
                    for (ptrdiff_t s = 0; s <= t; s++) dot += w[s] * datt[s];                                          \
                    const ptrdiff_t rq = table_row(queries, b * Tlen + t, b * TQ + i) * A + h * HS;                    \
                    const T *qi = q + rq;                                                                              \
                    T *dqi = dq + rq;                                                                                  \
                    for (ptrdiff_t s = 0; s <= t; s++) {                                                               \
                        const T ds = w[s] * (datt[s] - dot) * scale;                                                   \
                        const ptrdiff_t r = table_row(keys, b * Tlen + s, b * Tlen + s) * A + h * HS;                  \
                        const T *ks = k + r;                                                                           \
                        T *dks = dk + r;                                                                               \
                        for (ptrdiff_t e = 0; e < HS; e++) dqi[e] += ds * ks[e];                                       \
                        for (ptrdiff_t e = 0; e < HS; e++) dks[e] += ds * qi[e];                                       \
                    }                                                                                                  \
                }                                                                                                      \
    }

ATTENTION(descent_attention_forward_f32, descent_attention_backward_f32, float, expf, sqrtf)
ATTENTION(descent_attention_forward_f64, descent_attention_backward_f64, double, exp, sqrt)
