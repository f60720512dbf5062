/* IFTruncDelta (sPyNNaker's IF_trunc_delta): integrate-and-fire without leak, each synaptic
 * event a jump of v by R w (R = tau_m / cm, MOhm; w in nA), the membrane never below v_reset.
 *
 * Between events v rises by R I per millisecond (I = i_offset + current sources, nA): the
 * perfect integrator tau0 dv/dt = R I with tau0 = 1 ms, which is sPyNNaker's per-step rule
 * "v += R I" at its usual step of 1 ms (docs/MODELS.md: at other steps sPyNNaker's rates
 * scale with 1 ms / dt; here they do not).  v is held at v_reset from below at all times: a
 * jump below it stops there, then the step's drive moves v on (a falling v stops at
 * v_reset, where it stays).  Threshold, reset and refractory time as IF_curr_delta's (inputs
 * during the refractory time are lost, v held at v_reset). */
#include "../model.h"

#define MODEL if_trunc_delta
#define PARAMS(X)                                                                            \
    X(tau_m, "ms", SS_POSITIVE, 1.0)                                                         \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(v_reset, "mV", SS_ANY, 0.0)                                                            \
    X(v_thresh, "mV", SS_ANY, 1.0)                                                           \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 1.0)                                                \
    X(i_offset, "nA", SS_ANY, 0.0)
#define DERIVED(X) X(_r) X(_refrac_steps)
/* _input_exc/_input_inh: the synaptic input of the last step (nA), kept for recording
   (sPyNNaker records its delta synapses' input as gsyn_exc/gsyn_inh) */
#define STATE(X) X(v, "mV", 0.0) X(_input_exc, "nA", 0.0) X(_input_inh, "nA", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__r)[i] = tm[i] / cm[i];
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], e->dt);
    }
    return 0;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const int64_t ps = c->uniform ? 0 : 1;
    const double *P = c->params;
    double *S = c->state;
    double *re = ss_ring_now(c, m), *ri = re + n;
    const double *r = ROW(P, P__r), *i_off = ROW(P, P_i_offset), *vr = ROW(P, P_v_reset);
    const double *thr = ROW(P, P_v_thresh);
    double *v = ROW(S, S_v), *in_e = ROW(S, S__input_exc), *in_i = ROW(S, S__input_inh);
    const double h = e->dt; /* ms; the drive is R I per ms */
    int64_t above = 0;
    for (int64_t i = 0; i < n; i++) {
        const double R = r[i * ps], floor_v = vr[i * ps];
        double x = v[i] + R * (re[i] - ri[i]);
        if (x < floor_v) x = floor_v;
        x += R * (i_off[i * ps] + c->i_cs[i]) * h;
        if (x < floor_v) x = floor_v;
        const int32_t rf = c->refrac[i];
        v[i] = rf > 0 ? floor_v : x;
        c->refrac[i] = rf > 0 ? rf - 1 : 0;
        above += v[i] >= thr[i * ps];
        in_e[i] = re[i];
        in_i[i] = ri[i];
        re[i] = 0.0;
        ri[i] = 0.0;
    }
    if (!above) return 0;
    return ss_threshold(c, v, thr, vr, ROW(P, P__refrac_steps), ps);
}

SS_DEFINE_MODEL("IFTruncDelta", 0, prepare, update, 0);
