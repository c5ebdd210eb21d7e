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
// entries are independent (y += a v, dv += w dy, dq += ds k, dk += ds q) vectorize. The bodies are
// inlined into entries for head size 32 (both presets) and 16 with the size a constant, where the loops
// over e unroll without their loop overhead (the same operations in the same order), and a general one.
#define ATTENTION(FORWARD, BACKWARD, T, EXP, SQRT)                                                                     \
    static inline __attribute__((always_inline)) void FORWARD##_body(                                                  \
        T *restrict y, T *restrict att, const T *q, const T *k, const T *v, ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ, \
        ptrdiff_t NH, ptrdiff_t HS, const int32_t *queries, const int32_t *keys) {                                     \
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
    static inline __attribute__((always_inline)) void BACKWARD##_body(                                                 \
        T *restrict dq, T *restrict dk, T *restrict dv, const T *dy, const T *att, const T *q, const T *k, const T *v, \
        ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH, ptrdiff_t HS, T *restrict datt,                       \
        const int32_t *queries, const int32_t *keys) {                                                                 \
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
    } \
    CLONES void FORWARD(T *restrict y, T *restrict att, const T *q, const T *k, const T *v, ptrdiff_t B,               \
                        ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH, ptrdiff_t HS, const int32_t *queries,              \
                        const int32_t *keys) {                                                                         \
        if (HS == 32) FORWARD##_body(y, att, q, k, v, B, Tlen, TQ, NH, 32, queries, keys);                             \
        else if (HS == 16) FORWARD##_body(y, att, q, k, v, B, Tlen, TQ, NH, 16, queries, keys);                        \
        else FORWARD##_body(y, att, q, k, v, B, Tlen, TQ, NH, HS, queries, keys);                                      \
    }                                                                                                                  \
    CLONES void BACKWARD(T *restrict dq, T *restrict dk, T *restrict dv, const T *dy, const T *att, const T *q,        \
                         const T *k, const T *v, ptrdiff_t B, ptrdiff_t Tlen, ptrdiff_t TQ, ptrdiff_t NH,              \
                         ptrdiff_t HS, T *restrict datt, const int32_t *queries, const int32_t *keys) {                \
        if (HS == 32) BACKWARD##_body(dq, dk, dv, dy, att, q, k, v, B, Tlen, TQ, NH, 32, datt, queries, keys);         \
        else if (HS == 16) BACKWARD##_body(dq, dk, dv, dy, att, q, k, v, B, Tlen, TQ, NH, 16, datt, queries, keys);    \
        else BACKWARD##_body(dq, dk, dv, dy, att, q, k, v, B, Tlen, TQ, NH, HS, datt, queries, keys);                  \
    }

ATTENTION(descent_attention_forward_f32, descent_attention_backward_f32, float, expf, sqrtf)
ATTENTION(descent_attention_forward_f64, descent_attention_backward_f64, double, exp, sqrt)

// LayerNorm over rows of C entries. Each row's mean, variance and gradient sums add in increasing c, as in
// the Swift loops, so they stay scalar; four rows run side by side, so that their four chains of
// additions overlap instead of each waiting on its own previous sum. The per-entry loops vectorize.
#define LAYERNORM(FORWARD, BACKWARD, T, SQRT)                                                                          \
    CLONES void FORWARD(T *restrict out, T *restrict mean, T *restrict rstd, const T *restrict inp,                    \
                        const T *restrict g, const T *restrict b, ptrdiff_t R, ptrdiff_t C) {                          \
        ptrdiff_t r = 0;                                                                                               \
        for (; r + 4 <= R; r += 4) {                                                                                   \
            const T *x0 = inp + r * C, *x1 = x0 + C, *x2 = x1 + C, *x3 = x2 + C;                                       \
            T m0 = 0, m1 = 0, m2 = 0, m3 = 0;                                                                          \
            for (ptrdiff_t c = 0; c < C; c++) { m0 += x0[c]; m1 += x1[c]; m2 += x2[c]; m3 += x3[c]; }                 \
            m0 /= (T)C; m1 /= (T)C; m2 /= (T)C; m3 /= (T)C;                                                            \
            T v0 = 0, v1 = 0, v2 = 0, v3 = 0;                                                                          \
            for (ptrdiff_t c = 0; c < C; c++) {                                                                        \
                const T d0 = x0[c] - m0, d1 = x1[c] - m1, d2 = x2[c] - m2, d3 = x3[c] - m3;                            \
                v0 += d0 * d0; v1 += d1 * d1; v2 += d2 * d2; v3 += d3 * d3;                                            \
            }                                                                                                          \
            const T ms[4] = {m0, m1, m2, m3}, vs[4] = {v0, v1, v2, v3};                                               \
            for (int j = 0; j < 4; j++) {                                                                              \
                const T m = ms[j], s = 1 / SQRT(vs[j] / (T)C + (T)1e-5);                                               \
                const T *x = inp + (r + j) * C;                                                                        \
                T *o = out + (r + j) * C;                                                                              \
                for (ptrdiff_t c = 0; c < C; c++) o[c] = (x[c] - m) * s * g[c] + b[c];                                 \
                mean[r + j] = m; rstd[r + j] = s;                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        for (; r < R; r++) {                                                                                           \
            const T *x = inp + r * C;                                                                                  \
            T *o = out + r * C;                                                                                        \
            T m = 0;                                                                                                   \
            for (ptrdiff_t c = 0; c < C; c++) m += x[c];                                                               \
            m /= (T)C;                                                                                                 \
            T v = 0;                                                                                                   \
            for (ptrdiff_t c = 0; c < C; c++) { const T d = x[c] - m; v += d * d; }                                   \
            const T s = 1 / SQRT(v / (T)C + (T)1e-5);                                                                  \
            for (ptrdiff_t c = 0; c < C; c++) o[c] = (x[c] - m) * s * g[c] + b[c];                                     \
            mean[r] = m; rstd[r] = s;                                                                                  \
        }                                                                                                              \
    }                                                                                                                  \
    CLONES void BACKWARD(T *restrict dinp, T *restrict dg, T *restrict db, const T *restrict dout,                     \
                         const T *restrict inp, const T *restrict g, const T *restrict mean, const T *restrict rstd,   \
                         ptrdiff_t R, ptrdiff_t C) {                                                                   \
        ptrdiff_t r = 0;                                                                                               \
        T sm[4], snm[4];                                                                                               \
        for (; r < R; r += 4) {                                                                                        \
            const ptrdiff_t n = R - r < 4 ? R - r : 4;                                                                 \
            if (n == 4) {                                                                                              \
                const T *x0 = inp + r * C, *x1 = x0 + C, *x2 = x1 + C, *x3 = x2 + C;                                   \
                const T *d0 = dout + r * C, *d1 = d0 + C, *d2 = d1 + C, *d3 = d2 + C;                                 \
                const T m0 = mean[r], m1 = mean[r + 1], m2 = mean[r + 2], m3 = mean[r + 3];                            \
                const T s0 = rstd[r], s1 = rstd[r + 1], s2 = rstd[r + 2], s3 = rstd[r + 3];                            \
                T a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;                                      \
                for (ptrdiff_t c = 0; c < C; c++) {                                                                    \
                    const T n0 = g[c] * d0[c], n1 = g[c] * d1[c], n2 = g[c] * d2[c], n3 = g[c] * d3[c];                \
                    a0 += n0; a1 += n1; a2 += n2; a3 += n3;                                                            \
                    b0 += n0 * ((x0[c] - m0) * s0); b1 += n1 * ((x1[c] - m1) * s1);                                    \
                    b2 += n2 * ((x2[c] - m2) * s2); b3 += n3 * ((x3[c] - m3) * s3);                                    \
                }                                                                                                      \
                sm[0] = a0; sm[1] = a1; sm[2] = a2; sm[3] = a3;                                                        \
                snm[0] = b0; snm[1] = b1; snm[2] = b2; snm[3] = b3;                                                    \
            } else {                                                                                                   \
                for (ptrdiff_t j = 0; j < n; j++) {                                                                    \
                    const T *x = inp + (r + j) * C, *d = dout + (r + j) * C;                                           \
                    const T m = mean[r + j], s = rstd[r + j];                                                          \
                    T a = 0, bb = 0;                                                                                   \
                    for (ptrdiff_t c = 0; c < C; c++) {                                                                \
                        const T dn = g[c] * d[c];                                                                      \
                        a += dn; bb += dn * ((x[c] - m) * s);                                                          \
                    }                                                                                                  \
                    sm[j] = a; snm[j] = bb;                                                                            \
                }                                                                                                      \
            }                                                                                                          \
            for (ptrdiff_t j = 0; j < n; j++) {                                                                        \
                const T *x = inp + (r + j) * C, *d = dout + (r + j) * C;                                               \
                T *di = dinp + (r + j) * C;                                                                            \
                const T m = mean[r + j], s = rstd[r + j], dm = sm[j] / (T)C, dnm = snm[j] / (T)C;                      \
                for (ptrdiff_t c = 0; c < C; c++) {                                                                    \
                    const T xh = (x[c] - m) * s;                                                                       \
                    db[c] += d[c];                                                                                     \
                    dg[c] += xh * d[c];                                                                                \
                    di[c] += (g[c] * d[c] - dm - xh * dnm) * s;                                                        \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
    }

LAYERNORM(descent_layernorm_forward_f32, descent_layernorm_backward_f32, float, sqrtf)
LAYERNORM(descent_layernorm_forward_f64, descent_layernorm_backward_f64, double, sqrt)

// out[i] = sign[i] > 0 ? value[i] : 0, on the bits (as Linalg's Swift rule: a sign of +0, −0, a negative
// number or a negative NaN gives +0; a positive one, value's bits). out may be value or sign (the same
// entries, read before written), never a shifted overlap.
CLONES void descent_relu_mask_f32(float *out, const float *value, const float *sign, ptrdiff_t n) {
    int32_t *o = (int32_t *)out;
    const int32_t *v = (const int32_t *)value, *s = (const int32_t *)sign;
#pragma clang loop vectorize(assume_safety)
    for (ptrdiff_t i = 0; i < n; i++) o[i] = s[i] > 0 ? v[i] : 0;
}
CLONES void descent_relu_mask_f64(double *out, const double *value, const double *sign, ptrdiff_t n) {
    int64_t *o = (int64_t *)out;
    const int64_t *v = (const int64_t *)value, *s = (const int64_t *)sign;
#pragma clang loop vectorize(assume_safety)
    for (ptrdiff_t i = 0; i < n; i++) o[i] = s[i] > 0 ? v[i] : 0;
}
