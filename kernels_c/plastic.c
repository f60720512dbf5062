/* spinstream engine: synaptic plasticity on the synaptic rows.
 *
 * STDP (PyNN's STDPMechanism with SpikePairRule and an additive or multiplicative weight
 * dependence; sPyNNaker's SpikeNearestPairRule and Vogels2011Rule on the same machinery), short-term plasticity (PyNN's TsodyksMarkramSynapse) and stochastic release
 * (PyNN's SimpleStochasticSynapse); sPyNNaker's Neuromodulation lives in dopamine.c, on the
 * same spike histories.  docs/ENGINE.md,
 * "Plasticity", states the rules; this file is their event-driven form.
 *
 * Timing (all-to-all spike pairing through traces, the whole delay d dendritic): the synapse
 * sees a presynaptic spike at its stamp s and a postsynaptic spike stamped t at t + d.  A pair
 * with dt = t + d - s > 0 potentiates by K+ = exp(-dt/tau_plus), one with dt < 0 depresses by
 * K- = exp(dt/tau_minus), dt = 0 does nothing.  Weights change only when a presynaptic spike
 * is processed, at its emission, in this order: potentiation by every postsynaptic spike seen
 * since the previous presynaptic spike (t + d in (s_prev, s]), one by one in time order; then
 * depression by K- at s (postsynaptic spikes with t + d < s); then the spike is sent with the
 * new weight.  The presynaptic trace K+ lives with the row segment (one per source neuron and
 * target core), the postsynaptic trace K- with a short history of the target neuron's spikes.
 *
 * A history entry is kept until every STDP synapse into its neuron has paired with it; the
 * latest fully read entry stays as the anchor for K- of synapses whose window holds no spike.
 * A full ring makes room by pairing its oldest entry with the synapses that have not (their
 * presynaptic neurons were silent since) and dropping it, which is exact once the next entry
 * is older than the longest delay; only when that is not so yet does the run stop before the
 * next step for Python to grow the ring (up to cap_max entries; beyond that the oldest entry
 * is dropped and counted in `lost`).  So memory stays bounded however long a presynaptic
 * neuron stays silent.
 */
#include <math.h>
#include <string.h>

#include "engine.h"

/* exp(-k dt/tau) for integer k >= 0 (ss_decay, engine.h). */
static inline double decay(const double *lut, int64_t k, double dt, double tau) {
    return ss_decay(lut, k, dt, tau);
}

static void fill_lut(double *lut, double dt, double tau) {
    for (int k = 0; k < 256; k++) {
        lut[k] = exp(-(double)k * dt / tau);
        lut[256 + k] = exp(-(double)k * 256.0 * dt / tau);
    }
}

/* Dopamine rules (kinds 8, 9): 0 or -28. */
static int prepare_dopamine(ss_rule *ru, double h) {
    if (!(ru->tau_d > 0.0) || !ru->lut_d) return -28;
    if (ru->kind == SS_DOPAMINE_RELEASE) return ru->da == 1.0 || ru->da == -1.0 ? 0 : -28;
    if (!(ru->tau_plus > 0.0 && ru->tau_minus > 0.0 && ru->a_plus >= 0.0 &&
          ru->a_minus >= 0.0 && ru->w_min >= 0.0 && ru->w_min <= ru->w_max && ru->tau_c > 0.0 &&
          ru->nm_w_min >= 0.0 && ru->nm_w_min <= ru->nm_w_max) || !ru->lut_c)
        return -28;
    fill_lut(ru->lut_c, h, ru->tau_c);
    fill_lut(ru->lut_plus, h, ru->tau_plus);
    fill_lut(ru->lut_d, h, ru->tau_d);
    return 0;
}

int ss_plastic_prepare(ss_engine *e) {
    ss_plastic *pl = e->plastic;
    if (!pl) return 0;
    const double h = e->dt;
    for (int32_t r = 0; r < pl->n_rules; r++) {
        ss_rule *ru = &pl->rules[r];
        if (ru->kind == SS_TSODYKS_MARKRAM) {
            if (!(ru->u_use >= 0.0 && ru->u_use <= 1.0 && ru->tau_rec > 0.0 &&
                  ru->tau_facil >= 0.0))
                return -20;
            continue;
        }
        if (ru->kind == SS_STOCHASTIC) {
            if (!(ru->p_release >= 0.0 && ru->p_release <= 1.0)) return -24;
            continue;
        }
        if (ru->kind == SS_STRUCTURAL_STATIC) {
            if (!e->structural) return -27; /* its synapse counts live there */
            continue;
        }
        if (ru->kind == SS_STDP_DOPAMINE || ru->kind == SS_DOPAMINE_RELEASE) {
            const int code = prepare_dopamine(ru, h);
            if (code) return code;
            continue;
        }
        if (ss_recurrent(ru) && !ss_recurrent_check(ru)) return -29;
        if (ru->kind == SS_WEIGHT_CHANGEABLE || ru->kind == SS_WEIGHT_CHANGER) {
            if (!(ru->w_min >= 0.0 && ru->w_min < ru->w_max)) return -30;
            continue;
        }
        if (ru->kind != SS_STDP_ADDITIVE && ru->kind != SS_STDP_MULTIPLICATIVE &&
            ru->kind != SS_STDP_NEAREST && ru->kind != SS_STDP_NEAREST_MULTIPLICATIVE &&
            ru->kind != SS_VOGELS && ru->kind != SS_TRIPLET && !ss_recurrent(ru))
            return -21;
        if (!(ru->tau_plus > 0.0 && ru->tau_minus > 0.0 && ru->a_plus >= 0.0 &&
              ru->a_minus >= 0.0 && ru->w_min >= 0.0 && ru->w_min <= ru->w_max))
            return -22;
        if (ru->kind == SS_VOGELS && !(ru->alpha >= 0.0 && ru->tau_plus == ru->tau_minus))
            return -25;
        if (ru->kind == SS_TRIPLET) {
            if (!(ru->tau_x > 0.0 && ru->a3_plus >= 0.0 && ru->a3_minus >= 0.0) || !ru->lut_x)
                return -26;
            fill_lut(ru->lut_x, h, ru->tau_x);
        }
        fill_lut(ru->lut_plus, h, ru->tau_plus);
    }
    for (int32_t c = 0; c < e->n_cores; c++) {
        ss_post *po = &pl->post[c];
        if (!po->n) continue;
        if (!(po->tau_minus > 0.0) || po->cap < 1 || (po->cap & (po->cap - 1))) return -23;
        fill_lut(po->lut_minus, h, po->tau_minus);
        if (po->tau_y > 0.0) fill_lut(po->lut_y, h, po->tau_y);
        else if (po->tau_y != 0.0) return -26;
        if (po->tau_d > 0.0) {
            if (!po->lut_d || !po->k2) return -27;
            fill_lut(po->lut_d, h, po->tau_d);
        } else if (po->tau_d != 0.0) return -27;
    }
    return 0;
}

/* ---------------------------------------------------------------- STDP */

/* The weight dependence: additive (a change that does not depend on w) or multiplicative. */
static inline int additive(const ss_rule *r) {
    return r->kind != SS_STDP_MULTIPLICATIVE && r->kind != SS_STDP_NEAREST_MULTIPLICATIVE;
}

/* sPyNNaker's nearest-pair timing (SpikeNearestPairRule). */
static inline int nearest(const ss_rule *r) {
    return r->kind == SS_STDP_NEAREST || r->kind == SS_STDP_NEAREST_MULTIPLICATIVE;
}

/* The additive step per unit trace: A+ w_max (PyNN's AdditiveWeightDependence), the
 * learning rate eta = A+ itself for Vogels 2011 (as NEST's vogels_sprekeler_synapse), or
 * w_max for the triplet rule, whose callers fold (A2 + A3 * the other trace) into the trace. */
static inline double step_plus(const ss_rule *r) {
    if (r->kind == SS_VOGELS) return r->a_plus;
    return r->kind == SS_TRIPLET ? r->w_max : r->a_plus * r->w_max;
}

static inline double step_minus(const ss_rule *r) {
    return r->kind == SS_TRIPLET ? r->w_max : r->a_minus * r->w_max;
}

static inline double potentiate(const ss_rule *r, double w, double k) {
    w += additive(r) ? step_plus(r) * k : r->a_plus * (r->w_max - w) * k;
    return w < r->w_max ? w : r->w_max;
}

/* Fold one potentiation into a pending change (see ss_plastic.pending) instead. */
static inline double pend(const ss_rule *r, double p, double k) {
    if (additive(r)) return p + step_plus(r) * k;
    const double f = 1.0 - r->a_plus * k;
    return p * (f > 0.0 ? f : 0.0);
}

/* Apply a pending change: the same as its potentiations one by one (they all push the same
 * way, so clipping once at the end is the same as clipping each). */
static inline double apply_pending(const ss_rule *r, double w, double p) {
    if (additive(r)) w += p;
    else w = r->w_max - (r->w_max - w) * p;
    return w < r->w_max ? w : r->w_max;
}

static inline double depress(const ss_rule *r, double w, double k) {
    w -= additive(r) ? step_minus(r) * k : r->a_minus * (w - r->w_min) * k;
    return w > r->w_min ? w : r->w_min;
}

static const uint32_t *deliver_stdp(ss_engine *e, const ss_rule *ru, ss_core *t, ss_post *po,
                                    const uint32_t *p, uint32_t count, int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    double *w = pl->w + pl->seg_syn[seg];
    const int64_t last = pl->seg_last[seg];
    const double kplus = pl->seg_trace[seg];
    const double h = e->dt;
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    const int64_t cmask = po->cap - 1;
    double *pending = 0;
    const int64_t st = pl->seg_state[seg];
    if (st & 1) { /* potentiation paired early: first, as it came first */
        pending = pl->pending + (st >> 1);
        pl->seg_state[seg] = st & ~(int64_t)1;
    }
    /* structural synapses: how many synapses each stands for now (0: absent; engine.h) */
    const uint16_t *cnt = e->structural ? e->structural->count + pl->seg_syn[seg] : 0;
    const double none = additive(ru) ? 0.0 : 1.0;
    const int near = nearest(ru), triple = ru->kind == SS_TRIPLET;
    /* triplet: r2 just before this presynaptic spike, scaling its depression */
    const double r2 = triple ? pl->seg_trace2[seg] * decay(ru->lut_x, s - last, h, ru->tau_x) : 0.0;
    const double dep = triple ? ru->a_minus + ru->a3_minus * r2 : 1.0;
    for (uint32_t q = 0; q < count; q++) {
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        const int64_t lo = last - d, hi = s - d; /* this spike pairs with stamps in (lo, hi] */
        const int64_t *ht = po->t + i * po->cap;
        const double *hk = po->k + i * po->cap;
        const double *hk2 = po->k2 + i * po->cap;
        int32_t *hr = po->reads + i * po->cap;
        const int64_t head = po->head[i];
        const int32_t len = po->len[i];
        int32_t j = len; /* first entry after lo */
        while (j > 0 && ht[(head + j - 1) & cmask] > lo) j--;
        double wq = w[q];
        /* nearest pair: only the window's first postsynaptic spike potentiates (a pending
         * change is that spike's) */
        int done = 0;
        if (pending && pending[q] != none) {
            wq = apply_pending(ru, wq, pending[q]);
            pending[q] = none;
            done = near;
        }
        for (; j < len; j++) {
            const int64_t at = (head + j) & cmask;
            if (ht[at] > hi) break;
            if (kplus != 0.0 && !done) {
                double kp = kplus * decay(ru->lut_plus, ht[at] + d - last, h, ru->tau_plus);
                /* triplet: A2+ + A3+ o2, o2 just before this postsynaptic spike */
                if (triple) kp *= ru->a_plus + ru->a3_plus * (hk2[at] - 1.0);
                wq = potentiate(ru, wq, kp);
                done = near;
            }
            hr[at]++;
        }
        /* K- at hi: the latest entry strictly before hi (entries hold distinct stamps);
         * nearest pair: that spike alone (1 at its stamp), not the sum over spikes */
        int32_t a = j - 1;
        if (a >= 0 && ht[(head + a) & cmask] >= hi) a--;
        double kminus = 0.0;
        if (a >= 0) {
            const int64_t at = (head + a) & cmask;
            kminus = (near ? 1.0 : hk[at]) * decay(po->lut_minus, hi - ht[at], h, po->tau_minus);
        }
        if (ru->kind == SS_VOGELS) {
            /* facilitation by the postsynaptic trace, then the constant depression alpha eta,
             * each clipped (NEST's order; w_min = 0 there) */
            if (kminus != 0.0) wq = potentiate(ru, wq, kminus);
            wq -= ru->alpha * ru->a_plus;
            if (wq < ru->w_min) wq = ru->w_min;
        } else if (a >= 0) {
            wq = depress(ru, wq, kminus * dep);
        }
        w[q] = wq;
        /* an absent synapse pairs all the same (so the history is read as without it) */
        if (!cnt) t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += wq;
        else if (cnt[q]) t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += wq * cnt[q];
    }
    /* nearest pair: the presynaptic trace is the latest spike's alone */
    pl->seg_trace[seg] = near ? 1.0 : kplus * decay(ru->lut_plus, s - last, h, ru->tau_plus) + 1.0;
    if (triple) pl->seg_trace2[seg] = r2 + 1.0;
    pl->seg_last[seg] = s;
    return p + count;
}

/* Pair the oldest history entry of neuron i with every STDP synapse that has not paired with
 * it yet, so that it can be dropped.  Valid once no presynaptic spike still to be processed
 * can come before the entry is seen at the synapse (t + d), nor need it for K-: the caller
 * checks that.  Each of those synapses' presynaptic neurons has been silent since its last
 * spike, so the potentiation is what its next presynaptic spike would compute; it is kept
 * pending and applied then, before the later ones: the weight goes through the same steps,
 * in the same order, at the same time as without the drop. */
static void flush_oldest(ss_engine *e, int32_t core, ss_post *po, int64_t i, int64_t te,
                         double ky, double kte) {
    ss_plastic *pl = e->plastic;
    for (int64_t c = po->col_ptr[i]; c < po->col_ptr[i + 1]; c++) {
        const int32_t seg = po->col_seg[c];
        const int64_t d = po->col_dr[c] & 0xFFFF, last = pl->seg_last[seg];
        const double kplus = pl->seg_trace[seg];
        const ss_rule *ru = &pl->rules[po->col_dr[c] >> 16];
        if (last - d >= te) continue; /* paired already */
        if (ss_recurrent(ru)) { /* recurrent.c: applied now */
            ss_recurrent_flush(e, ru, &e->cores[core], seg, po->col_syn[c], d, te, kte);
            continue;
        }
        if (kplus == 0.0) continue; /* nothing to pair */
        double *p = &pl->pending[po->col_syn[c]];
        /* nearest pair: an earlier spike of this window was the one that potentiates */
        if (nearest(ru) && *p != (additive(ru) ? 0.0 : 1.0)) continue;
        double kp = kplus * decay(ru->lut_plus, te + d - last, e->dt, ru->tau_plus);
        if (ru->kind == SS_TRIPLET) kp *= ru->a_plus + ru->a3_plus * ky;
        *p = pend(ru, *p, kp);
        pl->seg_state[seg] |= 1;
    }
}

void ss_plastic_post(ss_engine *e, int32_t core, const int32_t *idx, int32_t k, int64_t stamp) {
    ss_plastic *pl = e->plastic;
    ss_post *po = &pl->post[core];
    if (po->tau_d > 0.0) { /* dopamine-modulated STDP into the core: dopamine.c */
        ss_dopamine_post(e, po, idx, k, stamp);
        return;
    }
    const int64_t cmask = po->cap - 1;
    for (int32_t s = 0; s < k; s++) {
        const int64_t i = idx[s];
        const int32_t need = po->n_in[i];
        if (!need) continue;
        int64_t *ht = po->t + i * po->cap;
        double *hk = po->k + i * po->cap;
        double *hk2 = po->k2 + i * po->cap;
        int32_t *hr = po->reads + i * po->cap;
        int32_t head = po->head[i], len = po->len[i];
        double kminus = 1.0, ky = 1.0;
        const ss_rule *r0 = &pl->rules[po->col_dr[po->col_ptr[i]] >> 16];
        if (ss_recurrent(r0)) { /* k: a post window, or the previous spike (recurrent.c) */
            kminus = ss_recurrent_entry(r0, &e->cores[core], e->dt,
                                        len ? ht[(head + len - 1) & cmask] : 0);
        } else if (len) {
            const int64_t at = (head + len - 1) & cmask;
            kminus += hk[at] * decay(po->lut_minus, stamp - ht[at], e->dt, po->tau_minus);
            if (po->tau_y > 0.0) ky += hk2[at] * decay(po->lut_y, stamp - ht[at], e->dt, po->tau_y);
        }
        if (len == po->cap) {
            /* no room (the run stops to grow a ring otherwise): the oldest entry goes, paired
             * first with whoever has not when that is exact, else lost */
            if (len >= 2 && ht[(head + 1) & cmask] + po->d_max < stamp)
                flush_oldest(e, core, po, i, ht[head], po->tau_y > 0.0 ? hk2[head] - 1.0 : 0.0,
                             hk[head]);
            else
                __atomic_add_fetch(&pl->lost, 1, __ATOMIC_RELAXED); /* threads: any core */
            head = (int32_t)((head + 1) & cmask);
            len--;
        }
        const int64_t at = (head + len) & cmask;
        ht[at] = stamp;
        hk[at] = kminus;
        if (po->tau_y > 0.0) hk2[at] = ky; /* o2 (k2 is allocated for triplet targets alone) */
        hr[at] = 0;
        len++;
        /* drop the oldest entry while it and the next one have been read by every synapse */
        while (len >= 2 && hr[head] >= need && hr[(head + 1) & cmask] >= need) {
            head = (int32_t)((head + 1) & cmask);
            len--;
        }
        po->head[i] = head;
        po->len[i] = len;
        /* full: the next spike (stamp + 1 at the earliest) must be able to flush the oldest */
        if (len == po->cap && po->cap < po->cap_max &&
            !(len >= 2 && ht[(head + 1) & cmask] + po->d_max <= stamp))
            __atomic_store_n(&pl->full, 1, __ATOMIC_RELEASE); /* read after a barrier */
    }
}

/* ---------------------------------------------------------------- Tsodyks-Markram */

/* Share of the active resources y(0) that are inactive (z) after h ms, when y decays with
 * tau_p and z recovers with tau_r: (tau_r/(tau_p - tau_r)) (e^{-h/tau_p} - e^{-h/tau_r}),
 * written so that it stays accurate near tau_p = tau_r and tends to e^{-h/tau_r} as
 * tau_p -> 0 (the postsynaptic current of a delta synapse). */
static double y_to_z(double h, double tau_p, double tau_r, double ep, double er) {
    if (!(tau_p > 0.0)) return er;
    const double a = h * (1.0 / tau_r - 1.0 / tau_p), q = h / tau_p;
    if (a == 0.0) return q * er;
    if (fabs(a) > 0.5) return q * (ep - er) / a;
    return q * er * expm1(a) / a;
}

static const uint32_t *deliver_tm(ss_engine *e, const ss_rule *ru, const ss_pblock *pb,
                                  ss_core *t, const uint32_t *p, uint32_t count, int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    const double *w = pl->w + pl->seg_syn[seg];
    double *xy = pl->tm_xy + 2 * pl->seg_state[seg];
    const double h = (double)(s - pl->seg_last[seg]) * e->dt;
    /* u: facilitation, the same for every synapse of the segment */
    double u = pl->seg_trace[seg];
    u *= ru->tau_facil > 0.0 ? exp(-h / ru->tau_facil) : 0.0;
    u += ru->u_use * (1.0 - u);
    const double er = exp(-h / ru->tau_rec);
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    double tp_prev = -1.0, ep = 0.0, gain = 0.0;
    for (uint32_t q = 0; q < count; q++) {
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        const double *row = rec < 2 ? pb->tau_syn[rec] : 0;
        const double tp = row ? row[i] : 0.0;
        if (tp != tp_prev) {
            ep = tp > 0.0 ? exp(-h / tp) : 0.0;
            gain = y_to_z(h, tp, ru->tau_rec, ep, er);
            tp_prev = tp;
        }
        double x = xy[2 * q], y = xy[2 * q + 1];
        const double z = 1.0 - x - y;
        const double z1 = z * er + y * gain;
        y *= ep;
        x = 1.0 - y - z1;
        const double used = u * x;
        xy[2 * q] = x - used;
        xy[2 * q + 1] = y + used;
        t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += w[q] * used;
    }
    pl->seg_trace[seg] = u;
    pl->seg_last[seg] = s;
    return p + count;
}

/* ---------------------------------------------------------------- stochastic release */

/* One uniform draw per synapse and spike, from the target core's generator (neuron cores
 * draw nothing else): the spikes reaching a core are processed in the same order whatever
 * the chunking, so the draws and the result depend on the seed alone.  Every synapse draws,
 * p = 0 and p = 1 too, so that a change of p leaves the other synapses' draws alone. */
static const uint32_t *deliver_stochastic(ss_engine *e, const ss_rule *ru, ss_core *t,
                                          const uint32_t *p, uint32_t count, int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    const double *w = pl->w + pl->seg_syn[seg];
    const double pr = ru->p_release;
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    for (uint32_t q = 0; q < count; q++) {
        if (ss_uniform(t->rng) > pr) continue; /* (0, 1]: p = 0 never, p = 1 always */
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += w[q];
    }
    return p + count;
}

/* ---------------------------------------------------------------- structural, static */

/* Fixed weights, each synapse count times (0: absent; structural.c forms and removes). */
static const uint32_t *deliver_counted(ss_engine *e, ss_core *t, const uint32_t *p,
                                       uint32_t count, int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    const double *w = pl->w + pl->seg_syn[seg];
    const uint16_t *cnt = e->structural->count + pl->seg_syn[seg];
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    for (uint32_t q = 0; q < count; q++) {
        if (!cnt[q]) continue;
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += w[q] * cnt[q];
    }
    return p + count;
}

const uint32_t *ss_plastic_deliver(ss_engine *e, int32_t block, const uint32_t *p,
                                   uint32_t count, int64_t stamp) {
    ss_plastic *pl = e->plastic;
    const ss_pblock *pb = &pl->blocks[block];
    const ss_rule *ru = &pl->rules[pb->rule];
    ss_core *t = &e->cores[e->blocks[block].target];
    if (e->structural && e->structural->seg_pre) { /* LastNeuronSelection sees the spike */
        const int32_t pre = e->structural->seg_pre[*p];
        if (pre >= 0)
            ss_structural_spike(e, e->blocks[block].target, e->structural->seg_proj[*p], pre,
                                stamp);
    }
    if (ru->kind == SS_STRUCTURAL_STATIC) return deliver_counted(e, t, p, count, stamp);
    if (ru->kind == SS_TSODYKS_MARKRAM) return deliver_tm(e, ru, pb, t, p, count, stamp);
    if (ru->kind == SS_STOCHASTIC) return deliver_stochastic(e, ru, t, p, count, stamp);
    if (ru->kind == SS_STDP_DOPAMINE || ru->kind == SS_DOPAMINE_RELEASE)
        return ss_dopamine_deliver(e, ru, t, &pl->post[e->blocks[block].target], p, count, stamp);
    if (ss_recurrent(ru))
        return ss_recurrent_deliver(e, ru, t, &pl->post[e->blocks[block].target], p, count, stamp);
    if (ru->kind == SS_WEIGHT_CHANGEABLE || ru->kind == SS_WEIGHT_CHANGER)
        return ss_weight_change_deliver(e, ru, t, p, count, stamp);
    return deliver_stdp(e, ru, t, &pl->post[e->blocks[block].target], p, count, stamp);
}
