/* HH_cond_exp: Hodgkin-Huxley (Traub & Miles, as PyNN's), exponentially decaying synaptic
 * conductances; RK4 with substeps of <= 0.01 ms. */
#include "../model.h"

#define MODEL hh_cond_exp
#define PARAMS(X)                                                                            \
    X(gbar_Na, "uS", SS_NON_NEGATIVE, 20.0)                                                  \
    X(gbar_K, "uS", SS_NON_NEGATIVE, 6.0)                                                    \
    X(g_leak, "uS", SS_POSITIVE, 0.01)                                                       \
    X(cm, "nF", SS_POSITIVE, 0.2)                                                            \
    X(v_offset, "mV", SS_ANY, -63.0)                                                         \
    X(e_rev_Na, "mV", SS_ANY, 50.0)                                                          \
    X(e_rev_K, "mV", SS_ANY, -90.0)                                                          \
    X(e_rev_leak, "mV", SS_ANY, -65.0)                                                       \
    X(e_rev_E, "mV", SS_ANY, 0.0)                                                            \
    X(e_rev_I, "mV", SS_ANY, -80.0)                                                          \
    X(tau_syn_E, "ms", SS_POSITIVE, 0.2)                                                     \
    X(tau_syn_I, "ms", SS_POSITIVE, 2.0)                                                     \
    X(i_offset, "nA", SS_ANY, 0.0)
#define DERIVED(X) X(_p11e) X(_p11i) X(_h11e) X(_h11i)
#define STATE(X)                                                                             \
    X(v, "mV", -65.0) X(gsyn_exc, "uS", 0.0) X(gsyn_inh, "uS", 0.0) X(h, "", 1.0)            \
    X(m, "", 0.0) X(n, "", 0.0) X(_above, "", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *tse = ROW(P, P_tau_syn_E), *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__h11e)[i] = exp(-0.5 * h / tse[i]);
        ROW(P, P__h11i)[i] = exp(-0.5 * h / tsi[i]);
    }
    return 0;
}

static void rates(double u, double *an, double *bn, double *am, double *bm, double *ah,
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

/* The parameters deriv() reads, by position. */
enum { K_GNA, K_GK, K_GL, K_CM, K_VOFF, K_ENA, K_EK, K_EL, K_EE, K_EI, K_N };

static void deriv(const double *y, double ge, double gi, double I, const double *p, double *dy) {
    /* y = v, m, h, n */
    double an, bn, am, bm, ah, bh;
    rates(y[0] - p[K_VOFF], &an, &bn, &am, &bm, &ah, &bh);
    const double m3h = y[1] * y[1] * y[1] * y[2], n4 = y[3] * y[3] * y[3] * y[3];
    const double i_ion = p[K_GNA] * m3h * (y[0] - p[K_ENA]) + p[K_GK] * n4 * (y[0] - p[K_EK]) +
                         p[K_GL] * (y[0] - p[K_EL]);
    dy[0] = (-i_ion + ge * (p[K_EE] - y[0]) + gi * (p[K_EI] - y[0]) + I) / p[K_CM];
    dy[1] = am * (1.0 - y[1]) - bm * y[1];
    dy[2] = ah * (1.0 - y[2]) - bh * y[2];
    dy[3] = an * (1.0 - y[3]) - bn * y[3];
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double h = e->dt;
    const double *P = c->params;
    double *v = ROW(c->state, S_v), *ge = ROW(c->state, S_gsyn_exc),
           *gi = ROW(c->state, S_gsyn_inh), *hh = ROW(c->state, S_h), *mm = ROW(c->state, S_m),
           *nn = ROW(c->state, S_n), *above = ROW(c->state, S__above);
    double *re = ss_ring_now(c, m);
    double *ri = re + n;
    const double *ics = c->i_cs;
    const int nsub = (int)ceil(h / 0.01 - 1e-9) < 1 ? 1 : (int)ceil(h / 0.01 - 1e-9);
    const double hs = h / nsub;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double p[K_N] = {ROW(P, P_gbar_Na)[i], ROW(P, P_gbar_K)[i],   ROW(P, P_g_leak)[i],
                               ROW(P, P_cm)[i],      ROW(P, P_v_offset)[i], ROW(P, P_e_rev_Na)[i],
                               ROW(P, P_e_rev_K)[i], ROW(P, P_e_rev_leak)[i],
                               ROW(P, P_e_rev_E)[i], ROW(P, P_e_rev_I)[i]};
        const double tse = ROW(P, P_tau_syn_E)[i], tsi = ROW(P, P_tau_syn_I)[i];
        const double I = ROW(P, P_i_offset)[i] + ics[i];
        const double ehe = exp(-0.5 * hs / tse), ehi = exp(-0.5 * hs / tsi);
        double y[4] = {v[i], mm[i], hh[i], nn[i]};
        const double v_prev = v[i];
        double gE = ge[i], gI = gi[i];
        for (int s = 0; s < nsub; s++) {
            double k1[4], k2[4], k3[4], k4[4], t[4];
            const double gEh = gE * ehe, gIh = gI * ehi, gE1 = gEh * ehe, gI1 = gIh * ehi;
            deriv(y, gE, gI, I, p, k1);
            for (int j = 0; j < 4; j++) t[j] = y[j] + 0.5 * hs * k1[j];
            deriv(t, gEh, gIh, I, p, k2);
            for (int j = 0; j < 4; j++) t[j] = y[j] + 0.5 * hs * k2[j];
            deriv(t, gEh, gIh, I, p, k3);
            for (int j = 0; j < 4; j++) t[j] = y[j] + hs * k3[j];
            deriv(t, gE1, gI1, I, p, k4);
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
        const double thr = p[K_VOFF] + 30.0;
        if (above[i] == 0.0 && v[i] >= thr && v[i] < v_prev) {
            above[i] = 1.0;
            c->spikes[k++] = (int32_t)i;
        } else if (v[i] < thr) {
            above[i] = 0.0;
        }
    }
    return k;
}

SS_DEFINE_MODEL("HH_cond_exp", 0, prepare, update, 0);
