/* spinstream engine: the rows of static synapses built projection by projection (load time).
 *
 * spinstream/board/_build.py drives it; the result is the same BlockTable, word for word,
 * as build_blocks (spinstream/board/_synapses.py) makes from one concatenation of every
 * synapse, without that concatenation and its many per-synapse temporaries (which held
 * ~250 bytes per synapse at the peak of a microcircuit's load).  Steps:
 *
 *   1. ss_rb_count, for each projection: synapses per row (source neuron) (or
 *      ss_rb_count_rows, for a projection whose synapses per source are known);
 *   2. ss_rb_alloc, then ss_rb_add for each projection again, in the same order: one
 *      16-byte record per synapse, scattered into its row (a counting sort, stable);
 *   3. ss_rb_layout: each row sorted by (target core, target neuron), stably (multapses keep
 *      the order of the network's description); per source core, the blocks (one per target
 *      core), their formats and weight tables (compact blocks; Q16 blocks: their scale);
 *      the stream's size;
 *   4. ss_rb_write: the stream, the row offsets and the blocks, into the caller's arrays.
 *
 * Only the synapses onto the target cores marked in ``want`` are kept, so that a process
 * can build the rows of its own cores alone.  Nothing here depends on threads.
 *
 * ss_rb_set_weight_bits(rb, 16), before ss_rb_layout, opts in to 16-bit weights: a block
 * that would be half (6 bytes a synapse), whose weights are finite and of one sign, is then
 * SS_Q16 (4 bytes): each weight |w| rounded to the nearest multiple of the block's scale
 * (largest |w| / 65535; ties to even).  Compact blocks stay compact (they are exact). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

typedef struct ss_rowbuild ss_rowbuild;
ss_rowbuild *ss_rb_new(int32_t n_cores, const int64_t *core_gid0, const int64_t *core_n,
                       const uint8_t *want);
void ss_rb_free(ss_rowbuild *rb);
int ss_rb_count(ss_rowbuild *rb, int64_t n, int64_t pre_base, int64_t post_base,
                const int64_t *pre, const int64_t *post);
int ss_rb_count_rows(ss_rowbuild *rb, int64_t n, const int64_t *gid, const int64_t *count);
int ss_rb_alloc(ss_rowbuild *rb);
int ss_rb_add(ss_rowbuild *rb, int64_t n, int64_t pre_base, int64_t post_base,
              const int64_t *pre, const int64_t *post, const double *weight,
              const int64_t *delay, const int64_t *rec, int64_t rec_stride);
int ss_rb_set_weight_bits(ss_rowbuild *rb, int32_t bits);
int ss_rb_layout(ss_rowbuild *rb, int64_t *n_blocks, int64_t *n_tab, int64_t *n_words);
int ss_rb_write(ss_rowbuild *rb, uint32_t *stream, uint64_t *row_ptr, int64_t *b_src,
                int64_t *b_tgt, int32_t *b_fmt, int64_t *wtab_start, int64_t *b_maxd,
                double *wtab, int32_t *wrec, int64_t *n_compact);
uint32_t *ss_rb_take_stream(ss_rowbuild *rb);
void ss_rb_free_stream(uint32_t *stream);

typedef struct ss_rb_syn { /* one synapse while its row is built: 16 bytes */
    double w;
    uint32_t key; /* target core * post_span + target neuron (local) */
    uint16_t delay;
    uint8_t rec;
    uint8_t pad;
} ss_rb_syn;

typedef struct ss_rb_tab { /* a synapse of one source core, for its blocks' statistics */
    double w;
    uint32_t tgt;
    uint16_t post, delay;
    uint8_t rec;
} ss_rb_tab;

struct ss_rowbuild {
    int32_t n_cores;
    int64_t n_gids, n_rows, post_span, n_syn;
    int32_t *gid_core; /* [n_gids]: core of each neuron (-1: none) */
    int64_t *core_gid0, *core_n, *row_base; /* row_base[n_cores + 1]: n + 1 slots per core */
    uint8_t *want;                           /* [n_cores] */
    uint64_t *start, *fill;                  /* [n_rows + 1], [n_rows] */
    ss_rb_syn *syn;
    /* blocks, in (source core, target core) order, after ss_rb_layout */
    int64_t n_blocks, cap_blocks, n_tab, cap_tab, n_words, n_compact, n_half, n_q16;
    int32_t weight_bits; /* 32 (float32 weights in half and wide blocks) or 16 (Q16 blocks) */
    int64_t *core_block0; /* [n_cores + 1] */
    int written_in_place; /* the records' memory holds the stream's words */
    int32_t *b_tgt, *b_fmt;
    int64_t *b_tab0, *b_ntab, *b_maxd;
    double *wtab;
    int32_t *wrec;
};

void ss_rb_free(ss_rowbuild *rb) {
    if (!rb) return;
    free(rb->gid_core);
    free(rb->core_gid0);
    free(rb->core_n);
    free(rb->row_base);
    free(rb->want);
    free(rb->start);
    free(rb->fill);
    free(rb->syn);
    free(rb->core_block0);
    free(rb->b_tgt);
    free(rb->b_fmt);
    free(rb->b_tab0);
    free(rb->b_ntab);
    free(rb->b_maxd);
    free(rb->wtab);
    free(rb->wrec);
    free(rb);
}

/* want: NULL (every core) or one flag per core.  NULL when memory is refused or the cores'
 * neurons overlap, or a core has more than 2^16 neurons. */
ss_rowbuild *ss_rb_new(int32_t n_cores, const int64_t *core_gid0, const int64_t *core_n,
                       const uint8_t *want) {
    ss_rowbuild *rb = (ss_rowbuild *)calloc(1, sizeof(ss_rowbuild));
    if (!rb || n_cores < 0) goto fail;
    rb->n_cores = n_cores;
    rb->weight_bits = 32;
    rb->core_gid0 = (int64_t *)malloc(((size_t)n_cores + 1) * sizeof(int64_t));
    rb->core_n = (int64_t *)malloc(((size_t)n_cores + 1) * sizeof(int64_t));
    rb->row_base = (int64_t *)malloc(((size_t)n_cores + 1) * sizeof(int64_t));
    rb->want = (uint8_t *)malloc((size_t)n_cores + 1);
    if (!rb->core_gid0 || !rb->core_n || !rb->row_base || !rb->want) goto fail;
    rb->row_base[0] = 0;
    rb->post_span = 1;
    for (int32_t c = 0; c < n_cores; c++) {
        if (core_n[c] < 0 || core_n[c] > 1 << 16 || core_gid0[c] < 0) goto fail;
        rb->core_gid0[c] = core_gid0[c];
        rb->core_n[c] = core_n[c];
        rb->want[c] = want ? (want[c] != 0) : 1;
        rb->row_base[c + 1] = rb->row_base[c] + core_n[c] + 1;
        if (core_gid0[c] + core_n[c] > rb->n_gids) rb->n_gids = core_gid0[c] + core_n[c];
        if (core_n[c] > rb->post_span) rb->post_span = core_n[c];
    }
    if ((int64_t)n_cores * rb->post_span >= (int64_t)1 << 32) goto fail;
    rb->n_rows = rb->row_base[n_cores];
    rb->gid_core = (int32_t *)malloc(((size_t)rb->n_gids + 1) * sizeof(int32_t));
    rb->start = (uint64_t *)calloc((size_t)rb->n_rows + 1, sizeof(uint64_t));
    if (!rb->gid_core || !rb->start) goto fail;
    for (int64_t g = 0; g < rb->n_gids; g++) rb->gid_core[g] = -1;
    for (int32_t c = 0; c < n_cores; c++)
        for (int64_t i = 0; i < core_n[c]; i++) {
            if (rb->gid_core[core_gid0[c] + i] >= 0) goto fail;
            rb->gid_core[core_gid0[c] + i] = c;
        }
    return rb;
fail:
    ss_rb_free(rb);
    return NULL;
}

/* The core and the row of gid pre, the core of gid post; -1 when a gid is on no core. */
static int locate(const ss_rowbuild *rb, int64_t pre, int64_t post, int64_t *row, int32_t *tgt) {
    if (pre < 0 || pre >= rb->n_gids || post < 0 || post >= rb->n_gids) return -1;
    const int32_t s = rb->gid_core[pre], t = rb->gid_core[post];
    if (s < 0 || t < 0) return -1;
    *row = rb->row_base[s] + (pre - rb->core_gid0[s]);
    *tgt = t;
    return 0;
}

/* Pass 1, one projection: n synapses pre_base + pre[i] -> post_base + post[i] (global ids).
 * Returns 0, or -1 for a neuron on no core, -2 when called after ss_rb_alloc. */
int ss_rb_count(ss_rowbuild *rb, int64_t n, int64_t pre_base, int64_t post_base,
                const int64_t *pre, const int64_t *post) {
    if (rb->syn) return -2;
    for (int64_t i = 0; i < n; i++) {
        int64_t row;
        int32_t t;
        if (locate(rb, pre_base + pre[i], post_base + post[i], &row, &t)) return -1;
        if (rb->want[t]) rb->start[row + 1]++;
    }
    return 0;
}

/* Pass 1 for a projection whose synapses per source are known without reading them: count[i]
 * synapses from global id gid[i].  Only where every target core is wanted (the counts do not
 * say where the synapses go).  Returns 0, or -1 for a neuron on no core, -2 when called
 * after ss_rb_alloc, -3 when some target core is not wanted or a count is negative. */
int ss_rb_count_rows(ss_rowbuild *rb, int64_t n, const int64_t *gid, const int64_t *count) {
    if (rb->syn) return -2;
    for (int32_t c = 0; c < rb->n_cores; c++)
        if (!rb->want[c]) return -3;
    for (int64_t i = 0; i < n; i++) {
        const int64_t g = gid[i];
        if (g < 0 || g >= rb->n_gids || rb->gid_core[g] < 0) return -1;
        if (count[i] < 0) return -3;
        const int32_t s = rb->gid_core[g];
        rb->start[rb->row_base[s] + (g - rb->core_gid0[s]) + 1] += (uint64_t)count[i];
    }
    return 0;
}

/* 16: half blocks of one-signed finite weights become Q16 blocks (see the top); 32: none
 * does (the default).  Returns 0, or -3 for another value or once the blocks are laid out. */
int ss_rb_set_weight_bits(ss_rowbuild *rb, int32_t bits) {
    if ((bits != 16 && bits != 32) || rb->core_block0) return -3;
    rb->weight_bits = bits;
    return 0;
}

/* After pass 1: room for every counted synapse.  Returns 0, or -1 (memory refused). */
int ss_rb_alloc(ss_rowbuild *rb) {
    for (int64_t r = 0; r < rb->n_rows; r++) rb->start[r + 1] += rb->start[r];
    rb->n_syn = (int64_t)rb->start[rb->n_rows];
    rb->fill = (uint64_t *)malloc(((size_t)rb->n_rows + 1) * sizeof(uint64_t));
    rb->syn = (ss_rb_syn *)malloc(((size_t)rb->n_syn + 1) * sizeof(ss_rb_syn));
    if (!rb->fill || !rb->syn) return -1;
    memcpy(rb->fill, rb->start, ((size_t)rb->n_rows + 1) * sizeof(uint64_t));
    return 0;
}

/* Pass 2, the same projections in the same order: weight (>= 0 or signed, as the engine
 * takes it), delay in steps (checked by the caller: 1 .. 2^14 - 1), receptor (0 .. 3;
 * rec_stride 0: one receptor for all).  Returns 0, or -1 for a neuron on no core, -2 when a
 * row gets more synapses than pass 1 counted, -3 for a delay or receptor out of range. */
int ss_rb_add(ss_rowbuild *rb, int64_t n, int64_t pre_base, int64_t post_base,
              const int64_t *pre, const int64_t *post, const double *weight,
              const int64_t *delay, const int64_t *rec, int64_t rec_stride) {
    if (!rb->syn) return -2;
    for (int64_t i = 0; i < n; i++) {
        int64_t row;
        int32_t t;
        if (locate(rb, pre_base + pre[i], post_base + post[i], &row, &t)) return -1;
        if (!rb->want[t]) continue;
        if (rb->fill[row] >= rb->start[row + 1]) return -2;
        const int64_t d = delay[i], r = rec[i * rec_stride];
        if (d < 1 || d >= 1 << SS_W_DELAY_BITS || r < 0 || r > 3) return -3;
        ss_rb_syn *s = &rb->syn[rb->fill[row]++];
        s->w = weight[i];
        s->key = (uint32_t)(t * rb->post_span + (post_base + post[i] - rb->core_gid0[t]));
        s->delay = (uint16_t)d;
        s->rec = (uint8_t)r;
        s->pad = 0;
    }
    return 0;
}

/* Sort syn[lo, hi) by key, stably (insertion sort for short runs, merge sort). */
static void sort_row(ss_rb_syn *s, ss_rb_syn *tmp, int64_t lo, int64_t hi) {
    const int64_t n = hi - lo;
    if (n < 2) return;
    if (n <= 24) {
        for (int64_t i = lo + 1; i < hi; i++) {
            const ss_rb_syn v = s[i];
            int64_t j = i - 1;
            while (j >= lo && s[j].key > v.key) {
                s[j + 1] = s[j];
                j--;
            }
            s[j + 1] = v;
        }
        return;
    }
    const int64_t mid = lo + n / 2;
    sort_row(s, tmp, lo, mid);
    sort_row(s, tmp, mid, hi);
    if (s[mid - 1].key <= s[mid].key) return;
    int64_t a = lo, b = mid, o = 0;
    while (a < mid && b < hi) tmp[o++] = s[b].key < s[a].key ? s[b++] : s[a++];
    while (a < mid) tmp[o++] = s[a++];
    while (b < hi) tmp[o++] = s[b++];
    memcpy(s + lo, tmp, (size_t)n * sizeof(ss_rb_syn));
}

/* (target core, weight, receptor) order: a block's distinct pairs in build_blocks' order. */
static int tab_cmp(const void *pa, const void *pb) {
    const ss_rb_tab *a = (const ss_rb_tab *)pa, *b = (const ss_rb_tab *)pb;
    if (a->tgt != b->tgt) return a->tgt < b->tgt ? -1 : 1;
    if (a->w != b->w) return a->w < b->w ? -1 : 1;
    return (int)a->rec - (int)b->rec;
}

static int grow(void **p, int64_t *cap, int64_t need, size_t size) {
    if (need <= *cap) return 0;
    int64_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int grow_blocks(ss_rowbuild *rb, int64_t need) {
    int64_t cap = rb->cap_blocks, c;
    c = cap;
    if (grow((void **)&rb->b_tgt, &c, need, sizeof(int32_t))) return -1;
    c = cap;
    if (grow((void **)&rb->b_fmt, &c, need, sizeof(int32_t))) return -1;
    c = cap;
    if (grow((void **)&rb->b_tab0, &c, need, sizeof(int64_t))) return -1;
    c = cap;
    if (grow((void **)&rb->b_ntab, &c, need, sizeof(int64_t))) return -1;
    c = cap;
    if (grow((void **)&rb->b_maxd, &c, need, sizeof(int64_t))) return -1;
    rb->cap_blocks = c;
    return 0;
}

/* A block's distinct (weight, receptor) pairs, counted up to one more than a compact table
 * holds: open addressing over SS_RB_HASH slots, each slot valid in one generation (block). */
#define SS_RB_HASH 2048
typedef struct ss_rb_distinct {
    uint64_t bits;
    uint32_t gen;
    int32_t rec;
} ss_rb_distinct;

/* 1 when (w, rec) of t was not seen yet in this generation (and now is); weights compare as
 * doubles (0.0 and -0.0 are one weight, as tab_cmp has it). */
static int note_distinct(ss_rb_distinct *seen, uint32_t gen, const ss_rb_tab *t) {
    const double w = t->w == 0.0 ? 0.0 : t->w;
    uint64_t bits;
    memcpy(&bits, &w, sizeof bits);
    uint64_t h = (bits ^ ((uint64_t)t->rec << 61)) * 0x9E3779B97F4A7C15ull;
    for (uint32_t k = (uint32_t)(h >> 53) & (SS_RB_HASH - 1);; k = (k + 1) & (SS_RB_HASH - 1)) {
        ss_rb_distinct *e = &seen[k];
        if (e->gen != gen) {
            e->gen = gen;
            e->bits = bits;
            e->rec = t->rec;
            return 1;
        }
        if (e->bits == bits && e->rec == t->rec) return 0;
    }
}

static int int_cmp(const void *pa, const void *pb) {
    const int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

static void sort_ints(int32_t *v, int32_t n) { qsort(v, (size_t)n, sizeof(int32_t), int_cmp); }

/* Words of a segment of count synapses after its header. */
static int64_t seg_body(int32_t fmt, int64_t count) {
    if (fmt == SS_WIDE) return 2 * count;
    if (fmt == SS_HALF) return count + (count + 1) / 2;
    return count;
}

/* After pass 2: sort the rows, make the blocks and weight tables, size the stream.
 * Returns 0, or -1 (memory refused), -2 (pass 2 did not give every counted synapse),
 * -4 (a source core reaches more than 2^16 blocks). */
int ss_rb_layout(ss_rowbuild *rb, int64_t *n_blocks, int64_t *n_tab, int64_t *n_words) {
    if (!rb->syn) return -2;
    for (int64_t r = 0; r < rb->n_rows; r++)
        if (rb->fill[r] != rb->start[r + 1]) return -2;
    int64_t longest = 0, widest = 0;
    for (int64_t r = 0; r < rb->n_rows; r++) {
        const int64_t len = (int64_t)(rb->start[r + 1] - rb->start[r]);
        if (len > longest) longest = len;
    }
    for (int32_t c = 0; c < rb->n_cores; c++) {
        const int64_t len = (int64_t)(rb->start[rb->row_base[c + 1]] - rb->start[rb->row_base[c]]);
        if (len > widest) widest = len;
    }
    ss_rb_syn *tmp = (ss_rb_syn *)malloc(((size_t)longest + 1) * sizeof(ss_rb_syn));
    ss_rb_tab *tab = (ss_rb_tab *)malloc(((size_t)widest + 1) * sizeof(ss_rb_tab));
    int64_t *blk_of = (int64_t *)malloc(((size_t)rb->n_cores + 1) * sizeof(int64_t));
    rb->core_block0 = (int64_t *)malloc(((size_t)rb->n_cores + 1) * sizeof(int64_t));
    int rc = tmp && tab && blk_of && rb->core_block0 ? 0 : -1;
    for (int64_t r = 0; r < rb->n_rows && !rc; r++)
        sort_row(rb->syn, tmp, (int64_t)rb->start[r], (int64_t)rb->start[r + 1]);
    const uint32_t span = (uint32_t)rb->post_span;
    /* per source core: its synapses grouped by target core (a counting sort: the targets in
     * ascending order, each group in row order), then one block per group */
    int64_t *cnt = (int64_t *)calloc((size_t)rb->n_cores + 1, sizeof(int64_t));
    int64_t *off = (int64_t *)malloc(((size_t)rb->n_cores + 1) * sizeof(int64_t));
    int32_t *touched = (int32_t *)malloc(((size_t)rb->n_cores + 1) * sizeof(int32_t));
    ss_rb_distinct *seen = (ss_rb_distinct *)calloc(SS_RB_HASH, sizeof(ss_rb_distinct));
    ss_rb_tab *dist = (ss_rb_tab *)malloc(((size_t)1 << SS_C_TAB_BITS) * sizeof(ss_rb_tab));
    if (!cnt || !off || !touched || !seen || !dist) rc = -1;
    uint32_t gen = 0;
    for (int32_t c = 0; c < rb->n_cores && !rc; c++) {
        rb->core_block0[c] = rb->n_blocks;
        const int64_t lo = (int64_t)rb->start[rb->row_base[c]];
        const int64_t hi = (int64_t)rb->start[rb->row_base[c + 1]];
        int32_t n_t = 0;
        for (int64_t i = lo; i < hi; i++) {
            const uint32_t t = rb->syn[i].key / span;
            if (cnt[t]++ == 0) touched[n_t++] = (int32_t)t;
        }
        sort_ints(touched, n_t);
        int64_t acc = 0;
        for (int32_t k = 0; k < n_t; k++) {
            off[touched[k]] = acc;
            acc += cnt[touched[k]];
        }
        for (int64_t i = lo; i < hi; i++) {
            const ss_rb_syn *s = &rb->syn[i];
            const uint32_t tg = s->key / span;
            ss_rb_tab *t = &tab[off[tg]++];
            t->w = s->w;
            t->tgt = tg;
            t->post = (uint16_t)(s->key % span);
            t->delay = s->delay;
            t->rec = s->rec;
        }
        int64_t i = 0;
        for (int32_t k = 0; k < n_t && !rc; k++) { /* one target core: one block */
            const int64_t j = i + cnt[touched[k]];
            cnt[touched[k]] = 0;
            int64_t distinct = 0, max_post = 0, max_d = 0, max_rec = 0;
            double max_abs = 0.0;
            int finite = 1, has_pos = 0, has_neg = 0;
            gen++;
            for (int64_t q = i; q < j; q++) {
                const double w = tab[q].w;
                if (!isfinite(w)) finite = 0;
                else if (fabs(w) > max_abs) max_abs = fabs(w);
                if (w > 0.0) has_pos = 1;
                if (w < 0.0) has_neg = 1;
                if (tab[q].post > max_post) max_post = tab[q].post;
                if (tab[q].delay > max_d) max_d = tab[q].delay;
                if (tab[q].rec > max_rec) max_rec = tab[q].rec;
                if (distinct <= (1 << SS_C_TAB_BITS) && note_distinct(seen, gen, &tab[q])) {
                    if (distinct < (1 << SS_C_TAB_BITS)) dist[distinct] = tab[q];
                    distinct++;
                }
            }
            const int compact = distinct <= (1 << SS_C_TAB_BITS) &&
                                max_post < (1 << SS_C_POST_BITS) && max_d < (1 << SS_C_DELAY_BITS);
            const int half = max_post < (1 << SS_H_POST_BITS) && max_d < (1 << SS_H_DELAY_BITS) &&
                             max_rec <= 1;
            const int q16 = !compact && half && rb->weight_bits == 16 && finite &&
                            !(has_pos && has_neg);
            const int64_t n_entries = compact ? distinct : q16 ? 1 : 0;
            const int64_t b = rb->n_blocks;
            if (b - rb->core_block0[c] >= 1 << 16) rc = -4;
            else if (grow_blocks(rb, b + 1)) rc = -1;
            else if (n_entries && grow((void **)&rb->wtab, &rb->cap_tab, rb->n_tab + n_entries,
                                       sizeof(double)))
                rc = -1;
            if (rc) break;
            if (n_entries) { /* wrec follows wtab's capacity */
                int32_t *q = (int32_t *)realloc(rb->wrec, (size_t)rb->cap_tab * sizeof(int32_t));
                if (!q) {
                    rc = -1;
                    break;
                }
                rb->wrec = q;
            }
            rb->b_tgt[b] = (int32_t)tab[i].tgt;
            rb->b_fmt[b] = compact ? SS_COMPACT : q16 ? SS_Q16 : half ? SS_HALF : SS_WIDE;
            rb->b_tab0[b] = rb->n_tab;
            rb->b_ntab[b] = n_entries;
            rb->b_maxd[b] = max_d;
            if (q16) { /* the scale: the largest |w| is q = 65535, with the weights' sign */
                rb->wtab[rb->n_tab] = (has_neg ? -max_abs : max_abs) / 65535.0;
                rb->wrec[rb->n_tab] = 0;
                rb->n_tab++;
            }
            if (compact) { /* the distinct (weight, receptor) pairs in ascending order */
                qsort(dist, (size_t)distinct, sizeof(ss_rb_tab), tab_cmp);
                for (int64_t k2 = 0; k2 < distinct; k2++) {
                    rb->wtab[rb->n_tab] = dist[k2].w;
                    rb->wrec[rb->n_tab] = dist[k2].rec;
                    rb->n_tab++;
                }
            }
            rb->n_blocks++;
            i = j;
        }
    }
    free(cnt);
    free(off);
    free(touched);
    free(seen);
    free(dist);
    if (!rc) rb->core_block0[rb->n_cores] = rb->n_blocks;
    /* the stream's size: per row, runs of one block, each split into segments of at most
     * 65535 synapses behind a one-word header */
    for (int32_t c = 0; c < rb->n_cores && !rc; c++) {
        for (int64_t k = rb->core_block0[c]; k < rb->core_block0[c + 1]; k++)
            blk_of[rb->b_tgt[k]] = k;
        for (int64_t r = rb->row_base[c]; r < rb->row_base[c + 1]; r++)
            for (int64_t i = (int64_t)rb->start[r]; i < (int64_t)rb->start[r + 1];) {
                const uint32_t t = rb->syn[i].key / span;
                int64_t j = i;
                while (j < (int64_t)rb->start[r + 1] && rb->syn[j].key / span == t) j++;
                const int64_t b = blk_of[t], count = j - i;
                for (int64_t s0 = 0; s0 < count; s0 += 0xFFFF) /* header + body per segment */
                    rb->n_words += 1 + seg_body(rb->b_fmt[b], count - s0 < 0xFFFF ? count - s0
                                                                                 : 0xFFFF);
                if (rb->b_fmt[b] == SS_COMPACT) rb->n_compact += count;
                if (rb->b_fmt[b] == SS_HALF) rb->n_half += count;
                if (rb->b_fmt[b] == SS_Q16) rb->n_q16 += count;
                i = j;
            }
    }
    free(tmp);
    free(tab);
    free(blk_of);
    *n_blocks = rb->n_blocks;
    *n_tab = rb->n_tab;
    *n_words = rb->n_words;
    return rc;
}

/* A Q16 word: the half word of s (post | delay | receptor), q = |w| / |scale| rounded to
 * the nearest (ties to even) above it.  scale 0 (every weight 0): q = 0. */
static uint32_t q16_word(const ss_rb_syn *s, uint32_t post, double scale) {
    const double mag = fabs(scale);
    double q = mag > 0.0 ? nearbyint(fabs(s->w) / mag) : 0.0;
    if (q > 65535.0) q = 65535.0;
    const uint32_t h = post | ((uint32_t)s->delay << SS_H_POST_BITS) |
                       ((uint32_t)s->rec << (SS_H_POST_BITS + SS_H_DELAY_BITS));
    return h | ((uint32_t)q << 16);
}

/* Position of (w, rec) in a compact block's sorted table (it is there). */
static int64_t tab_index(const ss_rowbuild *rb, int64_t b, double w, int32_t rec) {
    int64_t lo = 0, hi = rb->b_ntab[b] - 1;
    const double *wt = rb->wtab + rb->b_tab0[b];
    const int32_t *wr = rb->wrec + rb->b_tab0[b];
    while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        if (wt[mid] < w || (wt[mid] == w && wr[mid] < rec)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Fill the caller's arrays: stream[n_words] (NULL: the words go over the records, in the
 * records' memory, which ss_rb_take_stream then hands over), row_ptr[n_rows] (every core's
 * n + 1 offsets),
 * per block src, tgt, fmt, wtab_start, max delay; wtab, wrec[n_tab]; n_compact[4]: the
 * synapses in compact blocks, all synapses, the synapses in half blocks, in Q16 blocks. */
int ss_rb_write(ss_rowbuild *rb, uint32_t *stream, uint64_t *row_ptr, int64_t *b_src,
                int64_t *b_tgt, int32_t *b_fmt, int64_t *wtab_start, int64_t *b_maxd,
                double *wtab, int32_t *wrec, int64_t *n_compact) {
    if (!rb->core_block0 || !rb->syn) return -2;
    /* In place: a row's words end before the next row's records begin (a synapse takes at
     * most 2 words and a header 1 word, i.e. 12 bytes, where its record takes 16), so each
     * row is copied aside and written over its own records and those of the rows before. */
    const int in_place = stream == NULL;
    int64_t longest = 0;
    for (int64_t r = 0; in_place && r < rb->n_rows; r++)
        if ((int64_t)(rb->start[r + 1] - rb->start[r]) > longest)
            longest = (int64_t)(rb->start[r + 1] - rb->start[r]);
    ss_rb_syn *row = in_place ? (ss_rb_syn *)malloc(((size_t)longest + 1) * sizeof(ss_rb_syn))
                              : NULL;
    int64_t *blk_of = (int64_t *)malloc(((size_t)rb->n_cores + 1) * sizeof(int64_t));
    if (!blk_of || (in_place && !row)) {
        free(blk_of);
        free(row);
        return -1;
    }
    if (in_place) stream = (uint32_t *)rb->syn;
    const uint32_t span = (uint32_t)rb->post_span;
    uint64_t pos = 0;
    for (int32_t c = 0; c < rb->n_cores; c++) {
        const int64_t b0 = rb->core_block0[c];
        for (int64_t k = b0; k < rb->core_block0[c + 1]; k++) {
            blk_of[rb->b_tgt[k]] = k;
            b_src[k] = c;
            b_tgt[k] = rb->b_tgt[k];
            b_fmt[k] = rb->b_fmt[k];
            wtab_start[k] = rb->b_tab0[k];
            b_maxd[k] = rb->b_maxd[k];
        }
        for (int64_t r = rb->row_base[c]; r < rb->row_base[c + 1]; r++) {
            row_ptr[r] = pos;
            const int64_t len = (int64_t)(rb->start[r + 1] - rb->start[r]);
            const ss_rb_syn *syn = rb->syn + rb->start[r];
            if (in_place) {
                memcpy(row, syn, (size_t)len * sizeof(ss_rb_syn));
                syn = row;
            }
            for (int64_t i = 0; i < len;) {
                const uint32_t t = syn[i].key / span;
                int64_t j = i;
                while (j < len && syn[j].key / span == t) j++;
                const int64_t b = blk_of[t];
                for (int64_t s0 = i; s0 < j; s0 += 0xFFFF) {
                    const int64_t count = j - s0 < 0xFFFF ? j - s0 : 0xFFFF;
                    stream[pos++] = (uint32_t)((b - b0) << 16) | (uint32_t)count;
                    if (rb->b_fmt[b] == SS_HALF) { /* weights, then 16-bit words, two a word */
                        for (int64_t k = 0; k < count; k++) {
                            const float w32 = (float)syn[s0 + k].w;
                            memcpy(&stream[pos + k], &w32, sizeof w32);
                        }
                        pos += count;
                        for (int64_t k = 0; k < count; k += 2) {
                            uint32_t word = 0;
                            for (int64_t q = k; q < k + 2 && q < count; q++) {
                                const ss_rb_syn *s = &syn[s0 + q];
                                const uint32_t h = (s->key % span) |
                                                   ((uint32_t)s->delay << SS_H_POST_BITS) |
                                                   ((uint32_t)s->rec
                                                    << (SS_H_POST_BITS + SS_H_DELAY_BITS));
                                word |= h << (16 * (q - k));
                            }
                            stream[pos++] = word;
                        }
                        continue;
                    }
                    for (int64_t k = s0; k < s0 + count; k++) {
                        const ss_rb_syn *s = &syn[k];
                        const uint32_t post = s->key % span;
                        if (rb->b_fmt[b] == SS_Q16) {
                            stream[pos++] = q16_word(s, post, rb->wtab[rb->b_tab0[b]]);
                        } else if (rb->b_fmt[b] == SS_COMPACT) {
                            const uint32_t ti = (uint32_t)tab_index(rb, b, s->w, s->rec);
                            stream[pos++] = post | ((uint32_t)s->delay << SS_C_POST_BITS) |
                                            (ti << (SS_C_POST_BITS + SS_C_DELAY_BITS));
                        } else {
                            const float w32 = (float)s->w;
                            uint32_t bits;
                            memcpy(&bits, &w32, sizeof bits);
                            stream[pos++] = post | ((uint32_t)s->delay << SS_W_POST_BITS) |
                                            ((uint32_t)s->rec << (SS_W_POST_BITS + SS_W_DELAY_BITS));
                            stream[pos++] = bits;
                        }
                    }
                }
                i = j;
            }
        }
    }
    if (rb->n_tab) {
        memcpy(wtab, rb->wtab, (size_t)rb->n_tab * sizeof(double));
        memcpy(wrec, rb->wrec, (size_t)rb->n_tab * sizeof(int32_t));
    }
    n_compact[0] = rb->n_compact;
    n_compact[1] = rb->n_syn;
    n_compact[2] = rb->n_half;
    n_compact[3] = rb->n_q16;
    free(blk_of);
    free(row);
    rb->written_in_place = in_place;
    return 0;
}

/* After an in-place ss_rb_write: the words (n_words of them), in memory shrunk to their
 * size, now the caller's (ss_rb_free_stream); the builder forgets them.  NULL otherwise. */
uint32_t *ss_rb_take_stream(ss_rowbuild *rb) {
    if (!rb->written_in_place || !rb->syn) return NULL;
    const size_t bytes = ((size_t)rb->n_words + 1) * sizeof(uint32_t);
    uint32_t *words = (uint32_t *)realloc(rb->syn, bytes);
    if (!words) words = (uint32_t *)rb->syn; /* shrinking refused: keep it as it is */
    rb->syn = NULL;
    rb->written_in_place = 0;
    return words;
}

void ss_rb_free_stream(uint32_t *stream) { free(stream); }
