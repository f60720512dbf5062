/* spinstream engine: structural plasticity (sPyNNaker's StructuralMechanismStatic and
 * StructuralMechanismSTDP with RandomSelection or LastNeuronSelection,
 * DistanceDependentFormation and RandomByWeightElimination).  docs/ENGINE.md, "Structural
 * plasticity", states the rules; engine.h (ss_sp_core) the storage.
 *
 * Each potential synapse of a structural projection is a plastic synapse whose count says
 * how many synapses it stands for now, so forming or removing one changes a counter and a
 * slot, never a synaptic row: the rows (and every thread's copy of them) stay as loaded.
 *
 * A rewiring attempt, on the thread that owns the target core:
 *   1. a post neuron, uniformly over the whole post population, from the population's
 *      shared generator (every core of the population draws the same sequence, so each
 *      attempt lands on exactly one core, which goes on; the others skip it);
 *   2. one of its s_max slots, uniformly (the core's own generator, as every draw below);
 *   3. a full slot is an elimination attempt: with probability prob_elim_depressed when the
 *      synapse's weight is below its projection's threshold, else prob_elim_potentiated;
 *   4. an empty slot is a formation attempt: a partner (RandomSelection: one of the
 *      structural projections into the population, uniformly, then any of its pre neurons;
 *      LastNeuronSelection: one of the pre neurons whose spikes of the previous step reached
 *      the core through a structural projection, none: no formation), refused when that pre
 *      neuron already has s_max synapses onto the core or, without with_replacement,
 *      already one onto the post neuron; then formed with probability
 *      p exp(-d^2 / (2 sigma^2)), d the periodic grid distance, p and sigma the projection's
 *      forward ones or, within one population, its lateral ones.
 * A formed synapse takes initial_weight (and its STDP state restarts); a synapse formed
 * again onto a connected pair (with_replacement) shares that pair's weight.
 */
#include <math.h>
#include <stdlib.h>

#include "engine.h"

/* Uniform integer in [0, n), n < 2^32 (the top 32 bits, scaled: bias below 2^-32 n). */
static inline int64_t below(uint64_t *s, int64_t n) {
    return (int64_t)(((ss_next(s) >> 32) * (uint64_t)n) >> 32);
}

int ss_structural_prepare(ss_engine *e) {
    ss_structural *st = e->structural;
    if (!st) return 0;
    if (!st->count || st->n_cores != e->n_cores) return -40;
    for (int32_t c = 0; c < st->n_cores; c++) {
        ss_sp_core *sc = &st->cores[c];
        if (!sc->n) continue;
        if (sc->s_max < 1 || sc->n_proj < 1 || !sc->projs || sc->n_pop < sc->n || sc->lo < 0 ||
            (sc->per_step < 1 && sc->period < 1) || !sc->slot || !sc->c_syn || !sc->c_pend ||
            !sc->c_pre || !sc->c_proj)
            return -41;
        for (int32_t k = 0; k < sc->n_proj; k++) {
            const ss_sp_proj *pj = &sc->projs[k];
            if (pj->n_pre < 1 || !pj->pair || !pj->row_n || !pj->pair_n) return -41;
            if (!(pj->p_form >= 0.0 && pj->p_form <= 1.0 && pj->two_sigma2 >= 0.0 &&
                  pj->p_dep >= 0.0 && pj->p_dep <= 1.0 && pj->p_pot >= 0.0 &&
                  pj->p_pot <= 1.0 && pj->w_init >= 0.0 && isfinite(pj->threshold)))
                return -42;
        }
        if (sc->partner == 1 && (sc->buf_cap < 1 || !sc->buf || !st->seg_pre || !st->seg_proj))
            return -43;
        ss_seed(sc->shared, sc->seed, sc->shared_stream);
        ss_seed(sc->local, sc->seed, sc->local_stream);
    }
    return 0;
}

void ss_structural_spike(ss_engine *e, int32_t core, int32_t proj, int32_t pre,
                         int64_t stamp) {
    ss_sp_core *sc = &e->structural->cores[core];
    if (sc->partner != 1) return;
    const int b = (int)(stamp & 1);
    if (stamp > sc->buf_stamp[b]) { /* the first spike of a new step */
        sc->buf_stamp[b] = stamp;
        sc->buf_n[b] = 0;
    }
    if (stamp == sc->buf_stamp[b] && sc->buf_n[b] < sc->buf_cap)
        sc->buf[(int64_t)b * sc->buf_cap + sc->buf_n[b]++] = (int64_t)proj << 32 | pre;
}

/* Squared periodic distance on sPyNNaker's grid: neuron k sits at (k / grid_x, k % grid_y);
 * a dimension of size 1 or less counts as 0. */
static int64_t distance2(const ss_sp_proj *pj, int64_t a, int64_t b) {
    int64_t dx = 0, dy = 0;
    if (pj->grid_x > 1) {
        dx = llabs(a / pj->grid_x - b / pj->grid_x);
        if (dx > pj->grid_x / 2) dx = pj->grid_x - dx;
    }
    if (pj->grid_y > 1) {
        dy = llabs(a % pj->grid_y - b % pj->grid_y);
        if (dy > pj->grid_y / 2) dy = pj->grid_y - dy;
    }
    return dx * dx + dy * dy;
}

static void eliminate(ss_engine *e, ss_sp_core *sc, int64_t i, int64_t *slot) {
    const int64_t k = *slot;
    const int64_t syn = sc->c_syn[k];
    const int32_t j = sc->c_pre[k];
    ss_sp_proj *pj = &sc->projs[sc->c_proj[k]];
    pj->elim_tries++;
    const double w = e->plastic->w[syn];
    const double p = w < pj->threshold ? pj->p_dep : pj->p_pot;
    if (!(ss_uniform(sc->local) <= p)) return; /* (0, 1]: p = 0 never, p = 1 always */
    e->structural->count[syn]--;
    pj->row_n[j]--;
    pj->pair_n[i * pj->n_pre + j]--;
    *slot = -1;
    pj->eliminations++;
}

static void form(ss_engine *e, ss_sp_core *sc, int64_t i, int64_t *slot, int64_t m) {
    int64_t j, r;
    if (sc->partner == 1) { /* one of the last step's spikes that reached the core */
        const int b = (int)(m & 1);
        if (sc->buf_stamp[b] != m || sc->buf_n[b] == 0) return;
        const int64_t v = sc->buf[(int64_t)b * sc->buf_cap + below(sc->local, sc->buf_n[b])];
        r = v >> 32;
        j = v & 0xFFFFFFFF;
    } else {
        r = sc->n_proj > 1 ? below(sc->local, sc->n_proj) : 0;
        j = below(sc->local, sc->projs[r].n_pre);
    }
    ss_sp_proj *pj = &sc->projs[r];
    pj->form_tries++;
    if (pj->row_n[j] >= sc->s_max) return; /* the pre neuron's row onto this core is full */
    uint16_t *pn = &pj->pair_n[i * pj->n_pre + j];
    if (!sc->replace && *pn) return;
    const int64_t d2 = distance2(pj, j, sc->lo + i);
    double p = pj->p_form;
    if (d2) p = pj->two_sigma2 > 0.0 ? p * exp(-(double)d2 / pj->two_sigma2) : 0.0;
    if (!(ss_uniform(sc->local) <= p)) return;
    const int64_t k = pj->pair[i * pj->n_pre + j];
    const int64_t syn = sc->c_syn[k];
    uint16_t *cnt = &e->structural->count[syn];
    if (*cnt == 0) { /* a new synapse: initial weight, no STDP change pending */
        e->plastic->w[syn] = pj->w_init;
        if (sc->c_pend[k] >= 0) e->plastic->pending[sc->c_pend[k]] = pj->pend_none;
    }
    (*cnt)++;
    pj->row_n[j]++;
    (*pn)++;
    *slot = k;
    pj->formations++;
}

static void attempt(ss_engine *e, ss_sp_core *sc, int64_t m) {
    const int64_t post = below(sc->shared, sc->n_pop) - sc->lo;
    if (post < 0 || post >= sc->n) return; /* another core's neuron */
    sc->attempts++;
    int64_t *slot = &sc->slot[post * sc->s_max + below(sc->local, sc->s_max)];
    if (*slot >= 0) eliminate(e, sc, post, slot);
    else form(e, sc, post, slot, m);
}

void ss_structural_step(ss_engine *e, int32_t core, int64_t m) {
    ss_sp_core *sc = &e->structural->cores[core];
    if (!sc->n) return;
    int32_t k = sc->per_step;
    if (k < 1) {
        if ((m + 1) % sc->period) return;
        k = 1;
    }
    for (int32_t a = 0; a < k; a++) attempt(e, sc, m);
}
