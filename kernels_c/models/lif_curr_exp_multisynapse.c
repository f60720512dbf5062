/* PyNN's PointNeuron(LIF(...), <name>=CurrExpPostSynapticResponse(...), ...): leaky
 * integrate-and-fire with any number of exponentially decaying synaptic currents, each with
 * its own tau_syn; weights carry their sign (NEST iaf_psc_exp_multisynapse).  Exact
 * propagators, as IF_curr_exp (docs/ENGINE.md). */
#include "../model.h"

#define MODEL lif_curr_exp_multisynapse
#define COMPOSITION "LIF+CurrExpPostSynapticResponse"
#define PARAMS(X)                                                                            \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(v_thresh, "mV", SS_ANY, -50.0)
#define DERIVED(X) X(_p22) X(_p20) X(_refrac_steps)
#define STATE(X) X(v, "mV", -65.0)
#define RECEPTORS(X)
#define RECEPTOR_PARAMS(X) X(tau_syn, "ms", SS_POSITIVE, 5.0)
#define RECEPTOR_DERIVED(X) X(_p11) X(_p21)
#define RECEPTOR_STATE(X) X(isyn, "nA", 0.0)
#include "../model_rows.h"

/* Row k of receptor block r. */
#define RPROW(base, r, k) ROW(base, N_PARAM_ROWS + (r) * N_RPARAM_ROWS + (k))
#define RSROW(base, r, k) ROW(base, N_STATE_ROWS + (r) * N_RSTATE_ROWS + (k))

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
    for (int32_t r = 0; r < c->n_receptors; r++) {
        const double *ts = RPROW(P, r, RP_tau_syn);
        for (int64_t i = 0; i < n; i++) {
            RPROW(P, r, RP__p11)[i] = exp(-h / ts[i]);
            RPROW(P, r, RP__p21)[i] = ss_p21_exp(h, tm[i], ts[i], cm[i]);
        }
    }
    return 0;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const int32_t nr = c->n_receptors;
    const double *P = c->params;
    double *S = c->state;
    const double *v_rest = ROW(P, P_v_rest), *i_off = ROW(P, P_i_offset),
                 *v_reset = ROW(P, P_v_reset), *p22 = ROW(P, P__p22), *p20 = ROW(P, P__p20);
    double *v = ROW(S, S_v);
    double *ring = ss_ring_now(c, m); /* [nr][n] */
    const double *ics = c->i_cs;
    for (int64_t i = 0; i < n; i++) {
        double vn = v_rest[i] + (v[i] - v_rest[i]) * p22[i] + p20[i] * (i_off[i] + ics[i]);
        for (int32_t r = 0; r < nr; r++) vn += RPROW(P, r, RP__p21)[i] * RSROW(S, r, RS_isyn)[i];
        const int32_t rf = c->refrac[i];
        v[i] = rf > 0 ? v_reset[i] : vn;
        c->refrac[i] = rf > 0 ? rf - 1 : 0;
    }
    for (int32_t r = 0; r < nr; r++) {
        double *isyn = RSROW(S, r, RS_isyn), *in = ring + r * n;
        const double *p11 = RPROW(P, r, RP__p11);
        for (int64_t i = 0; i < n; i++) {
            isyn[i] = isyn[i] * p11[i] + in[i];
            in[i] = 0.0;
        }
    }
    return ss_threshold(c, v, ROW(P, P_v_thresh), v_reset, ROW(P, P__refrac_steps), 1);
}

SS_DEFINE_MODEL("LIF_curr_exp_multisynapse", 0, prepare, update, 0);
