/* SpikeSourceGamma: a gamma renewal process per neuron, shape alpha, rate beta (sources.c). */
#include "../model.h"

#define MODEL spike_source_gamma
#define PARAMS(X)                                                                            \
    X(alpha, "dimensionless", SS_POSITIVE, 2.0)                                              \
    X(beta, "Hz", SS_NON_NEGATIVE, 1.0)                                                      \
    X(start, "ms", SS_NON_NEGATIVE, 0.0)                                                     \
    X(duration, "ms", SS_NON_NEGATIVE_OR_INF, 1e10)
#define DERIVED(X) X(_lambda) X(_first) X(_last)
#define STATE(X) X(_next, "", 0.0)
#define RECEPTORS(X)
#include "../model_rows.h"

/* beta is the process's rate: alpha events of a Poisson process at rate beta per interval */
static const ss_source_rows rows = {P_beta, P_start, P_duration, P__lambda, P__first, P__last,
                                    P_alpha, -1, -1, S__next};

static int prepare(ss_engine *e, ss_core *c) { return ss_source_prepare(e, c, &rows); }
static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    return ss_source_update(e, c, m, &rows);
}
static void restart(ss_engine *e, ss_core *c, const int32_t *index, int32_t k) {
    ss_source_restart(e, c, &rows, index, k);
}

SS_DEFINE_MODEL("SpikeSourceGamma", 1, prepare, update, restart);
