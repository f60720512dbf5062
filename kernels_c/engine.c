/* spinstream engine: the step loop, multicast delivery through resolved routes, recording. */
#include "model.h"

#include <string.h>

#define SS_ABI_VERSION 16

int32_t ss_abi_version(void) { return SS_ABI_VERSION; }

int32_t ss_is_source(const ss_core *c) { return ss_models[c->model]->is_source; }

/* Add one spike, stamped `stamp`, through the segments [p, end) of a row of core c (all of
 * them, or those of one thread's targets: threads.c).  Slot = stamp + d - 1. */
void ss_deliver_row(ss_engine *e, const ss_core *c, const uint32_t *p, const uint32_t *end,
                    int64_t stamp) {
    const int64_t base = stamp - 1;
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
        } else if (blk->format == SS_HALF) {
            const unsigned char *half = (const unsigned char *)(p + count);
            for (uint32_t k = 0; k < count; k++) {
                uint16_t h;
                float wf;
                memcpy(&h, half + 2 * k, sizeof h);
                memcpy(&wf, &p[k], sizeof wf);
                const uint32_t post = h & ((1u << SS_H_POST_BITS) - 1u);
                const uint32_t delay = (h >> SS_H_POST_BITS) & ((1u << SS_H_DELAY_BITS) - 1u);
                const uint32_t rec = (uint32_t)h >> (SS_H_POST_BITS + SS_H_DELAY_BITS);
                const int64_t slot = (base + delay) & mask;
                ring[(slot * nr + rec) * n + post] += (double)wf;
            }
            p += count + (count + 1) / 2;
        } else if (blk->format == SS_Q16) {
            const double scale = blk->wtab[0];
            for (uint32_t k = 0; k < count; k++) {
                const uint32_t w = p[k];
                const uint32_t post = w & ((1u << SS_H_POST_BITS) - 1u);
                const uint32_t delay = (w >> SS_H_POST_BITS) & ((1u << SS_H_DELAY_BITS) - 1u);
                const uint32_t rec = (w >> (SS_H_POST_BITS + SS_H_DELAY_BITS)) & 1u;
                const int64_t slot = (base + delay) & mask;
                ring[(slot * nr + rec) * n + post] += (double)(w >> 16) * scale;
            }
            p += count;
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

void ss_sample(ss_core *c, int64_t stamp) {
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

/* The step loop itself is in threads.c (ss_pool_run): one thread or many, the same order;
 * ss_emit (used by the source models as they draw) is there too. */
int64_t ss_run(ss_engine *e, int64_t n_steps) {
    if (!e->pool) return -1;
    return ss_pool_run(e, e->pool, n_steps);
}
