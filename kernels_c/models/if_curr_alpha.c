/* IF_curr_alpha: leaky integrate-and-fire, alpha-shaped synaptic currents; exact propagators
 * (docs/ENGINE.md). */
#include "../model.h"

#define MODEL if_curr_alpha
#define PARAMS(X)                                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(tau_syn_E, "ms", SS_POSITIVE, 0.5)                                                     \
    X(tau_syn_I, "ms", SS_POSITIVE, 0.5)                                                     \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)
#define DERIVED(X)                                                                           \
    X(_p22) X(_p20) X(_p11e) X(_p11i) X(_p21e) X(_p21i) X(_p31e) X(_p31i) X(_p32e) X(_p32i)  \
    X(_alpha_e) X(_alpha_i) X(_refrac_steps)
#define STATE(X)                                                                             \
    X(v, "mV", -65.0) X(isyn_exc, "nA", 0.0) X(isyn_inh, "nA", 0.0) X(_disyn_exc, "nA/ms", 0.0) \
    X(_disyn_inh, "nA/ms", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    const double *tse = ROW(P, P_tau_syn_E), *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p22)[i] = exp(-h / tm[i]);
        ROW(P, P__p20)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__p21e)[i] = h * exp(-h / tse[i]);
        ROW(P, P__p21i)[i] = h * exp(-h / tsi[i]);
        ROW(P, P__p31e)[i] = ss_p31_alpha(h, tm[i], tse[i], cm[i]);
        ROW(P, P__p31i)[i] = ss_p31_alpha(h, tm[i], tsi[i], cm[i]);
        ROW(P, P__p32e)[i] = ss_p21_exp(h, tm[i], tse[i], cm[i]);
        ROW(P, P__p32i)[i] = ss_p21_exp(h, tm[i], tsi[i], cm[i]);
        ROW(P, P__alpha_e)[i] = SS_E / tse[i];
        ROW(P, P__alpha_i)[i] = SS_E / tsi[i];
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    }
    return 0;
}

/* Per-neuron or core-wide (uniform) parameters, as IF_curr_exp. */
#define R const double *restrict
#define W double *restrict
#define VEC(x) x[i]
#define SCA(x) x

#define BODY(PAR)                                                                            \
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

static int64_t step_vec(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20,
                        R p11e, R p11i, R p21e, R p21i, R p31e, R p31i, R p32e, R p32i, R ae,
                        R ai, W v, W ie, W ii, W de, W di, int32_t *restrict refr, W re, W ri,
                        R ics) {
    BODY(VEC)
    return above;
}

static int64_t step_sca(int64_t n, double v_rest, double i_off, double v_reset, double v_thresh,
                        double p22, double p20, double p11e, double p11i, double p21e,
                        double p21i, double p31e, double p31i, double p32e, double p32i,
                        double ae, double ai, W v, W ie, W ii, W de, W di,
                        int32_t *restrict refr, W re, W ri, R ics) {
    BODY(SCA)
    return above;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = ss_ring_now(c, m);
    int64_t above;
    if (c->uniform)
        above = step_sca(n, P[P_v_rest * n], P[P_i_offset * n], P[P_v_reset * n],
                         P[P_v_thresh * n], P[P__p22 * n], P[P__p20 * n], P[P__p11e * n],
                         P[P__p11i * n], P[P__p21e * n], P[P__p21i * n], P[P__p31e * n],
                         P[P__p31i * n], P[P__p32e * n], P[P__p32i * n], P[P__alpha_e * n],
                         P[P__alpha_i * n], ROW(S, S_v), ROW(S, S_isyn_exc), ROW(S, S_isyn_inh),
                         ROW(S, S__disyn_exc), ROW(S, S__disyn_inh), c->refrac, re, re + n,
                         c->i_cs);
    else
        above = step_vec(n, ROW(P, P_v_rest), ROW(P, P_i_offset), ROW(P, P_v_reset),
                         ROW(P, P_v_thresh), ROW(P, P__p22), ROW(P, P__p20), ROW(P, P__p11e),
                         ROW(P, P__p11i), ROW(P, P__p21e), ROW(P, P__p21i), ROW(P, P__p31e),
                         ROW(P, P__p31i), ROW(P, P__p32e), ROW(P, P__p32i), ROW(P, P__alpha_e),
                         ROW(P, P__alpha_i), ROW(S, S_v), ROW(S, S_isyn_exc),
                         ROW(S, S_isyn_inh), ROW(S, S__disyn_exc), ROW(S, S__disyn_inh),
                         c->refrac, re, re + n, c->i_cs);
    if (!above) return 0;
    return ss_threshold(c, ROW(S, S_v), ROW(P, P_v_thresh), ROW(P, P_v_reset),
                        ROW(P, P__refrac_steps), c->uniform ? 0 : 1);
}

SS_DEFINE_MODEL("IF_curr_alpha", 0, prepare, update, 0);
