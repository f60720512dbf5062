/* The step shared by sPyNNaker's Izhikevich_cond and Izhikevich_cond_dual (included by their
 * model files; not a model itself): Izhikevich's v and u by one RK4 step over h, the synaptic
 * conductances following their exact exponential course within the step; the current (nA)
 * enters Izhikevich's equation as a number, as in sPyNNaker (docs/ENGINE.md). */
#ifndef SPINSTREAM_IZHIKEVICH_COND_STEP_H
#define SPINSTREAM_IZHIKEVICH_COND_STEP_H

#include "../model.h"

/* Conductance current (nA) at a point of the step: g_k(t) (e_k - v) summed. */
static inline double ss_izk_isyn(double v, double ge, double ee, double gi, double ei) {
    return ge * (ee - v) + gi * (ei - v);
}

/* One step of neuron i: (v, u) advanced; ge/gi are the total excitatory / inhibitory
 * conductance at the start, middle and end of the step (index 0, 1, 2). */
static inline void ss_izk_cond_rk4(double h, double a, double b, double I, const double ge[3],
                                   double ee, const double gi[3], double ei, double *v,
                                   double *u) {
    const double v0 = *v, u0 = *u;
#define DV(vv, uu, k)                                                                        \
    (0.04 * (vv) * (vv) + 5.0 * (vv) + 140.0 - (uu) + I + ss_izk_isyn(vv, ge[k], ee, gi[k], ei))
#define DU(vv, uu) (a * (b * (vv) - (uu)))
    const double k1v = DV(v0, u0, 0), k1u = DU(v0, u0);
    const double v1 = v0 + 0.5 * h * k1v, u1 = u0 + 0.5 * h * k1u;
    const double k2v = DV(v1, u1, 1), k2u = DU(v1, u1);
    const double v2 = v0 + 0.5 * h * k2v, u2 = u0 + 0.5 * h * k2u;
    const double k3v = DV(v2, u2, 1), k3u = DU(v2, u2);
    const double v3 = v0 + h * k3v, u3 = u0 + h * k3u;
    const double k4v = DV(v3, u3, 2), k4u = DU(v3, u3);
#undef DV
#undef DU
    *v = v0 + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
    *u = u0 + h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
}

#endif
