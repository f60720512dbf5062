/*
 * spinstream engine: the layout shared with Python (spinstream/board/_engine.py mirrors every
 * struct here field by field, in order; kernels_c/layout.c exports their sizes and offsets,
 * and the binding refuses an engine whose layout differs from its mirror).  C99 and POSIX
 * threads; no mutable globals (the cores run on several threads at once, threads.c); every
 * array is owned by Python (numpy) and only pointed to from these structs, except the thread
 * pool (ss_pool_create: its threads and each thread's copy of the rows).  The models are
 * described in kernels_c/model.h (docs/MODELS.md).
 *
 * Semantics: docs/ENGINE.md.  Step m advances t = m*dt -> (m+1)*dt.  A spike carries a
 * stamp s (time s*dt); through a synapse of delay d steps it lands in ring slot s + d - 1.
 */
#ifndef SPINSTREAM_ENGINE_H
#define SPINSTREAM_ENGINE_H

#include <stdint.h>

#define SS_PI 3.14159265358979323846
#define SS_E 2.71828182845904523536

#define SS_CAT_(a, b) a##b
#define SS_CAT(a, b) SS_CAT_(a, b)

/* Model ids: SS_MODEL_<name>, in the order of kernels_c/models/registry.h. */
enum ss_model {
#define SS_MODEL(m) SS_CAT(SS_MODEL_, m),
#include "models/registry.h"
#undef SS_MODEL
    SS_N_MODELS
};

enum ss_csrc_kind { SS_CS_DC = 0, SS_CS_AC = 1, SS_CS_STEP = 2, SS_CS_NOISY = 3 };

enum ss_block_format { SS_COMPACT = 0, SS_WIDE = 1, SS_PLASTIC = 2, SS_HALF = 3 };

/* Compact synapse (4 bytes): post index 12 bits | delay 11 bits | weight-table index 9 bits. */
#define SS_C_POST_BITS 12
#define SS_C_DELAY_BITS 11
#define SS_C_TAB_BITS 9
/* Wide synapse (8 bytes): post 16 | delay 14 | receptor 2, then a float32 weight. */
#define SS_W_POST_BITS 16
#define SS_W_DELAY_BITS 14
#define SS_W_REC_BITS 2
/* Half synapse (6 bytes): a segment's count float32 weights, then count 16-bit words
 * post 8 | delay 7 | receptor 1, two to a uint32 (the first in the low half). */
#define SS_H_POST_BITS 8
#define SS_H_DELAY_BITS 7
/* Plastic segment (kernels_c/plastic.c): header, segment id, then one wide-style word per
 * synapse (post | delay | receptor); weights and state live in ss_plastic (double). */

typedef struct ss_probe {
    int32_t var;      /* state row of the core's model */
    int32_t n;        /* number of recorded neurons */
    int32_t interval; /* steps between samples */
    int32_t pad;
    int32_t *index;   /* [n] neuron indices on the core */
    double *out;      /* [cap][n] samples */
    int64_t *out_stamp; /* [cap] */
    int64_t cap;
    int64_t count;    /* samples written (Python zeroes it before a run) */
} ss_probe;

typedef struct ss_core {
    int32_t model;
    int32_t n;           /* neurons on this core */
    int32_t n_receptors; /* ring rows per slot */
    int32_t ring_mask;   /* slots - 1 (slots is a power of two) */
    int64_t gid0;        /* global id of this core's neuron 0 (for the output buffer) */
    double *params;      /* [n_param_rows][n]: PyNN parameters then derived propagators */
    double *state;       /* [n_state_rows][n] */
    int32_t *refrac;     /* [n] remaining refractory steps */
    double *ring;        /* [slots][n_receptors][n] */
    double *i_cs;        /* [n] current-source input this step (nA) */
    uint8_t *spike_out;  /* [n] nonzero: spikes of this neuron are written to the output */
    int32_t *spikes;     /* [n] scratch: indices that spiked this step */
    /* scheduled spikes (SpikeSourceArray, SpikeInjector), sorted by stamp */
    int64_t *sched_stamp;
    int32_t *sched_index;
    int64_t sched_n;
    int64_t sched_pos;
    uint64_t rng[4]; /* xoshiro256** state */
    int32_t n_probes;
    int32_t pad;
    ss_probe *probes;
    int64_t packets_in; /* multicast packets that reached this core (routing check) */
    int64_t spikes_out; /* spikes this core emitted */
    const uint64_t *row_ptr; /* [n + 1] offsets of each neuron's synaptic row in rows */
    const uint32_t *rows;    /* segments: header (local block << 16 | count), then words */
    int32_t block0;          /* first outgoing block of this core */
    int32_t cs_active;  /* nonzero: some current source targets this core (i_cs is zeroed
                           and summed each step); i_cs is never NULL for neuron cores */
    int32_t uniform;    /* set by ss_prepare_core: every neuron has the same parameters */
    int32_t pad2;
} ss_core;

typedef struct ss_block { /* the synapses from one source core onto one target core */
    int32_t target;
    int32_t format;    /* SS_COMPACT, SS_WIDE (two uint32: post|delay|receptor, float32),
                          SS_HALF or SS_PLASTIC */
    double *wtab;      /* compact: weight table */
    int32_t *wrec;     /* compact: receptor of each table entry */
} ss_block;

typedef struct ss_csrc {
    int32_t kind;
    int32_t n_targets;
    int32_t *t_core;  /* [n_targets] */
    int32_t *t_index; /* [n_targets] */
    int64_t start;    /* first step with current */
    int64_t stop;     /* first step without current */
    double amplitude, offset, frequency, phase; /* dc/ac; phase in radians */
    double mean, stdev;                         /* noisy */
    int64_t interval;                           /* noisy: steps between draws */
    int64_t n_steps;  /* step source: number of changes */
    int64_t *step_at; /* [n_steps] step at which amplitude changes */
    double *step_amp; /* [n_steps] */
    int64_t pos;      /* step source cursor */
    double current;   /* step source current value */
    double *noise;    /* [n_targets] held noise values */
    uint64_t rng[4];
    /* recording: when rec is not NULL, each step appends the current of that step (nA),
     * averaged over the targets (noisy sources differ per target), while rec_n < rec_cap */
    double *rec;
    int64_t rec_cap;
    int64_t rec_n;
} ss_csrc;

typedef struct ss_engine {
    double dt;
    int64_t step;
    int32_t n_cores;
    int32_t n_blocks;
    ss_core *cores;
    ss_block *blocks;
    int32_t *route_ptr;    /* [n_cores + 1] into route_target/route_block */
    int32_t *route_target; /* target core of each route */
    int32_t *route_block;  /* block id of each route, -1 when it holds no synapse */
    int32_t n_csrc;
    int32_t pad;
    ss_csrc *csrc;
    int64_t *out_stamp; /* output spikes */
    int64_t *out_gid;
    int64_t out_cap;
    int64_t out_n;
    int64_t out_reserve; /* a step starts only when this much room is left */
    int64_t out_lost;    /* spikes that did not fit (never expected; reported by Python) */
    struct ss_plastic *plastic; /* synaptic plasticity (plastic.c); NULL when there is none */
    struct ss_pool *pool; /* the threads that run the cores (threads.c): ss_pool_create */
} ss_engine;

/* ---- synaptic plasticity (plastic.c; semantics in docs/ENGINE.md, "Plasticity") ---- */

enum ss_rule_kind {
    SS_STDP_ADDITIVE = 0,
    SS_STDP_MULTIPLICATIVE = 1,
    SS_TSODYKS_MARKRAM = 2,
    SS_STOCHASTIC = 3, /* each spike crosses each synapse with probability p_release */
    /* sPyNNaker's SpikeNearestPairRule (SS_STDP_NEAREST | the weight dependence): depression
     * by the latest postsynaptic spike alone, potentiation by the first postsynaptic spike
     * after a presynaptic one, paired with that presynaptic spike alone */
    SS_STDP_NEAREST = 4,
    SS_STDP_NEAREST_MULTIPLICATIVE = 5,
    SS_VOGELS = 6, /* Vogels et al. 2011 (NEST's vogels_sprekeler_synapse): eta = a_plus */
    SS_TRIPLET = 7 /* Pfister & Gerstner 2006 all-to-all triplet (NEST's stdp_triplet_synapse) */
};

typedef struct ss_rule { /* one plasticity rule; every synapse of a plastic block follows one */
    int32_t kind;
    int32_t pad;
    double tau_plus, tau_minus, a_plus, a_minus, w_min, w_max; /* STDP (ms, ms, 1, 1, w, w) */
    double u_use, tau_rec, tau_facil;                          /* Tsodyks-Markram (1, ms, ms) */
    double p_release;                                          /* stochastic: in [0, 1] */
    double alpha; /* Vogels 2011: depression per presynaptic spike, in units of eta (1) */
    double tau_x, a3_plus, a3_minus; /* triplet: presynaptic r2 time constant (ms), A3+, A3- */
    double *lut_plus; /* [512] exp(-k dt/tau_plus), k = 0..255, then the same for 256 k */
    double *lut_x;    /* [512] the same for tau_x (triplet rules only) */
} ss_rule;

typedef struct ss_post { /* STDP, postsynaptic side of one core: a spike history per neuron */
    int32_t n;        /* the core's neurons when STDP synapses reach it, else 0 */
    int32_t cap;      /* ring capacity per neuron (a power of two) */
    int32_t cap_max;  /* at this capacity the oldest entry is dropped instead of growing */
    int32_t d_max;    /* longest delay of the STDP synapses into the core (steps) */
    double tau_minus;
    double *lut_minus; /* [512] as lut_plus, for tau_minus */
    int64_t *t;        /* [n][cap] stamps of the neuron's spikes */
    double *k;         /* [n][cap] K-, the neuron's trace, just after each of them */
    int32_t *reads;    /* [n][cap] synapses that have paired with the entry */
    int32_t *head;     /* [n] ring position of the oldest entry */
    int32_t *len;      /* [n] entries */
    int32_t *n_in;     /* [n] STDP synapses into the neuron */
    /* the STDP synapses into each neuron (neuron i: col_ptr[i] .. col_ptr[i+1] - 1), to pair
     * an old history entry with the synapses that have not yet, before it is dropped */
    int64_t *col_ptr;  /* [n + 1] */
    int32_t *col_syn;  /* index of the synapse in pending */
    int32_t *col_seg;  /* its row segment */
    int32_t *col_dr;   /* its delay | rule << 16 */
    double tau_y;      /* triplet rules into the core: the o2 trace's time constant, else 0 */
    double *lut_y;     /* [512] as lut_minus, for tau_y */
    double *k2;        /* [n][cap] o2, the neuron's slow trace, just after each spike */
} ss_post;

typedef struct ss_pblock { /* plasticity of one block (indexed by global block id) */
    int32_t rule;      /* index into rules, -1: the block is not plastic */
    int32_t pad;
    const double *tau_syn[2]; /* Tsodyks-Markram: the target core's tau_syn_E / tau_syn_I
                                 rows (NULL: the model has none; the PSC limit tau -> 0) */
} ss_pblock;

typedef struct ss_plastic {
    int32_t n_rules;
    int32_t full;      /* set when a history ring filled up: ss_run stops before the next step */
    ss_rule *rules;
    ss_pblock *blocks; /* [n_blocks] */
    ss_post *post;     /* [n_cores] */
    int64_t *seg_syn;  /* [n_seg] index of the segment's first synapse in w */
    int64_t *seg_state;/* [n_seg] Tsodyks-Markram: index of its first synapse in tm_xy / 2;
                          STDP: 2 * index of its first synapse in pending, plus 1 when some
                          of its synapses have a pending change; stochastic: unused */
    double *seg_trace; /* [n_seg] STDP: K+ just after the last presynaptic spike; TM: u */
    int64_t *seg_last; /* [n_seg] stamp of the last presynaptic spike (0 before the first) */
    double *w;         /* [n_syn] weight of every plastic synapse (nA or uS, >= 0) */
    double *tm_xy;     /* [n_tm][2] Tsodyks-Markram x (recovered) and y (active) */
    double *pending;   /* [n_stdp] STDP: potentiation paired early, applied at the next
                          presynaptic spike (additive: a sum, 0; multiplicative: a factor
                          on w_max - w, 1), in the order of the STDP synapses in w */
    int64_t lost;      /* history entries dropped unread (rings at cap_max) */
    double *seg_trace2;/* [n_seg] triplet: r2 just after the last presynaptic spike */
} ss_plastic;

/* Check the rules and fill the exponential tables; 0 or a negative code. */
int ss_plastic_prepare(ss_engine *e);
/* Internal (plastic.c): one plastic segment of a row, and the postsynaptic spikes of a core. */
const uint32_t *ss_plastic_deliver(ss_engine *e, int32_t block, const uint32_t *p,
                                   uint32_t count, int64_t stamp);
void ss_plastic_post(ss_engine *e, int32_t core, const int32_t *idx, int32_t k, int64_t stamp);

/* Run up to n_steps; returns the steps run (fewer only when the output buffer needs room, or
 * a spike history is full), -1 when the engine has no pool (ss_pool_create), -2 in a child
 * process forked from the one that started the pool's threads (fork copies no thread). */
int64_t ss_run(ss_engine *e, int64_t n_steps);

/* ---- threads (threads.c): the cores on T threads, the same results for every T ----
 *
 * Each neuron core belongs to one thread, which updates it and is the only one to add into
 * its delay ring: every row of every source neuron is split by the owner of each segment's
 * target core into per-thread copies (the synapses live with the thread that computes their
 * targets).  A step has three phases: (1) the source cores draw their spikes (thread 0
 * applies the current sources first); (2) every thread delivers the sources' spikes into
 * its own cores, in core order, then updates its neuron cores; (3) every thread delivers the
 * neurons' spikes into its own cores, in core order, and samples its probes.  Barriers end
 * phases 2 and 3; phase 1 of the next step runs inside phase 3 once it is known to run.
 * So each core receives its inputs in the same order whatever the number of threads, and
 * each draws from its own generator. */
typedef struct ss_pool ss_pool;
/* Split the rows of e's cores among n_threads threads (1 <= n_threads) and start the
 * threads; NULL when memory or a thread is refused.  Call again after the rows change. */
ss_pool *ss_pool_create(ss_engine *e, int32_t n_threads);
void ss_pool_destroy(ss_pool *pool);
int32_t ss_pool_threads(const ss_pool *pool);
/* The thread that owns each core (out[n_cores]), for reports and tests. */
void ss_pool_owners(const ss_pool *pool, int32_t *out);
/* Load (rows.c): order[0, n) sorts the synapses by (row, minor), stably; 0 or -1. */
int ss_sort_rows(int64_t n, int64_t n_rows, const int64_t *row, const int64_t *minor,
                 int64_t *order);
/* Internal (engine.c / threads.c). */
int64_t ss_pool_run(ss_engine *e, ss_pool *pool, int64_t n_steps);
void ss_deliver_row(ss_engine *e, const ss_core *c, const uint32_t *p, const uint32_t *end,
                    int64_t stamp);
void ss_sample(ss_core *c, int64_t stamp);
int32_t ss_is_source(const ss_core *c);
/* Recompute a core's derived parameters after its PyNN parameters changed. */
int ss_prepare_core(ss_engine *e, int32_t core);
/* Restart the processes of some neurons of a random source core at the current step. */
void ss_restart_sources(ss_engine *e, int32_t core, const int32_t *index, int32_t n);
/* Seed a generator. */
void ss_seed(uint64_t *rng, uint64_t seed, uint64_t stream);

/* The models' descriptions, for Python (models.c; docs/MODELS.md).  kind 0: parameter rows
 * (PyNN parameters, then derived rows), kind 1: state rows (kinds 2, 3: below). */
int32_t ss_model_count(void);
const char *ss_model_name(int32_t model);
const char *ss_model_aliases(int32_t model);   /* other PyNN names, comma separated */
const char *ss_model_receptors(int32_t model); /* receptor names, comma separated */
/* composed models: "<neuron>+<response>" (else ""), and each receptor block's PyNN rows;
 * kind 2: a receptor block's parameter rows, kind 3: its state rows */
const char *ss_model_composition(int32_t model);
int32_t ss_model_n_receptor_pynn_params(int32_t model);
int32_t ss_model_n_pynn_params(int32_t model);
int32_t ss_model_n_rows(int32_t model, int32_t kind);
int32_t ss_model_n_receptors(int32_t model);
int32_t ss_model_is_source(int32_t model);
const char *ss_model_row_name(int32_t model, int32_t kind, int32_t row);
const char *ss_model_row_unit(int32_t model, int32_t kind, int32_t row);
int32_t ss_model_row_constraint(int32_t model, int32_t kind, int32_t row);
double ss_model_row_value(int32_t model, int32_t kind, int32_t row);
int32_t ss_abi_version(void);
/* The layout of the shared structs, for Python's check (layout.c): one line per struct,
 * "name size field:offset field:offset ...", written into buf when it fits in cap bytes;
 * returns the text's length. */
int64_t ss_layout(char *buf, int64_t cap);

/* Internal (models.c): the model of each core, dispatched through its description. */
int32_t ss_update_neurons(ss_engine *e, ss_core *c, int64_t m);
int32_t ss_update_sources(ss_engine *e, ss_core *c, int64_t m);
void ss_emit(ss_engine *e, ss_core *c, int32_t idx, int64_t stamp);
void ss_apply_current_sources(ss_engine *e, int64_t m);
uint64_t ss_next(uint64_t *s);
double ss_uniform(uint64_t *s);   /* (0, 1] */
double ss_normal(uint64_t *s);
double ss_exponential(uint64_t *s);

#endif
