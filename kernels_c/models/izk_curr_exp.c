/* IZK_curr_exp: sPyNNaker's Izhikevich (its IzkCurrExpBase), Izhikevich (2003) with
 * exponentially decaying synaptic currents: I = i_offset + I_cs + isyn_exc - isyn_inh (nA,
 * taken as a number in v' = 0.04 v^2 + 5 v + 140 - u + I, as sPyNNaker does; PyNN's and
 * NEST's Izhikevich multiply nA by 1000), isyn_x' = -isyn_x / tau_syn_x, a spike of weight w
 * adding w to isyn_x at the end of the step it arrives in.  One RK4 step of (v, u) over dt
 * with the exact current course (sPyNNaker: its fixed-point midpoint step with the input held
 * over the step); spike when v >= 30 mV: v = c, u += d; no refractory time. */
#include "../model.h"

#define MODEL izk_curr_exp
#define PARAMS(X)                                                                            \
    X(a, "/ms", SS_ANY, 0.02)                                                                \
    X(b, "/ms", SS_ANY, 0.2)                                                                 \
    X(c, "mV", SS_ANY, -65.0)                                                                \
    X(d, "mV/ms", SS_ANY, 2.0)                                                               \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)
#define DERIVED(X) X(_p11e) X(_p11i) X(_h11e) X(_h11i)
#define STATE(X)                                                                             \
    X(v, "mV", -70.0) X(u, "mV/ms", -14.0) X(isyn_exc, "nA", 0.0) X(isyn_inh, "nA", 0.0)
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
    const double *i_off = ROW(P, P_i_offset);
    const double *p11e = ROW(P, P__p11e), *p11i = ROW(P, P__p11i);
    const double *h11e = ROW(P, P__h11e), *h11i = ROW(P, P__h11i);
    double *v = ROW(S, S_v), *u = ROW(S, S_u), *ie = ROW(S, S_isyn_exc),
           *ii = ROW(S, S_isyn_inh);
    double *re = ss_ring_now(core, m);
    double *ri = re + n;
    const double *ics = core->i_cs;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double I0 = i_off[i] + ics[i];
        /* the input current at the start, middle and end of the step */
        const double I[3] = {I0 + ie[i] - ii[i], I0 + ie[i] * h11e[i] - ii[i] * h11i[i],
                             I0 + ie[i] * p11e[i] - ii[i] * p11i[i]};
        const double v0 = v[i], u0 = u[i], A = a[i], B = b[i];
#define DV(vv, uu, q) (0.04 * (vv) * (vv) + 5.0 * (vv) + 140.0 - (uu) + I[q])
#define DU(vv, uu) (A * (B * (vv) - (uu)))
        const double k1v = DV(v0, u0, 0), k1u = DU(v0, u0);
        const double v1 = v0 + 0.5 * h * k1v, u1 = u0 + 0.5 * h * k1u;
        const double k2v = DV(v1, u1, 1), k2u = DU(v1, u1);
        const double v2 = v0 + 0.5 * h * k2v, u2 = u0 + 0.5 * h * k2u;
        const double k3v = DV(v2, u2, 1), k3u = DU(v2, u2);
        const double v3 = v0 + h * k3v, u3 = u0 + h * k3u;
        const double k4v = DV(v3, u3, 2), k4u = DU(v3, u3);
#undef DV
#undef DU
        v[i] = v0 + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        u[i] = u0 + h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
        ie[i] = ie[i] * p11e[i] + re[i];
        ii[i] = ii[i] * p11i[i] + ri[i];
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

SS_DEFINE_MODEL("IZK_curr_exp", 0, prepare, update, 0);
