/* IFCurrExpCa2Adaptive (sPyNNaker's extra model; Liu & Wang 2001): IF_curr_exp plus a calcium
 * current i_ca2 that jumps by i_alpha at each of the neuron's own spikes, decays with tau_ca2
 * and is subtracted from the membrane's input.  Linear between spikes, so every current is
 * propagated exactly as IF_curr_exp's (docs/ENGINE.md); sPyNNaker instead holds i_ca2 constant
 * over a step (docs/MODELS.md). */
#include "../model.h"

#define MODEL if_curr_exp_ca2_adaptive
#define PARAMS(X)                                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)                                                         \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(tau_ca2, "ms", SS_POSITIVE, 50.0)                                                      \
    X(i_alpha, "nA", SS_ANY, 0.1)
#define DERIVED(X)                                                                           \
    X(_p22) X(_p20) X(_p21e) X(_p21i) X(_p21ca) X(_p11e) X(_p11i) X(_p11ca) X(_refrac_steps)
#define STATE(X)                                                                             \
    X(v, "mV", -65.0) X(isyn_exc, "nA", 0.0) X(isyn_inh, "nA", 0.0) X(i_ca2, "nA", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    const double *tse = ROW(P, P_tau_syn_E), *tsi = ROW(P, P_tau_syn_I);
    const double *tca = ROW(P, P_tau_ca2);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p22)[i] = exp(-h / tm[i]);
        ROW(P, P__p20)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
        ROW(P, P__p21e)[i] = ss_p21_exp(h, tm[i], tse[i], cm[i]);
        ROW(P, P__p21i)[i] = ss_p21_exp(h, tm[i], tsi[i], cm[i]);
        ROW(P, P__p21ca)[i] = ss_p21_exp(h, tm[i], tca[i], cm[i]);
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__p11ca)[i] = exp(-h / tca[i]);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    }
    return 0;
}

#define R const double *restrict
#define W double *restrict

static int64_t step(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, R p21e,
                    R p21i, R p21ca, R p11e, R p11i, R p11ca, W v, W ie, W ii, W ca,
                    int32_t *restrict refr, W re, W ri, R ics) {
    int64_t above = 0;
    for (int64_t i = 0; i < n; i++) {
        const double I = i_off[i] + ics[i];
        const double vn = v_rest[i] + (v[i] - v_rest[i]) * p22[i] + p20[i] * I +
                          p21e[i] * ie[i] - p21i[i] * ii[i] - p21ca[i] * ca[i];
        const int32_t r = refr[i];
        v[i] = r > 0 ? v_reset[i] : vn;
        above += v[i] >= v_thresh[i];
        refr[i] = r > 0 ? r - 1 : 0;
        ie[i] = ie[i] * p11e[i] + re[i];
        ii[i] = ii[i] * p11i[i] + ri[i];
        ca[i] *= p11ca[i];
        re[i] = 0.0;
        ri[i] = 0.0;
    }
    return above;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = ss_ring_now(c, m);
    double *ca = ROW(S, S_i_ca2);
    const int64_t above =
        step(n, ROW(P, P_v_rest), ROW(P, P_i_offset), ROW(P, P_v_reset), ROW(P, P_v_thresh),
             ROW(P, P__p22), ROW(P, P__p20), ROW(P, P__p21e), ROW(P, P__p21i), ROW(P, P__p21ca),
             ROW(P, P__p11e), ROW(P, P__p11i), ROW(P, P__p11ca), ROW(S, S_v), ROW(S, S_isyn_exc),
             ROW(S, S_isyn_inh), ca, c->refrac, re, re + n, c->i_cs);
    if (!above) return 0;
    const int32_t k = ss_threshold(c, ROW(S, S_v), ROW(P, P_v_thresh), ROW(P, P_v_reset),
                                   ROW(P, P__refrac_steps), 1);
    /* the calcium influx of a spike at the end of the step (stamp m + 1) */
    const double *alpha = ROW(P, P_i_alpha);
    for (int32_t j = 0; j < k; j++) ca[c->spikes[j]] += alpha[c->spikes[j]];
    return k;
}

SS_DEFINE_MODEL("IFCurrExpCa2Adaptive", 0, prepare, update, 0);
