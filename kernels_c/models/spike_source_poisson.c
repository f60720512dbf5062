/* SpikeSourcePoisson: a Poisson process per neuron (sources.c). */
#include "../model.h"

#define MODEL spike_source_poisson
#define PARAMS(X)                                                                            \
    X(rate, "Hz", SS_NON_NEGATIVE, 1.0)                                                      \
    X(start, "ms", SS_NON_NEGATIVE, 0.0)                                                     \
    X(duration, "ms", SS_NON_NEGATIVE_OR_INF, 1e10)
#define DERIVED(X) X(_lambda) X(_first) X(_last)
#define STATE(X) X(_next, "", 0.0)
#define RECEPTORS(X)
#include "../model_rows.h"

static const ss_source_rows rows = {P_rate, P_start, P_duration, P__lambda, P__first, P__last,
                                    -1, -1, -1, S__next};

static int prepare(ss_engine *e, ss_core *c) { return ss_source_prepare(e, c, &rows); }
static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    return ss_source_update(e, c, m, &rows);
}
static void restart(ss_engine *e, ss_core *c, const int32_t *index, int32_t k) {
    ss_source_restart(e, c, &rows, index, k);
}

SS_DEFINE_MODEL("SpikeSourcePoisson", 1, prepare, update, restart);
