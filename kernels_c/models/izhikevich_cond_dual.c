/* Izhikevich_cond_dual (sPyNNaker's extra model): Izhikevich_cond with a second excitatory
 * conductance gsyn_exc2 (receptor "excitatory2", ring row 2, its own tau_syn_E2, reversal
 * e_rev_E); the same step (izhikevich_cond_step.h). */
#include "izhikevich_cond_step.h"

#define MODEL izhikevich_cond_dual
#define PARAMS(X)                                                                            \
    X(a, "/ms", SS_ANY, 0.02)                                                                \
    X(b, "/ms", SS_ANY, 0.2)                                                                 \
    X(c, "mV", SS_ANY, -65.0)                                                                \
    X(d, "mV/ms", SS_ANY, 2.0)                                                               \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_E2, "ms", SS_POSITIVE, 5.0)                                                    \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(e_rev_E, "mV", SS_ANY, 0.0)                                                            \
    X(e_rev_I, "mV", SS_ANY, -70.0)
#define DERIVED(X) X(_p11e) X(_p11e2) X(_p11i) X(_h11e) X(_h11e2) X(_h11i)
#define STATE(X)                                                                             \
    X(v, "mV", -70.0) X(u, "mV/ms", -14.0) X(gsyn_exc, "uS", 0.0) X(gsyn_exc2, "uS", 0.0)  \
    X(gsyn_inh, "uS", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory) X(excitatory2)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *tse = ROW(P, P_tau_syn_E), *tse2 = ROW(P, P_tau_syn_E2);
    const double *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11e2)[i] = exp(-h / tse2[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__h11e)[i] = exp(-0.5 * h / tse[i]);
        ROW(P, P__h11e2)[i] = exp(-0.5 * h / tse2[i]);
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
    const double *p11e = ROW(P, P__p11e), *p11e2 = ROW(P, P__p11e2), *p11i = ROW(P, P__p11i);
    const double *h11e = ROW(P, P__h11e), *h11e2 = ROW(P, P__h11e2), *h11i = ROW(P, P__h11i);
    double *v = ROW(S, S_v), *u = ROW(S, S_u), *gexc = ROW(S, S_gsyn_exc),
           *gexc2 = ROW(S, S_gsyn_exc2), *ginh = ROW(S, S_gsyn_inh);
    double *re = ss_ring_now(core, m); /* rows: excitatory, inhibitory, excitatory2 */
    double *ri = re + n, *re2 = re + 2 * n;
    const double *ics = core->i_cs;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double g1[3] = {gexc[i], gexc[i] * h11e[i], gexc[i] * p11e[i]};
        const double g2[3] = {gexc2[i], gexc2[i] * h11e2[i], gexc2[i] * p11e2[i]};
        /* both excitatory conductances pull towards e_rev_E: their sum is what v sees */
        const double ge[3] = {g1[0] + g2[0], g1[1] + g2[1], g1[2] + g2[2]};
        const double gi[3] = {ginh[i], ginh[i] * h11i[i], ginh[i] * p11i[i]};
        ss_izk_cond_rk4(h, a[i], b[i], i_off[i] + ics[i], ge, ee[i], gi, ei[i], &v[i], &u[i]);
        gexc[i] = g1[2] + re[i];
        gexc2[i] = g2[2] + re2[i];
        ginh[i] = gi[2] + ri[i];
        re[i] = 0.0;
        ri[i] = 0.0;
        re2[i] = 0.0;
        if (v[i] >= 30.0) {
            v[i] = cc[i];
            u[i] += d[i];
            core->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

SS_DEFINE_MODEL("Izhikevich_cond_dual", 0, prepare, update, 0);
