/* EIF_cond_exp_isfa_ista: adaptive exponential integrate-and-fire (AdEx) with exponentially decaying
 * synaptic conductances: RK4 on (v, w) (conductance.c). */
#include "../model.h"

#define MODEL eif_cond_exp_isfa_ista
#define PARAMS(X)                                                                            \
    X(cm, "nF", SS_POSITIVE, 0.281)                                                          \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(v_spike, "mV", SS_ANY, -40.0)                                                          \
    X(v_reset, "mV", SS_ANY, -70.6)                                                          \
    X(v_rest, "mV", SS_ANY, -70.6)                                                           \
    X(tau_m, "ms", SS_POSITIVE, 9.3667)                                                      \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(a, "nS", SS_ANY, 4.0)                                                                  \
    X(b, "nA", SS_ANY, 0.0805)                                                               \
    X(delta_T, "mV", SS_NON_NEGATIVE, 2.0)                                                   \
    X(tau_w, "ms", SS_POSITIVE, 144.0)                                                       \
    X(v_thresh, "mV", SS_ANY, -50.4)                                                         \
    X(e_rev_E, "mV", SS_ANY, 0.0)                                                            \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(e_rev_I, "mV", SS_ANY, -80.0)                                                          \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)
#define DERIVED(X) X(_p11e) X(_p11i) X(_h11e) X(_h11i) X(_refrac_steps)
#define STATE(X)                                                                             \
    X(v, "mV", -70.6) X(w, "nA", 0.0) X(gsyn_exc, "uS", 0.0) X(gsyn_inh, "uS", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *tr = ROW(P, P_tau_refrac), *tse = ROW(P, P_tau_syn_E), *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__h11e)[i] = exp(-0.5 * h / tse[i]);
        ROW(P, P__h11i)[i] = exp(-0.5 * h / tsi[i]);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    }
    return 0;
}

static const ss_eif_rows rows = {
    P_cm, P_v_spike, P_v_reset, P_v_rest, P_tau_m, P_i_offset, P_a, P_b, P_delta_T, P_tau_w,
    P_v_thresh, P_e_rev_E, P_e_rev_I, P__p11e, P__p11i, P__h11e, P__h11i, P__refrac_steps,
    -1, -1, S_v, S_w, S_gsyn_exc, S_gsyn_inh, -1, -1};

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    return ss_update_eif(c, m, e->dt, &rows);
}

SS_DEFINE_MODEL("EIF_cond_exp_isfa_ista", 0, prepare, update, 0);
