/* IF_curr_exp_sEMD (sPyNNaker's extra model: the spiking elementary motion detector): a leaky
 * integrate-and-fire neuron with three exponentially decaying currents, the "facilitation"
 * isyn_exc (receptor excitatory), the "trigger" isyn_exc2 (excitatory2) and isyn_inh.  The
 * facilitation never reaches v itself: when the trigger current becomes active
 * (isyn_exc2 >= 0.001 nA at the start of a step, below it at the start of the step before),
 * the multiplicator takes the facilitation current's value and holds it while the trigger
 * stays active (0 otherwise); the excitatory current into v is
 * scaling_factor * multiplicator * isyn_exc2, exponential within a step and so propagated
 * exactly, as the others (docs/ENGINE.md). */
#include "../model.h"

#define MODEL if_curr_exp_semd
#define PARAMS(X)                                                                            \
    X(tau_m, "ms", SS_POSITIVE, 20.0)                                                        \
    X(cm, "nF", SS_POSITIVE, 1.0)                                                            \
    X(v_rest, "mV", SS_ANY, -65.0)                                                           \
    X(v_reset, "mV", SS_ANY, -65.0)                                                          \
    X(v_thresh, "mV", SS_ANY, -50.0)                                                         \
    X(tau_syn_E, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_syn_E2, "ms", SS_POSITIVE, 5.0)                                                    \
    X(tau_syn_I, "ms", SS_POSITIVE, 5.0)                                                     \
    X(tau_refrac, "ms", SS_NON_NEGATIVE, 0.1)                                                \
    X(i_offset, "nA", SS_ANY, 0.0)                                                           \
    X(scaling_factor, "1/nA", SS_ANY, 1.0)
#define DERIVED(X)                                                                           \
    X(_p22) X(_p20) X(_p21e2) X(_p21i) X(_p11e) X(_p11e2) X(_p11i) X(_refrac_steps)
#define STATE(X)                                                                             \
    X(v, "mV", -65.0) X(isyn_exc, "nA", 0.0) X(isyn_exc2, "nA", 0.0) X(isyn_inh, "nA", 0.0)  \
    X(multiplicator, "nA", 0.0) X(exc2_old, "nA", 0.0)
#define RECEPTORS(X) X(excitatory) X(inhibitory) X(excitatory2)
#include "../model_rows.h"

/* The trigger current above which the trigger counts as active (sPyNNaker's 0.001). */
#define SEMD_ACTIVE 0.001

static int prepare(ss_engine *e, ss_core *c) {
    const int64_t n = c->n;
    const double h = e->dt;
    double *P = c->params;
    const double *cm = ROW(P, P_cm), *tm = ROW(P, P_tau_m), *tr = ROW(P, P_tau_refrac);
    const double *tse = ROW(P, P_tau_syn_E), *tse2 = ROW(P, P_tau_syn_E2);
    const double *tsi = ROW(P, P_tau_syn_I);
    for (int64_t i = 0; i < n; i++) {
        ROW(P, P__p22)[i] = exp(-h / tm[i]);
        ROW(P, P__p20)[i] = tm[i] / cm[i] * -expm1(-h / tm[i]);
        ROW(P, P__p21e2)[i] = ss_p21_exp(h, tm[i], tse2[i], cm[i]);
        ROW(P, P__p21i)[i] = ss_p21_exp(h, tm[i], tsi[i], cm[i]);
        ROW(P, P__p11e)[i] = exp(-h / tse[i]);
        ROW(P, P__p11e2)[i] = exp(-h / tse2[i]);
        ROW(P, P__p11i)[i] = exp(-h / tsi[i]);
        ROW(P, P__refrac_steps)[i] = ss_refrac_steps(tr[i], h);
    }
    return 0;
}

#define R const double *restrict
#define W double *restrict

static int64_t step(int64_t n, R v_rest, R i_off, R v_reset, R v_thresh, R scale, R p22, R p20,
                    R p21e2, R p21i, R p11e, R p11e2, R p11i, W v, W ie, W ie2, W ii, W mult,
                    W old, int32_t *restrict refr, W re, W ri, W re2, R ics) {
    int64_t above = 0;
    for (int64_t i = 0; i < n; i++) {
        const int active = ie2[i] >= SEMD_ACTIVE;
        if (!active)
            mult[i] = 0.0;
        else if (old[i] < SEMD_ACTIVE)
            mult[i] = ie[i]; /* the trigger's onset samples the facilitation */
        old[i] = ie2[i];
        const double I = i_off[i] + ics[i];
        const double vn = v_rest[i] + (v[i] - v_rest[i]) * p22[i] + p20[i] * I +
                          p21e2[i] * scale[i] * mult[i] * ie2[i] - p21i[i] * ii[i];
        const int32_t r = refr[i];
        v[i] = r > 0 ? v_reset[i] : vn;
        above += v[i] >= v_thresh[i];
        refr[i] = r > 0 ? r - 1 : 0;
        ie[i] = ie[i] * p11e[i] + re[i];
        ie2[i] = ie2[i] * p11e2[i] + re2[i];
        ii[i] = ii[i] * p11i[i] + ri[i];
        re[i] = 0.0;
        re2[i] = 0.0;
        ri[i] = 0.0;
    }
    return above;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params;
    double *S = c->state;
    double *re = ss_ring_now(c, m); /* rows: excitatory, inhibitory, excitatory2 */
    const int64_t above = step(
        n, ROW(P, P_v_rest), ROW(P, P_i_offset), ROW(P, P_v_reset), ROW(P, P_v_thresh),
        ROW(P, P_scaling_factor), ROW(P, P__p22), ROW(P, P__p20), ROW(P, P__p21e2),
        ROW(P, P__p21i), ROW(P, P__p11e), ROW(P, P__p11e2), ROW(P, P__p11i), ROW(S, S_v),
        ROW(S, S_isyn_exc), ROW(S, S_isyn_exc2), ROW(S, S_isyn_inh), ROW(S, S_multiplicator),
        ROW(S, S_exc2_old), c->refrac, re, re + n, re + 2 * n, c->i_cs);
    if (!above) return 0;
    return ss_threshold(c, ROW(S, S_v), ROW(P, P_v_thresh), ROW(P, P_v_reset),
                        ROW(P, P__refrac_steps), 1);
}

SS_DEFINE_MODEL("IF_curr_exp_sEMD", 0, prepare, update, 0);
