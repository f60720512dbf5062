/* IF_curr_delta: leaky integrate-and-fire, each synaptic event a jump of v (mV). */
#include "../model.h"

#define MODEL if_curr_delta
#define PARAMS(X)                                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)
#define DERIVED(X) X(_p22) X(_p20) X(_refrac_steps)
/* _input_exc/_input_inh: the jumps that arrived in the last step (mV), kept for recording
   (sPyNNaker records them as gsyn_exc/gsyn_inh on delta cells). */
#define STATE(X) X(v, "mV", -65.0) X(_input_exc, "mV", 0.0) X(_input_inh, "mV", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p22)[i] = exp(-h / tm[i]);
        ROW(P, P__p20)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
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
        const double vn =                                                                    \
            PAR(v_rest) + (v[i] - PAR(v_rest)) * PAR(p22) + PAR(p20) * I + re[i] - ri[i];    \
        const int32_t r = refr[i];                                                           \
        v[i] = r > 0 ? PAR(v_reset) : vn;                                                    \
        above += v[i] >= PAR(v_thresh);                                                      \
        refr[i] = r > 0 ? r - 1 : 0;                                                         \
        in_e[i] = re[i];                                                                     \
        in_i[i] = ri[i];                                                                     \
        re[i] = 0.0;                                                                         \
        ri[i] = 0.0;                                                                         \
    }

static int64_t step_vec(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R p22, R p20, W v,
                        int32_t *restrict refr, W re, W ri, R ics, W in_e, W in_i) {
    BODY(VEC)
    return above;
}

static int64_t step_sca(int64_t n, double v_rest, double i_off, double v_reset, double v_thresh,
                        double p22, double p20, W v, int32_t *restrict refr, W re, W ri, R ics,
                        W in_e, W in_i) {
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
                         P[P_v_thresh * n], P[P__p22 * n], P[P__p20 * n], ROW(S, S_v), c->refrac,
                         re, re + n, c->i_cs, ROW(S, S__input_exc), ROW(S, S__input_inh));
    else
        above = step_vec(n, ROW(P, P_v_rest), ROW(P, P_i_offset), ROW(P, P_v_reset),
                         ROW(P, P_v_thresh), ROW(P, P__p22), ROW(P, P__p20), ROW(S, S_v),
                         c->refrac, re, re + n, c->i_cs, ROW(S, S__input_exc),
                         ROW(S, S__input_inh));
    if (!above) return 0;
    return ss_threshold(c, ROW(S, S_v), ROW(P, P_v_thresh), ROW(P, P_v_reset),
                        ROW(P, P__refrac_steps), c->uniform ? 0 : 1);
}

SS_DEFINE_MODEL("IF_curr_delta", 0, prepare, update, 0);
