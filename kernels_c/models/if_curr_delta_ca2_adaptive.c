/* IFCurrDeltaCa2Adaptive (sPyNNaker's extra model): IF_curr_delta (each synaptic event a jump
 * of v, mV) plus IFCurrExpCa2Adaptive's calcium current i_ca2, which jumps by i_alpha at each
 * of the neuron's own spikes, decays with tau_ca2 and is subtracted from the input; propagated
 * exactly (docs/ENGINE.md). */
#include "../model.h"

#define MODEL if_curr_delta_ca2_adaptive
#define PARAMS(X)                                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)                                                         \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(tau_ca2, "ms", SS_POSITIVE, 50.0)                                                      \
    X(i_alpha, "nA", SS_ANY, 0.1)                                                            \
    X(i_offset, "nA", SS_ANY, 0.0)
#define DERIVED(X) X(_p22) X(_p20) X(_p21ca) X(_p11ca) X(_refrac_steps)
/* _input_exc/_input_inh: the jumps of the last step (mV), as IF_curr_delta keeps them */
#define STATE(X)                                                                             \
    X(v, "mV", -65.0) X(i_ca2, "nA", 0.0) X(_input_exc, "mV", 0.0) X(_input_inh, "mV", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    const double *tca = ROW(P, P_tau_ca2);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p22)[i] = exp(-h / tm[i]);
        ROW(P, P__p20)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
        ROW(P, P__p21ca)[i] = ss_p21_exp(h, tm[i], tca[i], cm[i]);
        ROW(P, P__p11ca)[i] = exp(-h / tca[i]);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    }
    return 0;
}

#define R const double *restrict
#define W double *restrict

static int64_t step(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, R p21ca,
                    R p11ca, W v, W ca, int32_t *restrict refr, W re, W ri, R ics, W in_e,
                    W in_i) {
    int64_t above = 0;
    for (int64_t i = 0; i < n; i++) {
        const double I = i_off[i] + ics[i];
        const double vn = v_rest[i] + (v[i] - v_rest[i]) * p22[i] + p20[i] * I -
                          p21ca[i] * ca[i] + re[i] - ri[i];
        const int32_t r = refr[i];
        v[i] = r > 0 ? v_reset[i] : vn; /* jumps arriving while refractory are dropped */
        above += v[i] >= v_thresh[i];
        refr[i] = r > 0 ? r - 1 : 0;
        ca[i] *= p11ca[i];
        in_e[i] = re[i];
        in_i[i] = ri[i];
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
             ROW(P, P__p22), ROW(P, P__p20), ROW(P, P__p21ca), ROW(P, P__p11ca), ROW(S, S_v), ca,
             c->refrac, re, re + n, c->i_cs, ROW(S, S__input_exc), ROW(S, S__input_inh));
    if (!above) return 0;
    const int32_t k = ss_threshold(c, ROW(S, S_v), ROW(P, P_v_thresh), ROW(P, P_v_reset),
                                   ROW(P, P__refrac_steps), 1);
    const double *alpha = ROW(P, P_i_alpha); /* calcium influx at the spike (stamp m + 1) */
    for (int32_t j = 0; j < k; j++) ca[c->spikes[j]] += alpha[c->spikes[j]];
    return k;
}

SS_DEFINE_MODEL("IFCurrDeltaCa2Adaptive", 0, prepare, update, 0);
