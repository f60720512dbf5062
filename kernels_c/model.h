/*
 * spinstream engine: how a model describes itself (docs/MODELS.md).
 *
 * A model is one file in kernels_c/models/ plus one line in kernels_c/models/registry.h.  The
 * file declares its rows once, as X-macro lists, then includes "model_rows.h":
 *
 *     #define MODEL if_curr_exp                    (the C name; registry.h uses the same)
 *     #define PARAMS(X)  X(name, unit, constraint, default)   ... PyNN parameters
 *     #define DERIVED(X) X(name)                   ... rows ss_prepare_core computes
 *     #define STATE(X)   X(name, unit, initial)    ... state rows (hidden ones start with _)
 *     #define RECEPTORS(X) X(excitatory) X(inhibitory)
 *     #include "../model_rows.h"
 *
 * A composed model (PyNN's PointNeuron: one neuron, any number of receptors of one kind)
 * declares no RECEPTORS but a block of rows per receptor instead, and what it is made of:
 *
 *     #define COMPOSITION "AdExp+CondAlphaPostSynapticResponse"
 *     #define RECEPTOR_PARAMS(X)  X(name, unit, constraint, default)   (RP_<name>)
 *     #define RECEPTOR_DERIVED(X) X(name)                              (RP_<name>)
 *     #define RECEPTOR_STATE(X)   X(name, unit, initial)               (RS_<name>)
 *
 * A core of n_receptors receptors then has N_PARAM_ROWS + n_receptors * N_RPARAM_ROWS
 * parameter rows (receptor r's rows start at N_PARAM_ROWS + r * N_RPARAM_ROWS) and
 * N_STATE_ROWS + n_receptors * N_RSTATE_ROWS state rows.
 *
 * which gives the kernel named row constants (P_tau_m, S_v, ...; no row numbers in kernel
 * code), N_PARAM_ROWS and N_STATE_ROWS, and the description tables; the file ends with
 * SS_DEFINE_MODEL("PyNN name", is_source, prepare, update, restart).  The engine's model enum,
 * its name tables, its dispatch and the constraint table are all derived from these
 * (models.c); Python reads them back through ss_model_* (spinstream/board/_engine.py).
 */
#ifndef SPINSTREAM_MODEL_H
#define SPINSTREAM_MODEL_H

#include <math.h>
#include <stdint.h>

#include "engine.h"

/* What a parameter may be (checked by Python before a load and again by ss_prepare_core). */
enum ss_constraint {
    SS_ANY = 0,          /* any finite number */
    SS_POSITIVE = 1,     /* finite and > 0 */
    SS_NON_NEGATIVE = 2, /* finite and >= 0 */
    SS_NON_NEGATIVE_OR_INF = 3 /* >= 0, +inf allowed (a duration without end) */
};

typedef struct ss_row {
    const char *name; /* PyNN's name; derived and hidden rows start with '_' */
    const char *unit; /* PyNN's unit: mV, nF, ms, nA, uS, Hz, ... ("" when dimensionless) */
    int32_t constraint;
    int32_t pad;
    double value; /* PyNN default (parameters) or initial value (state) */
} ss_row;

typedef struct ss_model_desc {
    const char *name;      /* the PyNN cell type's name */
    const char *aliases;   /* other names of the same model, comma separated ("" if none) */
    const ss_row *params;  /* [n_param_rows]: PyNN parameters, then derived rows */
    int32_t n_pynn;        /* PyNN parameters among them */
    int32_t n_param_rows;
    const ss_row *state;   /* [n_state_rows] */
    int32_t n_state_rows;
    int32_t n_receptors;
    const char *receptors; /* receptor names, comma separated, in ring-row order */
    int32_t is_source;
    /* Composed models (PyNN's PointNeuron): any number of receptors, each with its own block
     * of rows after the fixed ones, laid out as receptor_params / receptor_state say; the
     * core's n_receptors gives how many.  0 rows for every other model. */
    int32_t n_rpynn;             /* PyNN parameters of each receptor block */
    const char *composition;     /* "<neuron>+<post-synaptic response>" (PyNN class names) */
    const ss_row *rparams;       /* [n_rparam_rows] rows of one receptor block */
    int32_t n_rparam_rows;
    int32_t n_rstate_rows;
    const ss_row *rstate;        /* [n_rstate_rows] */
    /* derived rows from the PyNN rows (the constraints are checked before): 0 or < 0 */
    int (*prepare)(ss_engine *e, ss_core *c);
    /* one step m of one core; returns how many neurons spiked (their indices in c->spikes);
     * sources deliver as they draw and return the number of spikes */
    int32_t (*update)(ss_engine *e, ss_core *c, int64_t m);
    /* random sources: restart the process of some neurons at the current step (or NULL) */
    void (*restart)(ss_engine *e, ss_core *c, const int32_t *index, int32_t n);
} ss_model_desc;

/* ss_prepare_core: a parameter outside its constraint returns SS_ERR_PARAM - row. */
#define SS_ERR_PARAM (-1000)
/* ... and a random source whose rate is too high for its dead time SS_ERR_RATE. */
#define SS_ERR_RATE (-11)

/* The models, indexed by enum ss_model (models.c). */
extern const ss_model_desc *const ss_models[SS_N_MODELS];

#define SS_DESC(model) SS_CAT(ss_model_, model)

/* Row r of a [rows][n] block. */
#define ROW(base, r) ((base) + (int64_t)(r) * n)

/* ---- helpers shared by the neuron kernels ---- */

/* (1 - exp(-x)) / x, accurate for small x. */
static inline double ss_phi1(double x) { return x == 0.0 ? 1.0 : -expm1(-x) / x; }

/* (exp(-x) - 1 + x) / x^2, accurate for small x. */
static inline double ss_phi2(double x) {
    if (fabs(x) < 1e-2) {
        const double x2 = x * x;
        return 0.5 - x / 6.0 + x2 / 24.0 - x2 * x / 120.0 + x2 * x2 / 720.0;
    }
    return (expm1(-x) + x) / (x * x);
}

/* Propagator from an exponentially decaying current (time constant ts) to v over h. */
static inline double ss_p21_exp(double h, double tm, double ts, double cm) {
    /* (1/cm) (e^{-h/ts} - e^{-h/tm}) / (1/tm - 1/ts) = (h/cm) e^{-h/ts} phi1(h (1/tm - 1/ts)) */
    return h / cm * exp(-h / ts) * ss_phi1(h * (1.0 / tm - 1.0 / ts));
}

/* Propagator from the derivative state y1 of an alpha current (y1' = -y1/ts, I' = y1 - I/ts)
 * to v over h. */
static inline double ss_p31_alpha(double h, double tm, double ts, double cm) {
    const double d = 1.0 / tm - 1.0 / ts;
    return h * h / cm * exp(-h / ts) * ss_phi2(h * d);
}

static inline int32_t ss_refrac_steps(double tau_refrac, double dt) {
    return (int32_t)floor(tau_refrac / dt + 0.5);
}

/* Threshold, reset and refractory start of the linear models; ps is 0 when the parameters are
 * one value for the whole core (c->uniform), else 1. */
static inline __attribute__((always_inline)) int32_t ss_threshold(ss_core *c, double *v,
                                                                 const double *thr,
                                                                 const double *reset,
                                                                 const double *rsteps,
                                                                 const int64_t ps) {
    const int64_t n = c->n;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        if (v[i] >= thr[i * ps]) {
            v[i] = reset[i * ps];
            c->refrac[i] = (int32_t)rsteps[i * ps];
            c->spikes[k++] = (int32_t)i;
        }
    }
    return k;
}

/* The input ring rows of step m: [n_receptors][n]. */
static inline double *ss_ring_now(ss_core *c, int64_t m) {
    return c->ring + ((m & c->ring_mask) * c->n_receptors) * c->n;
}

/* A beta-shaped conductance (PyNN's CondBeta): g(t) from g(0) = 0, dg(0) = 1, that is
 * (e^{-t/tr} - e^{-t/td}) / (1/td - 1/tr), written stably; and the factor that makes a
 * weight the conductance's peak (the alpha function's when tr == td). */
static inline double ss_beta_rise_to_g(double t, double tr, double td) {
    return t * exp(-t / td) * ss_phi1(t * (1.0 / tr - 1.0 / td));
}

static inline double ss_beta_normalisation(double tr, double td) {
    if (fabs(td - tr) < 1e-12 * td) return SS_E / td;
    const double t_peak = td * tr * log(td / tr) / (td - tr);
    return 1.0 / ss_beta_rise_to_g(t_peak, tr, td);
}

/* One step of a LIF membrane whose summed conductance is G[k] (uS) and summed g * e_syn is
 * GE[k] at 0, h/2 and h into the step (k = 0, 1, 2): the composed LIF conductance models.
 * In the refractory period v is held at v_reset; otherwise one RK4 step of
 * cm dv/dt = cm/tau_m (v_rest - v) + GE - G v + I (as IF_cond_*, conductance.c). */
static inline void ss_lif_cond_step(double h, double cm, double tau_m, double v_rest,
                                    double v_reset, double I, const double G[3],
                                    const double GE[3], double *v, int32_t *refrac) {
    if (*refrac > 0) {
        (*refrac)--;
        *v = v_reset;
        return;
    }
    const double gl = cm / tau_m, inv_c = 1.0 / cm;
    const double v0 = *v;
#define SS_LIF_F(vv, k) ((gl * (v_rest - (vv)) + GE[k] - G[k] * (vv) + I) * inv_c)
    const double k1 = SS_LIF_F(v0, 0);
    const double k2 = SS_LIF_F(v0 + 0.5 * h * k1, 1);
    const double k3 = SS_LIF_F(v0 + 0.5 * h * k2, 1);
    const double k4 = SS_LIF_F(v0 + h * k3, 2);
#undef SS_LIF_F
    *v = v0 + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
}

/* One step of AdEx (v, w) for a neuron whose summed conductance is G[k] (uS) and summed
 * g * e_rev is GE[k] at 0, h/2 and h into the step (k = 0, 1, 2): the composed AdEx models.
 * RK4 with v clamped at the threshold in the right-hand side, as EIF_cond_* (conductance.c);
 * the refractory branch holds v at v_reset and relaxes w.  Returns 1 for a spike (v reset,
 * w += b, the refractory count started). */
typedef struct ss_adex { /* one neuron's parameters */
    double cm, v_spike, v_reset, v_rest, tau_m, a, b, delta_T, tau_w, v_thresh, refrac_steps;
} ss_adex;

static inline int ss_adex_step(const ss_adex *p, double h, double I, const double G[3],
                               const double GE[3], double *v, double *w, int32_t *refrac) {
    const double gl = p->cm / p->tau_m, inv_c = 1.0 / p->cm, aa = p->a * 1e-3; /* nS -> uS */
    const double thr = p->delta_T > 0 ? p->v_spike : p->v_thresh;
    if (*refrac > 0) {
        (*refrac)--;
        *v = p->v_reset;
        const double w_inf = aa * (p->v_reset - p->v_rest); /* w relaxes, v held */
        *w = w_inf + (*w - w_inf) * exp(-h / p->tau_w);
    } else {
        const double v0 = *v, w0 = *w;
        double kv[4], kw[4];
        double vv = v0, ww = w0;
        for (int s = 0; s < 4; s++) {
            const int gk = s == 0 ? 0 : (s == 3 ? 2 : 1);
            const double vc = vv < thr ? vv : thr;
            double ex = 0.0;
            if (p->delta_T > 0) {
                double arg = (vc - p->v_thresh) / p->delta_T;
                if (arg > 50.0) arg = 50.0;
                ex = gl * p->delta_T * exp(arg);
            }
            kv[s] = (gl * (p->v_rest - vc) + ex + (GE[gk] - G[gk] * vc) - ww + I) * inv_c;
            kw[s] = (aa * (vc - p->v_rest) - ww) / p->tau_w;
            const double f = s < 2 ? 0.5 * h : h;
            if (s < 3) {
                vv = v0 + f * kv[s];
                ww = w0 + f * kw[s];
            }
        }
        *v = v0 + h / 6.0 * (kv[0] + 2.0 * kv[1] + 2.0 * kv[2] + kv[3]);
        *w = w0 + h / 6.0 * (kw[0] + 2.0 * kw[1] + 2.0 * kw[2] + kw[3]);
        if (!(*v < thr) || *v != *v) *v = thr; /* diverged past v_spike: a spike */
    }
    if (*v >= thr) {
        *v = p->v_reset;
        *w += p->b;
        *refrac = (int32_t)p->refrac_steps;
        return 1;
    }
    return 0;
}

/* ---- the conductance-based families (conductance.c), shared by their exp/alpha models ---- */

/* Rows of IF_cond_exp / IF_cond_alpha (alpha rows -1 for the exponential one). */
typedef struct ss_if_cond_rows {
    int32_t v_rest, cm, tau_m, e_rev_E, e_rev_I, v_thresh, v_reset, i_offset;
    int32_t p11e, p11i, h11e, h11i, refrac_steps, alpha_e, alpha_i;
    int32_t v, gsyn_exc, gsyn_inh, dg_exc, dg_inh;
} ss_if_cond_rows;
int32_t ss_update_if_cond(ss_core *c, int64_t m, double h, const ss_if_cond_rows *r);

/* Rows of EIF_cond_exp_isfa_ista / EIF_cond_alpha_isfa_ista. */
typedef struct ss_eif_rows {
    int32_t cm, v_spike, v_reset, v_rest, tau_m, i_offset, a, b, delta_T, tau_w, v_thresh;
    int32_t e_rev_E, e_rev_I, p11e, p11i, h11e, h11i, refrac_steps, alpha_e, alpha_i;
    int32_t v, w, gsyn_exc, gsyn_inh, dg_exc, dg_inh;
} ss_eif_rows;
int32_t ss_update_eif(ss_core *c, int64_t m, double h, const ss_eif_rows *r);

/* ---- the random spike sources (sources.c), shared by their models ---- */

/* Rows of a renewal-process source (-1: the model has none). */
typedef struct ss_source_rows {
    int32_t rate, start, duration, lambda, first, last;
    int32_t shape;      /* gamma: the shape alpha */
    int32_t tau_refrac; /* dead time (ms) */
    int32_t dead;       /* dead time (steps) */
    int32_t next;       /* state: stamp of the next event */
} ss_source_rows;
int ss_source_prepare(ss_engine *e, ss_core *c, const ss_source_rows *r);
int32_t ss_source_update(ss_engine *e, ss_core *c, int64_t m, const ss_source_rows *r);
void ss_source_restart(ss_engine *e, ss_core *c, const ss_source_rows *r, const int32_t *index,
                       int32_t k);

#endif
