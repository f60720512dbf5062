/* IFCondExpStoc (sPyNNaker extra model): IF_cond_exp's dynamics (conductance.c) with the soft,
 * stochastic threshold of Habenschuss, Jonke & Maass (2013): each step a neuron is not
 * refractory it fires with probability
 *     p = 0.8 (1 - exp(-dt / tau_th * exp((v - v_thresh) / du_th)))
 * (0.8: sPyNNaker's saturation), after the step's update of v; a spike resets v and starts
 * tau_refrac as IF_cond_exp does.  One draw of the core's generator per neuron and step it is
 * not refractory: results depend on the seed only, not on the chunking. */
#include "../model.h"

#define MODEL if_cond_exp_stoc
#define PARAMS(X)                                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(e_rev_E, "mV", SS_ANY, 0.0)                                                            \
    X(e_rev_I, "mV", SS_ANY, -70.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)                                                         \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(du_th, "mV", SS_POSITIVE, 0.5)                                                         \
    X(tau_th, "ms", SS_POSITIVE, 20.0)
/* _no_thresh: +inf, the hard threshold handed to the shared update (which then never fires) */
#define DERIVED(X) X(_p11e) X(_p11i) X(_h11e) X(_h11i) X(_refrac_steps) X(_no_thresh)
/* _held: 1 while the neuron is refractory in the current step (no draw then) */
#define STATE(X) X(v, "mV", -65.0) X(gsyn_exc, "uS", 0.0) X(gsyn_inh, "uS", 0.0) X(_held, "", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

#define SATURATION 0.8

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p11e)[i] = exp(-h / ROW(P, P_tau_syn_E)[i]);
        ROW(P, P__p11i)[i] = exp(-h / ROW(P, P_tau_syn_I)[i]);
        ROW(P, P__h11e)[i] = exp(-0.5 * h / ROW(P, P_tau_syn_E)[i]);
        ROW(P, P__h11i)[i] = exp(-0.5 * h / ROW(P, P_tau_syn_I)[i]);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(ROW(P, P_tau_refrac)[i], h);
        ROW(P, P__no_thresh)[i] = INFINITY;
    }
    return 0;
}

static const ss_if_cond_rows rows = {
    P_v_rest, P_cm, P_tau_m, P_e_rev_E, P_e_rev_I, P__no_thresh, P_v_reset, P_i_offset,
    P__p11e, P__p11i, P__h11e, P__h11i, P__refrac_steps, -1, -1,
    S_v, S_gsyn_exc, S_gsyn_inh, -1, -1};

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double h = e->dt;
    const double *P = c->params;
    double *held = ROW(c->state, S__held), *v = ROW(c->state, S_v);
    for (int64_t i = 0; i < n; i++) held[i] = c->refrac[i] > 0;
    ss_update_if_cond(c, m, h, &rows); /* v, conductances, refractory count; no spike */
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        if (held[i] != 0.0) continue;
        const double x = (v[i] - ROW(P, P_v_thresh)[i]) / ROW(P, P_du_th)[i];
        const double p = -SATURATION * expm1(-h / ROW(P, P_tau_th)[i] * exp(x));
        if (ss_uniform(c->rng) <= p) { /* ss_uniform is in (0, 1]: P(u <= p) = p */
            v[i] = ROW(P, P_v_reset)[i];
            c->refrac[i] = (int32_t)ROW(P, P__refrac_steps)[i];
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

SS_DEFINE_MODEL("IFCondExpStoc", 0, prepare, update, 0);
