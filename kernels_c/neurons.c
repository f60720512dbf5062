/* spinstream engine: neuron models (update of one core for one step, derived parameters). */
#include <math.h>
#include <string.h>

#include "engine.h"

#define ROW(base, r) ((base) + (int64_t)(r) * n)

/* (1 - exp(-x)) / x, accurate for small x. */
static double phi1(double x) { return x == 0.0 ? 1.0 : -expm1(-x) / x; }

/* (exp(-x) - 1 + x) / x^2, accurate for small x. */
static double phi2(double x) {
    if (fabs(x) < 1e-2) {
        const double x2 = x * x;
        return 0.5 - x / 6.0 + x2 / 24.0 - x2 * x / 120.0 + x2 * x2 / 720.0;
    }
    return (expm1(-x) + x) / (x * x);
}

/* Propagator from an exponentially decaying current (time constant ts) to v over h. */
static double p21_exp(double h, double tm, double ts, double cm) {
    /* (1/cm) (e^{-h/ts} - e^{-h/tm}) / (1/tm - 1/ts) = (h/cm) e^{-h/ts} phi1(h (1/tm - 1/ts)) */
    return h / cm * exp(-h / ts) * phi1(h * (1.0 / tm - 1.0 / ts));
}

/* Propagator from the derivative state y1 of an alpha current (y1' = -y1/ts, I' = y1 - I/ts)
 * to v over h. */
static double p31_alpha(double h, double tm, double ts, double cm) {
    const double d = 1.0 / tm - 1.0 / ts;
    return h * h / cm * exp(-h / ts) * phi2(h * d);
}

static int32_t refrac_steps(double tau_refrac, double dt) {
    return (int32_t)floor(tau_refrac / dt + 0.5);
}

static int prepare_rows(ss_engine *e, ss_core *c);

static void detect_uniform(ss_core *c, int32_t n_rows) {
    const int64_t n = c->n;
    c->uniform = 1;
    for (int32_t r = 0; r < n_rows && c->uniform; r++) {
        const double *row = ROW(c->params, r);
        for (int64_t i = 1; i < n; i++)
            if (row[i] != row[0]) {
                c->uniform = 0;
                break;
            }
    }
}

int ss_prepare_neurons(ss_engine *e, ss_core *c) {
    const int code = prepare_rows(e, c);
    if (code == 0) detect_uniform(c, ss_model_n_param_rows(c->model));
    return code;
}

static int prepare_rows(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    switch (c->model) {
    case SS_IF_CURR_EXP:
    case SS_IF_CURR_ALPHA: {
        double *v_rest = ROW(P, 0), *cm = ROW(P, 1), *tm = ROW(P, 2), *tr = ROW(P, 3);
        double *tse = ROW(P, 4), *tsi = ROW(P, 5);
        (void)v_rest;
        for (int64_t i = 0; i < n; i++) {
            if (!(cm[i] > 0 && tm[i] > 0 && tse[i] > 0 && tsi[i] > 0 && tr[i] >= 0)) return -10;
        }
        if (c->model == SS_IF_CURR_EXP) {
            for (int64_t i = 0; i < n; i++) {
                const double p22 = exp(-h / tm[i]);
                ROW(P, 9)[i] = p22;
                ROW(P, 10)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
                ROW(P, 11)[i] = p21_exp(h, tm[i], tse[i], cm[i]);
                ROW(P, 12)[i] = p21_exp(h, tm[i], tsi[i], cm[i]);
                ROW(P, 13)[i] = exp(-h / tse[i]);
                ROW(P, 14)[i] = exp(-h / tsi[i]);
                ROW(P, 15)[i] = refrac_steps(tr[i], h);
            }
        } else {
            for (int64_t i = 0; i < n; i++) {
                ROW(P, 9)[i] = exp(-h / tm[i]);
                ROW(P, 10)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
                ROW(P, 11)[i] = exp(-h / tse[i]);
                ROW(P, 12)[i] = exp(-h / tsi[i]);
                ROW(P, 13)[i] = h * exp(-h / tse[i]);
                ROW(P, 14)[i] = h * exp(-h / tsi[i]);
                ROW(P, 15)[i] = p31_alpha(h, tm[i], tse[i], cm[i]);
                ROW(P, 16)[i] = p31_alpha(h, tm[i], tsi[i], cm[i]);
                ROW(P, 17)[i] = p21_exp(h, tm[i], tse[i], cm[i]);
                ROW(P, 18)[i] = p21_exp(h, tm[i], tsi[i], cm[i]);
                ROW(P, 19)[i] = SS_E / tse[i];
                ROW(P, 20)[i] = SS_E / tsi[i];
                ROW(P, 21)[i] = refrac_steps(tr[i], h);
            }
        }
        return 0;
    }
    case SS_IF_CURR_DELTA: {
        double *cm = ROW(P, 1), *tm = ROW(P, 2), *tr = ROW(P, 3);
        for (int64_t i = 0; i < n; i++) {
            if (!(cm[i] > 0 && tm[i] > 0 && tr[i] >= 0)) return -10;
            ROW(P, 7)[i] = exp(-h / tm[i]);
            ROW(P, 8)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
            ROW(P, 9)[i] = refrac_steps(tr[i], h);
        }
        return 0;
    }
    case SS_IF_COND_EXP:
    case SS_IF_COND_ALPHA: {
        double *cm = ROW(P, 1), *tm = ROW(P, 2), *tr = ROW(P, 3);
        double *tse = ROW(P, 4), *tsi = ROW(P, 5);
        for (int64_t i = 0; i < n; i++) {
            if (!(cm[i] > 0 && tm[i] > 0 && tse[i] > 0 && tsi[i] > 0 && tr[i] >= 0)) return -10;
            ROW(P, 11)[i] = exp(-h / tse[i]);
            ROW(P, 12)[i] = exp(-h / tsi[i]);
            ROW(P, 13)[i] = exp(-0.5 * h / tse[i]);
            ROW(P, 14)[i] = exp(-0.5 * h / tsi[i]);
            ROW(P, 15)[i] = refrac_steps(tr[i], h);
            if (c->model == SS_IF_COND_ALPHA) {
                ROW(P, 16)[i] = SS_E / tse[i];
                ROW(P, 17)[i] = SS_E / tsi[i];
            }
        }
        return 0;
    }
    case SS_EIF_COND_EXP:
    case SS_EIF_COND_ALPHA: {
        double *cm = ROW(P, 0), *tr = ROW(P, 1), *tm = ROW(P, 5), *tw = ROW(P, 10);
        double *tse = ROW(P, 13), *tsi = ROW(P, 15), *dT = ROW(P, 9);
        for (int64_t i = 0; i < n; i++) {
            if (!(cm[i] > 0 && tm[i] > 0 && tse[i] > 0 && tsi[i] > 0 && tr[i] >= 0 && tw[i] > 0 &&
                  dT[i] >= 0))
                return -10;
            ROW(P, 16)[i] = exp(-h / tse[i]);
            ROW(P, 17)[i] = exp(-h / tsi[i]);
            ROW(P, 18)[i] = exp(-0.5 * h / tse[i]);
            ROW(P, 19)[i] = exp(-0.5 * h / tsi[i]);
            ROW(P, 20)[i] = refrac_steps(tr[i], h);
            if (c->model == SS_EIF_COND_ALPHA) {
                ROW(P, 21)[i] = SS_E / tse[i];
                ROW(P, 22)[i] = SS_E / tsi[i];
            }
        }
        return 0;
    }
    case SS_HH_COND_EXP: {
        double *cm = ROW(P, 3), *tse = ROW(P, 10), *tsi = ROW(P, 11);
        for (int64_t i = 0; i < n; i++) {
            if (!(cm[i] > 0 && tse[i] > 0 && tsi[i] > 0)) return -10;
            ROW(P, 13)[i] = exp(-h / tse[i]);
            ROW(P, 14)[i] = exp(-h / tsi[i]);
            ROW(P, 15)[i] = exp(-0.5 * h / tse[i]);
            ROW(P, 16)[i] = exp(-0.5 * h / tsi[i]);
        }
        return 0;
    }
    case SS_IZHIKEVICH:
        return 0;
    default:
        return ss_prepare_neurons_sources(e, c);
    }
}

/* ---- updates: each returns the number of neurons that spiked (indices in c->spikes) ---- */

static inline __attribute__((always_inline)) int32_t threshold(ss_core *c, double *v,
                                                              const double *thr,
                                                              const double *reset,
                                                              const double *rsteps,
                                                              const int64_t ps) {
    const int64_t n = c->n;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        if (v[i] >= thr[i * ps]) {
            v[i] = reset[i * ps];
            c->refrac[i] = (int32_t)rsteps[i * ps];
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

/* The linear models come in two flavours, chosen per core: per-neuron parameters, or one set
 * shared by the whole core (c->uniform), passed by value so that it stays in registers.  The
 * loops take every array as a restrict parameter: that is what lets gcc vectorise them. */

#define R const double *restrict
#define W double *restrict
#define VEC(x) x[i]
#define SCA(x) x

#define LIF_EXP_BODY(PAR)                                                                    \
    int64_t above = 0;                                                                       \
    for (int64_t i = 0; i < n; i++) {                                                        \
        const double I = PAR(i_off) + ics[i];                                                \
        const double vn = PAR(v_rest) + (v[i] - PAR(v_rest)) * PAR(p22) + PAR(p20) * I +     \
                          PAR(p21e) * ie[i] - PAR(p21i) * ii[i];                             \
        const int32_t r = refr[i];                                                           \
        v[i] = r > 0 ? PAR(v_reset) : vn;                                                    \
        above += v[i] >= PAR(v_thresh);                                                      \
        refr[i] = r > 0 ? r - 1 : 0;                                                         \
        ie[i] = ie[i] * PAR(p11e) + re[i];                                                   \
        ii[i] = ii[i] * PAR(p11i) + ri[i];                                                   \
        re[i] = 0.0;                                                                         \
        ri[i] = 0.0;                                                                         \
    }

static int64_t lif_exp_vec(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, R p21e, R p21i,
                        R p11e, R p11i, W v, W ie, W ii, int32_t *restrict refr, W re, W ri,
                        R ics) {
    LIF_EXP_BODY(VEC)
    return above;
}

static int64_t lif_exp_sca(int64_t n, double v_rest, double i_off, double v_reset, double v_thresh, double p22,
                        double p20, double p21e, double p21i, double p11e, double p11i, W v, W ie,
                        W ii, int32_t *restrict refr, W re, W ri, R ics) {
    LIF_EXP_BODY(SCA)
    return above;
}

static int32_t update_if_curr_exp(ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
    int64_t above;
    if (c->uniform)
        above = lif_exp_sca(n, P[0], P[6 * n], P[7 * n], P[8 * n], P[9 * n], P[10 * n], P[11 * n], P[12 * n],
                    P[13 * n], P[14 * n], ROW(S, 0), ROW(S, 1), ROW(S, 2), c->refrac, re, re + n,
                    c->i_cs);
    else
        above = lif_exp_vec(n, ROW(P, 0), ROW(P, 6), ROW(P, 7), ROW(P, 8), ROW(P, 9), ROW(P, 10), ROW(P, 11),
                    ROW(P, 12), ROW(P, 13), ROW(P, 14), ROW(S, 0), ROW(S, 1), ROW(S, 2),
                    c->refrac, re, re + n, c->i_cs);
    if (!above) return 0;
    return threshold(c, ROW(S, 0), ROW(P, 8), ROW(P, 7), ROW(P, 15), c->uniform ? 0 : 1);
}

#define LIF_ALPHA_BODY(PAR)                                                                  \
    int64_t above = 0;                                                                       \
    for (int64_t i = 0; i < n; i++) {                                                        \
        const double I = PAR(i_off) + ics[i];                                                \
        const double vn = PAR(v_rest) + (v[i] - PAR(v_rest)) * PAR(p22) + PAR(p20) * I +     \
                          PAR(p31e) * de[i] + PAR(p32e) * ie[i] - PAR(p31i) * di[i] -        \
                          PAR(p32i) * ii[i];                                                 \
        const int32_t r = refr[i];                                                           \
        v[i] = r > 0 ? PAR(v_reset) : vn;                                                    \
        above += v[i] >= PAR(v_thresh);                                                      \
        refr[i] = r > 0 ? r - 1 : 0;                                                         \
        ie[i] = PAR(p21e) * de[i] + PAR(p11e) * ie[i];                                       \
        ii[i] = PAR(p21i) * di[i] + PAR(p11i) * ii[i];                                       \
        de[i] = PAR(p11e) * de[i] + PAR(ae) * re[i];                                         \
        di[i] = PAR(p11i) * di[i] + PAR(ai) * ri[i];                                         \
        re[i] = 0.0;                                                                         \
        ri[i] = 0.0;                                                                         \
    }

static int64_t lif_alpha_vec(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, R p11e, R p11i,
                          R p21e, R p21i, R p31e, R p31i, R p32e, R p32i, R ae, R ai, W v, W ie,
                          W ii, W de, W di, int32_t *restrict refr, W re, W ri, R ics) {
    LIF_ALPHA_BODY(VEC)
    return above;
}

static int64_t lif_alpha_sca(int64_t n, double v_rest, double i_off, double v_reset, double v_thresh, double p22,
                          double p20, double p11e, double p11i, double p21e, double p21i,
                          double p31e, double p31i, double p32e, double p32i, double ae,
                          double ai, W v, W ie, W ii, W de, W di, int32_t *restrict refr, W re,
                          W ri, R ics) {
    LIF_ALPHA_BODY(SCA)
    return above;
}

static int32_t update_if_curr_alpha(ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
    int64_t above;
    if (c->uniform)
        above = lif_alpha_sca(n, P[0], P[6 * n], P[7 * n], P[8 * n], P[9 * n], P[10 * n], P[11 * n], P[12 * n],
                      P[13 * n], P[14 * n], P[15 * n], P[16 * n], P[17 * n], P[18 * n],
                      P[19 * n], P[20 * n], ROW(S, 0), ROW(S, 1), ROW(S, 2), ROW(S, 3),
                      ROW(S, 4), c->refrac, re, re + n, c->i_cs);
    else
        above = lif_alpha_vec(n, ROW(P, 0), ROW(P, 6), ROW(P, 7), ROW(P, 8), ROW(P, 9), ROW(P, 10), ROW(P, 11),
                      ROW(P, 12), ROW(P, 13), ROW(P, 14), ROW(P, 15), ROW(P, 16), ROW(P, 17),
                      ROW(P, 18), ROW(P, 19), ROW(P, 20), ROW(S, 0), ROW(S, 1), ROW(S, 2),
                      ROW(S, 3), ROW(S, 4), c->refrac, re, re + n, c->i_cs);
    if (!above) return 0;
    return threshold(c, ROW(S, 0), ROW(P, 8), ROW(P, 7), ROW(P, 21), c->uniform ? 0 : 1);
}

#define LIF_DELTA_BODY(PAR)                                                                  \
    int64_t above = 0;                                                                       \
    for (int64_t i = 0; i < n; i++) {                                                        \
        const double I = PAR(i_off) + ics[i];                                                \
        const double vn =                                                                    \
            PAR(v_rest) + (v[i] - PAR(v_rest)) * PAR(p22) + PAR(p20) * I + re[i] - ri[i];    \
        const int32_t r = refr[i];                                                           \
        v[i] = r > 0 ? PAR(v_reset) : vn;                                                    \
        above += v[i] >= PAR(v_thresh);                                                      \
        refr[i] = r > 0 ? r - 1 : 0;                                                         \
        in_e[i] = re[i]; /* this step's input (mV), kept for recording */                    \
        in_i[i] = ri[i];                                                                     \
        re[i] = 0.0;                                                                         \
        ri[i] = 0.0;                                                                         \
    }

static int64_t lif_delta_vec(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, W v,
                          int32_t *restrict refr, W re, W ri, R ics, W in_e, W in_i) {
    LIF_DELTA_BODY(VEC)
    return above;
}

static int64_t lif_delta_sca(int64_t n, double v_rest, double i_off, double v_reset, double v_thresh, double p22,
                          double p20, W v, int32_t *restrict refr, W re, W ri, R ics, W in_e, W in_i) {
    LIF_DELTA_BODY(SCA)
    return above;
}

static int32_t update_if_curr_delta(ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
    int64_t above;
    if (c->uniform)
        above = lif_delta_sca(n, P[0], P[4 * n], P[5 * n], P[6 * n], P[7 * n], P[8 * n], ROW(S, 0), c->refrac, re,
                      re + n, c->i_cs, ROW(S, 1), ROW(S, 2));
    else
        above = lif_delta_vec(n, ROW(P, 0), ROW(P, 4), ROW(P, 5), ROW(P, 6), ROW(P, 7), ROW(P, 8), ROW(S, 0),
                      c->refrac, re, re + n, c->i_cs, ROW(S, 1), ROW(S, 2));
    if (!above) return 0;
    return threshold(c, ROW(S, 0), ROW(P, 6), ROW(P, 5), ROW(P, 9), c->uniform ? 0 : 1);
}

#undef R
#undef W

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
static int32_t update_if_cond(ss_core *c, int64_t m, double h, int alpha) {
    const int64_t n = c->n;
    const double *P = c->params;
    const double *v_rest = ROW(P, 0), *cm = ROW(P, 1), *tm = ROW(P, 2), *Ee = ROW(P, 6),
                 *Ei = ROW(P, 7), *v_reset = ROW(P, 9), *i_off = ROW(P, 10);
    const double *p11e = ROW(P, 11), *p11i = ROW(P, 12), *h11e = ROW(P, 13), *h11i = ROW(P, 14);
    const double *ae = alpha ? ROW(P, 16) : 0, *ai = alpha ? ROW(P, 17) : 0;
    double *v = ROW(c->state, 0), *ge = ROW(c->state, 1), *gi = ROW(c->state, 2);
    double *dge = alpha ? ROW(c->state, 3) : 0, *dgi = alpha ? ROW(c->state, 4) : 0;
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
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
    return threshold(c, v, ROW(P, 8), v_reset, ROW(P, 15), 1);
}

/* Adaptive exponential integrate-and-fire (AdEx) with conductances: RK4 on (v, w). */
static int32_t update_eif(ss_core *c, int64_t m, double h, int alpha) {
    const int64_t n = c->n;
    const double *P = c->params;
    const double *cm = ROW(P, 0), *v_spike = ROW(P, 2), *v_reset = ROW(P, 3),
                 *v_rest = ROW(P, 4), *tm = ROW(P, 5), *i_off = ROW(P, 6), *a = ROW(P, 7),
                 *b = ROW(P, 8), *dT = ROW(P, 9), *tw = ROW(P, 10), *vt = ROW(P, 11),
                 *Ee = ROW(P, 12), *Ei = ROW(P, 14);
    const double *p11e = ROW(P, 16), *p11i = ROW(P, 17), *h11e = ROW(P, 18), *h11i = ROW(P, 19);
    const double *rsteps = ROW(P, 20);
    const double *ae = alpha ? ROW(P, 21) : 0, *ai = alpha ? ROW(P, 22) : 0;
    double *v = ROW(c->state, 0), *w = ROW(c->state, 1), *ge = ROW(c->state, 2),
           *gi = ROW(c->state, 3);
    double *dge = alpha ? ROW(c->state, 4) : 0, *dgi = alpha ? ROW(c->state, 5) : 0;
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
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

/* Hodgkin-Huxley (Traub & Miles, as PyNN's HH_cond_exp): RK4 with substeps of <= 0.01 ms. */
static void hh_rates(double u, double *an, double *bn, double *am, double *bm, double *ah,
                     double *bh) {
    /* u = v - v_offset; removable singularities handled by their limits */
    double x;
    x = 15.0 - u;
    *an = fabs(x) < 1e-7 ? 0.032 * 5.0 : 0.032 * x / expm1(x / 5.0);
    *bn = 0.5 * exp((10.0 - u) / 40.0);
    x = 13.0 - u;
    *am = fabs(x) < 1e-7 ? 0.32 * 4.0 : 0.32 * x / expm1(x / 4.0);
    x = u - 40.0;
    *bm = fabs(x) < 1e-7 ? 0.28 * 5.0 : 0.28 * x / expm1(x / 5.0);
    *ah = 0.128 * exp((17.0 - u) / 18.0);
    *bh = 4.0 / (1.0 + exp((40.0 - u) / 5.0));
}

static void hh_deriv(const double *y, double ge, double gi, double I, const double *p,
                     double *dy) {
    /* y = v, m, h, n; p = gNa, gK, gL, cm, v_off, ENa, EK, EL, Ee, Ei */
    double an, bn, am, bm, ah, bh;
    hh_rates(y[0] - p[4], &an, &bn, &am, &bm, &ah, &bh);
    const double m3h = y[1] * y[1] * y[1] * y[2], n4 = y[3] * y[3] * y[3] * y[3];
    const double i_ion = p[0] * m3h * (y[0] - p[5]) + p[1] * n4 * (y[0] - p[6]) +
                         p[2] * (y[0] - p[7]);
    dy[0] = (-i_ion + ge * (p[8] - y[0]) + gi * (p[9] - y[0]) + I) / p[3];
    dy[1] = am * (1.0 - y[1]) - bm * y[1];
    dy[2] = ah * (1.0 - y[2]) - bh * y[2];
    dy[3] = an * (1.0 - y[3]) - bn * y[3];
}

static int32_t update_hh(ss_core *c, int64_t m, double h) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *v = ROW(c->state, 0), *ge = ROW(c->state, 1), *gi = ROW(c->state, 2),
           *hh = ROW(c->state, 3), *mm = ROW(c->state, 4), *nn = ROW(c->state, 5),
           *above = ROW(c->state, 6);
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
    double *ri = re + n;
    const double *ics = c->i_cs;
    const int nsub = (int)ceil(h / 0.01 - 1e-9) < 1 ? 1 : (int)ceil(h / 0.01 - 1e-9);
    const double hs = h / nsub;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double p[10] = {ROW(P, 0)[i], ROW(P, 1)[i], ROW(P, 2)[i], ROW(P, 3)[i],
                              ROW(P, 4)[i], ROW(P, 5)[i], ROW(P, 6)[i], ROW(P, 7)[i],
                              ROW(P, 8)[i], ROW(P, 9)[i]};
        const double tse = ROW(P, 10)[i], tsi = ROW(P, 11)[i];
        const double I = ROW(P, 12)[i] + ics[i];
        const double ehe = exp(-0.5 * hs / tse), ehi = exp(-0.5 * hs / tsi);
        double y[4] = {v[i], mm[i], hh[i], nn[i]};
        const double v_prev = v[i];
        double gE = ge[i], gI = gi[i];
        for (int s = 0; s < nsub; s++) {
            double k1[4], k2[4], k3[4], k4[4], t[4];
            const double gEh = gE * ehe, gIh = gI * ehi, gE1 = gEh * ehe, gI1 = gIh * ehi;
            hh_deriv(y, gE, gI, I, p, k1);
            for (int j = 0; j < 4; j++) t[j] = y[j] + 0.5 * hs * k1[j];
            hh_deriv(t, gEh, gIh, I, p, k2);
            for (int j = 0; j < 4; j++) t[j] = y[j] + 0.5 * hs * k2[j];
            hh_deriv(t, gEh, gIh, I, p, k3);
            for (int j = 0; j < 4; j++) t[j] = y[j] + hs * k3[j];
            hh_deriv(t, gE1, gI1, I, p, k4);
            for (int j = 0; j < 4; j++) y[j] += hs / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
            gE = gE1;
            gI = gI1;
        }
        v[i] = y[0];
        mm[i] = y[1];
        hh[i] = y[2];
        nn[i] = y[3];
        ge[i] = gE + re[i];
        gi[i] = gI + ri[i];
        re[i] = 0.0;
        ri[i] = 0.0;
        /* a spike is the peak of an action potential: above v_offset + 30 mV and falling */
        const double thr = p[4] + 30.0;
        if (above[i] == 0.0 && v[i] >= thr && v[i] < v_prev) {
            above[i] = 1.0;
            c->spikes[k++] = (int32_t)i;
        } else if (v[i] < thr) {
            above[i] = 0.0;
        }
    }
    return k;
}

static int32_t update_izhikevich(ss_core *c, int64_t m, double h) {
    const int64_t n = c->n;
    const double *P = c->params;
    const double *a = ROW(P, 0), *b = ROW(P, 1), *cc = ROW(P, 2), *d = ROW(P, 3),
                 *i_off = ROW(P, 4);
    double *v = ROW(c->state, 0), *u = ROW(c->state, 1);
    double *re = c->ring + ((m & c->ring_mask) * 2) * n;
    double *ri = re + n;
    const double *ics = c->i_cs;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double I = 1000.0 * (i_off[i] + ics[i]); /* nA -> pA */
        const double v0 = v[i], u0 = u[i];
        v[i] = v0 + h * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + I) + re[i] - ri[i];
        u[i] = u0 + h * a[i] * (b[i] * v0 - u0);
        re[i] = 0.0;
        ri[i] = 0.0;
        if (v[i] >= 30.0) {
            v[i] = cc[i];
            u[i] += d[i];
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

int32_t ss_update_neurons(ss_engine *e, ss_core *c, int64_t m) {
    switch (c->model) {
    case SS_IF_CURR_EXP:
        return update_if_curr_exp(c, m);
    case SS_IF_CURR_ALPHA:
        return update_if_curr_alpha(c, m);
    case SS_IF_CURR_DELTA:
        return update_if_curr_delta(c, m);
    case SS_IF_COND_EXP:
        return update_if_cond(c, m, e->dt, 0);
    case SS_IF_COND_ALPHA:
        return update_if_cond(c, m, e->dt, 1);
    case SS_EIF_COND_EXP:
        return update_eif(c, m, e->dt, 0);
    case SS_EIF_COND_ALPHA:
        return update_eif(c, m, e->dt, 1);
    case SS_HH_COND_EXP:
        return update_hh(c, m, e->dt);
    case SS_IZHIKEVICH:
        return update_izhikevich(c, m, e->dt);
    default:
        return 0;
    }
}
