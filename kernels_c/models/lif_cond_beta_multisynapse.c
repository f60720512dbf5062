/* PyNN's PointNeuron(LIF(...), <name>=CondBetaPostSynapticResponse(...), ...): leaky
 * integrate-and-fire with any number of beta-shaped conductances (rise tau_rise, decay
 * tau_decay, reversal e_syn), each peaking at its weight (NEST iaf_cond_beta with two).  The
 * receptors as AdExp_cond_beta_multisynapse (a spike of weight w adds w * norm to the hidden
 * rise state dg, norm = 1 / the peak of a unit input), the membrane as
 * LIF_cond_alpha_multisynapse: exact conductance course over the step, one RK4 step for v. */
#include "../model.h"

#define MODEL lif_cond_beta_multisynapse
#define COMPOSITION "LIF+CondBetaPostSynapticResponse"
#define PARAMS(X)                                                                            \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(v_thresh, "mV", SS_ANY, -50.0)
#define DERIVED(X) X(_refrac_steps)
#define STATE(X) X(v, "mV", -65.0)
#define RECEPTORS(X)
#define RECEPTOR_PARAMS(X)                                                                   \
    X(e_syn, "mV", SS_ANY, 0.0) X(tau_rise, "ms", SS_POSITIVE, 0.2)                          \
    X(tau_decay, "ms", SS_POSITIVE, 1.7)
/* decay of g and of dg over h/2 and h; what dg adds to g over h/2 and h; the normalisation */
#define RECEPTOR_DERIVED(X)                                                                  \
    X(_gd_h) X(_gd_f) X(_rd_h) X(_rd_f) X(_k_h) X(_k_f) X(_norm)
#define RECEPTOR_STATE(X) X(gsyn, "uS", 0.0) X(_dg, "uS/ms", 0.0)
#include "../model_rows.h"

#define RPROW(base, r, k) ROW(base, N_PARAM_ROWS + (r) * N_RPARAM_ROWS + (k))
#define RSROW(base, r, k) ROW(base, N_STATE_ROWS + (r) * N_RSTATE_ROWS + (k))

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *tr = ROW(P, P_tau_refrac);
    for (int64_t i = 0; i < n; i++) ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    for (int32_t r = 0; r < c->n_receptors; r++) {
        const double *rise = RPROW(P, r, RP_tau_rise), *decay = RPROW(P, r, RP_tau_decay);
        for (int64_t i = 0; i < n; i++) {
            RPROW(P, r, RP__gd_h)[i] = exp(-0.5 * h / decay[i]);
            RPROW(P, r, RP__gd_f)[i] = exp(-h / decay[i]);
            RPROW(P, r, RP__rd_h)[i] = exp(-0.5 * h / rise[i]);
            RPROW(P, r, RP__rd_f)[i] = exp(-h / rise[i]);
            RPROW(P, r, RP__k_h)[i] = ss_beta_rise_to_g(0.5 * h, rise[i], decay[i]);
            RPROW(P, r, RP__k_f)[i] = ss_beta_rise_to_g(h, rise[i], decay[i]);
            RPROW(P, r, RP__norm)[i] = ss_beta_normalisation(rise[i], decay[i]);
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
    double *v = ROW(S, S_v);
    double *ring = ss_ring_now(c, m); /* [nr][n] */
    const double *ics = c->i_cs;
    for (int64_t i = 0; i < n; i++) {
        /* sum of g and of g * e_syn over the receptors at 0, h/2 and h into the step */
        double G[3] = {0.0, 0.0, 0.0}, GE[3] = {0.0, 0.0, 0.0};
        for (int32_t r = 0; r < nr; r++) {
            double *g = &RSROW(S, r, RS_gsyn)[i], *d = &RSROW(S, r, RS__dg)[i];
            const double es = RPROW(P, r, RP_e_syn)[i];
            const double gs[3] = {*g, *g * RPROW(P, r, RP__gd_h)[i] + *d * RPROW(P, r, RP__k_h)[i],
                                  *g * RPROW(P, r, RP__gd_f)[i] + *d * RPROW(P, r, RP__k_f)[i]};
            for (int s = 0; s < 3; s++) {
                G[s] += gs[s];
                GE[s] += gs[s] * es;
            }
            *g = gs[2];
            *d = *d * RPROW(P, r, RP__rd_f)[i] + RPROW(P, r, RP__norm)[i] * ring[r * n + i];
            ring[r * n + i] = 0.0;
        }
        ss_lif_cond_step(h, ROW(P, P_cm)[i], ROW(P, P_tau_m)[i], ROW(P, P_v_rest)[i],
                         ROW(P, P_v_reset)[i], ROW(P, P_i_offset)[i] + ics[i], G, GE, &v[i],
                         &c->refrac[i]);
    }
    return ss_threshold(c, v, ROW(P, P_v_thresh), ROW(P, P_v_reset), ROW(P, P__refrac_steps), 1);
}

SS_DEFINE_MODEL("LIF_cond_beta_multisynapse", 0, prepare, update, 0);
