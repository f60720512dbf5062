/* PyNN's PointNeuron(AdExp(...), <name>=CurrExpPostSynapticResponse(...), ...): adaptive
 * exponential integrate-and-fire with any number of exponentially decaying synaptic currents,
 * each with its own tau_syn; weights carry their sign (NEST aeif_psc_exp with two, by sign).
 * The currents' exact course over the step (at 0, h/2 and h) drives ss_adex_step's RK4 on
 * (v, w), as the conductances of AdExp_cond_exp_multisynapse do. */
#include "../model.h"

#define MODEL adexp_curr_exp_multisynapse
#define COMPOSITION "AdExp+CurrExpPostSynapticResponse"
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
    X(v_thresh, "mV", SS_ANY, -50.4)
#define DERIVED(X) X(_refrac_steps)
#define STATE(X) X(v, "mV", -70.6) X(w, "nA", 0.0)
#define RECEPTORS(X)
#define RECEPTOR_PARAMS(X) X(tau_syn, "ms", SS_POSITIVE, 5.0)
#define RECEPTOR_DERIVED(X) X(_p11) X(_h11)
#define RECEPTOR_STATE(X) X(isyn, "nA", 0.0)
#include "../model_rows.h"

/* Row k of receptor block r. */
#define RPROW(base, r, k) ROW(base, N_PARAM_ROWS + (r) * N_RPARAM_ROWS + (k))
#define RSROW(base, r, k) ROW(base, N_STATE_ROWS + (r) * N_RSTATE_ROWS + (k))

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *tr = ROW(P, P_tau_refrac);
    for (int64_t i = 0; i < n; i++) ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    for (int32_t r = 0; r < c->n_receptors; r++) {
        const double *ts = RPROW(P, r, RP_tau_syn);
        for (int64_t i = 0; i < n; i++) {
            RPROW(P, r, RP__p11)[i] = exp(-h / ts[i]);
            RPROW(P, r, RP__h11)[i] = exp(-0.5 * h / ts[i]);
        }
    }
    return 0;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const int32_t nr = c->n_receptors;
    const double h = e->dt;
    const double *P = c->params;
    double *S = c->state;
    double *v = ROW(S, S_v), *w = ROW(S, S_w);
    double *ring = ss_ring_now(c, m); /* [nr][n] */
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        /* the summed synaptic current at 0, h/2 and h into the step, in ss_adex_step's GE slot
         * with no conductance (GE - G v = the current) */
        const double G[3] = {0.0, 0.0, 0.0};
        double IS[3] = {0.0, 0.0, 0.0};
        for (int32_t r = 0; r < nr; r++) {
            double *is = &RSROW(S, r, RS_isyn)[i];
            const double i0 = *is, p11 = RPROW(P, r, RP__p11)[i];
            IS[0] += i0;
            IS[1] += i0 * RPROW(P, r, RP__h11)[i];
            IS[2] += i0 * p11;
            /* the step's own course is in IS: the receptor advances, then takes its input */
            *is = i0 * p11 + ring[r * n + i];
            ring[r * n + i] = 0.0;
        }
        const ss_adex p = {ROW(P, P_cm)[i],    ROW(P, P_v_spike)[i], ROW(P, P_v_reset)[i],
                           ROW(P, P_v_rest)[i], ROW(P, P_tau_m)[i],  ROW(P, P_a)[i],
                           ROW(P, P_b)[i],      ROW(P, P_delta_T)[i], ROW(P, P_tau_w)[i],
                           ROW(P, P_v_thresh)[i], ROW(P, P__refrac_steps)[i]};
        const double I = ROW(P, P_i_offset)[i] + c->i_cs[i];
        if (ss_adex_step(&p, h, I, G, IS, &v[i], &w[i], &c->refrac[i])) c->spikes[k++] = (int32_t)i;
    }
    return k;
}

SS_DEFINE_MODEL("AdExp_curr_exp_multisynapse", 0, prepare, update, 0);
