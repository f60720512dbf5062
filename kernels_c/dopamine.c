/* spinstream engine: dopamine-modulated STDP (sPyNNaker's extra_models.Neuromodulation).
 *
 * Izhikevich (2007, Cerebral Cortex 17:2443), as sPyNNaker 7.x defines it (docs/ENGINE.md,
 * "Plasticity"): each STDP synapse into a target population that reward or punishment
 * synapses reach keeps an eligibility trace c, which the spike pairs drive as the pair rule
 * drives a weight (all-to-all traces; c += A+ K+ at a postsynaptic spike, c -= A- K- at a
 * presynaptic one; c kept in the weight dependence's [w_min, w_max]) and which decays with
 * tau_c.  Each target neuron keeps a dopamine level D, which decays with tau_d and jumps by
 * +w (reward) or -w (punishment) at each spike of a reward or punishment synapse onto it.
 * The weight follows dw/dt = c D, integrated exactly between events (both decay
 * exponentially there), and is clipped to the Neuromodulation's [w_min, w_max] when a
 * presynaptic spike is processed, which is when the weight changes.
 *
 * Timing: as for STDP (plastic.c) the synapse sees its presynaptic spike at its stamp s and
 * an event of the target neuron stamped t at t + d, d its delay (all dendritic): postsynaptic
 * spikes and dopamine arrivals alike (sPyNNaker keeps both in one history).  The history
 * entry of a stamp holds K- and D just after it; a dopamine arrival in the step of a spike
 * shares its entry (k holds -K- on an entry without a spike: its sign says which it is).
 *
 * The rings never drop an entry that some synapse has not read (no pending change can stand
 * for an unread dopamine entry): a full ring stops the run for Python to grow it, up to
 * cap_max entries, beyond which the oldest goes and is counted in `lost`.
 */
#include <math.h>

#include "engine.h"

/* One event of neuron i at `stamp`: a spike (spike != 0) and/or dopamine dd. */
static void event(ss_engine *e, ss_post *po, int64_t i, int64_t stamp, int spike, double dd) {
    ss_plastic *pl = e->plastic;
    const int32_t need = po->n_in[i];
    if (!need) return; /* no STDP synapse reads this neuron's history */
    const int64_t cmask = po->cap - 1;
    int64_t *ht = po->t + i * po->cap;
    double *hk = po->k + i * po->cap, *hd = po->k2 + i * po->cap;
    int32_t *hr = po->reads + i * po->cap;
    int32_t head = po->head[i], len = po->len[i];
    double kminus = 0.0, d = 0.0;
    if (len) {
        const int64_t at = (head + len - 1) & cmask;
        if (ht[at] >= stamp) { /* the same step (no synapse has read it yet): merge */
            if (spike) hk[at] = fabs(hk[at]) + 1.0;
            hd[at] += dd;
            return;
        }
        const int64_t gap = stamp - ht[at];
        kminus = fabs(hk[at]) * ss_decay(po->lut_minus, gap, e->dt, po->tau_minus);
        d = hd[at] * ss_decay(po->lut_d, gap, e->dt, po->tau_d);
    }
    if (len == po->cap) { /* at cap_max (the run stops to grow a ring before this) */
        __atomic_add_fetch(&pl->lost, 1, __ATOMIC_RELAXED);
        head = (int32_t)((head + 1) & cmask);
        len--;
    }
    const int64_t at = (head + len) & cmask;
    ht[at] = stamp;
    hk[at] = spike ? kminus + 1.0 : -kminus;
    hd[at] = d + dd;
    hr[at] = 0;
    len++;
    /* drop the oldest entry while it and the next one have been read by every synapse */
    while (len >= 2 && hr[head] >= need && hr[(head + 1) & cmask] >= need) {
        head = (int32_t)((head + 1) & cmask);
        len--;
    }
    po->head[i] = head;
    po->len[i] = len;
    if (len == po->cap && po->cap < po->cap_max)
        __atomic_store_n(&pl->full, 1, __ATOMIC_RELEASE); /* read after a barrier */
}

void ss_dopamine_post(ss_engine *e, ss_post *po, const int32_t *idx, int32_t k, int64_t stamp) {
    for (int32_t s = 0; s < k; s++) event(e, po, idx[s], stamp, 1, 0.0);
}

/* The weight gained from a to a + gap (steps) with c and D at a: the integral of
 * c D exp(-x/tau_c - x/tau_d) dx over [0, gap dt]. */
static inline double gain(const ss_rule *ru, double c, double d, double ec, double ed) {
    return c * d * (1.0 - ec * ed) * (ru->tau_c * ru->tau_d / (ru->tau_c + ru->tau_d));
}

static const uint32_t *deliver_modulated(ss_engine *e, const ss_rule *ru, ss_core *t,
                                         ss_post *po, const uint32_t *p, uint32_t count,
                                         int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    double *w = pl->w + pl->seg_syn[seg];
    double *elig = pl->pending + (pl->seg_state[seg] >> 1); /* c, as of the last spike */
    const int64_t last = pl->seg_last[seg];
    const double kplus = pl->seg_trace[seg];
    const double h = e->dt;
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    const int64_t cmask = po->cap - 1;
    /* structural synapses (StructuralMechanismSTDP under Neuromodulation): how many synapses
     * each stands for now; an absent one learns all the same but delivers nothing, as in
     * plastic.c's STDP */
    const uint16_t *cnt = e->structural ? e->structural->count + pl->seg_syn[seg] : 0;
    for (uint32_t q = 0; q < count; q++) {
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        const int64_t lo = last - d, hi = s - d; /* events stamped in (lo, hi] */
        const int64_t *ht = po->t + i * po->cap;
        const double *hk = po->k + i * po->cap, *hd = po->k2 + i * po->cap;
        int32_t *hr = po->reads + i * po->cap;
        const int64_t head = po->head[i];
        const int32_t len = po->len[i];
        int32_t j = len; /* first entry after lo */
        while (j > 0 && ht[(head + j - 1) & cmask] > lo) j--;
        double wq = w[q], c = elig[q];
        /* D at lo: the latest entry at or before it (none: no dopamine yet) */
        int64_t tc = lo;
        double dc = 0.0;
        if (j > 0) {
            const int64_t at = (head + j - 1) & cmask;
            dc = hd[at] * ss_decay(ru->lut_d, lo - ht[at], h, ru->tau_d);
        }
        for (; j < len; j++) {
            const int64_t at = (head + j) & cmask;
            if (ht[at] > hi) break;
            const int64_t gap = ht[at] - tc;
            const double ec = ss_decay(ru->lut_c, gap, h, ru->tau_c);
            if (dc != 0.0 && c != 0.0)
                wq += gain(ru, c, dc, ec, ss_decay(ru->lut_d, gap, h, ru->tau_d));
            c *= ec;
            if (!signbit(hk[at]) && kplus != 0.0) { /* a postsynaptic spike: pairs */
                c += ru->a_plus * kplus * ss_decay(ru->lut_plus, ht[at] + d - last, h,
                                                   ru->tau_plus);
                if (c > ru->w_max) c = ru->w_max;
            }
            dc = hd[at];
            tc = ht[at];
            hr[at]++;
        }
        if (hi > tc) { /* on to this presynaptic spike */
            const double ec = ss_decay(ru->lut_c, hi - tc, h, ru->tau_c);
            if (dc != 0.0 && c != 0.0)
                wq += gain(ru, c, dc, ec, ss_decay(ru->lut_d, hi - tc, h, ru->tau_d));
            c *= ec;
        }
        /* depression by K- at hi: the latest entry strictly before hi */
        int32_t a = j - 1;
        if (a >= 0 && ht[(head + a) & cmask] >= hi) a--;
        if (a >= 0) {
            const int64_t at = (head + a) & cmask;
            c -= ru->a_minus * fabs(hk[at]) *
                 ss_decay(po->lut_minus, hi - ht[at], h, po->tau_minus);
            if (c < ru->w_min) c = ru->w_min;
        }
        if (wq < ru->nm_w_min) wq = ru->nm_w_min;
        if (wq > ru->nm_w_max) wq = ru->nm_w_max;
        w[q] = wq;
        elig[q] = c;
        if (!cnt) t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += wq;
        else if (cnt[q]) t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += wq * cnt[q];
    }
    pl->seg_trace[seg] = kplus * ss_decay(ru->lut_plus, s - last, h, ru->tau_plus) + 1.0;
    pl->seg_last[seg] = s;
    return p + count;
}

const uint32_t *ss_dopamine_deliver(ss_engine *e, const ss_rule *ru, ss_core *t, ss_post *po,
                                    const uint32_t *p, uint32_t count, int64_t stamp) {
    if (ru->kind == SS_STDP_DOPAMINE) return deliver_modulated(e, ru, t, po, p, count, stamp);
    /* release: dopamine into the target neurons' histories, nothing into their inputs */
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    const double *w = pl->w + pl->seg_syn[seg];
    if (po->n && po->tau_d > 0.0)
        for (uint32_t q = 0; q < count; q++)
            event(e, po, p[q] & ((1u << SS_W_POST_BITS) - 1u), stamp, 0, ru->da * w[q]);
    return p + count;
}
