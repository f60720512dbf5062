/* spinstream engine: the cores of one network over K processes (MPI), the same results for
 * every K.
 *
 * The engine is not linked against MPI: Python (spinstream/board/_mpi.py) hands it, through
 * ss_comm_create, the addresses of MPI_Allgather and MPI_Allgatherv from the libmpi that
 * mpi4py loaded, and the handles of a communicator and of MPI_BYTE.  MPICH's handles are C
 * ints, Open MPI's are pointers: `handle_bytes` says which, and each has its own function
 * type, so every call matches the library's own prototype.
 *
 * threads.c assigns the neuron cores to K*T parts (rank r owns parts r*T .. r*T + T - 1), or
 * takes the caller's assignment (ss_pool_create_owned: a static network whose rows each rank
 * built for its own targets alone), and keeps only the synapses of the rank's own targets.
 * At the end of each window of L steps (engine.h, "threads": L at most the shortest delay),
 * thread 0 of every rank calls ss_xchg_window: one MPI_Allgather of a fixed slot per rank
 * (grown, identically on every rank, when a window's spikes do not fit; the part that does
 * not fit follows in one MPI_Allgatherv), so that every rank then holds every neuron core's
 * spike lists of the window, exactly as one process would, and delivers them into its own
 * cores in that order.  The samples its cores' probes took in the window travel in the same
 * message, so every rank ends a run with every probe's samples, whatever its chunks.  Each
 * rank's message, in int32 words:
 *     [length, flags, digest (2 words), the steps it can run after this window, for each step
 *      of the window the k of each of its neuron cores (core order), then their neuron
 *      indices (step by step, core order), then the values (double, 2 words) each probe of
 *      its cores took in the window (core order, probe order, stamp order)]
 * Flags are ORed over the ranks (bit 0: a spike history is full, so every rank stops before
 * the same step; bit 1: rank 0's run ends after this window, and every rank stops there, so
 * that the input rank 0 applies before its next run can be forwarded to every rank).  The
 * next window is the fewest steps any rank can run (ss_xchg_agreed); where a rank's run ends
 * (it says 0) or every rank stops, the ranks agree again before the next window
 * (ss_xchg_agree: one MPI_Allgather of two int32: the steps, and the rank's longest window,
 * which its own rows' shortest delay sets: the least of them sizes every message), as every
 * rank then knows.  The digest
 * sums up the input and the recordings the rank has applied (Python keeps it:
 * ss_comm_set_digest); ranks whose digests differ have diverged (input that reached one
 * rank and not another, or at another step), and every rank stops at that window
 * (ss_xchg_window returns 1 on every rank alike).  Buffers are sized before a run starts
 * (ss_xchg_prepare: probes change between runs); nothing is allocated while steps run.
 * Ranks that share one node make the fixed-slot collective through a shared segment
 * instead of MPI_Allgather (ss_comm_set_shm, shm_allgather: ~0.1 us against ~3 us); the
 * slot is then no wider than its buffers, and the tails still go through MPI_Allgatherv. */
#define _POSIX_C_SOURCE 200809L
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

typedef int (*ag_int)(const void *, int, int, void *, int, int, int);
typedef int (*agv_int)(const void *, int, int, void *, const int *, const int *, int, int);
typedef int (*ag_ptr)(const void *, int, void *, void *, int, void *, void *);
typedef int (*agv_ptr)(const void *, int, void *, void *, const int *, const int *, void *,
                       void *);

struct ss_comm {
    int32_t rank, size;
    int32_t handle_bytes; /* 4: MPICH (int handles), 8: Open MPI (pointer handles) */
    int32_t pad;
    int64_t comm, byte_type; /* the handles, as integers */
    int64_t digest;          /* the input this rank has applied (Python: ss_comm_set_digest) */
    int32_t lead;            /* rank 0: flag the last step of each run (ss_comm_set_lead) */
    int32_t stopped;         /* a run stopped at rank 0's flag (ss_comm_take_stop) */
    void *allgather, *allgatherv;
    /* ranks that share one node: a shared segment (ss_comm_set_shm) stands in for
     * MPI_Allgather (shm_allgather); NULL: MPI's own */
    char *shm;
    int64_t shm_rank_bytes; /* each rank's region: a control line, then two buffers */
    int64_t shm_cap;        /* bytes of each buffer */
    int64_t shm_seq;        /* the collectives this rank has made through the segment */
    int64_t shm_msgs;       /* those of them wider than an agreement (8 bytes): windows' */
    int64_t mpi_calls;      /* the collectives through MPI (MPI_Allgather, MPI_Allgatherv) */
};

struct ss_xchg {
    ss_comm *comm;
    int32_t K, S, S_cap;  /* ranks; slot words now; most words a rank's message can have */
    int32_t agreed;       /* the next window's steps, agreed at the last exchange (0: agree
                             again before it: some rank's run ended there) */
    int32_t W;            /* the longest window of every rank (0: not agreed yet), which
                             sizes the messages alike on every rank */
    int32_t *core_ptr;    /* [K + 1] into cores: each rank's neuron cores, in core order */
    int32_t *cores;
    int64_t *s_max;       /* [K] most words each rank's message can have in this run */
    int32_t *send;        /* [S_cap] this rank's message */
    int32_t *slots;       /* [K][S_cap] (the first S words of each rank's slot are used) */
    int32_t *over;        /* [over_cap] the tails that did not fit their slot */
    int64_t over_cap;
    int32_t *scratch;     /* [S_cap] one rank's message put together */
    int *counts, *displs; /* [K] bytes */
};

ss_comm *ss_comm_create(int32_t rank, int32_t size, int32_t handle_bytes, int64_t comm,
                        int64_t byte_type, void *allgather, void *allgatherv) {
    if (size < 1 || rank < 0 || rank >= size || !allgather || !allgatherv) return NULL;
    if (handle_bytes != 4 && handle_bytes != 8) return NULL;
    ss_comm *c = (ss_comm *)calloc(1, sizeof(ss_comm));
    if (!c) return NULL;
    c->rank = rank;
    c->size = size;
    c->handle_bytes = handle_bytes;
    c->comm = comm;
    c->byte_type = byte_type;
    c->allgather = allgather;
    c->allgatherv = allgatherv;
    return c;
}

void ss_comm_destroy(ss_comm *c) { free(c); }

/* The segment every rank of the communicator maps (MPI_Win_allocate_shared): rank r's region
 * is the rank_bytes from base + r * rank_bytes: a 64-byte control line (the number of the
 * last collective whose message the rank has written, int64), then two buffers that the
 * collectives use in turn.  Every rank zeroes its own control line and the ranks meet
 * before the first collective (Python does both).  0, or -1 for a region too small or a
 * base not aligned to 64 bytes. */
int ss_comm_set_shm(ss_comm *c, void *base, int64_t rank_bytes) {
    if (!base || (uintptr_t)base % 64 || rank_bytes < 64 + 2 * 64 || rank_bytes % 64) return -1;
    c->shm = (char *)base;
    c->shm_rank_bytes = rank_bytes;
    c->shm_cap = (rank_bytes - 64) / 2 / 64 * 64;
    c->shm_seq = 0;
    return 0;
}

int32_t ss_comm_shm(const ss_comm *c) { return c && c->shm ? 1 : 0; }

void ss_comm_collectives(const ss_comm *c, int64_t *out) {
    out[0] = c->shm_msgs;
    out[1] = c->mpi_calls;
}

/* MPI_Allgather of `bytes` from each rank, through the segment: write the message into this
 * collective's buffer, publish its number, wait for every rank's, copy their messages.  A
 * buffer is written again two collectives later, when every rank has published the one in
 * between, which each does only after it has copied this one: no rank overwrites what
 * another still reads.  A waiting rank spins briefly, then yields its core (ranks may
 * outnumber the cores). */
static void shm_allgather(ss_comm *c, const void *send, int bytes, void *recv) {
    const int64_t n = ++c->shm_seq;
    const int64_t off = 64 + (n & 1) * c->shm_cap;
    char *mine = c->shm + (int64_t)c->rank * c->shm_rank_bytes;
    memcpy(mine + off, send, (size_t)bytes);
    __atomic_store_n((int64_t *)mine, n, __ATOMIC_RELEASE);
    for (int32_t r = 0; r < c->size; r++) {
        const char *theirs = c->shm + (int64_t)r * c->shm_rank_bytes;
        for (int spin = 0; __atomic_load_n((const int64_t *)theirs, __ATOMIC_ACQUIRE) < n;
             spin++) {
            if (spin < 256)
                ss_cpu_relax();
            else
                sched_yield();
        }
        memcpy((char *)recv + (int64_t)r * bytes, theirs + off, (size_t)bytes);
    }
}

void ss_comm_set_digest(ss_comm *c, int64_t digest) { c->digest = digest; }

void ss_comm_set_lead(ss_comm *c, int32_t lead) { c->lead = lead; }

int32_t ss_comm_take_stop(ss_comm *c) {
    const int32_t s = c->stopped;
    c->stopped = 0;
    return s;
}

int32_t ss_comm_rank(const ss_comm *c) { return c ? c->rank : 0; }
int32_t ss_comm_size(const ss_comm *c) { return c ? c->size : 1; }

static int allgather(ss_comm *c, const void *send, int bytes, void *recv) {
    if (c->shm && bytes <= c->shm_cap) { /* alike on every rank: bytes is */
        shm_allgather(c, send, bytes, recv);
        c->shm_msgs += bytes > 8;
        return 0;
    }
    c->mpi_calls++;
    if (c->handle_bytes == 4)
        return ((ag_int)c->allgather)(send, bytes, (int)c->byte_type, recv, bytes,
                                      (int)c->byte_type, (int)c->comm);
    return ((ag_ptr)c->allgather)(send, bytes, (void *)(intptr_t)c->byte_type, recv, bytes,
                                  (void *)(intptr_t)c->byte_type, (void *)(intptr_t)c->comm);
}

static int allgatherv(ss_comm *c, const void *send, int bytes, void *recv,
                      const int *counts, const int *displs) {
    c->mpi_calls++;
    if (c->handle_bytes == 4)
        return ((agv_int)c->allgatherv)(send, bytes, (int)c->byte_type, recv, counts, displs,
                                        (int)c->byte_type, (int)c->comm);
    return ((agv_ptr)c->allgatherv)(send, bytes, (void *)(intptr_t)c->byte_type, recv, counts,
                                    displs, (void *)(intptr_t)c->byte_type,
                                    (void *)(intptr_t)c->comm);
}

void ss_xchg_destroy(ss_xchg *x) {
    if (!x) return;
    free(x->core_ptr);
    free(x->cores);
    free(x->send);
    free(x->slots);
    free(x->over);
    free(x->scratch);
    free(x->counts);
    free(x->displs);
    free(x->s_max);
    free(x);
}

/* The widest slot: a rank's longest message, and no wider than a buffer of the shared
 * segment (where there is one: what does not fit follows in MPI_Allgatherv). */
static int64_t slot_most(const ss_xchg *x, int64_t s_cap) {
    const int64_t shm_words = x->comm->shm ? x->comm->shm_cap / 4 : s_cap;
    return s_cap < shm_words ? s_cap : shm_words;
}

/* owner[ci]: the part of each core (rank = part / T); only neuron cores are exchanged.
 * W: the longest window (steps) a message carries. */
ss_xchg *ss_xchg_create(ss_comm *comm, const ss_engine *e, const int32_t *owner, int32_t T,
                        int32_t W) {
    const int32_t K = comm->size, n_cores = e->n_cores;
    ss_xchg *x = (ss_xchg *)calloc(1, sizeof(ss_xchg));
    if (!x) return NULL;
    x->comm = comm;
    x->K = K;
    x->core_ptr = (int32_t *)calloc((size_t)K + 1, sizeof(int32_t));
    x->cores = (int32_t *)calloc((size_t)n_cores + 1, sizeof(int32_t));
    x->counts = (int *)calloc((size_t)K, sizeof(int));
    x->displs = (int *)calloc((size_t)K, sizeof(int));
    x->s_max = (int64_t *)calloc((size_t)K, sizeof(int64_t));
    if (!x->core_ptr || !x->cores || !x->counts || !x->displs || !x->s_max) {
        ss_xchg_destroy(x);
        return NULL;
    }
    for (int32_t r = 0; r < K; r++) {
        x->core_ptr[r + 1] = x->core_ptr[r];
        for (int32_t ci = 0; ci < n_cores; ci++)
            if (!ss_is_source(&e->cores[ci]) && owner[ci] / T == r)
                x->cores[x->core_ptr[r + 1]++] = ci;
    }
    if (ss_xchg_prepare(x, e, W)) {
        ss_xchg_destroy(x);
        return NULL;
    }
    return x;
}

/* Size the buffers for windows of up to W steps and the probes the cores have now (every
 * rank has the same probes, so every rank sizes alike); before a run.  0, or -1 when memory
 * is refused. */
int ss_xchg_prepare(ss_xchg *x, const ss_engine *e, int32_t W) {
    const int32_t K = x->K;
    int64_t s_cap = 0, s_sum = 0, head = 0, probe_words = 0;
    for (int32_t r = 0; r < K; r++) {
        int64_t words = 5, pw = 0;
        for (int32_t j = x->core_ptr[r]; j < x->core_ptr[r + 1]; j++) {
            const ss_core *c = &e->cores[x->cores[j]];
            words += (int64_t)W * (1 + c->n);
            for (int32_t p = 0; p < c->n_probes; p++) pw += 2 * (int64_t)c->probes[p].n;
        }
        x->s_max[r] = words + (int64_t)W * pw;
        if (x->s_max[r] > s_cap) s_cap = x->s_max[r];
        const int64_t h = 5 + (int64_t)W * (x->core_ptr[r + 1] - x->core_ptr[r]);
        if (h > head) head = h;
        if (pw > probe_words) probe_words = pw;
        s_sum += x->s_max[r];
    }
    /* MPI counts are ints (bytes here) */
    if (4 * s_sum > 0x7FFFFFFF || 4 * s_cap * K > 0x7FFFFFFF) return -1;
    if (s_cap > x->S_cap) {
        free(x->send);
        free(x->scratch);
        free(x->slots);
        x->send = (int32_t *)calloc((size_t)s_cap, sizeof(int32_t));
        x->scratch = (int32_t *)calloc((size_t)s_cap, sizeof(int32_t));
        x->slots = (int32_t *)calloc((size_t)s_cap * (size_t)K, sizeof(int32_t));
        x->S_cap = (int32_t)s_cap;
        if (!x->send || !x->scratch || !x->slots) {
            x->S_cap = 0;
            return -1;
        }
    }
    if (s_sum > x->over_cap) {
        free(x->over);
        x->over = (int32_t *)calloc((size_t)s_sum, sizeof(int32_t));
        x->over_cap = x->over ? s_sum : 0;
        if (!x->over) return -1;
    }
    /* the slot: every header, some spikes, and the samples of a step that samples all */
    const int64_t S = head + 64 + probe_words;
    const int64_t most = slot_most(x, s_cap);
    if (S > x->S) x->S = (int32_t)(S < most ? S : most);
    if (x->S > most) x->S = (int32_t)most;
    return 0;
}

int32_t ss_xchg_agreed(const ss_xchg *x) { return x->agreed; }

int32_t ss_xchg_longest(const ss_xchg *x) { return x->W; }

/* The ranks agree on the next window, the fewest steps any proposes (each proposes at least
 * one), and on the longest window, the shortest of the ranks' own (each rank holds its own
 * targets' rows, whose shortest delay it alone knows).  0, or the MPI error code. */
int ss_xchg_agree(ss_xchg *x, int32_t own, int32_t own_W, int32_t *L) {
    int32_t mine[2] = {own, own_W};
    const int rc = allgather(x->comm, mine, 8, x->slots);
    if (rc) return rc;
    int32_t least = own, least_W = own_W;
    for (int32_t r = 0; r < x->K; r++) {
        if (x->slots[2 * r] < least) least = x->slots[2 * r];
        if (x->slots[2 * r + 1] < least_W) least_W = x->slots[2 * r + 1];
    }
    *L = least;
    x->W = least_W;
    x->agreed = 0;
    return 0;
}

static int samples_now(const ss_probe *pr, int64_t stamp) {
    return stamp % pr->interval == 0 && pr->count < pr->cap;
}

/* Send this rank's spike lists of the window's L steps (wn, wspk: the pool's window buffers,
 * stride steps per core) and the samples its probes took in it (stamps w0 + 1 .. w0 + L);
 * receive every other rank's into the same buffers and probes (counting the spikes in
 * spikes_out, as their owner does).  *flags goes out as this rank's flags and comes back
 * ORed over all ranks; prop is the steps this rank can run after this window (0: its run
 * ends here), and the least of them becomes the next window (ss_xchg_agreed) when every
 * rank runs on.  0; 1 when the ranks' digests differ (nothing is received); or the MPI
 * error code. */
int ss_xchg_window(ss_xchg *x, ss_engine *e, int32_t *const *wspk, int64_t *wn, int32_t stride,
                   int32_t L, int64_t w0, int32_t *flags, int32_t prop, int32_t last) {
    ss_comm *c = x->comm;
    const int32_t K = x->K, me = c->rank, S = x->S;
    int32_t *msg = x->send;
    const int32_t *mine = x->cores + x->core_ptr[me];
    const int32_t n_mine = x->core_ptr[me + 1] - x->core_ptr[me];
    int32_t pos = 5 + L * n_mine;
    msg[1] = *flags | (last && c->lead && c->rank == 0 ? 2 : 0);
    memcpy(msg + 2, &c->digest, sizeof(int64_t));
    msg[4] = prop;
    for (int32_t j = 0; j < L; j++)
        for (int32_t i = 0; i < n_mine; i++) {
            const int32_t ci = mine[i];
            const int32_t k = (int32_t)wn[(int64_t)ci * stride + j];
            msg[5 + j * n_mine + i] = k;
            memcpy(msg + pos, wspk[ci] + (int64_t)j * e->cores[ci].n, (size_t)k * sizeof(int32_t));
            pos += k;
        }
    for (int32_t i = 0; i < n_mine; i++) { /* the samples of the window, as taken */
        const ss_core *core = &e->cores[mine[i]];
        for (int32_t p = 0; p < core->n_probes; p++) {
            const ss_probe *pr = &core->probes[p];
            int64_t first = pr->count;
            while (first > 0 && pr->out_stamp[first - 1] > w0) first--;
            const int64_t doubles = (pr->count - first) * pr->n;
            memcpy(msg + pos, pr->out + first * pr->n, (size_t)doubles * sizeof(double));
            pos += (int32_t)(2 * doubles);
        }
    }
    msg[0] = pos;
    int rc = allgather(c, msg, S * 4, x->slots);
    if (rc) return rc;
    int32_t over = 0, longest = 0, any = 0, least = prop;
    for (int32_t r = 0; r < K; r++) {
        const int32_t *m = x->slots + (int64_t)r * S;
        if (m[0] > longest) longest = m[0];
        any |= m[1];
        if (m[4] < least) least = m[4];
        const int32_t tail = m[0] > S ? m[0] - S : 0;
        x->counts[r] = 4 * tail;
        x->displs[r] = 4 * over;
        over += tail;
    }
    for (int32_t r = 0; r < K; r++) /* every rank sees a difference, if there is one */
        if (memcmp(x->slots + (int64_t)r * S + 2, &c->digest, sizeof(int64_t))) return 1;
    if (over) {
        rc = allgatherv(c, msg + S, x->counts[me], x->over, x->counts, x->displs);
        if (rc) return rc;
    }
    for (int32_t r = 0; r < K; r++) {
        if (r == me) continue;
        const int32_t *m = x->slots + (int64_t)r * S;
        const int32_t Lr = m[0];
        if (Lr > S) { /* put the message together */
            memcpy(x->scratch, m, (size_t)S * sizeof(int32_t));
            memcpy(x->scratch + S, x->over + x->displs[r] / 4, (size_t)(Lr - S) * sizeof(int32_t));
            m = x->scratch;
        }
        const int32_t *cores = x->cores + x->core_ptr[r];
        const int32_t n = x->core_ptr[r + 1] - x->core_ptr[r];
        const int32_t *idx = m + 5 + L * n;
        for (int32_t j = 0; j < L; j++)
            for (int32_t i = 0; i < n; i++) {
                const int32_t k = m[5 + j * n + i];
                ss_core *core = &e->cores[cores[i]];
                memcpy(wspk[cores[i]] + (int64_t)j * core->n, idx, (size_t)k * sizeof(int32_t));
                idx += k;
                wn[(int64_t)cores[i] * stride + j] = k;
                core->spikes_out += k;
            }
        for (int32_t i = 0; i < n; i++) { /* the samples, as ss_sample took them there */
            ss_core *core = &e->cores[cores[i]];
            for (int32_t p = 0; p < core->n_probes; p++) {
                ss_probe *pr = &core->probes[p];
                for (int64_t stamp = w0 + 1; stamp <= w0 + L; stamp++) {
                    if (!samples_now(pr, stamp)) continue;
                    memcpy(pr->out + pr->count * pr->n, idx, (size_t)pr->n * sizeof(double));
                    idx += 2 * (int64_t)pr->n;
                    pr->out_stamp[pr->count] = stamp;
                    pr->count++;
                }
            }
        }
    }
    *flags = any;
    if (any & 2) c->stopped = 1;
    x->agreed = least > 0 && !(any & 3) ? least : 0;
    if (over) { /* a wider slot from the next window on: every rank decides alike */
        const int64_t s = (int64_t)longest + longest / 4, most = slot_most(x, x->S_cap);
        x->S = (int32_t)(s < most ? s : most);
    }
    return 0;
}
