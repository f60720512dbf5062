/* IF_cond_exp: leaky integrate-and-fire with exponentially decaying synaptic conductances: exact
 * conductance course, one RK4 step for v (conductance.c). */
#include "../model.h"

#define MODEL if_cond_exp
#define PARAMS(X)                                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                      \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(e_rev_E, "mV", SS_ANY, 0.0)                                                            \
    X(e_rev_I, "mV", SS_ANY, -70.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)                                                         \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(i_offset, "nA", SS_ANY, 0.0)
#define DERIVED(X) X(_p11e) X(_p11i) X(_h11e) X(_h11i) X(_refrac_steps)
#define STATE(X) X(v, "mV", -65.0) X(gsyn_exc, "uS", 0.0) X(gsyn_inh, "uS", 0.0)
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

static const ss_if_cond_rows rows = {
    P_v_rest, P_cm, P_tau_m, P_e_rev_E, P_e_rev_I, P_v_thresh, P_v_reset, P_i_offset,
    P__p11e, P__p11i, P__h11e, P__h11i, P__refrac_steps, -1, -1,
    S_v, S_gsyn_exc, S_gsyn_inh, -1, -1};

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    return ss_update_if_cond(c, m, e->dt, &rows);
}

SS_DEFINE_MODEL("IF_cond_exp", 0, prepare, update, 0);
