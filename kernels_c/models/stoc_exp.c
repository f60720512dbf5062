/* StocExp (sPyNNaker extra model): a stochastic neuron without memory.  Each step its value
 * is v = bias + (excitatory - inhibitory input of that step) and it fires with probability
 * p = min(1, 2^v / tau); a spike starts ceil(tau / dt) steps "on", each of which emits a
 * spike (the neural-sampling convention: the neuron is active for tau ms).  Inputs arriving
 * while it is on are discarded.  The draws come from the core's generator (c->rng): one per
 * neuron and step it is not on, so results depend on the seed only, not on the chunking. */
#include "../model.h"

#define MODEL stoc_exp
#define PARAMS(X)                                                                            \
    X(tau, "ms", SS_POSITIVE, 10.0)                                                          \
    X(bias, "", SS_ANY, 0.0)
#define DERIVED(X) X(_on_steps)
#define STATE(X) X(v, "", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    double *P = c->params;
    for (int64_t i = 0; i < n; i++)
        ROW(P, P__on_steps)[i] = ceil(ROW(P, P_tau)[i] / e->dt - 1e-9);
    return 0;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *v = ROW(c->state, S_v), *re = ss_ring_now(c, m), *ri = re + n;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double in = re[i] - ri[i] + c->i_cs[i];
        re[i] = ri[i] = 0.0;
        if (c->refrac[i] > 0) { /* on: a spike each step, inputs discarded */
            c->refrac[i]--;
            v[i] = 0.0;
            c->spikes[k++] = (int32_t)i;
            continue;
        }
        v[i] = ROW(P, P_bias)[i] + in;
        const double p = exp2(v[i]) / ROW(P, P_tau)[i];
        if (ss_uniform(c->rng) <= p) { /* ss_uniform is in (0, 1]: P(u <= p) = p */
            const double on = ROW(P, P__on_steps)[i];
            c->refrac[i] = on > 1.0 ? (int32_t)on - 1 : 0;
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

SS_DEFINE_MODEL("StocExp", 0, prepare, update, 0);
