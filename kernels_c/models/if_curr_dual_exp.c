/* IF_curr_dual_exp (sPyNNaker's extra model): leaky integrate-and-fire with two excitatory
 * exponentially decaying synaptic currents (tau_syn_E, tau_syn_E2) and one inhibitory
 * (tau_syn_I); exact propagators as IF_curr_exp (docs/ENGINE.md).  Receptor "excitatory2" is
 * ring row 2. */
#include "../model.h"

#define MODEL if_curr_dual_exp
#define PARAMS(X)                                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_E2, "ms", SS_POSITIVE, 5.0)                                                    \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)
#define DERIVED(X)                                                                           \
    X(_p22) X(_p20) X(_p21e) X(_p21e2) X(_p21i) X(_p11e) X(_p11e2) X(_p11i) X(_refrac_steps)
#define STATE(X)                                                                             \
    X(v, "mV", -65.0) X(isyn_exc, "nA", 0.0) X(isyn_exc2, "nA", 0.0) X(isyn_inh, "nA", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory) X(excitatory2)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    const double *tse = ROW(P, P_tau_syn_E), *tse2 = ROW(P, P_tau_syn_E2);
    const double *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p22)[i] = exp(-h / tm[i]);
        ROW(P, P__p20)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
        ROW(P, P__p21e)[i] = ss_p21_exp(h, tm[i], tse[i], cm[i]);
        ROW(P, P__p21e2)[i] = ss_p21_exp(h, tm[i], tse2[i], cm[i]);
        ROW(P, P__p21i)[i] = ss_p21_exp(h, tm[i], tsi[i], cm[i]);
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11e2)[i] = exp(-h / tse2[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    }
    return 0;
}

#define R const double *restrict
#define W double *restrict

static int64_t step(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, R p21e,
                    R p21e2, R p21i, R p11e, R p11e2, R p11i, W v, W ie, W ie2, W ii,
                    int32_t *restrict refr, W re, W ri, W re2, R ics) {
    int64_t above = 0;
    for (int64_t i = 0; i < n; i++) {
        const double I = i_off[i] + ics[i];
        const double vn = v_rest[i] + (v[i] - v_rest[i]) * p22[i] + p20[i] * I +
                          p21e[i] * ie[i] + p21e2[i] * ie2[i] - p21i[i] * ii[i];
        const int32_t r = refr[i];
        v[i] = r > 0 ? v_reset[i] : vn;
        above += v[i] >= v_thresh[i];
        refr[i] = r > 0 ? r - 1 : 0;
        ie[i] = ie[i] * p11e[i] + re[i];
        ie2[i] = ie2[i] * p11e2[i] + re2[i];
        ii[i] = ii[i] * p11i[i] + ri[i];
        re[i] = 0.0;
        re2[i] = 0.0;
        ri[i] = 0.0;
    }
    return above;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = ss_ring_now(c, m); /* rows: excitatory, inhibitory, excitatory2 */
    const int64_t above =
        step(n, ROW(P, P_v_rest), ROW(P, P_i_offset), ROW(P, P_v_reset), ROW(P, P_v_thresh),
             ROW(P, P__p22), ROW(P, P__p20), ROW(P, P__p21e), ROW(P, P__p21e2), ROW(P, P__p21i),
             ROW(P, P__p11e), ROW(P, P__p11e2), ROW(P, P__p11i), ROW(S, S_v), ROW(S, S_isyn_exc),
             ROW(S, S_isyn_exc2), ROW(S, S_isyn_inh), c->refrac, re, re + n, re + 2 * n, c->i_cs);
    if (!above) return 0;
    return ss_threshold(c, ROW(S, S_v), ROW(P, P_v_thresh), ROW(P, P_v_reset),
                        ROW(P, P__refrac_steps), 1);
}

SS_DEFINE_MODEL("IF_curr_dual_exp", 0, prepare, update, 0);
