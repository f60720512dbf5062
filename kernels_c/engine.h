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

#include <math.h>
#include <stdint.h>

#define SS_PI 3.14159265358979323846
#define SS_E 2.71828182845904523536

#define SS_CAT_(a, b) a##b
#define SS_CAT(a, b) SS_CAT_(a, b)

/* A pause in a spin-wait (threads.c's barriers, mpi.c's shared segment). */
static inline void ss_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Model ids: SS_MODEL_<name>, in the order of kernels_c/models/registry.h. */
enum ss_model {
#define SS_MODEL(m) SS_CAT(SS_MODEL_, m),
#include "models/registry.h"
#undef SS_MODEL
    SS_N_MODELS
};

enum ss_csrc_kind { SS_CS_DC = 0, SS_CS_AC = 1, SS_CS_STEP = 2, SS_CS_NOISY = 3 };

enum ss_block_format { SS_COMPACT = 0, SS_WIDE = 1, SS_PLASTIC = 2, SS_HALF = 3, SS_Q16 = 4 };

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
/* Q16 synapse (4 bytes, opt-in: weight_bits=16): one uint32, the low 16 bits a half word
 * (post | delay | receptor, as above), the high 16 bits q; weight = q * wtab[0], the block's
 * one scale (its largest |weight| / 65535, with the sign of all its weights). */
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
                          SS_HALF, SS_Q16 or SS_PLASTIC */
    double *wtab;      /* compact: weight table; Q16: wtab[0] is the scale */
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
    struct ss_structural *structural; /* structural plasticity (structural.c), or NULL */
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
    SS_TRIPLET = 7, /* Pfister & Gerstner 2006 all-to-all triplet (NEST's stdp_triplet_synapse) */
    /* sPyNNaker's Neuromodulation (kernels_c/dopamine.c): pair STDP drives an eligibility c
     * per synapse, dopamine D per target neuron, dw/dt = c D */
    SS_STDP_DOPAMINE = 8,
    SS_DOPAMINE_RELEASE = 9, /* reward (da = +1) or punishment (-1) synapses: D += da w */
    /* sPyNNaker's RecurrentRule (recurrent.c; SS_RECURRENT | the weight dependence): tau_plus
     * and tau_minus hold the mean pre- and postsynaptic window (ms), a3_plus
     * accumulator_potentiation, a3_minus accumulator_depression, alpha 1 for dual_fsm */
    SS_RECURRENT = 10,
    SS_RECURRENT_MULTIPLICATIVE = 11,
    /* sPyNNaker's StructuralMechanismStatic: fixed weights, each synapse present count times
     * (ss_structural.count); structural STDP synapses keep their STDP kind */
    SS_STRUCTURAL_STATIC = 12,
    /* sPyNNaker's WeightChangeable / WeightChanger (weight_change.c): a changeable synapse
     * transmits its weight w; a changer synapse k -> j adds its weight to that of the
     * changeable synapse k -> j (pending holds its index in w), clipped to [w_min, w_max] */
    SS_WEIGHT_CHANGEABLE = 14,
    SS_WEIGHT_CHANGER = 15
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
    /* dopamine (kinds 8, 9): eligibility and dopamine time constants (ms), the weight's
     * bounds (w_min, w_max above bound c), and the release's sign */
    double tau_c, tau_d, nm_w_min, nm_w_max, da;
    double *lut_c, *lut_d; /* [512] as lut_plus, for tau_c and tau_d (kind 8) */
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
    double *k2;        /* [n][cap] o2, the neuron's slow trace, just after each spike;
                          dopamine targets: D just after each entry */
    double tau_d;      /* dopamine-modulated STDP into the core: D's time constant, else 0 */
    double *lut_d;     /* [512] as lut_minus, for tau_d */
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
/* Internal (dopamine.c): the same for dopamine-modulated STDP and dopamine release. */
const uint32_t *ss_dopamine_deliver(ss_engine *e, const ss_rule *ru, ss_core *t, ss_post *po,
                                    const uint32_t *p, uint32_t count, int64_t stamp);
void ss_dopamine_post(ss_engine *e, ss_post *po, const int32_t *idx, int32_t k, int64_t stamp);
/* exp(-k dt/tau) for integer k >= 0 from a table of exp(-j dt/tau), j = 0..255, then of
 * exp(-256 j dt/tau) (plastic.c fills them): two lookups
 * (relative error below 3e-16). */
static inline double ss_decay(const double *lut, int64_t k, double dt, double tau) {
    if (k < 65536) return lut[k & 255] * lut[256 + (k >> 8)];
    return exp(-(double)k * dt / tau);
}

/* ---- structural plasticity (structural.c; docs/ENGINE.md, "Structural plasticity") ----
 *
 * A structural projection's synapses are every potential (pre, post) pair, stored as plastic
 * synapses whose `count` says how many synapses each stands for now (0: absent; more than 1:
 * with_replacement formed it again); delivery adds count * w.  Each post neuron has s_max
 * slots, each empty or holding one of those synapses; the rewiring of a target core runs on
 * the thread that owns it, from generators seeded per population and per core. */
typedef struct ss_sp_proj { /* one structural projection into a core */
    int32_t n_pre;     /* neurons of its pre population */
    int32_t lateral;   /* the pre population is the post population */
    int32_t grid_x, grid_y;
    double p_form, two_sigma2;      /* forward or lateral, as `lateral` says; 2 sigma^2 */
    double p_dep, p_pot, threshold; /* RandomByWeightElimination */
    double w_init;                  /* initial_weight (nA or uS, >= 0) */
    double pend_none;               /* STDP: the value of `pending` with nothing pending */
    int64_t *pair;      /* [n][n_pre] the candidate that a formation of (pre, post) uses */
    int32_t *row_n;     /* [n_pre] synapses from each pre neuron onto this core */
    uint16_t *pair_n;   /* [n][n_pre] synapses of each (post, pre) pair */
    int64_t elim_tries, eliminations, form_tries, formations; /* counters */
} ss_sp_proj;

typedef struct ss_sp_core { /* the rewiring of one target core */
    int32_t n;         /* the core's neurons; 0: no structural projection reaches the core */
    int32_t lo;        /* index of the core's neuron 0 in the post population */
    int32_t n_pop;     /* neurons of the post population */
    int32_t n_proj;    /* structural projections into the population (sPyNNaker: one s_max,
                          f_rew and with_replacement for all of them) */
    int32_t s_max;     /* slots per post neuron (its largest fan-in) */
    int32_t per_step;  /* > 0: attempts every step; 0: one attempt every `period` steps */
    int32_t period;
    int32_t partner;   /* 0: RandomSelection, 1: LastNeuronSelection */
    int32_t buf_cap;   /* LastNeuronSelection: spikes kept per step (spike_buffer_size) */
    int32_t replace;   /* with_replacement: a connected pair may be connected again */
    int32_t buf_n[2];  /* spikes in each buffer */
    int64_t buf_stamp[2]; /* stamp of the spikes in each buffer (-1: none) */
    uint64_t seed, shared_stream, local_stream; /* ss_structural_prepare seeds from these */
    uint64_t shared[4]; /* the same sequence on every core of the population: the post neuron */
    uint64_t local[4];  /* this core's: slot, partner, the rules' draws */
    ss_sp_proj *projs;  /* [n_proj] */
    int64_t *slot;      /* [n][s_max] candidate in each slot, -1: empty */
    int64_t *c_syn;     /* [n_cand] each candidate's plastic synapse (w, count) */
    int64_t *c_pend;    /* [n_cand] its STDP pending entry, -1: none */
    int32_t *c_pre;     /* [n_cand] its pre neuron */
    int32_t *c_proj;    /* [n_cand] its projection (index into projs) */
    int64_t *buf;       /* [2][buf_cap] projection << 32 | pre neuron of the last spikes, by
                           stamp parity */
    int64_t attempts;   /* rewiring attempts that chose a neuron of this core */
} ss_sp_core;

typedef struct ss_structural {
    int32_t n_cores;
    int32_t pad;
    ss_sp_core *cores; /* [n_cores] */
    uint16_t *count;   /* [n_syn] synapses each plastic synapse stands for (1 unless structural) */
    int32_t *seg_pre;  /* [n_seg] LastNeuronSelection: the pre neuron of a structural segment,
                          else -1 (NULL when no projection selects by last spikes) */
    int32_t *seg_proj; /* [n_seg] and its projection's index among its target's (projs) */
} ss_structural;

/* Check the parameters and seed the generators; 0 or a negative code. */
int ss_structural_prepare(ss_engine *e);
/* Internal: the rewiring of a core at step m (threads.c, on its owner), and a spike of pre
 * neuron `pre` of projection `proj` (stamp) reaching core `core` through a structural
 * segment (plastic.c). */
void ss_structural_step(ss_engine *e, int32_t core, int64_t m);
void ss_structural_spike(ss_engine *e, int32_t core, int32_t proj, int32_t pre, int64_t stamp);
/* Internal (recurrent.c): sPyNNaker's RecurrentRule on the same rows and spike histories. */
int ss_recurrent_check(const ss_rule *r); /* 1 for a valid recurrent rule, else 0 */
const uint32_t *ss_recurrent_deliver(ss_engine *e, const ss_rule *ru, ss_core *t, ss_post *po,
                                     const uint32_t *p, uint32_t count, int64_t stamp);
double ss_recurrent_entry(const ss_rule *ru, ss_core *c, double dt, int64_t prev_stamp);
void ss_recurrent_flush(ss_engine *e, const ss_rule *ru, ss_core *t, int32_t seg, int32_t syn,
                        int64_t d, int64_t te, double kte);
/* Internal (weight_change.c): sPyNNaker's WeightChangeable and WeightChanger synapses. */
const uint32_t *ss_weight_change_deliver(ss_engine *e, const ss_rule *ru, ss_core *t,
                                         const uint32_t *p, uint32_t count, int64_t stamp);
static inline int ss_recurrent(const ss_rule *r) {
    return r->kind == SS_RECURRENT || r->kind == SS_RECURRENT_MULTIPLICATIVE;
}

/* Run up to n_steps; returns the steps run (fewer only when the output buffer needs room, or
 * a spike history is full), -1 when the engine has no pool (ss_pool_create), -2 in a child
 * process forked from the one that started the pool's threads (fork copies no thread), -3
 * when an MPI exchange failed, -4 when the MPI ranks' digests differ (mpi.c). */
int64_t ss_run(ss_engine *e, int64_t n_steps);

/* ---- threads (threads.c): the cores on T threads, the same results for every T ----
 *
 * Each neuron core belongs to one thread, which updates it and is the only one to add into
 * its delay ring: every row of every source neuron is split by the owner of each segment's
 * target core into per-thread copies (the synapses live with the thread that computes their
 * targets).  The steps run in windows of L <= W steps, W the shortest delay of the rows
 * (at most SS_WINDOW_MAX; 1 with plastic synapses, structural plasticity, or current sources
 * on several threads).  In a window's first step every thread delivers the sources' spikes
 * (drawn before a barrier; thread 0 applied the current sources) into its own cores; then,
 * in each step, every thread draws its source cores and updates its neuron cores, keeping
 * each step's spike lists; after a barrier (and, over MPI, the ranks' exchange of the
 * window's lists) every thread delivers all of them into its own cores, step by step, each
 * step's sources then neurons, in core order: the order a window of one step gives.  No
 * spike arrives late, as each is at least W steps on its way.  So each core receives its
 * inputs in the same order whatever the number of threads, processes or the window, and
 * each draws from its own generator; a window costs two barriers, not two per step (one
 * in a lean run: run_part; three with plastic synapses, whose dopamine may fill a history
 * as it is delivered). */
#define SS_WINDOW_MAX 16
typedef struct ss_pool ss_pool;
/* Split the rows of e's cores among n_threads threads (1 <= n_threads) and start the
 * threads; NULL when memory or a thread is refused.  Call again after the rows change. */
ss_pool *ss_pool_create(ss_engine *e, int32_t n_threads);
void ss_pool_destroy(ss_pool *pool);
int32_t ss_pool_threads(const ss_pool *pool);
/* The longest window (steps) e runs in (1 where it must go one step at a time) and the
 * windows run so far, for reports and tests; a shorter longest window (w >= 1, at most the
 * rows' shortest delay, capped), which gives the same results: 0, or -1. */
int32_t ss_pool_window(const ss_pool *pool, const ss_engine *e);
int64_t ss_pool_windows(const ss_pool *pool);
/* 1: the threads read copies of the rows (the board may drop its own); 0: the board's. */
int32_t ss_pool_copied_rows(const ss_pool *pool);
int ss_pool_set_window(ss_pool *pool, int32_t w);
/* The part that owns each core (out[n_cores]: rank * T + thread), for reports and tests. */
void ss_pool_owners(const ss_pool *pool, int32_t *out);
/* ---- processes (mpi.c): the cores over K MPI processes, the same results for every K ----
 *
 * Rank r of K owns the parts r*T .. r*T + T - 1 of one assignment of the neuron cores to K*T
 * parts (T threads per rank, the same T on every rank); it keeps the synapses of its own
 * targets only, updates its own cores, and draws every source core itself (each has its own
 * generator, so every rank draws the same).  At the end of each window the ranks exchange
 * its spike lists (ss_xchg_window: one collective per window, once per shortest delay) and
 * each delivers all of them into its own cores in core order, as one process would.  MPI itself is reached through the function
 * addresses and handles Python passes to ss_comm_create (the engine does not link libmpi). */
typedef struct ss_comm ss_comm;
/* handle_bytes: 4 (MPICH's int handles) or 8 (Open MPI's pointers); comm and byte_type: the
 * handles of a communicator and of MPI_BYTE; allgather, allgatherv: MPI_Allgather and
 * MPI_Allgatherv.  NULL for bad arguments. */
ss_comm *ss_comm_create(int32_t rank, int32_t size, int32_t handle_bytes, int64_t comm,
                        int64_t byte_type, void *allgather, void *allgatherv);
void ss_comm_destroy(ss_comm *comm);
/* What this rank has applied (input, recordings), as a number that every rank must share
 * at every step (a run stops with -4 where they differ). */
void ss_comm_set_digest(ss_comm *comm, int64_t digest);
/* Rank 0 with lead = 1 makes every rank stop after the last step of each of its ss_run
 * calls (that is where its input goes in: Python forwards it to the others there);
 * ss_comm_take_stop tells (once) whether a run stopped for that. */
void ss_comm_set_lead(ss_comm *comm, int32_t lead);
int32_t ss_comm_take_stop(ss_comm *comm);
int32_t ss_comm_rank(const ss_comm *comm);
int32_t ss_comm_size(const ss_comm *comm);
/* Ranks on one node: the collectives of the exchange go through the segment at base that
 * every rank maps (MPI_Win_allocate_shared; rank r's region is rank_bytes from base +
 * r * rank_bytes, base and rank_bytes multiples of 64 bytes; every rank zeroes the first 64 bytes of its own
 * and the ranks meet before a run) instead of MPI_Allgather; a message wider than one of a
 * region's two buffers goes through MPI.  0, or -1 for a bad region.  ss_comm_shm: 1 when
 * it is in use. */
int ss_comm_set_shm(ss_comm *comm, void *base, int64_t rank_bytes);
int32_t ss_comm_shm(const ss_comm *comm);
/* out[0]: the windows' messages (collectives wider than an agreement's 8 bytes) that went
 * through the segment since ss_comm_create; out[1]: the collectives made through MPI
 * (MPI_Allgather and MPI_Allgatherv calls). */
void ss_comm_collectives(const ss_comm *comm, int64_t *out);
/* As ss_pool_create, for this rank's share of the cores (comm NULL: one process), with the
 * assignment of the cores given by the caller (owner: [n_cores] parts rank * T + thread, T
 * the threads clamped to the cores; NULL: assigned here from the rows).  A rank that built only its own targets' rows (decided before the
 * rows existed, alike on every rank) gives that assignment.  NULL when a neuron core's part
 * is not one of the K*T parts, or a source core's not one of this rank's. */
ss_pool *ss_pool_create_owned(ss_engine *e, int32_t n_threads, ss_comm *comm,
                              const int32_t *owner);
/* The assignment a pool of n_threads threads on rank `rank` of n_ranks makes, before any
 * engine or row exists: owner[n_cores] gets each core's part (rank * T + thread, T the
 * threads clamped to the cores), from each core's neurons, whether it is a source and the
 * synapses into it.  0, or -1 for bad arguments or refused memory. */
int ss_pool_assign(int32_t n_cores, const int64_t *core_n, const uint8_t *is_source,
                   const int64_t *syn_in, int32_t n_threads, int32_t rank, int32_t n_ranks,
                   int32_t *owner);
/* Internal (threads.c / mpi.c): one pool's exchange of spikes. */
typedef struct ss_xchg ss_xchg;
ss_xchg *ss_xchg_create(ss_comm *comm, const ss_engine *e, const int32_t *owner, int32_t T,
                        int32_t W);
void ss_xchg_destroy(ss_xchg *x);
int ss_xchg_prepare(ss_xchg *x, const ss_engine *e, int32_t W);
int ss_xchg_window(ss_xchg *x, ss_engine *e, int32_t *const *wspk, int64_t *wn, int32_t stride,
                   int32_t L, int64_t w0, int32_t *flags, int32_t prop, int32_t last);
int32_t ss_xchg_agreed(const ss_xchg *x);
int32_t ss_xchg_longest(const ss_xchg *x);
int ss_xchg_agree(ss_xchg *x, int32_t own, int32_t own_W, int32_t *L);
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
