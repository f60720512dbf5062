/* IFCurrDeltaFixedProb (sPyNNaker extra model): IF_curr_delta's dynamics (exact leak, each
 * synaptic event a jump of v in mV) with a threshold that fires with fixed probability: each
 * step v >= v_thresh after the update, the neuron spikes (v to v_reset, tau_refrac starts)
 * with probability p_thresh (p_thresh >= 1: always); otherwise v is left as it is and the
 * next step tries again.  One draw of the core's generator per neuron and step it is at or
 * above threshold: results depend on the seed only, not on the chunking. */
#include "../model.h"

#define MODEL if_curr_delta_fixed_prob
#define PARAMS(X)                                                                            \
    X(tau_m, "ms", SS_POSITIVE, 0.0001)                                                      \
    X(cm, "nF", SS_POSITIVE, 0.0001)                                                         \
    X(v_rest, "mV", SS_ANY, 0.0)                                                             \
    X(v_reset, "mV", SS_ANY, 0.0)                                                            \
    X(v_thresh, "mV", SS_ANY, 1.0)                                                           \
    X(p_thresh, "", SS_NON_NEGATIVE, 1.0)                                                    \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.0)                                                \
    X(i_offset, "nA", SS_ANY, 0.0)
#define DERIVED(X) X(_p22) X(_p20) X(_refrac_steps)
#define STATE(X) X(v, "mV", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    for (int64_t i = 0; i < n; i++) {
        const double tm = ROW(P, P_tau_m)[i];
        ROW(P, P__p22)[i] = exp(-h / tm);
        ROW(P, P__p20)[i] = tm / ROW(P, P_cm)[i] * -expm1(-h / tm);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(ROW(P, P_tau_refrac)[i], h);
    }
    return 0;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *v = ROW(c->state, S_v), *re = ss_ring_now(c, m), *ri = re + n;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double rest = ROW(P, P_v_rest)[i];
        const double I = ROW(P, P_i_offset)[i] + c->i_cs[i];
        const double vn = rest + (v[i] - rest) * ROW(P, P__p22)[i] + ROW(P, P__p20)[i] * I +
                          re[i] - ri[i];
        re[i] = ri[i] = 0.0;
        if (c->refrac[i] > 0) { /* as IF_curr_delta: held at v_reset, input lost */
            c->refrac[i]--;
            v[i] = ROW(P, P_v_reset)[i];
            continue;
        }
        v[i] = vn;
        if (v[i] >= ROW(P, P_v_thresh)[i] && ss_uniform(c->rng) <= ROW(P, P_p_thresh)[i]) {
            v[i] = ROW(P, P_v_reset)[i];
            c->refrac[i] = (int32_t)ROW(P, P__refrac_steps)[i];
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

SS_DEFINE_MODEL("IFCurrDeltaFixedProb", 0, prepare, update, 0);
