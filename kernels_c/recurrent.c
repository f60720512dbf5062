/* spinstream engine: sPyNNaker's RecurrentRule (its "recurrent" STDP timing dependence).
 *
 * Semantics (docs/ENGINE.md, "Plasticity"; times as in plastic.c: the synapse sees a
 * presynaptic spike at its stamp s and a postsynaptic spike stamped t at t + d).  Windows are
 * random: each is drawn from an exponential distribution with the rule's mean (mean_pre_window
 * = tau_plus, mean_post_window = tau_minus, in ms) and kept as the whole number of steps
 * K = ceil(x / dt), so that a spike n steps after the window opened falls inside it iff
 * n < x / dt, with probability exp(-n dt / mean).  Every draw comes from the generator of the
 * target core, in the order in which the core receives its spikes, which does not depend on
 * the chunking or on the number of threads.
 *
 * A synapse counts pairings in an accumulator.  A pairing that potentiates raises it by one,
 * or, when it already stands at accumulator_potentiation - 1, resets it to 0 and potentiates
 * the weight once; a pairing that depresses lowers it by one, or, at
 * accumulator_depression + 1, resets it to 0 and depresses the weight once.  A weight step
 * is A_plus w_max / A_minus w_max (additive) or A_plus (w_max - w) / A_minus (w - w_min)
 * (multiplicative), clipped to [w_min, w_max].
 *
 * dual_fsm (alpha = 1): each presynaptic spike opens a pre window (one draw per row segment),
 * each postsynaptic spike a post window (one draw per neuron, kept in its history entry, k).
 * A postsynaptic spike inside the window of the latest presynaptic spike before it
 * potentiates; a presynaptic spike inside the window of the latest postsynaptic spike at or
 * before it depresses.
 *
 * One state machine (alpha = 0, sPyNNaker's "pre_stochastic" variant): each synapse is idle,
 * pre-open or post-open, with one window (drawn when a window opens; the history entry's k
 * holds the stamp of the neuron's previous spike).  A postsynaptic spike: idle -> post-open;
 * post-open -> idle if it comes inside the window, else the window is drawn anew; pre-open
 * -> idle (and a potentiating pairing) if it comes inside the window and not at the same
 * time as the presynaptic spike that opened it (then idle without pairing), else post-open.
 * A presynaptic spike does the mirror image (a depressing pairing from post-open; no
 * same-time exception), and is ignored as long as the neuron has never fired.
 *
 * Weights change when a presynaptic spike is processed (the postsynaptic spikes seen since
 * the previous one first, in time order, then the presynaptic spike), except where a full
 * spike history drops an entry: its pairing is then applied at once (ss_recurrent_flush).
 *
 * A synapse's state (window in steps, accumulator, state) lives in its ss_plastic.pending
 * slot, packed into an integer below 2^52 held exactly by the double (0: idle, empty).
 */
#include <math.h>

#include "engine.h"

enum { IDLE = 0, PRE_OPEN = 1, POST_OPEN = 2 };

#define WIN_BITS 30
#define WIN_MAX (((int64_t)1 << WIN_BITS) - 1) /* steps; longer windows are cut here */
#define ACC_BITS 20                          /* accumulator range: [-2^19, 2^19) */

typedef struct {
    int32_t state, acc;
    int64_t win;
} rstate;

static inline rstate unpack(double x) {
    const int64_t b = (int64_t)x;
    rstate r;
    r.state = (int32_t)(b & 3);
    int64_t a = (b >> 2) & (((int64_t)1 << ACC_BITS) - 1);
    if (a >= (int64_t)1 << (ACC_BITS - 1)) a -= (int64_t)1 << ACC_BITS; /* sign */
    r.acc = (int32_t)a;
    r.win = b >> (2 + ACC_BITS);
    return r;
}

static inline double pack(rstate r) {
    const int64_t a = (int64_t)r.acc & (((int64_t)1 << ACC_BITS) - 1);
    return (double)((r.win << (2 + ACC_BITS)) | (a << 2) | r.state);
}

/* A window in whole steps: ceil(x), x exponential with mean `mean` steps. */
static inline int64_t draw(uint64_t *rng, double mean) {
    const double x = ceil(-mean * log(ss_uniform(rng)));
    return x < (double)WIN_MAX ? (int64_t)x : WIN_MAX;
}

int ss_recurrent_check(const ss_rule *r) {
    const double lim = (double)((1 << (ACC_BITS - 1)) - 2);
    return r->a3_plus == floor(r->a3_plus) && r->a3_minus == floor(r->a3_minus) &&
           fabs(r->a3_plus) <= lim && fabs(r->a3_minus) <= lim &&
           (r->alpha == 0.0 || r->alpha == 1.0);
}

static inline int additive(const ss_rule *r) { return r->kind == SS_RECURRENT; }

/* A pairing that potentiates (postsynaptic spike inside a pre window). */
static inline void up(const ss_rule *r, rstate *st, double *w) {
    if (st->acc < (int32_t)r->a3_plus - 1) {
        st->acc++;
        return;
    }
    st->acc = 0;
    double x = *w + (additive(r) ? r->a_plus * r->w_max : r->a_plus * (r->w_max - *w));
    *w = x < r->w_max ? x : r->w_max;
}

/* A pairing that depresses (presynaptic spike inside a post window). */
static inline void down(const ss_rule *r, rstate *st, double *w) {
    if (st->acc > (int32_t)r->a3_minus + 1) {
        st->acc--;
        return;
    }
    st->acc = 0;
    double x = *w - (additive(r) ? r->a_minus * r->w_max : r->a_minus * (*w - r->w_min));
    *w = x > r->w_min ? x : r->w_min;
}

/* A postsynaptic spike seen at `at` (steps); `last`: the latest presynaptic spike before it
 * (0: none); dual: `wpre` its window; one machine: `prev` when the neuron's previous spike
 * was seen (0: none). */
static inline void post_event(const ss_rule *r, uint64_t *rng, double h, rstate *st,
                              double *w, int64_t at, int64_t last, int64_t wpre, int64_t prev) {
    if (r->alpha != 0.0) {
        if (at - last < wpre) up(r, st, w);
        return;
    }
    switch (st->state) {
    case IDLE:
        st->state = POST_OPEN;
        st->win = draw(rng, r->tau_minus / h);
        break;
    case POST_OPEN:
        if (at - prev < st->win) st->state = IDLE;
        else st->win = draw(rng, r->tau_minus / h);
        break;
    default: /* PRE_OPEN */
        if (at == last) {
            st->state = IDLE;
        } else if (at - last < st->win) {
            up(r, st, w);
            st->state = IDLE;
        } else {
            st->state = POST_OPEN;
            st->win = draw(rng, r->tau_minus / h);
        }
    }
}

/* A presynaptic spike at s; the latest postsynaptic spike at or before it was seen at `at`
 * with history value `k` (dual: its window); `last`: the previous presynaptic spike. */
static inline void pre_event(const ss_rule *r, uint64_t *rng, double h, rstate *st, double *w,
                             int64_t s, int64_t last, int64_t at, double k) {
    if (r->alpha != 0.0) {
        if ((double)(s - at) < k) down(r, st, w);
        return;
    }
    switch (st->state) {
    case IDLE:
        st->state = PRE_OPEN;
        st->win = draw(rng, r->tau_plus / h);
        break;
    case PRE_OPEN:
        if (s - last < st->win) st->state = IDLE;
        else st->win = draw(rng, r->tau_plus / h);
        break;
    default: /* POST_OPEN */
        if (s - at < st->win) {
            down(r, st, w);
            st->state = IDLE;
        } else {
            st->state = PRE_OPEN;
            st->win = draw(rng, r->tau_plus / h);
        }
    }
}

double ss_recurrent_entry(const ss_rule *ru, ss_core *c, double dt, int64_t prev_stamp) {
    if (ru->alpha != 0.0) return (double)draw(c->rng, ru->tau_minus / dt);
    return (double)prev_stamp;
}

const uint32_t *ss_recurrent_deliver(ss_engine *e, const ss_rule *ru, ss_core *t, ss_post *po,
                                     const uint32_t *p, uint32_t count, int64_t s) {
    ss_plastic *pl = e->plastic;
    const uint32_t seg = *p++;
    double *w = pl->w + pl->seg_syn[seg];
    double *state = pl->pending + (pl->seg_state[seg] >> 1);
    const int64_t last = pl->seg_last[seg];
    const double h = e->dt;
    const int dual = ru->alpha != 0.0;
    /* dual: the window of the previous presynaptic spike (0 before the first); this one's */
    const int64_t wpre = (int64_t)pl->seg_trace[seg];
    if (dual) pl->seg_trace[seg] = (double)draw(t->rng, ru->tau_plus / h);
    const int64_t n = t->n, nr = t->n_receptors, mask = t->ring_mask;
    const int64_t cmask = po->cap - 1;
    for (uint32_t q = 0; q < count; q++) {
        const uint32_t word = p[q];
        const int64_t i = word & ((1u << SS_W_POST_BITS) - 1u);
        const int64_t d = (word >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
        const uint32_t rec = word >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
        const int64_t lo = last - d, hi = s - d; /* postsynaptic stamps in (lo, hi] */
        const int64_t *ht = po->t + i * po->cap;
        const double *hk = po->k + i * po->cap;
        int32_t *hr = po->reads + i * po->cap;
        const int64_t head = po->head[i];
        const int32_t len = po->len[i];
        int32_t j = len;
        while (j > 0 && ht[(head + j - 1) & cmask] > lo) j--;
        rstate st = unpack(state[q]);
        double wq = w[q];
        for (; j < len; j++) {
            const int64_t at = (head + j) & cmask;
            if (ht[at] > hi) break;
            const int64_t prev = hk[at] > 0.0 ? (int64_t)hk[at] + d : 0;
            post_event(ru, t->rng, h, &st, &wq, ht[at] + d, last, wpre, prev);
            hr[at]++;
        }
        if (j > 0) { /* the neuron has fired at or before hi: the latest such spike */
            const int64_t at = (head + j - 1) & cmask;
            pre_event(ru, t->rng, h, &st, &wq, s, last, ht[at] + d, hk[at]);
        }
        state[q] = pack(st);
        w[q] = wq;
        t->ring[(((s - 1 + d) & mask) * nr + rec) * n + i] += wq;
    }
    pl->seg_last[seg] = s;
    return p + count;
}

/* Apply a history entry (stamp te, value kte) that is about to be dropped to one synapse
 * that has not paired with it yet (its index `syn` in pending, of segment `seg`). */
void ss_recurrent_flush(ss_engine *e, const ss_rule *ru, ss_core *t, int32_t seg, int32_t syn,
                        int64_t d, int64_t te, double kte) {
    ss_plastic *pl = e->plastic;
    const int64_t first = pl->seg_state[seg] >> 1;
    double *w = pl->w + pl->seg_syn[seg] + (syn - first);
    rstate st = unpack(pl->pending[syn]);
    const int64_t prev = kte > 0.0 ? (int64_t)kte + d : 0;
    post_event(ru, t->rng, e->dt, &st, w, te + d, pl->seg_last[seg],
               (int64_t)pl->seg_trace[seg], prev);
    pl->pending[syn] = pack(st);
}
