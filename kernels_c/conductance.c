/* spinstream engine: the conductance-based neuron families, shared by their exp and alpha
 * models (kernels_c/models/if_cond_*.c, eif_cond_*.c), which pass their named rows. */
#include <math.h>

#include "model.h"

/* Conductance at offsets 0, h/2, h over a step: exponential (d == NULL) or alpha. */
static inline void g_course(double g0, const double *d, double h, double p_half, double p_full,
                            double *g) {
    if (!d) {
        g[0] = g0;
        g[1] = g0 * p_half;
        g[2] = g0 * p_full;
    } else {
        g[0] = g0;
        g[1] = (0.5 * h * *d + g0) * p_half;
        g[2] = (h * *d + g0) * p_full;
    }
}

/* Leaky integrate-and-fire with conductances (exp or alpha): exact conductance course, one RK4
 * step for v. */
int32_t ss_update_if_cond(ss_core *c, int64_t m, double h, const ss_if_cond_rows *rw) {
    const int64_t n = c->n;
    const int alpha = rw->alpha_e >= 0;
    const double *P = c->params;
    const double *v_rest = ROW(P, rw->v_rest), *cm = ROW(P, rw->cm), *tm = ROW(P, rw->tau_m),
                 *Ee = ROW(P, rw->e_rev_E), *Ei = ROW(P, rw->e_rev_I),
                 *v_reset = ROW(P, rw->v_reset), *i_off = ROW(P, rw->i_offset);
    const double *p11e = ROW(P, rw->p11e), *p11i = ROW(P, rw->p11i), *h11e = ROW(P, rw->h11e),
                 *h11i = ROW(P, rw->h11i);
    const double *ae = alpha ? ROW(P, rw->alpha_e) : 0, *ai = alpha ? ROW(P, rw->alpha_i) : 0;
    double *v = ROW(c->state, rw->v), *ge = ROW(c->state, rw->gsyn_exc),
           *gi = ROW(c->state, rw->gsyn_inh);
    double *dge = alpha ? ROW(c->state, rw->dg_exc) : 0;
    double *dgi = alpha ? ROW(c->state, rw->dg_inh) : 0;
    double *re = ss_ring_now(c, m);
    double *ri = re + n;
    const double *ics = c->i_cs;
    for (int64_t i = 0; i < n; i++) {
        double gE[3], gI[3];
        g_course(ge[i], alpha ? &dge[i] : 0, h, h11e[i], p11e[i], gE);
        g_course(gi[i], alpha ? &dgi[i] : 0, h, h11i[i], p11i[i], gI);
        const double I = i_off[i] + ics[i];
        const double gl = cm[i] / tm[i], inv_c = 1.0 / cm[i];
        if (c->refrac[i] > 0) {
            c->refrac[i]--;
            v[i] = v_reset[i];
        } else {
            const double v0 = v[i];
#define F(vv, k) ((gl * (v_rest[i] - (vv)) + gE[k] * (Ee[i] - (vv)) + gI[k] * (Ei[i] - (vv)) + I) * inv_c)
            const double k1 = F(v0, 0);
            const double k2 = F(v0 + 0.5 * h * k1, 1);
            const double k3 = F(v0 + 0.5 * h * k2, 1);
            const double k4 = F(v0 + h * k3, 2);
#undef F
            v[i] = v0 + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        ge[i] = gE[2];
        gi[i] = gI[2];
        if (alpha) {
            dge[i] = dge[i] * p11e[i] + ae[i] * re[i];
            dgi[i] = dgi[i] * p11i[i] + ai[i] * ri[i];
        } else {
            ge[i] += re[i];
            gi[i] += ri[i];
        }
        re[i] = 0.0;
        ri[i] = 0.0;
    }
    return ss_threshold(c, v, ROW(P, rw->v_thresh), v_reset, ROW(P, rw->refrac_steps), 1);
}

/* Adaptive exponential integrate-and-fire (AdEx) with conductances: RK4 on (v, w). */
int32_t ss_update_eif(ss_core *c, int64_t m, double h, const ss_eif_rows *rw) {
    const int64_t n = c->n;
    const int alpha = rw->alpha_e >= 0;
    const double *P = c->params;
    const double *cm = ROW(P, rw->cm), *v_spike = ROW(P, rw->v_spike),
                 *v_reset = ROW(P, rw->v_reset), *v_rest = ROW(P, rw->v_rest),
                 *tm = ROW(P, rw->tau_m), *i_off = ROW(P, rw->i_offset), *a = ROW(P, rw->a),
                 *b = ROW(P, rw->b), *dT = ROW(P, rw->delta_T), *tw = ROW(P, rw->tau_w),
                 *vt = ROW(P, rw->v_thresh), *Ee = ROW(P, rw->e_rev_E), *Ei = ROW(P, rw->e_rev_I);
    const double *p11e = ROW(P, rw->p11e), *p11i = ROW(P, rw->p11i), *h11e = ROW(P, rw->h11e),
                 *h11i = ROW(P, rw->h11i);
    const double *rsteps = ROW(P, rw->refrac_steps);
    const double *ae = alpha ? ROW(P, rw->alpha_e) : 0, *ai = alpha ? ROW(P, rw->alpha_i) : 0;
    double *v = ROW(c->state, rw->v), *w = ROW(c->state, rw->w),
           *ge = ROW(c->state, rw->gsyn_exc), *gi = ROW(c->state, rw->gsyn_inh);
    double *dge = alpha ? ROW(c->state, rw->dg_exc) : 0;
    double *dgi = alpha ? ROW(c->state, rw->dg_inh) : 0;
    double *re = ss_ring_now(c, m);
    double *ri = re + n;
    const double *ics = c->i_cs;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        double gE[3], gI[3];
        g_course(ge[i], alpha ? &dge[i] : 0, h, h11e[i], p11e[i], gE);
        g_course(gi[i], alpha ? &dgi[i] : 0, h, h11i[i], p11i[i], gI);
        const double I = i_off[i] + ics[i];
        const double gl = cm[i] / tm[i], inv_c = 1.0 / cm[i], aa = a[i] * 1e-3; /* nS -> uS */
        const double thr = dT[i] > 0 ? v_spike[i] : vt[i];
        if (c->refrac[i] > 0) {
            c->refrac[i]--;
            v[i] = v_reset[i];
            /* w relaxes with v held at v_reset */
            const double w_inf = aa * (v_reset[i] - v_rest[i]);
            w[i] = w_inf + (w[i] - w_inf) * exp(-h / tw[i]);
        } else {
            const double v0 = v[i], w0 = w[i];
            double kv[4], kw[4];
            double vv = v0, ww = w0;
            for (int s = 0; s < 4; s++) {
                const int gk = s == 0 ? 0 : (s == 3 ? 2 : 1);
                /* The right-hand side sees v clamped at the spike threshold, as in NEST's aeif
                 * models: in the upswing a stage value of v can run away (~1e20 mV), and w's
                 * a (v - v_rest) term would carry that into w, silencing the neuron for good. */
                const double vc = vv < thr ? vv : thr;
                double ex = 0.0;
                if (dT[i] > 0) {
                    double arg = (vc - vt[i]) / dT[i];
                    if (arg > 50.0) arg = 50.0; /* beyond v_spike anyway; avoid overflow */
                    ex = gl * dT[i] * exp(arg);
                }
                kv[s] = (gl * (v_rest[i] - vc) + ex + gE[gk] * (Ee[i] - vc) + gI[gk] * (Ei[i] - vc) -
                         ww + I) *
                        inv_c;
                kw[s] = (aa * (vc - v_rest[i]) - ww) / tw[i];
                const double f = s < 2 ? 0.5 * h : h;
                if (s < 3) {
                    vv = v0 + f * kv[s];
                    ww = w0 + f * kw[s];
                }
            }
            v[i] = v0 + h / 6.0 * (kv[0] + 2.0 * kv[1] + 2.0 * kv[2] + kv[3]);
            w[i] = w0 + h / 6.0 * (kw[0] + 2.0 * kw[1] + 2.0 * kw[2] + kw[3]);
            if (!(v[i] < thr) || v[i] != v[i]) v[i] = thr; /* diverged past v_spike: a spike */
        }
        ge[i] = gE[2];
        gi[i] = gI[2];
        if (alpha) {
            dge[i] = dge[i] * p11e[i] + ae[i] * re[i];
            dgi[i] = dgi[i] * p11i[i] + ai[i] * ri[i];
        } else {
            ge[i] += re[i];
            gi[i] += ri[i];
        }
        re[i] = 0.0;
        ri[i] = 0.0;
        if (v[i] >= thr) {
            v[i] = v_reset[i];
            w[i] += b[i];
            c->refrac[i] = (int32_t)rsteps[i];
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}
