/* SpikeSourceArray (and sPyNNaker's SpikeInjector): emits the stamps scheduled on its core
 * (c->sched_*, sorted by stamp), given before the run or live. */
#include "../model.h"

#define MODEL spike_source_array
#define ALIASES "SpikeInjector"
#define PARAMS(X)
#define DERIVED(X)
#define STATE(X)
#define RECEPTORS(X)
#include "../model_rows.h"

static int prepare(ss_engine *e, ss_core *c) { return 0; }

static int32_t update(ss_engine *e, ss_core *c, int64_t m) {
    int32_t k = 0;
    while (c->sched_pos < c->sched_n && c->sched_stamp[c->sched_pos] <= m + 1) {
        ss_emit(e, c, c->sched_index[c->sched_pos], c->sched_stamp[c->sched_pos]);
        c->sched_pos++;
        k++;
    }
    return k;
}

SS_DEFINE_MODEL("SpikeSourceArray", 1, prepare, update, 0);
