/* Izhikevich (2003), forward Euler as PyNN's reference; synaptic events jump v (mV). */
#include "../model.h"

#define MODEL izhikevich
#define PARAMS(X)                                                                            \
    X(a, "/ms", SS_ANY, 0.02)                                                                \
    X(b, "/ms", SS_ANY, 0.2)                                                                 \
    X(c, "mV", SS_ANY, -65.0)                                                                \
    X(d, "mV/ms", SS_ANY, 2.0)                                                               \
    X(i_offset, "nA", SS_ANY, 0.0)
#define DERIVED(X)
#define STATE(X) X(v, "mV", -70.0) X(u, "mV/ms", -14.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) { return 0; }

static int32_t update(ss_engine *e, ss_core *core, int64_t m) {
    const int64_t n = core->n;
    const double h = e->dt;
    const double *P = core->params;
    const double *a = ROW(P, P_a), *b = ROW(P, P_b), *cc = ROW(P, P_c), *d = ROW(P, P_d),
                 *i_off = ROW(P, P_i_offset);
    double *v = ROW(core->state, S_v), *u = ROW(core->state, S_u);
    double *re = ss_ring_now(core, m);
    double *ri = re + n;
    const double *ics = core->i_cs;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double I = 1000.0 * (i_off[i] + ics[i]); /* nA -> pA */
        const double v0 = v[i], u0 = u[i];
        v[i] = v0 + h * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + I) + re[i] - ri[i];
        u[i] = u0 + h * a[i] * (b[i] * v0 - u0);
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

SS_DEFINE_MODEL("Izhikevich", 0, prepare, update, 0);
