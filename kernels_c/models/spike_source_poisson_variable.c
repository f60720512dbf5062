/* SpikeSourcePoissonVariable (sPyNNaker extra model): a Poisson process per neuron whose rate
 * changes at given times.  Each neuron has SS_WINDOWS windows (rate_k Hz from start_k ms for
 * duration_k ms; duration 0: unused).  The window that started last (the highest index among
 * those whose start has passed) rules until its end; then the neuron is silent until a later
 * window starts.  With starts in increasing order, as the face requires, this is sPyNNaker's
 * rule (a window ends at its duration or at the next start, and never comes back) and, with
 * durations without end, NEST's inhomogeneous_poisson_generator.  Where the ruling window changes (and when
 * the process is restarted: load, reset, a parameter set) the process restarts with a fresh
 * draw from that boundary, exact for a Poisson process since it has no memory.  Draws come from
 * the core's generator (c->rng) in step order: the spikes depend on the seed, not on the
 * chunking.  The face (spinstream.spinnaker.extra_models) takes sPyNNaker's rates/starts/
 * durations lists and fills these rows. */
#include "../model.h"

#define MODEL spike_source_poisson_variable
#define SS_WINDOWS 32
#define WINDOW(X, k)                                                                         \
    X(rate_##k, "Hz", SS_NON_NEGATIVE, 0.0)                                                  \
    X(start_##k, "ms", SS_NON_NEGATIVE, 0.0)                                                 \
    X(duration_##k, "ms", SS_NON_NEGATIVE_OR_INF, 0.0)
#define PARAMS(X)                                                                            \
    WINDOW(X, 0) WINDOW(X, 1) WINDOW(X, 2) WINDOW(X, 3) WINDOW(X, 4) WINDOW(X, 5)            \
    WINDOW(X, 6) WINDOW(X, 7) WINDOW(X, 8) WINDOW(X, 9) WINDOW(X, 10) WINDOW(X, 11)          \
    WINDOW(X, 12) WINDOW(X, 13) WINDOW(X, 14) WINDOW(X, 15) WINDOW(X, 16) WINDOW(X, 17)      \
    WINDOW(X, 18) WINDOW(X, 19) WINDOW(X, 20) WINDOW(X, 21) WINDOW(X, 22) WINDOW(X, 23)      \
    WINDOW(X, 24) WINDOW(X, 25) WINDOW(X, 26) WINDOW(X, 27) WINDOW(X, 28) WINDOW(X, 29)      \
    WINDOW(X, 30) WINDOW(X, 31)
#define DERIVED(X)
/* _win: the ruling window (-1: none); _next: continuous time (steps) of the next event;
 * _check: the stamp from which the ruling window may change (recomputed there) */
#define STATE(X) X(_win, "", -1.0) X(_next, "", INFINITY) X(_check, "", 0.0)
#define RECEPTORS(X)
#include "../model_rows.h"

_Static_assert(P_rate_1 - P_rate_0 == 3 && P_rate_31 - P_rate_0 == 93 && P_start_0 == 1 &&
                   P_duration_0 == 2 && N_PARAM_ROWS == 3 * SS_WINDOWS,
               "window rows: rate, start, duration, window after window");

static int prepare(ss_engine *e, ss_core *c) { return 0; }

/* First and last stamp of window k of neuron i (as SpikeSourcePoisson: sources.c). */
static double first_stamp(const double *P, int64_t n, int64_t i, int k, double dt) {
    return floor(ROW(P, P_start_0 + 3 * k)[i] / dt + 1e-9) + 1.0;
}
static double last_stamp(const double *P, int64_t n, int64_t i, int k, double dt) {
    const double start = ROW(P, P_start_0 + 3 * k)[i], dur = ROW(P, P_duration_0 + 3 * k)[i];
    if (dur == 0.0) return -1.0; /* unused */
    return isinf(dur) ? INFINITY : floor((start + dur) / dt + 1e-9);
}

static double interval(ss_core *c, double lam) {
    return lam > 0.0 ? ss_exponential(c->rng) / lam : INFINITY;
}

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    const int64_t n = c->n;
    const double *P = c->params, dt = e->dt;
    double *win = ROW(c->state, S__win), *next = ROW(c->state, S__next);
    double *check = ROW(c->state, S__check);
    const double stamp = (double)(m + 1);
    int32_t spikes = 0;
    for (int64_t i = 0; i < n; i++) {
        if (stamp >= check[i]) {
            int ruling = -1; /* the window that started last rules until its end */
            double boundary = INFINITY;
            for (int k = 0; k < SS_WINDOWS; k++) {
                if (ROW(P, P_duration_0 + 3 * k)[i] == 0.0) continue; /* unused */
                const double f = first_stamp(P, n, i, k, dt);
                if (f <= stamp)
                    ruling = k;
                else if (f < boundary)
                    boundary = f;
            }
            if (ruling >= 0) {
                const double l = last_stamp(P, n, i, ruling, dt);
                if (stamp > l)
                    ruling = -1; /* ended: silent until a later window starts */
                else if (l + 1.0 < boundary)
                    boundary = l + 1.0;
            }
            check[i] = boundary;
            if (ruling != (int)win[i]) { /* a new rate from the start of this step */
                win[i] = ruling;
                next[i] = ruling < 0 ? INFINITY
                                     : stamp - 1.0 +
                                           interval(c, ROW(P, P_rate_0 + 3 * ruling)[i] * dt /
                                                           1000.0);
            }
        }
        if (win[i] < 0) continue;
        const double lam = ROW(P, P_rate_0 + 3 * (int)win[i])[i] * dt / 1000.0;
        while (next[i] <= stamp) {
            ss_emit(e, c, (int32_t)i, m + 1);
            spikes++;
            next[i] += interval(c, lam);
        }
    }
    return spikes;
}

static void restart(ss_engine *e, ss_core *c, const int32_t *index, int32_t k) {
    const int64_t n = c->n;
    for (int32_t j = 0; j < k; j++) {
        const int32_t i = index[j];
        if (i < 0 || i >= c->n) continue;
        ROW(c->state, S__win)[i] = -1.0;
        ROW(c->state, S__next)[i] = INFINITY;
        ROW(c->state, S__check)[i] = 0.0; /* recompute at the next step, fresh draw */
    }
}

SS_DEFINE_MODEL("SpikeSourcePoissonVariable", 1, prepare, update, restart);
