/* spinstream engine: sPyNNaker's WeightChangeable and WeightChanger synapses.
 *
 * A changeable synapse transmits its weight w (ss_plastic.w) as a static synapse does.  A
 * changer synapse k -> j (its weight dw, signed) names the changeable synapse k -> j of the
 * projection it changes: ss_plastic.pending holds that synapse's index in w, fixed at load.
 * Each spike of k, when delivered to the target core (at its stamp, whatever the changer's
 * delay), adds dw to that weight, clipped to [w_min, w_max]; a changeable spike delivered
 * afterwards transmits the new weight.  Both synapses target the same neuron, so the same
 * core, whose thread alone touches them: the result does not depend on the threads, and the
 * spikes reach a core in one order whatever the chunking (docs/ENGINE.md, "Plasticity"). */
#include "engine.h"

const uint32_t *ss_weight_change_deliver(ss_engine *e, const ss_rule *ru, ss_core *t,
                                         const uint32_t *p, uint32_t count, int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    double *w = pl->w + pl->seg_syn[seg];
    if (ru->kind == SS_WEIGHT_CHANGER) {
        const double *target = pl->pending + (pl->seg_state[seg] >> 1);
        for (uint32_t q = 0; q < count; q++) {
            double *x = pl->w + (int64_t)target[q];
            const double v = *x + w[q];
            *x = v < ru->w_min ? ru->w_min : v > ru->w_max ? ru->w_max : v;
        }
        return p + count;
    }
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    for (uint32_t q = 0; q < count; q++) {
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += w[q];
    }
    return p + count;
}
