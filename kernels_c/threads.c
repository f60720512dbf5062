/* spinstream engine: the step loop on T threads (POSIX threads), the same results for every T.
 *
 * engine.h ("threads") states the scheme; docs/ENGINE.md ("Threads") the guarantees.  In
 * short: every core belongs to one thread; the synapses are copied, at set-up, into the
 * thread that owns their target core (a row of a source neuron becomes one row per thread,
 * each holding the segments whose targets that thread computes, in the row's order); a step
 * is three phases with two barriers (run_part), and in phases 2 and 3 each thread walks the
 * spikes of every core in core order, adding only into its own cores.  A core therefore receives its
 * inputs in one order, whatever the number of threads, and the floating-point sums in its
 * rings are the same bit for bit.  Random numbers: each source core and each stochastic
 * target core draws from its own generator, only on its owner's thread; the noisy current
 * sources draw on thread 0, in source order.  Nothing is allocated while steps run.
 * Over K MPI processes (mpi.c) the neuron cores are assigned to K*T parts (here, or by the
 * caller: ss_pool_create_owned), a rank keeps the parts rank*T .. rank*T + T - 1, and between phases 2 and 3 thread 0 exchanges the step's
 * spikes with the other ranks (one more barrier), so that phase 3 sees every core's spikes.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* A barrier wait spins briefly, then yields the core for up to SS_YIELD_NS, then sleeps.
 * Measured on a loaded 2-vCPU machine (CUBA-40k, 2 threads): long spinning (thousands of
 * pauses) made steps several times slower, as the spinning thread took the core from the
 * one it waited for; yielding did best; sleeping after a few yields (the waits between two
 * threads' halves of a step outlast them often) made CUBA-40k slower, and sleeping at once
 * as slow as one thread (benchmarks/RESULTS.md).  A thread that waits longer (between runs: Python
 * works, a controller thinks) sleeps.  Where the threads of the node's ranks outnumber the
 * CPUs this process may run on, it neither spins nor yields for long. */
#define SS_SPIN 64
#define SS_YIELD_NS 200000

typedef struct ss_barrier {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int32_t n;        /* threads that meet here */
    int32_t waiting;  /* arrived in this generation */
    uint32_t gen;
    int32_t sleepers; /* threads in (or on their way to) pthread_cond_wait */
    int32_t spin;
} ss_barrier;

static long usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The last thread to arrive opens the next generation and wakes the sleepers, if any: a
 * sleeper counts itself (seq_cst) before it reads the generation, and the last thread
 * writes the generation (seq_cst) before it reads the count, so either the sleeper sees
 * the new generation or the last thread sees the sleeper (and broadcasts under the mutex,
 * which the sleeper holds until pthread_cond_wait releases it). */
static void barrier_wait(ss_barrier *b) {
    const int32_t n = __atomic_load_n(&b->n, __ATOMIC_ACQUIRE);
    if (n <= 1) return;
    /* the generation cannot change before this thread arrives */
    const uint32_t gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->waiting, 1, __ATOMIC_ACQ_REL) == n) {
        __atomic_store_n(&b->waiting, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->gen, gen + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST)) {
            pthread_mutex_lock(&b->mu);
            pthread_cond_broadcast(&b->cv);
            pthread_mutex_unlock(&b->mu);
        }
        return;
    }
    for (int i = 0; i < b->spin; i++) {
        if (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) != gen) return;
        ss_cpu_relax();
    }
    /* where threads outnumber the CPUs, a few yields only: the others need the cores */
    const int64_t until = b->spin ? now_ns() + SS_YIELD_NS : 0;
    for (int i = 1;; i++) {
        if (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) != gen) return;
        sched_yield();
        if (i % 16 == 0 && now_ns() > until) break;
    }
    pthread_mutex_lock(&b->mu);
    __atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&b->gen, __ATOMIC_SEQ_CST) == gen) pthread_cond_wait(&b->cv, &b->mu);
    __atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&b->mu);
}

typedef struct ss_part { /* one thread's share */
    struct ss_pool *pool;
    int32_t id;
    int32_t n_src, n_neu;     /* its source and neuron cores, in core order */
    int32_t *src, *neu;
    const uint64_t **rp;      /* [n_cores]: offsets of each neuron's row of this core into
                                 rows[core] (NULL: none of the core's synapses are ours) */
    const uint32_t **rows;    /* [n_cores] */
    uint32_t *own_rows;       /* the copies (NULL with one thread: the board's rows) */
    uint64_t *own_ptr;
} ss_part;

struct ss_pool {
    int32_t n_threads, n_cores;
    int32_t rank, n_ranks;   /* this process's share: parts rank*T .. rank*T + T - 1 */
    int32_t *owner;          /* [n_cores] the part (rank * n_threads + thread) of each core */
    ss_xchg *xchg;           /* the spike exchange between ranks (NULL: one process) */
    int32_t failed;          /* 1: an exchange failed, 2: the ranks diverged (-3, -4) */
    int32_t xflags;          /* the exchange's flags of this window, ORed over the ranks */
    int32_t prop;            /* MPI: the steps this rank can run after this window (0: none) */
    ss_part *parts;          /* [n_threads] */
    int32_t n_src, n_neu;    /* every source and neuron core, in core order */
    int32_t *src, *neu;
    /* the window: up to W steps whose spikes are delivered together at its end (engine.h) */
    int32_t W;               /* the longest window (the rows' shortest delay, capped) */
    int32_t W_cap;           /* the steps a window's buffers hold */
    int32_t n_slots;         /* the steps the buffers below hold: two windows' (lean runs) */
    int32_t L;               /* steps of the window about to run (thread 0, before a barrier) */
    int64_t windows;         /* windows run since the pool started */
    int32_t **wspk;          /* [n_cores] n_slots lists of n entries: each step's spike list */
    int32_t *wspk_store;
    int64_t *wn;             /* [n_cores * n_slots] entries in each step's list */
    int64_t *wlo;            /* [n_cores * n_slots] scheduled sources: first entry of each step */
    int32_t **wcnt;          /* [n_cores] random sources: W_cap lists of counts (else NULL) */
    int32_t *cnt_store;
    int32_t **spikes0;       /* [n_cores] the cores' own spike lists, given back after a run */
    int64_t *emit_n;         /* [n_cores] ss_emit: entries so far in the step's list */
    int32_t **emit_cnt;      /* [n_cores] ss_emit: the step's counts (random sources) */
    int64_t *spikes_before;  /* [n_cores] spikes_out at the start of the run (packets_in) */
    uint8_t *out_any;        /* [n_cores] some neuron of the core is recorded */
    ss_barrier bar;
    pthread_t *threads;      /* [n_threads - 1] workers 1 .. n_threads - 1 */
    int32_t n_started;
    int32_t quit;
    pid_t pid;               /* the process that started the workers (fork keeps none) */
    /* the run: written by thread 0 before the start barrier, or before a phase barrier */
    ss_engine *e;
    int64_t n_steps;
    int64_t ran;
    int64_t out_mark;        /* out_n after the sources' output of a window's first step */
    int64_t out_start;       /* out_n when the run starts */
    int32_t lean;            /* this run needs one barrier per window (run_part) */
    int32_t copied;          /* the threads read copies of the rows, not the board's */
};

int32_t ss_pool_threads(const ss_pool *pool) { return pool ? pool->n_threads : 0; }

/* Current sources change every step on thread 0 (on one thread it applies them itself, step
 * by step), plasticity reads the step's post spikes: windows of one step. */
static int one_step_at_a_time(const ss_pool *pl, const ss_engine *e) {
    return (e->n_csrc && pl->n_threads > 1) || e->plastic || e->structural;
}

int32_t ss_pool_window(const ss_pool *pool, const ss_engine *e) {
    if (!pool) return 0;
    return one_step_at_a_time(pool, e) ? 1 : pool->W;
}

int64_t ss_pool_windows(const ss_pool *pool) { return pool ? pool->windows : 0; }

int32_t ss_pool_copied_rows(const ss_pool *pool) { return pool ? pool->copied : 0; }

int ss_pool_set_window(ss_pool *pool, int32_t w) {
    if (!pool || w < 1) return -1;
    pool->W = w < pool->W_cap ? w : pool->W_cap;
    return 0;
}

/* The thread of this rank that owns core ci, or -1 (another rank's core). */
static int32_t local_thread(const ss_pool *pl, int32_t ci) {
    const int32_t t = pl->owner[ci] - pl->rank * pl->n_threads;
    return t >= 0 && t < pl->n_threads ? t : -1;
}

void ss_pool_owners(const ss_pool *pool, int32_t *out) {
    for (int32_t c = 0; pool && c < pool->n_cores; c++) out[c] = pool->owner[c];
}

/* Step j of the window: its entry count, its spike list and (random sources) its counts. */
static inline int64_t *w_n(const ss_pool *pl, int32_t ci, int32_t j) {
    return pl->wn + (int64_t)ci * pl->n_slots + j;
}

static inline int32_t *w_spk(const ss_pool *pl, const ss_engine *e, int32_t ci, int32_t j) {
    return pl->wspk[ci] + (int64_t)j * e->cores[ci].n;
}

static inline int32_t *w_cnt(const ss_pool *pl, const ss_engine *e, int32_t ci, int32_t j) {
    return pl->wcnt[ci] + (int64_t)j * e->cores[ci].n;
}

/* Used by sources.c as they draw (on the source core's thread): a random source emits
 * stamp m + 1, neuron by neuron in index order, so its step is the list of neurons that
 * fired and how often; a scheduled source emits its entries sched_pos in order, which the
 * step loop notes as a range.  Delivery waits for the end of the window (or, in its first
 * step, for the barrier after the draws). */
void ss_emit(ss_engine *e, ss_core *c, int32_t idx, int64_t stamp) {
    (void)stamp;
    if (c->model == SS_MODEL_spike_source_array) return;
    ss_pool *pl = e->pool;
    const int32_t ci = (int32_t)(c - e->cores);
    const int64_t k = pl->emit_n[ci];
    int32_t *cnt = pl->emit_cnt[ci];
    if (k && c->spikes[k - 1] == idx) {
        cnt[k - 1]++;
    } else {
        c->spikes[k] = idx;
        cnt[k] = 1;
        pl->emit_n[ci] = k + 1;
    }
}

/* The steps the next window may run, from this rank's side: no more than the window, the
 * run's steps left, and the steps whose output surely fits (a step runs only when the output
 * has room for out_reserve more spikes, its most); 0 when none runs.  A full history is the
 * callers' to check, where every thread reads it alike: after a window's first barrier, not
 * at its end, where the deliveries of other threads (dopamine) may be filling one as the
 * next window's first step has been drawn already. */
static int32_t window_steps(const ss_pool *pl, const ss_engine *e, int64_t left, int64_t out_n) {
    if (left <= 0) return 0;
    int64_t L = ss_pool_window(pl, e);
    if (left < L) L = left;
    if (e->out_reserve > 0) {
        const int64_t fit = (e->out_cap - out_n) / e->out_reserve;
        if (fit < L) L = fit > 0 ? fit : 0;
    }
    return (int32_t)L;
}

static void row_of(const ss_part *me, int32_t ci, int32_t idx, const uint32_t **p,
                   const uint32_t **end) {
    const uint64_t *rp = me->rp[ci];
    *p = me->rows[ci] + rp[idx];
    *end = me->rows[ci] + rp[idx + 1];
}

/* The sources' spikes of step m (window step j) into this thread's cores. */
static void deliver_sources(ss_engine *e, ss_pool *pl, const ss_part *me, int64_t m, int32_t j) {
    for (int32_t s = 0; s < pl->n_src; s++) {
        const int32_t ci = pl->src[s];
        const int64_t k = *w_n(pl, ci, j);
        if (!k || !me->rp[ci]) continue;
        const ss_core *c = &e->cores[ci];
        const uint32_t *p, *end;
        if (c->model == SS_MODEL_spike_source_array) {
            const int64_t lo = pl->wlo[(int64_t)ci * pl->n_slots + j];
            for (int64_t i = lo; i < lo + k; i++) {
                row_of(me, ci, c->sched_index[i], &p, &end);
                if (p < end) ss_deliver_row(e, c, p, end, c->sched_stamp[i]);
            }
        } else {
            const int32_t *spk = w_spk(pl, e, ci, j), *cnt = w_cnt(pl, e, ci, j);
            for (int64_t i = 0; i < k; i++) {
                row_of(me, ci, spk[i], &p, &end);
                if (p < end)
                    for (int32_t r = 0; r < cnt[i]; r++) ss_deliver_row(e, c, p, end, m + 1);
            }
        }
    }
}

/* The neurons' spikes of step m (window step j, stamp m + 1) into this thread's cores. */
static void deliver_neurons(ss_engine *e, ss_pool *pl, const ss_part *me, int64_t m, int32_t j) {
    for (int32_t s = 0; s < pl->n_neu; s++) {
        const int32_t ci = pl->neu[s];
        const int64_t k = *w_n(pl, ci, j);
        if (!k || !me->rp[ci]) continue;
        const ss_core *c = &e->cores[ci];
        const int32_t *spk = w_spk(pl, e, ci, j);
        const uint32_t *q, *end;
        for (int64_t i = 0; i < k; i++) {
            row_of(me, ci, spk[i], &q, &end);
            if (q < end) ss_deliver_row(e, c, q, end, m + 1);
        }
    }
}

static void put_out(ss_engine *e, int64_t stamp, int64_t gid) {
    if (e->out_n < e->out_cap) {
        e->out_stamp[e->out_n] = stamp;
        e->out_gid[e->out_n] = gid;
        e->out_n++;
    } else {
        e->out_lost++;
    }
}

/* Thread 0: the sources' recorded spikes of step m (window step j) into the output buffer,
 * in core order; count (no writing) when out is 0. */
static int64_t source_output(ss_engine *e, ss_pool *pl, int64_t m, int32_t j, int out) {
    int64_t n = 0;
    for (int32_t s = 0; s < pl->n_src; s++) {
        const int32_t ci = pl->src[s];
        const int64_t k = *w_n(pl, ci, j);
        if (!k || !pl->out_any[ci]) continue;
        const ss_core *c = &e->cores[ci];
        if (c->model == SS_MODEL_spike_source_array) {
            const int64_t lo = pl->wlo[(int64_t)ci * pl->n_slots + j];
            for (int64_t i = lo; i < lo + k; i++)
                if (c->spike_out[c->sched_index[i]]) {
                    if (out) put_out(e, c->sched_stamp[i], c->gid0 + c->sched_index[i]);
                    n++;
                }
        } else {
            const int32_t *spk = w_spk(pl, e, ci, j), *cnt = w_cnt(pl, e, ci, j);
            for (int64_t i = 0; i < k; i++)
                if (c->spike_out[spk[i]])
                    for (int32_t r = 0; r < cnt[i]; r++) {
                        if (out) put_out(e, m + 1, c->gid0 + spk[i]);
                        n++;
                    }
        }
    }
    return n;
}

/* Thread 0: the neurons' recorded spikes of step m (window step j), in core order; count
 * (no writing) when out is 0. */
static int64_t neuron_output(ss_engine *e, ss_pool *pl, int64_t m, int32_t j, int out) {
    int64_t n = 0;
    for (int32_t s = 0; s < pl->n_neu; s++) {
        const int32_t ci = pl->neu[s];
        const int64_t k = *w_n(pl, ci, j);
        if (!k || !pl->out_any[ci]) continue;
        const ss_core *c = &e->cores[ci];
        const int32_t *spk = w_spk(pl, e, ci, j);
        for (int64_t i = 0; i < k; i++)
            if (c->spike_out[spk[i]]) {
                if (out) put_out(e, m + 1, c->gid0 + spk[i]);
                n++;
            }
    }
    return n;
}

/* This thread's source cores draw step m (stamp m + 1; and stamp 0, or any stamp <= m + 1
 * not yet sent, for scheduled spikes) into window step j's lists. */
static void draw_sources(ss_engine *e, ss_pool *pl, const ss_part *me, int64_t m, int32_t j) {
    for (int32_t s = 0; s < me->n_src; s++) {
        const int32_t ci = me->src[s];
        ss_core *c = &e->cores[ci];
        const int array = c->model == SS_MODEL_spike_source_array;
        const int64_t lo = c->sched_pos;
        if (!array) {
            c->spikes = w_spk(pl, e, ci, j);
            pl->emit_cnt[ci] = w_cnt(pl, e, ci, j);
        }
        pl->emit_n[ci] = 0;
        const int32_t k = ss_update_sources(e, c, m);
        pl->wlo[(int64_t)ci * pl->n_slots + j] = lo;
        *w_n(pl, ci, j) = array ? c->sched_pos - lo : pl->emit_n[ci];
        c->spikes_out += k;
    }
}

/* The step loop of thread p, a window of L steps at a time (engine.h, "threads"): the
 * window's first step delivers the sources' spikes drawn before it; then every step draws
 * this thread's sources and updates its neuron cores, keeping every spike list; at the end
 * of the window (a barrier, and the ranks' exchange) each thread delivers every list, step
 * by step and in core order, into its own cores: the order one step at a time would give,
 * and no spike is late, as every delay is at least L steps.  Phase 1 of the next window's
 * first step (its sources' draws) runs before the window's last barrier, once every thread
 * knows that it runs: each decides it alone, from values that no thread changes there (so
 * all decide alike), and a run that stops leaves the next step untouched.
 *
 * A lean run (one process, no source cores, no current sources, no plasticity) needs no
 * last barrier: nothing is drawn for the next window, every thread works out the next
 * window alone (from the output it predicts, which thread 0 then writes), and the windows
 * alternate between two sets of spike lists, so a thread that starts the next window
 * writes lists no other thread still reads (they read the other set until they reach the
 * next window's barrier).  One barrier per window. */
static void run_part(ss_pool *pl, int32_t p) {
    ss_engine *e = pl->e;
    const ss_part *me = &pl->parts[p];
    const int64_t n_steps = pl->n_steps, m0 = e->step;
    const int sources = pl->n_src > 0;
    const int lean = pl->lean;
    int64_t done = 0;
    int64_t out_now = pl->out_start; /* lean: the output so far, as thread 0 writes it */
    int32_t L = pl->L, J0 = 0;       /* J0: the window's first list (lean: each other set) */
    int go = L > 0;
    if (go) { /* phase 1 of the first step */
        if (p == 0 && e->n_csrc) ss_apply_current_sources(e, m0);
        if (sources) draw_sources(e, pl, me, m0, 0);
        if (sources || e->n_csrc) barrier_wait(&pl->bar);
    }
    while (go) {
        const int64_t w0 = m0 + done;
        for (int32_t j = 0; j < L; j++) {
            const int64_t m = w0 + j;
            if (j == 0) { /* the sources' spikes drawn before the window's barrier */
                if (p == 0) {
                    if (sources) source_output(e, pl, m, 0, 1);
                    pl->out_mark = e->out_n; /* read by every thread at the window's end */
                }
                if (sources) deliver_sources(e, pl, me, m, 0);
            } else {
                /* one thread (window_steps): no other reads i_cs now */
                if (p == 0 && e->n_csrc) ss_apply_current_sources(e, m);
                if (sources) draw_sources(e, pl, me, m, j);
            }
            for (int32_t s = 0; s < me->n_neu; s++) {
                const int32_t ci = me->neu[s];
                ss_core *c = &e->cores[ci];
                /* rewiring: this core's synapses, on its own thread, after this step's inputs */
                if (e->structural) ss_structural_step(e, ci, m);
                c->spikes = w_spk(pl, e, ci, J0 + j);
                const int32_t k = ss_update_neurons(e, c, m);
                *w_n(pl, ci, J0 + j) = k;
                c->spikes_out += k;
                if (k && e->plastic && e->plastic->post[ci].n)
                    ss_plastic_post(e, ci, c->spikes, k, m + 1);
            }
            /* samples, stamp m + 1: delivery changes only the rings, not the state */
            for (int32_t s = 0; s < me->n_neu; s++)
                if (e->cores[me->neu[s]].n_probes) ss_sample(&e->cores[me->neu[s]], m + 1);
            for (int32_t s = 0; s < me->n_src; s++)
                if (e->cores[me->src[s]].n_probes) ss_sample(&e->cores[me->src[s]], m + 1);
        }
        barrier_wait(&pl->bar);
        int full = e->plastic && __atomic_load_n(&e->plastic->full, __ATOMIC_ACQUIRE);
        int next;
        if (pl->xchg) { /* every rank's spikes of this window, and what each runs next */
            if (p == 0) {
                /* the output after this window is at most out_mark + L * out_reserve */
                const int64_t left = n_steps - done - L;
                pl->prop = full ? 0 : window_steps(pl, e, left, pl->out_mark + L * e->out_reserve);
                pl->xflags = full;
                const int rc = ss_xchg_window(pl->xchg, e, pl->wspk, pl->wn, pl->n_slots, L, w0,
                                              &pl->xflags, pl->prop, left == 0);
                if (rc) pl->failed = rc == 1 ? 2 : 1;
            }
            barrier_wait(&pl->bar);
            /* a full history anywhere, or rank 0's run ending here, stops every rank */
            next = pl->prop > 0 && !(pl->xflags & 3) && !pl->failed;
        } else {
            /* dopamine arriving in the deliveries below may fill a history: every thread
             * reads `full` before any delivers (no rank's exchange orders it here) */
            if (e->plastic && pl->n_threads > 1) barrier_wait(&pl->bar);
            next = done + L < n_steps && !full;
            if (next) { /* the output after this window: thread 0 writes it below */
                int64_t out_n = lean ? out_now : pl->out_mark;
                for (int32_t j = 0; j < L; j++)
                    out_n += (j ? source_output(e, pl, w0 + j, j, 0) : 0) +
                             neuron_output(e, pl, w0 + j, J0 + j, 0);
                next = e->out_cap - out_n >= e->out_reserve;
                out_now = out_n;
            }
        }
        /* every spike list of the window into this thread's rings, step by step */
        for (int32_t j = 0; j < L; j++) {
            if (j && sources) deliver_sources(e, pl, me, w0 + j, j);
            deliver_neurons(e, pl, me, w0 + j, J0 + j);
        }
        if (p == 0) {
            for (int32_t j = 0; j < L; j++) {
                if (j && sources) source_output(e, pl, w0 + j, j, 1);
                neuron_output(e, pl, w0 + j, J0 + j, 1);
            }
            e->step = w0 + L;
            pl->windows++;
            /* i_cs is read only while neurons step, which no thread does now */
            if (next && e->n_csrc) ss_apply_current_sources(e, w0 + L);
            if (next && !lean) { /* the next window */
                const int32_t own = window_steps(pl, e, n_steps - done - L, e->out_n);
                if (!pl->xchg) {
                    pl->L = own;
                } else if (ss_xchg_agreed(pl->xchg) > 0) { /* at most own: every proposal */
                    pl->L = ss_xchg_agreed(pl->xchg);  /* was at most what it can run */
                } else { /* a rank's run ended here: the ranks agree again */
                    const int rc = ss_xchg_agree(pl->xchg, own, pl->W, &pl->L);
                    if (rc) {
                        pl->failed = 1;
                        pl->L = 0;
                    }
                }
            }
        }
        done += L;
        if (lean) { /* no barrier: the next window writes the other set of lists */
            L = next ? window_steps(pl, e, n_steps - done, out_now) : 0;
            J0 = J0 ? 0 : pl->W_cap;
        } else {
            /* phase 1 of the next window's first step: the lists of step 0 were read above */
            if (next && sources) draw_sources(e, pl, me, w0 + L, 0);
            barrier_wait(&pl->bar);
            /* not read where the run ends: thread 0 may be writing the next run's already */
            L = next ? pl->L : 0;
        }
        go = next && L > 0;
    }
    /* lean: the last window's deliveries end before the run returns (Python may then read
     * or grow the rings) */
    if (lean && done) barrier_wait(&pl->bar);
    if (p == 0) pl->ran = done;
}

static void *worker(void *arg) {
    ss_part *me = (ss_part *)arg;
    ss_pool *pl = me->pool;
    for (;;) {
        barrier_wait(&pl->bar); /* the start of a run, or the end of the pool */
        if (__atomic_load_n(&pl->quit, __ATOMIC_ACQUIRE)) break;
        run_part(pl, me->id);
    }
    return NULL;
}

int64_t ss_pool_run(ss_engine *e, ss_pool *pl, int64_t n_steps) {
    if (n_steps <= 0) return 0;
    if (pl->n_cores != e->n_cores) return -1;
    if (pl->n_started && getpid() != pl->pid) return -2; /* a forked child: no workers */
    pl->e = e;
    pl->n_steps = n_steps;
    pl->ran = 0;
    pl->failed = 0;
    const int full = e->plastic && __atomic_load_n(&e->plastic->full, __ATOMIC_ACQUIRE);
    pl->L = full ? 0 : window_steps(pl, e, n_steps, e->out_n);
    if (!pl->L) return 0; /* no room for a step's output, or a history is full */
    pl->out_start = e->out_n;
    pl->lean = !pl->xchg && pl->n_threads > 1 && !pl->n_src && !e->n_csrc && !e->plastic &&
               !e->structural;
    if (pl->xchg) { /* every rank's window, then the messages' size for it (and the probes) */
        if (ss_xchg_agreed(pl->xchg) <= 0 && ss_xchg_agree(pl->xchg, pl->L, pl->W, &pl->L))
            return -3;
        const int32_t W = ss_xchg_longest(pl->xchg);
        if (W < 1 || ss_xchg_prepare(pl->xchg, e, W)) return -3;
        if (W < pl->W) pl->W = W;
    }
    for (int32_t ci = 0; ci < e->n_cores; ci++) {
        const ss_core *c = &e->cores[ci];
        uint8_t any = 0;
        for (int32_t i = 0; i < c->n && !any; i++) any = c->spike_out[i] != 0;
        pl->out_any[ci] = any;
        pl->spikes_before[ci] = c->spikes_out;
    }
    barrier_wait(&pl->bar); /* the workers start */
    run_part(pl, 0);
    for (int32_t ci = 0; ci < e->n_cores; ci++) e->cores[ci].spikes = pl->spikes0[ci];
    if (pl->failed) return pl->failed == 2 ? -4 : -3;
    /* routing check: every spike a core emitted reached each core its routes lead to */
    for (int32_t ci = 0; ci < e->n_cores; ci++) {
        const int64_t sent = e->cores[ci].spikes_out - pl->spikes_before[ci];
        if (!sent) continue;
        for (int32_t r = e->route_ptr[ci]; r < e->route_ptr[ci + 1]; r++)
            e->cores[e->route_target[r]].packets_in += sent;
    }
    return pl->ran;
}

/* ---------------------------------------------------------------- set-up */

/* Words of a segment after its header. */
static int64_t seg_words(const ss_engine *e, const ss_core *c, uint32_t head) {
    const uint32_t count = head & 0xFFFFu;
    const int32_t fmt = e->blocks[c->block0 + (int32_t)(head >> 16)].format;
    if (fmt == SS_COMPACT || fmt == SS_Q16) return count;
    if (fmt == SS_HALF) return count + (count + 1) / 2;
    if (fmt == SS_PLASTIC) return 1 + (int64_t)count;
    return 2 * (int64_t)count;
}

static int32_t seg_target(const ss_engine *e, const ss_core *c, uint32_t head) {
    return e->blocks[c->block0 + (int32_t)(head >> 16)].target;
}

static int has_rows(const ss_core *c) { return c->rows && c->row_ptr && c->n > 0; }

/* The cores of one kind (sources, or neuron cores) in runs of consecutive cores, each run of
 * about equal cost (a core goes to the part where the middle of its cost falls); part[ci]
 * for those cores; returns the costliest part's cost. */
static double runs_of_cores(int32_t n_cores, const double *cost, const uint8_t *is_source,
                            int src, int32_t n_parts, double *load, int32_t *part) {
    double total = 0.0, run = 0.0, most = 0.0;
    int32_t n = 0, used = 0, last = -1;
    for (int32_t ci = 0; ci < n_cores; ci++)
        if ((is_source[ci] != 0) == src) {
            total += cost[ci];
            n++;
        }
    for (int32_t t = 0; t < n_parts; t++) load[t] = 0.0;
    for (int32_t ci = 0; ci < n_cores; ci++) {
        if ((is_source[ci] != 0) != src) continue;
        int32_t t = total > 0.0 ? (int32_t)((run + cost[ci] / 2.0) / total * n_parts) : 0;
        if (t >= n_parts) t = n_parts - 1;
        run += cost[ci];
        part[ci] = t;
        load[t] += cost[ci];
        used += t != last;
        last = t;
    }
    for (int32_t t = 0; t < n_parts; t++)
        if (load[t] > most) most = load[t];
    /* a part without a core where there are cores enough: no (its thread would only wait) */
    return used < (n < n_parts ? n : n_parts) ? HUGE_VAL : most;
}

/* The assignment of the cores to threads.  A core's cost is its neurons plus a share of its
 * incoming synapses (which it adds up while spikes are delivered); sources are balanced on
 * their own, as their draws are a phase of their own.  Each kind goes in runs of
 * consecutive cores (runs_of_cores) unless that leaves a part without a core, or the
 * costliest part more than 5 % above the longest-processing-time assignment's (costliest core first, to the least
 * loaded part; ties to the lowest core and part), as with a few unequal cores.  Runs keep
 * the cores that one thread writes at every step (ss_core's spike pointer and counter, the
 * spike counts of the window) apart from another's: interleaved, neighbouring cores shared
 * cache lines that the two threads took from each other at every step (CUBA-40k on 2
 * threads: benchmarks/RESULTS.md).  Deterministic (the results do not depend on it anyway).
 * Over K ranks: the neuron cores go to K*T parts, alike on every rank; the sources (which
 * every rank draws) to this rank's T threads.  T here is already clamped to the cores. */
static int assign_parts(int32_t n_cores, const int64_t *core_n, const uint8_t *is_source,
                        const int64_t *syn_in, int32_t T, int32_t rank, int32_t n_ranks,
                        int32_t *owner) {
    const int32_t P = T * n_ranks;
    double *cost = (double *)calloc((size_t)n_cores + 1, sizeof(double));
    double *load = (double *)calloc((size_t)P + (size_t)T, sizeof(double));
    int32_t *order = (int32_t *)malloc(((size_t)n_cores + 1) * sizeof(int32_t));
    int32_t *run = (int32_t *)malloc(((size_t)n_cores + 1) * sizeof(int32_t));
    if (!cost || !load || !order || !run) {
        free(cost);
        free(load);
        free(order);
        free(run);
        return -1;
    }
    for (int32_t ci = 0; ci < n_cores; ci++) {
        cost[ci] = (double)core_n[ci] + (double)syn_in[ci] / 64.0;
        order[ci] = ci;
    }
    /* insertion sort by cost, descending, stable: a few thousand cores at most */
    for (int32_t i = 1; i < n_cores; i++) {
        const int32_t v = order[i];
        int32_t j = i - 1;
        while (j >= 0 && cost[order[j]] < cost[v]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
    for (int32_t i = 0; i < n_cores; i++) {
        const int32_t ci = order[i];
        const int src = is_source[ci] != 0;
        double *ld = load + (src ? P : 0);
        const int32_t n_parts = src ? T : P;
        int32_t best = 0;
        for (int32_t t = 1; t < n_parts; t++)
            if (ld[t] < ld[best]) best = t;
        ld[best] += cost[ci];
        owner[ci] = src ? rank * T + best : best;
    }
    for (int src = 0; src < 2; src++) {
        const int32_t n_parts = src ? T : P;
        const double *ld = load + (src ? P : 0);
        double lpt = 0.0;
        for (int32_t t = 0; t < n_parts; t++)
            if (ld[t] > lpt) lpt = ld[t];
        if (runs_of_cores(n_cores, cost, is_source, src, n_parts, load + (src ? P : 0), run) >
            1.05 * lpt)
            continue;
        for (int32_t ci = 0; ci < n_cores; ci++)
            if ((is_source[ci] != 0) == src) owner[ci] = src ? rank * T + run[ci] : run[ci];
    }
    free(cost);
    free(load);
    free(order);
    free(run);
    return 0;
}

/* The threads a pool of n_threads runs on n_cores cores: a thread without a core would only
 * wait. */
static int32_t pool_threads(int32_t n_threads, int32_t n_cores) {
    return n_threads > n_cores ? (n_cores > 0 ? n_cores : 1) : n_threads;
}

int ss_pool_assign(int32_t n_cores, const int64_t *core_n, const uint8_t *is_source,
                   const int64_t *syn_in, int32_t n_threads, int32_t rank, int32_t n_ranks,
                   int32_t *owner) {
    if (n_cores < 0 || n_threads < 1 || n_threads > 1024 || n_ranks < 1 || rank < 0 ||
        rank >= n_ranks)
        return -1;
    return assign_parts(n_cores, core_n, is_source, syn_in, pool_threads(n_threads, n_cores),
                        rank, n_ranks, owner);
}

static int assign(ss_pool *pl, const ss_engine *e, const int64_t *syn_in) {
    const int32_t n_cores = e->n_cores;
    int64_t *n = (int64_t *)calloc((size_t)n_cores + 1, sizeof(int64_t));
    uint8_t *src = (uint8_t *)calloc((size_t)n_cores + 1, 1);
    int rc = -1;
    if (n && src) {
        for (int32_t ci = 0; ci < n_cores; ci++) {
            n[ci] = e->cores[ci].n;
            src[ci] = (uint8_t)(ss_is_source(&e->cores[ci]) != 0);
        }
        rc = assign_parts(n_cores, n, src, syn_in, pl->n_threads, pl->rank, pl->n_ranks,
                          pl->owner);
    }
    free(n);
    free(src);
    return rc;
}

/* One thread whose rank computes every target of the rows (one process, or a rank that
 * built its own targets' rows alone) reads the board's rows as they are: no copy. */
static int rows_all_local(const ss_pool *pl, const ss_engine *e) {
    if (pl->n_threads != 1) return 0;
    if (pl->n_ranks == 1) return 1;
    for (int32_t ci = 0; ci < e->n_cores; ci++) {
        const ss_core *c = &e->cores[ci];
        if (!has_rows(c)) continue;
        const uint32_t *p = c->rows + c->row_ptr[0], *end = c->rows + c->row_ptr[c->n];
        for (; p < end; p += 1 + seg_words(e, c, *p))
            if (local_thread(pl, seg_target(e, c, *p)) < 0) return 0;
    }
    return 1;
}

static int split_rows(ss_pool *pl, const ss_engine *e, int shared) {
    const int32_t n_cores = e->n_cores, T = pl->n_threads;
    if (shared) { /* one thread reads the board's rows as they are */
        for (int32_t ci = 0; ci < n_cores; ci++) {
            const ss_core *c = &e->cores[ci];
            if (!has_rows(c) || c->row_ptr[c->n] == c->row_ptr[0]) continue;
            pl->parts[0].rp[ci] = c->row_ptr;
            pl->parts[0].rows[ci] = c->rows;
        }
        return 0;
    }
    /* words of each core's rows that go to each thread */
    int64_t *words = (int64_t *)calloc((size_t)T * (size_t)n_cores + 1, sizeof(int64_t));
    int64_t *cur = (int64_t *)calloc((size_t)T + 1, sizeof(int64_t));
    int64_t *start = (int64_t *)calloc((size_t)T + 1, sizeof(int64_t));
    if (!words || !cur || !start) {
        free(words);
        free(cur);
        free(start);
        return -1;
    }
    for (int32_t ci = 0; ci < n_cores; ci++) {
        const ss_core *c = &e->cores[ci];
        if (!has_rows(c)) continue;
        const uint32_t *p = c->rows + c->row_ptr[0], *end = c->rows + c->row_ptr[c->n];
        while (p < end) {
            const int64_t len = 1 + seg_words(e, c, *p);
            const int32_t t = local_thread(pl, seg_target(e, c, *p));
            if (t >= 0) words[(int64_t)t * n_cores + ci] += len;
            p += len;
        }
    }
    int rc = 0;
    for (int32_t t = 0; t < T && !rc; t++) {
        int64_t n_words = 0;
        for (int32_t ci = 0; ci < n_cores; ci++) n_words += words[(int64_t)t * n_cores + ci];
        pl->parts[t].own_rows = (uint32_t *)malloc((size_t)(n_words + 1) * sizeof(uint32_t));
        if (!pl->parts[t].own_rows) rc = -1;
    }
    for (int32_t ci = 0; ci < n_cores && !rc; ci++) {
        const ss_core *c = &e->cores[ci];
        if (!has_rows(c)) continue;
        /* this core's rows start at word cur[t] of thread t's copy */
        for (int32_t t = 0; t < T; t++) {
            if (!words[(int64_t)t * n_cores + ci]) continue;
            pl->parts[t].rows[ci] = pl->parts[t].own_rows + cur[t];
            start[t] = cur[t];
        }
        for (int32_t i = 0; i < c->n; i++) {
            for (int32_t t = 0; t < T; t++)
                if (words[(int64_t)t * n_cores + ci])
                    ((uint64_t *)pl->parts[t].rp[ci])[i] = (uint64_t)(cur[t] - start[t]);
            const uint32_t *p = c->rows + c->row_ptr[i], *end = c->rows + c->row_ptr[i + 1];
            while (p < end) {
                const int64_t len = 1 + seg_words(e, c, *p);
                const int32_t t = local_thread(pl, seg_target(e, c, *p));
                if (t >= 0) { /* another rank's targets: not kept here */
                    memcpy(pl->parts[t].own_rows + cur[t], p, (size_t)len * sizeof(uint32_t));
                    cur[t] += len;
                }
                p += len;
            }
        }
        for (int32_t t = 0; t < T; t++)
            if (words[(int64_t)t * n_cores + ci])
                ((uint64_t *)pl->parts[t].rp[ci])[c->n] = (uint64_t)(cur[t] - start[t]);
    }
    free(words);
    free(cur);
    free(start);
    return rc;
}

/* The shortest delay (steps) of the synapses in the board's rows, at most cap: the longest
 * window (1 where any segment is plastic: a plastic synapse learns as each spike arrives). */
static int32_t shortest_delay(const ss_engine *e, int32_t cap) {
    int32_t d = cap;
    for (int32_t ci = 0; ci < e->n_cores && d > 1; ci++) {
        const ss_core *c = &e->cores[ci];
        if (!has_rows(c)) continue;
        const uint32_t *p = c->rows + c->row_ptr[0], *end = c->rows + c->row_ptr[c->n];
        while (p < end && d > 1) {
            const uint32_t head = *p;
            const uint32_t count = head & 0xFFFFu;
            const int32_t fmt = e->blocks[c->block0 + (int32_t)(head >> 16)].format;
            const uint32_t *w = p + 1;
            for (uint32_t k = 0; k < count && d > 1; k++) {
                uint32_t delay;
                if (fmt == SS_COMPACT) {
                    delay = (w[k] >> SS_C_POST_BITS) & ((1u << SS_C_DELAY_BITS) - 1u);
                } else if (fmt == SS_HALF) {
                    uint16_t h;
                    memcpy(&h, (const unsigned char *)(w + count) + 2 * k, sizeof h);
                    delay = (h >> SS_H_POST_BITS) & ((1u << SS_H_DELAY_BITS) - 1u);
                } else if (fmt == SS_Q16) {
                    delay = (w[k] >> SS_H_POST_BITS) & ((1u << SS_H_DELAY_BITS) - 1u);
                } else if (fmt == SS_PLASTIC) {
                    delay = 1;
                } else {
                    delay = (w[2 * k] >> SS_W_POST_BITS) & ((1u << SS_W_DELAY_BITS) - 1u);
                }
                if ((int32_t)delay < d) d = delay > 1 ? (int32_t)delay : 1;
            }
            p += 1 + seg_words(e, c, head);
        }
    }
    return d;
}

void ss_pool_destroy(ss_pool *pl) {
    if (!pl) return;
    if (pl->n_started && getpid() == pl->pid) {
        __atomic_store_n(&pl->quit, 1, __ATOMIC_RELEASE);
        barrier_wait(&pl->bar);
        for (int32_t t = 0; t < pl->n_started; t++) pthread_join(pl->threads[t], NULL);
    }
    pthread_mutex_destroy(&pl->bar.mu);
    pthread_cond_destroy(&pl->bar.cv);
    for (int32_t t = 0; pl->parts && t < pl->n_threads; t++) {
        ss_part *me = &pl->parts[t];
        free(me->src);
        free(me->neu);
        free((void *)me->rp);
        free((void *)me->rows);
        free(me->own_rows);
        free(me->own_ptr);
    }
    free(pl->parts);
    ss_xchg_destroy(pl->xchg);
    free(pl->owner);
    free(pl->src);
    free(pl->neu);
    free(pl->emit_n);
    free((void *)pl->emit_cnt);
    free((void *)pl->wspk);
    free(pl->wspk_store);
    free(pl->wn);
    free(pl->wlo);
    free((void *)pl->wcnt);
    free(pl->cnt_store);
    free((void *)pl->spikes0);
    free(pl->spikes_before);
    free(pl->out_any);
    free(pl->threads);
    free(pl);
}

ss_pool *ss_pool_create(ss_engine *e, int32_t n_threads) {
    return ss_pool_create_owned(e, n_threads, NULL, NULL);
}

ss_pool *ss_pool_create_owned(ss_engine *e, int32_t n_threads, ss_comm *comm,
                              const int32_t *owner) {
    if (n_threads < 1 || n_threads > 1024 || e->n_cores < 0) return NULL;
    const int32_t n_cores = e->n_cores;
    const int32_t T = pool_threads(n_threads, n_cores);
    ss_pool *pl = (ss_pool *)calloc(1, sizeof(ss_pool));
    if (!pl) return NULL;
    pl->n_threads = T;
    pl->n_cores = n_cores;
    pl->rank = ss_comm_rank(comm);
    pl->n_ranks = ss_comm_size(comm);
    pl->pid = getpid();
    pthread_mutex_init(&pl->bar.mu, NULL);
    pthread_cond_init(&pl->bar.cv, NULL);
    pl->bar.n = 1; /* until the workers exist */
    /* the CPUs this process may run on, shared with the other ranks of its node (all of
     * them, where they share a segment: kernels_c/mpi.c) */
    const long cpus = usable_cpus();
    const long on_node = ss_comm_shm(comm) ? (long)ss_comm_size(comm) : 1;
    pl->bar.spin = cpus > 0 && (long)T * on_node > cpus ? 0 : SS_SPIN;
    const size_t nc = (size_t)n_cores + 1;
    pl->owner = (int32_t *)calloc(nc, sizeof(int32_t));
    pl->src = (int32_t *)calloc(nc, sizeof(int32_t));
    pl->neu = (int32_t *)calloc(nc, sizeof(int32_t));
    /* the window: the rows' shortest delay; the buffers hold the longest window */
    pl->W = pl->W_cap = shortest_delay(e, SS_WINDOW_MAX);
    pl->n_slots = 2 * pl->W_cap;
    const size_t W = (size_t)pl->n_slots;
    int64_t n_all = 0;
    for (int32_t ci = 0; ci < n_cores; ci++) n_all += e->cores[ci].n;
    pl->emit_n = (int64_t *)calloc(nc, sizeof(int64_t));
    pl->emit_cnt = (int32_t **)calloc(nc, sizeof(int32_t *));
    pl->wspk = (int32_t **)calloc(nc, sizeof(int32_t *));
    pl->wspk_store = (int32_t *)calloc((size_t)n_all * W + 1, sizeof(int32_t));
    pl->wn = (int64_t *)calloc(nc * W, sizeof(int64_t));
    pl->wlo = (int64_t *)calloc(nc * W, sizeof(int64_t));
    pl->wcnt = (int32_t **)calloc(nc, sizeof(int32_t *));
    pl->spikes0 = (int32_t **)calloc(nc, sizeof(int32_t *));
    pl->spikes_before = (int64_t *)calloc(nc, sizeof(int64_t));
    pl->out_any = (uint8_t *)calloc(nc, 1);
    pl->parts = (ss_part *)calloc((size_t)T, sizeof(ss_part));
    pl->threads = (pthread_t *)calloc((size_t)T, sizeof(pthread_t));
    int64_t *syn_in = (int64_t *)calloc(nc, sizeof(int64_t));
    int ok = pl->owner && pl->src && pl->neu && pl->emit_n && pl->emit_cnt && pl->wspk &&
             pl->wspk_store && pl->wn && pl->wlo && pl->wcnt && pl->spikes0 &&
             pl->spikes_before && pl->out_any && pl->parts && pl->threads && syn_in;
    /* random sources count the spikes of each neuron they list */
    int64_t n_cnt = 0;
    for (int32_t ci = 0; ok && ci < n_cores; ci++) {
        const ss_core *c = &e->cores[ci];
        if (ss_is_source(c) && c->model != SS_MODEL_spike_source_array) n_cnt += c->n;
    }
    if (ok) {
        pl->cnt_store = (int32_t *)calloc((size_t)n_cnt * W + 1, sizeof(int32_t));
        ok = pl->cnt_store != NULL;
    }
    for (int64_t ci = 0, off = 0, at = 0; ok && ci < n_cores; ci++) {
        const ss_core *c = &e->cores[ci];
        pl->spikes0[ci] = c->spikes;
        pl->wspk[ci] = pl->wspk_store + at;
        at += (int64_t)c->n * (int64_t)W;
        if (ss_is_source(c)) {
            pl->src[pl->n_src++] = (int32_t)ci;
            if (c->model != SS_MODEL_spike_source_array) {
                pl->wcnt[ci] = pl->cnt_store + off;
                off += (int64_t)c->n * (int64_t)W;
            }
        } else {
            pl->neu[pl->n_neu++] = (int32_t)ci;
        }
        if (owner || !has_rows(c)) continue;
        const uint32_t *p = c->rows + c->row_ptr[0], *end = c->rows + c->row_ptr[c->n];
        while (p < end) {
            syn_in[seg_target(e, c, *p)] += *p & 0xFFFFu;
            p += 1 + seg_words(e, c, *p);
        }
    }
    if (ok && owner) { /* the caller's: each neuron core in a part, each source here */
        const int32_t P = T * pl->n_ranks, lo = pl->rank * T;
        for (int32_t ci = 0; ok && ci < n_cores; ci++) {
            const int32_t o = owner[ci];
            ok = ss_is_source(&e->cores[ci]) ? (o >= lo && o < lo + T) : (o >= 0 && o < P);
            pl->owner[ci] = o;
        }
    } else if (ok) {
        ok = assign(pl, e, syn_in) == 0;
    }
    free(syn_in);
    for (int32_t t = 0; ok && t < T; t++) {
        ss_part *me = &pl->parts[t];
        me->pool = pl;
        me->id = t;
        me->src = (int32_t *)calloc(nc, sizeof(int32_t));
        me->neu = (int32_t *)calloc(nc, sizeof(int32_t));
        me->rp = (const uint64_t **)calloc(nc, sizeof(uint64_t *));
        me->rows = (const uint32_t **)calloc(nc, sizeof(uint32_t *));
        ok = me->src && me->neu && me->rp && me->rows;
        for (int32_t ci = 0; ok && ci < n_cores; ci++) {
            if (local_thread(pl, ci) != t) continue;
            if (ss_is_source(&e->cores[ci])) me->src[me->n_src++] = ci;
            else me->neu[me->n_neu++] = ci;
        }
    }
    const int shared = ok && rows_all_local(pl, e);
    pl->copied = !shared;
    if (ok && !shared) {
        /* each thread's row offsets: a block of n + 1 per core whose synapses reach it,
         * reserved here (split_rows fills them) */
        int64_t *words = (int64_t *)calloc((size_t)T * nc, sizeof(int64_t));
        ok = words != NULL;
        for (int32_t ci = 0; ok && ci < n_cores; ci++) {
            const ss_core *c = &e->cores[ci];
            if (!has_rows(c)) continue;
            const uint32_t *p = c->rows + c->row_ptr[0], *end = c->rows + c->row_ptr[c->n];
            while (p < end) {
                const int32_t t = local_thread(pl, seg_target(e, c, *p));
                if (t >= 0) words[(int64_t)t * n_cores + ci] = 1;
                p += 1 + seg_words(e, c, *p);
            }
        }
        for (int32_t t = 0; ok && t < T; t++) {
            ss_part *me = &pl->parts[t];
            int64_t n_ptr = 0;
            for (int32_t ci = 0; ci < n_cores; ci++)
                if (words[(int64_t)t * n_cores + ci]) n_ptr += e->cores[ci].n + 1;
            me->own_ptr = (uint64_t *)malloc((size_t)(n_ptr + 1) * sizeof(uint64_t));
            ok = me->own_ptr != NULL;
            for (int32_t ci = 0, at = 0; ok && ci < n_cores; ci++)
                if (words[(int64_t)t * n_cores + ci]) {
                    me->rp[ci] = me->own_ptr + at;
                    at += e->cores[ci].n + 1;
                }
        }
        free(words);
    }
    if (ok) ok = split_rows(pl, e, shared) == 0;
    if (ok && pl->n_ranks > 1) {
        /* sized for windows of one step: alike on every rank, whose own rows may allow
         * longer windows than another's (ss_pool_run agrees on them) */
        pl->xchg = ss_xchg_create(comm, e, pl->owner, T, 1);
        ok = pl->xchg != NULL;
    }
    /* every worker meets thread 0 at every barrier, from its first one (the start of a run) */
    __atomic_store_n(&pl->bar.n, T, __ATOMIC_RELEASE);
    for (int32_t t = 1; ok && t < T; t++) {
        if (pthread_create(&pl->threads[t - 1], NULL, worker, &pl->parts[t]) != 0) ok = 0;
        else pl->n_started++;
    }
    if (!ok) { /* only the workers that exist meet thread 0 at the last barrier */
        __atomic_store_n(&pl->bar.n, pl->n_started + 1, __ATOMIC_RELEASE);
        ss_pool_destroy(pl);
        return NULL;
    }
    return pl;
}
