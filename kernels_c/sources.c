/* spinstream engine: random and scheduled spike sources, current sources, random numbers. */
#include <math.h>
#include <string.h>

#include "model.h"

/* ---- xoshiro256** seeded through splitmix64 ---- */
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ss_next(uint64_t *s) {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ss_seed(uint64_t *rng, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    for (int i = 0; i < 4; i++) rng[i] = splitmix64(&x);
}

double ss_uniform(uint64_t *s) { return ((ss_next(s) >> 11) + 1) * 0x1.0p-53; }

double ss_exponential(uint64_t *s) { return -log(ss_uniform(s)); }

double ss_normal(uint64_t *s) {
    const double u1 = ss_uniform(s), u2 = ss_uniform(s);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * SS_PI * u2);
}

/* Marsaglia & Tsang (2000) for shape k > 0, scale 1. */
static double gamma_draw(uint64_t *s, double k) {
    if (k < 1.0) return gamma_draw(s, k + 1.0) * pow(ss_uniform(s), 1.0 / k);
    const double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = ss_normal(s);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = ss_uniform(s);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* ---- random sources: renewal processes in units of steps ----
 * Shared by the source models (kernels_c/models/spike_source_*.c), which pass their rows. */

/* The next inter-spike interval of neuron i, in steps (INFINITY when silent). */
static double interval(ss_core *c, const ss_source_rows *r, int64_t i) {
    const int64_t n = c->n;
    const double *P = c->params;
    const double lam = ROW(P, r->lambda)[i];
    if (!(lam > 0.0)) return INFINITY;
    if (r->shape >= 0) return gamma_draw(c->rng, ROW(P, r->shape)[i]) / lam;
    const double isi = ss_exponential(c->rng) / lam;
    return r->dead >= 0 ? ROW(P, r->dead)[i] + isi : isi;
}

int ss_source_prepare(ss_engine *e, ss_core *c, const ss_source_rows *r) {
    const int64_t n = c->n;
    const double dt = e->dt;
    double *P = c->params;
    for (int64_t i = 0; i < n; i++) {
        const double rate = ROW(P, r->rate)[i], start = ROW(P, r->start)[i];
        const double dur = ROW(P, r->duration)[i];
        double lam = rate * dt / 1000.0; /* events per step */
        if (r->dead >= 0) {
            const double dead = ROW(P, r->tau_refrac)[i] / dt; /* steps */
            ROW(P, r->dead)[i] = dead;
            if (lam > 0) {
                const double free = 1.0 / lam - dead; /* mean ISI minus dead time, steps */
                if (!(free > 0)) return SS_ERR_RATE;  /* rate too high for the dead time */
                lam = 1.0 / free;
            }
        }
        ROW(P, r->lambda)[i] = lam;
        ROW(P, r->first)[i] = floor(start / dt + 1e-9) + 1.0;
        ROW(P, r->last)[i] = isinf(dur) ? INFINITY : floor((start + dur) / dt + 1e-9);
    }
    return 0;
}

void ss_source_restart(ss_engine *e, ss_core *c, const ss_source_rows *r, const int32_t *index,
                       int32_t k) {
    const int64_t n = c->n;
    double *next = ROW(c->state, r->next);
    for (int32_t j = 0; j < k; j++) {
        const int32_t i = index[j];
        if (i < 0 || i >= c->n) continue;
        next[i] = (double)e->step + interval(c, r, i);
    }
}

int32_t ss_source_update(ss_engine *e, ss_core *c, int64_t m, const ss_source_rows *r) {
    const int64_t n = c->n;
    const double *first = ROW(c->params, r->first), *last = ROW(c->params, r->last);
    double *next = ROW(c->state, r->next);
    const double stamp = (double)(m + 1);
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        while (next[i] <= stamp) {
            if (stamp >= first[i] && stamp <= last[i]) {
                ss_emit(e, c, (int32_t)i, m + 1);
                k++;
            }
            next[i] += interval(c, r, i);
        }
    }
    return k;
}

/* ---- current sources ---- */

void ss_apply_current_sources(ss_engine *e, int64_t m) {
    for (int32_t ci = 0; ci < e->n_cores; ci++) {
        ss_core *c = &e->cores[ci];
        if (c->cs_active) memset(c->i_cs, 0, sizeof(double) * (size_t)c->n);
    }
    for (int32_t s = 0; s < e->n_csrc; s++) {
        ss_csrc *cs = &e->csrc[s];
        double amp = 0.0;
        const int on = m >= cs->start && m < cs->stop;
        switch (cs->kind) {
        case SS_CS_DC:
            if (on) amp = cs->amplitude;
            break;
        case SS_CS_AC:
            if (on)
                amp = cs->offset + cs->amplitude * sin(2.0 * SS_PI * cs->frequency * (double)m *
                                                           e->dt / 1000.0 +
                                                       cs->phase);
            break;
        case SS_CS_STEP:
            while (cs->pos < cs->n_steps && cs->step_at[cs->pos] <= m) {
                cs->current = cs->step_amp[cs->pos];
                cs->pos++;
            }
            amp = cs->current;
            break;
        case SS_CS_NOISY:
            if (on) {
                if ((m - cs->start) % cs->interval == 0)
                    for (int32_t j = 0; j < cs->n_targets; j++)
                        cs->noise[j] = cs->mean + cs->stdev * ss_normal(cs->rng);
                for (int32_t j = 0; j < cs->n_targets; j++)
                    e->cores[cs->t_core[j]].i_cs[cs->t_index[j]] += cs->noise[j];
            }
            if (cs->rec && cs->rec_n < cs->rec_cap) { /* the mean over the targets */
                double sum = 0.0;
                for (int32_t j = 0; on && j < cs->n_targets; j++) sum += cs->noise[j];
                cs->rec[cs->rec_n++] = on && cs->n_targets ? sum / cs->n_targets : 0.0;
            }
            continue;
        default:
            continue;
        }
        if (cs->rec && cs->rec_n < cs->rec_cap) cs->rec[cs->rec_n++] = amp;
        if (amp == 0.0) continue;
        for (int32_t j = 0; j < cs->n_targets; j++)
            e->cores[cs->t_core[j]].i_cs[cs->t_index[j]] += amp;
    }
}
