/* spinstream engine: the layout of every struct shared with Python, for the binding's check
 * (spinstream/board/_engine.py refuses an engine whose sizes or offsets differ from its own
 * ctypes mirror).  A field added to engine.h and not here changes the struct's size, which the
 * check sees; a field renamed or removed there fails to compile here. */
#include <stddef.h>
#include <stdio.h>

#include "engine.h"

/* the fields of each struct, in engine.h order */
#define FIELDS_ss_probe(X) X(ss_probe, var) X(ss_probe, n) X(ss_probe, interval) \
    X(ss_probe, pad) X(ss_probe, index) X(ss_probe, out) X(ss_probe, out_stamp) \
    X(ss_probe, cap) X(ss_probe, count)
#define FIELDS_ss_core(X) X(ss_core, model) X(ss_core, n) X(ss_core, n_receptors) \
    X(ss_core, ring_mask) X(ss_core, gid0) X(ss_core, params) X(ss_core, state) \
    X(ss_core, refrac) X(ss_core, ring) X(ss_core, i_cs) X(ss_core, spike_out) \
    X(ss_core, spikes) X(ss_core, sched_stamp) X(ss_core, sched_index) X(ss_core, sched_n) \
    X(ss_core, sched_pos) X(ss_core, rng) X(ss_core, n_probes) X(ss_core, pad) \
    X(ss_core, probes) X(ss_core, packets_in) X(ss_core, spikes_out) X(ss_core, row_ptr) \
    X(ss_core, rows) X(ss_core, block0) X(ss_core, cs_active) X(ss_core, uniform) \
    X(ss_core, pad2)
#define FIELDS_ss_block(X) X(ss_block, target) X(ss_block, format) X(ss_block, wtab) \
    X(ss_block, wrec)
#define FIELDS_ss_csrc(X) X(ss_csrc, kind) X(ss_csrc, n_targets) X(ss_csrc, t_core) \
    X(ss_csrc, t_index) X(ss_csrc, start) X(ss_csrc, stop) X(ss_csrc, amplitude) \
    X(ss_csrc, offset) X(ss_csrc, frequency) X(ss_csrc, phase) X(ss_csrc, mean) \
    X(ss_csrc, stdev) X(ss_csrc, interval) X(ss_csrc, n_steps) X(ss_csrc, step_at) \
    X(ss_csrc, step_amp) X(ss_csrc, pos) X(ss_csrc, current) X(ss_csrc, noise) X(ss_csrc, rng) \
    X(ss_csrc, rec) X(ss_csrc, rec_cap) X(ss_csrc, rec_n)
#define FIELDS_ss_engine(X) X(ss_engine, dt) X(ss_engine, step) X(ss_engine, n_cores) \
    X(ss_engine, n_blocks) X(ss_engine, cores) X(ss_engine, blocks) X(ss_engine, route_ptr) \
    X(ss_engine, route_target) X(ss_engine, route_block) X(ss_engine, n_csrc) X(ss_engine, pad) \
    X(ss_engine, csrc) X(ss_engine, out_stamp) X(ss_engine, out_gid) X(ss_engine, out_cap) \
    X(ss_engine, out_n) X(ss_engine, out_reserve) X(ss_engine, out_lost) X(ss_engine, plastic) \
    X(ss_engine, pool) X(ss_engine, structural)
#define FIELDS_ss_rule(X) X(ss_rule, kind) X(ss_rule, pad) X(ss_rule, tau_plus) \
    X(ss_rule, tau_minus) X(ss_rule, a_plus) X(ss_rule, a_minus) X(ss_rule, w_min) \
    X(ss_rule, w_max) X(ss_rule, u_use) X(ss_rule, tau_rec) X(ss_rule, tau_facil) \
    X(ss_rule, p_release) X(ss_rule, alpha) X(ss_rule, tau_x) X(ss_rule, a3_plus) \
    X(ss_rule, a3_minus) X(ss_rule, lut_plus) X(ss_rule, lut_x) X(ss_rule, tau_c) \
    X(ss_rule, tau_d) X(ss_rule, nm_w_min) X(ss_rule, nm_w_max) X(ss_rule, da) X(ss_rule, lut_c) \
    X(ss_rule, lut_d)
#define FIELDS_ss_post(X) X(ss_post, n) X(ss_post, cap) X(ss_post, cap_max) X(ss_post, d_max) \
    X(ss_post, tau_minus) X(ss_post, lut_minus) X(ss_post, t) X(ss_post, k) X(ss_post, reads) \
    X(ss_post, head) X(ss_post, len) X(ss_post, n_in) X(ss_post, col_ptr) X(ss_post, col_syn) \
    X(ss_post, col_seg) X(ss_post, col_dr) X(ss_post, tau_y) X(ss_post, lut_y) X(ss_post, k2) \
    X(ss_post, tau_d) X(ss_post, lut_d)
#define FIELDS_ss_pblock(X) X(ss_pblock, rule) X(ss_pblock, pad) X(ss_pblock, tau_syn)
#define FIELDS_ss_plastic(X) X(ss_plastic, n_rules) X(ss_plastic, full) X(ss_plastic, rules) \
    X(ss_plastic, blocks) X(ss_plastic, post) X(ss_plastic, seg_syn) X(ss_plastic, seg_state) \
    X(ss_plastic, seg_trace) X(ss_plastic, seg_last) X(ss_plastic, w) X(ss_plastic, tm_xy) \
    X(ss_plastic, pending) X(ss_plastic, lost) X(ss_plastic, seg_trace2)
#define FIELDS_ss_sp_proj(X) X(ss_sp_proj, n_pre) X(ss_sp_proj, lateral) \
    X(ss_sp_proj, grid_x) X(ss_sp_proj, grid_y) X(ss_sp_proj, p_form) \
    X(ss_sp_proj, two_sigma2) X(ss_sp_proj, p_dep) X(ss_sp_proj, p_pot) \
    X(ss_sp_proj, threshold) X(ss_sp_proj, w_init) X(ss_sp_proj, pend_none) \
    X(ss_sp_proj, pair) X(ss_sp_proj, row_n) X(ss_sp_proj, pair_n) X(ss_sp_proj, elim_tries) \
    X(ss_sp_proj, eliminations) X(ss_sp_proj, form_tries) X(ss_sp_proj, formations)
#define FIELDS_ss_sp_core(X) X(ss_sp_core, n) X(ss_sp_core, lo) X(ss_sp_core, n_pop) \
    X(ss_sp_core, n_proj) X(ss_sp_core, s_max) X(ss_sp_core, per_step) X(ss_sp_core, period) \
    X(ss_sp_core, partner) X(ss_sp_core, buf_cap) X(ss_sp_core, replace) \
    X(ss_sp_core, buf_n) X(ss_sp_core, buf_stamp) X(ss_sp_core, seed) \
    X(ss_sp_core, shared_stream) X(ss_sp_core, local_stream) X(ss_sp_core, shared) \
    X(ss_sp_core, local) X(ss_sp_core, projs) X(ss_sp_core, slot) X(ss_sp_core, c_syn) \
    X(ss_sp_core, c_pend) X(ss_sp_core, c_pre) X(ss_sp_core, c_proj) X(ss_sp_core, buf) \
    X(ss_sp_core, attempts)
#define FIELDS_ss_structural(X) X(ss_structural, n_cores) X(ss_structural, pad) \
    X(ss_structural, cores) X(ss_structural, count) X(ss_structural, seg_pre) \
    X(ss_structural, seg_proj)

int64_t ss_layout(char *buf, int64_t cap) {
    /* the text's length; it is written (NUL-terminated) only when it fits in cap bytes */
    char scratch[1];
    char *out = buf && cap > 0 ? buf : scratch;
    size_t room = buf && cap > 0 ? (size_t)cap : 0, at = 0;
#define PUT(...) at += (size_t)snprintf(out + (at < room ? at : 0), at < room ? room - at : 0, __VA_ARGS__)
#define FIELD(s, f) PUT(" %s:%zu", #f, offsetof(s, f));
#define STRUCT(s)                                                                            \
    PUT("%s %zu", #s, sizeof(s));                                                            \
    FIELDS_##s(FIELD) PUT("\n");
    STRUCT(ss_probe)
    STRUCT(ss_core)
    STRUCT(ss_block)
    STRUCT(ss_csrc)
    STRUCT(ss_engine)
    STRUCT(ss_rule)
    STRUCT(ss_post)
    STRUCT(ss_pblock)
    STRUCT(ss_plastic)
    STRUCT(ss_sp_proj)
    STRUCT(ss_sp_core)
    STRUCT(ss_structural)
#undef FIELD
#undef STRUCT
#undef PUT
    return (int64_t)at;
}
