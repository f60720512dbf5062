/* spinstream engine: the model table, derived from kernels_c/models/registry.h and each
 * model's own description (model.h): the dispatch, the constraint check, and the description
 * Python reads (spinstream/board/_engine.py). */
#include <math.h>

#include "model.h"

#define SS_MODEL(m) extern const ss_model_desc SS_DESC(m);
#include "models/registry.h"
#undef SS_MODEL

const ss_model_desc *const ss_models[SS_N_MODELS] = {
#define SS_MODEL(m) &SS_DESC(m),
#include "models/registry.h"
#undef SS_MODEL
};

static const ss_model_desc *desc(int32_t model) {
    return (model >= 0 && model < SS_N_MODELS) ? ss_models[model] : 0;
}

static const ss_row *row(int32_t model, int32_t kind, int32_t r) {
    const ss_model_desc *d = desc(model);
    if (!d || r < 0) return 0;
    if (kind == 0) return r < d->n_param_rows ? &d->params[r] : 0;
    if (kind == 1) return r < d->n_state_rows ? &d->state[r] : 0;
    if (kind == 2) return r < d->n_rparam_rows ? &d->rparams[r] : 0;
    if (kind == 3) return r < d->n_rstate_rows ? &d->rstate[r] : 0;
    return 0;
}

int32_t ss_model_count(void) { return SS_N_MODELS; }
const char *ss_model_name(int32_t model) { return desc(model) ? desc(model)->name : 0; }
const char *ss_model_aliases(int32_t model) { return desc(model) ? desc(model)->aliases : 0; }
const char *ss_model_receptors(int32_t model) {
    return desc(model) ? desc(model)->receptors : 0;
}
const char *ss_model_composition(int32_t model) {
    return desc(model) ? desc(model)->composition : 0;
}
int32_t ss_model_n_pynn_params(int32_t model) { return desc(model) ? desc(model)->n_pynn : -1; }
int32_t ss_model_n_receptor_pynn_params(int32_t model) {
    return desc(model) ? desc(model)->n_rpynn : -1;
}
int32_t ss_model_n_rows(int32_t model, int32_t kind) {
    const ss_model_desc *d = desc(model);
    if (!d) return -1;
    switch (kind) {
    case 0:
        return d->n_param_rows;
    case 1:
        return d->n_state_rows;
    case 2:
        return d->n_rparam_rows;
    case 3:
        return d->n_rstate_rows;
    default:
        return -1;
    }
}
int32_t ss_model_n_receptors(int32_t model) {
    return desc(model) ? desc(model)->n_receptors : -1;
}
int32_t ss_model_is_source(int32_t model) { return desc(model) ? desc(model)->is_source : -1; }
const char *ss_model_row_name(int32_t model, int32_t kind, int32_t r) {
    return row(model, kind, r) ? row(model, kind, r)->name : 0;
}
const char *ss_model_row_unit(int32_t model, int32_t kind, int32_t r) {
    return row(model, kind, r) ? row(model, kind, r)->unit : 0;
}
int32_t ss_model_row_constraint(int32_t model, int32_t kind, int32_t r) {
    return row(model, kind, r) ? row(model, kind, r)->constraint : -1;
}
double ss_model_row_value(int32_t model, int32_t kind, int32_t r) {
    return row(model, kind, r) ? row(model, kind, r)->value : NAN;
}

static int allowed(int32_t constraint, double x) {
    switch (constraint) {
    case SS_POSITIVE:
        return isfinite(x) && x > 0;
    case SS_NON_NEGATIVE:
        return isfinite(x) && x >= 0;
    case SS_NON_NEGATIVE_OR_INF:
        return x >= 0; /* NaN fails too */
    default:
        return isfinite(x);
    }
}

static void detect_uniform(ss_core *c, int32_t n_rows) {
    const int64_t n = c->n;
    c->uniform = 1;
    for (int32_t r = 0; r < n_rows && c->uniform; r++) {
        const double *p = ROW(c->params, r);
        for (int64_t i = 1; i < n; i++)
            if (p[i] != p[0]) {
                c->uniform = 0;
                break;
            }
    }
}

int ss_prepare_core(ss_engine *e, int32_t core) {
    if (core < 0 || core >= e->n_cores) return -1;
    ss_core *c = &e->cores[core];
    const ss_model_desc *d = desc(c->model);
    if (!d) return -2;
    const int64_t n = c->n;
    for (int32_t r = 0; r < d->n_pynn; r++) {
        const double *p = ROW(c->params, r);
        for (int64_t i = 0; i < n; i++)
            if (!allowed(d->params[r].constraint, p[i])) return SS_ERR_PARAM - r;
    }
    const int32_t blocks = d->n_rparam_rows ? c->n_receptors : 0; /* composed models */
    for (int32_t b = 0; b < blocks; b++)
        for (int32_t k = 0; k < d->n_rpynn; k++) {
            const int32_t r = d->n_param_rows + b * d->n_rparam_rows + k;
            const double *p = ROW(c->params, r);
            for (int64_t i = 0; i < n; i++)
                if (!allowed(d->rparams[k].constraint, p[i])) return SS_ERR_PARAM - r;
        }
    const int code = d->prepare(e, c);
    if (code == 0) detect_uniform(c, d->n_param_rows + blocks * d->n_rparam_rows);
    return code;
}

void ss_restart_sources(ss_engine *e, int32_t core, const int32_t *index, int32_t k) {
    if (core < 0 || core >= e->n_cores) return;
    ss_core *c = &e->cores[core];
    const ss_model_desc *d = desc(c->model);
    if (d && d->restart) d->restart(e, c, index, k);
}

int32_t ss_update_neurons(ss_engine *e, ss_core *c, int64_t m) {
    return ss_models[c->model]->update(e, c, m);
}

int32_t ss_update_sources(ss_engine *e, ss_core *c, int64_t m) {
    return ss_models[c->model]->update(e, c, m);
}
