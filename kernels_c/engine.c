/* spinstream engine: the step loop, multicast delivery through resolved routes, recording. */
#include "model.h"

#include <string.h>

#define SS_ABI_VERSION 11

int32_t ss_abi_version(void) { return SS_ABI_VERSION; }

/* Deliver one spike of neuron idx of core src, stamped `stamp`, to every routed core. */
static void deliver(ss_engine *e, int32_t src, int32_t idx, int64_t stamp) {
    ss_core *c = &e->cores[src];
    c->spikes_out++;
    if (c->spike_out[idx]) {
        if (e->out_n < e->out_cap) {
            e->out_stamp[e->out_n] = stamp;
            e->out_gid[e->out_n] = c->gid0 + idx;
            e->out_n++;
        } else {
            e->out_lost++;
        }
    }
    const int64_t base = stamp - 1; /* slot = stamp + d - 1 */
    for (int32_t r = e->route_ptr[src]; r < e->route_ptr[src + 1]; r++)
        e->cores[e->route_target[r]].packets_in++;
    const uint32_t *p = c->rows + c->row_ptr[idx];
    const uint32_t *end = c->rows + c->row_ptr[idx + 1];
    while (p < end) {
        const uint32_t head = *p++;
        const ss_block *blk = &e->blocks[c->block0 + (int32_t)(head >> 16)];
        const uint32_t count = head & 0xFFFFu;
        ss_core *t = &e->cores[blk->target];
        const int64_t n = t->n, nr = t->n_receptors;
        const int64_t mask = t->ring_mask;
        double *ring = t->ring;
        if (blk->format == SS_COMPACT) {
            const double *wtab = blk->wtab;
            const int32_t *wrec = blk->wrec;
            for (uint32_t k = 0; k < count; k++) {
                const uint32_t w = p[k];
                const uint32_t post = w & ((1u << SS_C_POST_BITS) - 1u);
                const uint32_t delay = (w >> SS_C_POST_BITS) & ((1u << SS_C_DELAY_BITS) - 1u);
                const uint32_t tab = w >> (SS_C_POST_BITS + SS_C_DELAY_BITS);
                const int64_t slot = (base + delay) & mask;
                ring[(slot * nr + wrec[tab]) * n + post] += wtab[tab];
            }
            p += count;
        } else if (blk->format == SS_PLASTIC) {
            p = ss_plastic_deliver(e, c->block0 + (int32_t)(head >> 16), p, count, stamp);
        } else {
            for (uint32_t k = 0; k < count; k++) {
                const uint32_t w = p[2 * k];
                const uint32_t post = w & ((1u << SS_W_POST_BITS) - 1u);
                const uint32_t delay = (w >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
                const uint32_t rec = w >> (SS_W_POST_BITS + SS_W_DELAY_BITS);
                float wf;
                memcpy(&wf, &p[2 * k + 1], sizeof wf);
                const int64_t slot = (base + delay) & mask;
                ring[(slot * nr + rec) * n + post] += (double)wf;
            }
            p += 2 * count;
        }
    }
}

static void sample(ss_core *c, int64_t stamp) {
    for (int32_t p = 0; p < c->n_probes; p++) {
        ss_probe *pr = &c->probes[p];
        if (stamp % pr->interval != 0 || pr->count >= pr->cap) continue;
        const double *row = c->state + (int64_t)pr->var * c->n;
        double *out = pr->out + pr->count * pr->n;
        for (int32_t k = 0; k < pr->n; k++) out[k] = row[pr->index[k]];
        pr->out_stamp[pr->count] = stamp;
        pr->count++;
    }
}

int64_t ss_run(ss_engine *e, int64_t n_steps) {
    int64_t done = 0;
    for (; done < n_steps; done++) {
        if (e->out_cap - e->out_n < e->out_reserve) break;
        if (e->plastic && e->plastic->full) break; /* a spike history needs room first */
        const int64_t m = e->step;
        if (e->n_csrc) ss_apply_current_sources(e, m);
        /* 1. sources emit (stamp m + 1, and stamp 0 at step 0) */
        for (int32_t ci = 0; ci < e->n_cores; ci++) {
            ss_core *c = &e->cores[ci];
            if (!ss_models[c->model]->is_source) continue;
            const int32_t k = ss_update_sources(e, c, m);
            (void)k; /* sources deliver as they draw: several spikes per step per neuron */
        }
        /* 2. neurons update, then emit stamp m + 1 */
        for (int32_t ci = 0; ci < e->n_cores; ci++) {
            ss_core *c = &e->cores[ci];
            if (ss_models[c->model]->is_source) continue;
            const int32_t k = ss_update_neurons(e, c, m);
            if (k && e->plastic && e->plastic->post[ci].n) ss_plastic_post(e, ci, c->spikes, k, m + 1);
            for (int32_t s = 0; s < k; s++) deliver(e, ci, c->spikes[s], m + 1);
        }
        /* 3. samples stamped m + 1 */
        for (int32_t ci = 0; ci < e->n_cores; ci++)
            if (e->cores[ci].n_probes) sample(&e->cores[ci], m + 1);
        e->step = m + 1;
    }
    return done;
}

/* Used by sources.c: emit one spike immediately. */
void ss_emit(ss_engine *e, ss_core *c, int32_t idx, int64_t stamp) {
    deliver(e, (int32_t)(c - e->cores), idx, stamp);
}
