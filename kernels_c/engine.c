/* spinstream engine: the step loop, multicast delivery through resolved routes, recording. */
#include "engine.h"

#include <string.h>

#define SS_ABI_VERSION 11

int32_t ss_abi_version(void) { return SS_ABI_VERSION; }

typedef struct ss_model_info {
    const char *name;
    const char *params; /* PyNN parameters, then derived rows after '|' is not used: see n_pynn */
    int32_t n_pynn;
    const char *state;
    int32_t n_receptors;
    int32_t is_source;
} ss_model_info;

/* Row names: the first n_pynn rows of params are PyNN parameters (PyNN's names and units); the
 * rest are derived by ss_prepare_core.  State rows use PyNN's recordable names; hidden rows
 * come last. */
static const ss_model_info MODELS[SS_N_MODELS] = {
    [SS_IF_CURR_EXP] = {"IF_curr_exp",
                        "v_rest,cm,tau_m,tau_refrac,tau_syn_E,tau_syn_I,i_offset,v_reset,v_thresh,"
                        "_p22,_p20,_p21e,_p21i,_p11e,_p11i,_refrac_steps",
                        9, "v,isyn_exc,isyn_inh", 2, 0},
    [SS_IF_COND_EXP] = {"IF_cond_exp",
                        "v_rest,cm,tau_m,tau_refrac,tau_syn_E,tau_syn_I,e_rev_E,e_rev_I,v_thresh,"
                        "v_reset,i_offset,_p11e,_p11i,_h11e,_h11i,_refrac_steps",
                        11, "v,gsyn_exc,gsyn_inh", 2, 0},
    [SS_IF_CURR_ALPHA] = {"IF_curr_alpha",
                          "v_rest,cm,tau_m,tau_refrac,tau_syn_E,tau_syn_I,i_offset,v_reset,"
                          "v_thresh,_p22,_p20,_p11e,_p11i,_p21e,_p21i,_p31e,_p31i,_p32e,_p32i,"
                          "_alpha_e,_alpha_i,_refrac_steps",
                          9, "v,isyn_exc,isyn_inh,_disyn_exc,_disyn_inh", 2, 0},
    [SS_IF_CURR_DELTA] = {"IF_curr_delta",
                          "v_rest,cm,tau_m,tau_refrac,i_offset,v_reset,v_thresh,_p22,_p20,"
                          "_refrac_steps",
                          7, "v", 2, 0},
    [SS_IZHIKEVICH] = {"Izhikevich", "a,b,c,d,i_offset", 5, "v,u", 2, 0},
    [SS_SPIKE_SOURCE_POISSON] = {"SpikeSourcePoisson",
                                 "rate,start,duration,_lambda,_first,_last", 3, "_next", 0, 1},
    [SS_SPIKE_SOURCE_ARRAY] = {"SpikeSourceArray", "", 0, "", 0, 1},
    [SS_IF_COND_ALPHA] = {"IF_cond_alpha",
                          "v_rest,cm,tau_m,tau_refrac,tau_syn_E,tau_syn_I,e_rev_E,e_rev_I,"
                          "v_thresh,v_reset,i_offset,_p11e,_p11i,_h11e,_h11i,_refrac_steps,"
                          "_alpha_e,_alpha_i",
                          11, "v,gsyn_exc,gsyn_inh,_dg_exc,_dg_inh", 2, 0},
    [SS_EIF_COND_EXP] = {"EIF_cond_exp_isfa_ista",
                         "cm,tau_refrac,v_spike,v_reset,v_rest,tau_m,i_offset,a,b,delta_T,"
                         "tau_w,v_thresh,e_rev_E,tau_syn_E,e_rev_I,tau_syn_I,_p11e,_p11i,_h11e,"
                         "_h11i,_refrac_steps",
                         16, "v,w,gsyn_exc,gsyn_inh", 2, 0},
    [SS_EIF_COND_ALPHA] = {"EIF_cond_alpha_isfa_ista",
                           "cm,tau_refrac,v_spike,v_reset,v_rest,tau_m,i_offset,a,b,delta_T,"
                           "tau_w,v_thresh,e_rev_E,tau_syn_E,e_rev_I,tau_syn_I,_p11e,_p11i,_h11e,"
                           "_h11i,_refrac_steps,_alpha_e,_alpha_i",
                           16, "v,w,gsyn_exc,gsyn_inh,_dg_exc,_dg_inh", 2, 0},
    [SS_HH_COND_EXP] = {"HH_cond_exp",
                        "gbar_Na,gbar_K,g_leak,cm,v_offset,e_rev_Na,e_rev_K,e_rev_leak,e_rev_E,"
                        "e_rev_I,tau_syn_E,tau_syn_I,i_offset,_p11e,_p11i,_h11e,_h11i",
                        13, "v,gsyn_exc,gsyn_inh,h,m,n,_above", 2, 0},
    [SS_SPIKE_SOURCE_GAMMA] = {"SpikeSourceGamma",
                               "alpha,beta,start,duration,_lambda,_first,_last", 4, "_next", 0,
                               1},
    [SS_SPIKE_SOURCE_POISSON_REFRACTORY] = {"SpikeSourcePoissonRefractory",
                                            "rate,tau_refrac,start,duration,_lambda,_first,"
                                            "_last,_dead",
                                            4, "_next", 0, 1},
};

static const ss_model_info *info(int32_t model) {
    return (model >= 0 && model < SS_N_MODELS) ? &MODELS[model] : 0;
}

const char *ss_model_name(int32_t model) { return info(model) ? info(model)->name : 0; }
const char *ss_model_params(int32_t model) { return info(model) ? info(model)->params : 0; }
int32_t ss_model_n_pynn_params(int32_t model) { return info(model) ? info(model)->n_pynn : -1; }
int32_t ss_model_n_param_rows(int32_t model) {
    const char *p = info(model) ? info(model)->params : 0;
    if (!p || !*p) return 0;
    int32_t rows = 1;
    for (; *p; p++) rows += *p == ',';
    return rows;
}
const char *ss_model_state(int32_t model) { return info(model) ? info(model)->state : 0; }
int32_t ss_model_n_receptors(int32_t model) {
    return info(model) ? info(model)->n_receptors : -1;
}
int32_t ss_model_is_source(int32_t model) { return info(model) ? info(model)->is_source : -1; }

int ss_prepare_core(ss_engine *e, int32_t core) {
    if (core < 0 || core >= e->n_cores) return -1;
    ss_core *c = &e->cores[core];
    if (!info(c->model)) return -2;
    return ss_prepare_neurons(e, c);
}

int32_t ss_is_source(const ss_core *c) { return MODELS[c->model].is_source; }

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

/* The step loop itself is in threads.c (ss_pool_run): one thread or many, the same order. */
int64_t ss_run(ss_engine *e, int64_t n_steps) {
    if (!e->pool) return -1;
    return ss_pool_run(e, e->pool, n_steps);
}
