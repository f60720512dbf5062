/* Izhikevich_cond (sPyNNaker's extra model): Izhikevich (2003) with exponentially decaying
 * synaptic conductances (uS) and reversal potentials; one RK4 step for (v, u) with the exact
 * conductance course (izhikevich_cond_step.h); spike when v >= 30 mV: v = c, u += d. */
#include "izhikevich_cond_step.h"

#define MODEL izhikevich_cond
#define PARAMS(X)                                                                            \
    X(a, "/ms", SS_ANY, 0.02)                                                                \
    X(b, "/ms", SS_ANY, 0.2)                                                                 \
    X(c, "mV", SS_ANY, -65.0)                                                                \
    X(d, "mV/ms", SS_ANY, 2.0)                                                               \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(e_rev_E, "mV", SS_ANY, 0.0)                                                            \
    X(e_rev_I, "mV", SS_ANY, -70.0)
#define DERIVED(X) X(_p11e) X(_p11i) X(_h11e) X(_h11i)
#define STATE(X) X(v, "mV", -70.0) X(u, "mV/ms", -14.0) X(gsyn_exc, "uS", 0.0) X(gsyn_inh, "uS", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *tse = ROW(P, P_tau_syn_E), *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__h11e)[i] = exp(-0.5 * h / tse[i]);
        ROW(P, P__h11i)[i] = exp(-0.5 * h / tsi[i]);
    }
    return 0;
}

static int32_t update(ss_engine *e, ss_core *core, int64_t m) {
    const int64_t n = core->n;
    const double h = e->dt;
    const double *P = core->params;
    double *S = core->state;
    const double *a = ROW(P, P_a), *b = ROW(P, P_b), *cc = ROW(P, P_c), *d = ROW(P, P_d);
    const double *i_off = ROW(P, P_i_offset), *ee = ROW(P, P_e_rev_E), *ei = ROW(P, P_e_rev_I);
    const double *p11e = ROW(P, P__p11e), *p11i = ROW(P, P__p11i);
    const double *h11e = ROW(P, P__h11e), *h11i = ROW(P, P__h11i);
    double *v = ROW(S, S_v), *u = ROW(S, S_u), *gexc = ROW(S, S_gsyn_exc),
           *ginh = ROW(S, S_gsyn_inh);
    double *re = ss_ring_now(core, m);
    double *ri = re + n;
    const double *ics = core->i_cs;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double ge[3] = {gexc[i], gexc[i] * h11e[i], gexc[i] * p11e[i]};
        const double gi[3] = {ginh[i], ginh[i] * h11i[i], ginh[i] * p11i[i]};
        ss_izk_cond_rk4(h, a[i], b[i], i_off[i] + ics[i], ge, ee[i], gi, ei[i], &v[i], &u[i]);
        gexc[i] = ge[2] + re[i];
        ginh[i] = gi[2] + ri[i];
        re[i] = 0.0;
        ri[i] = 0.0;
        if (v[i] >= 30.0) {
            v[i] = cc[i];
            u[i] += d[i];
            core->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

SS_DEFINE_MODEL("Izhikevich_cond", 0, prepare, update, 0);
