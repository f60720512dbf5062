/*
 * Included once by each model file (kernels_c/models/<model>.c) after it has defined MODEL,
 * PARAMS, DERIVED, STATE and RECEPTORS (see model.h): expands those lists into the named row
 * constants the kernel uses (P_<param>, S_<state>, N_PARAM_ROWS, N_STATE_ROWS) and into the
 * description tables that SS_DEFINE_MODEL publishes.
 */
#ifndef SPINSTREAM_MODEL_ROWS_H
#define SPINSTREAM_MODEL_ROWS_H

#include "model.h"

#define SS_P_ENUM(name, unit, constraint, value) P_##name,
#define SS_D_ENUM(name) P_##name,
#define SS_S_ENUM(name, unit, value) S_##name,
#define SS_P_COUNT(name, unit, constraint, value) +1
#define SS_R_COUNT(name) +1
#define SS_P_ROW(name, unit, constraint, value) {#name, unit, constraint, 0, value},
#define SS_D_ROW(name) {#name, "", SS_ANY, 0, 0.0},
#define SS_S_ROW(name, unit, value) {#name, unit, SS_ANY, 0, value},
#define SS_R_NAME(name) #name ","

#ifndef ALIASES
#define ALIASES ""
#endif
#ifndef COMPOSITION
#define COMPOSITION ""
#endif
#ifndef RECEPTOR_PARAMS
#define RECEPTOR_PARAMS(X)
#endif
#ifndef RECEPTOR_DERIVED
#define RECEPTOR_DERIVED(X)
#endif
#ifndef RECEPTOR_STATE
#define RECEPTOR_STATE(X)
#endif
#define SS_RP_ENUM(name, unit, constraint, value) RP_##name,
#define SS_RD_ENUM(name) RP_##name,
#define SS_RS_ENUM(name, unit, value) RS_##name,

enum { PARAMS(SS_P_ENUM) DERIVED(SS_D_ENUM) N_PARAM_ROWS };
enum { N_PYNN_PARAMS = 0 PARAMS(SS_P_COUNT) };
enum { STATE(SS_S_ENUM) N_STATE_ROWS };
enum { N_RECEPTORS = 0 RECEPTORS(SS_R_COUNT) };
enum { RECEPTOR_PARAMS(SS_RP_ENUM) RECEPTOR_DERIVED(SS_RD_ENUM) N_RPARAM_ROWS };
enum { N_RPYNN_PARAMS = 0 RECEPTOR_PARAMS(SS_P_COUNT) };
enum { RECEPTOR_STATE(SS_RS_ENUM) N_RSTATE_ROWS };

/* a last, empty entry: C99 has no empty arrays, and a source may have no rows */
static const ss_row param_rows[] = {PARAMS(SS_P_ROW) DERIVED(SS_D_ROW){0, 0, 0, 0, 0.0}};
static const ss_row state_rows[] = {STATE(SS_S_ROW){0, 0, 0, 0, 0.0}};
static const ss_row rparam_rows[] = {
    RECEPTOR_PARAMS(SS_P_ROW) RECEPTOR_DERIVED(SS_D_ROW){0, 0, 0, 0, 0.0}};
static const ss_row rstate_rows[] = {RECEPTOR_STATE(SS_S_ROW){0, 0, 0, 0, 0.0}};

#define SS_DEFINE_MODEL(pynn_name, is_source, prepare, update, restart)                      \
    const ss_model_desc SS_DESC(MODEL) = {pynn_name,                                         \
                                          ALIASES,                                           \
                                          param_rows,                                        \
                                          N_PYNN_PARAMS,                                     \
                                          N_PARAM_ROWS,                                      \
                                          state_rows,                                        \
                                          N_STATE_ROWS,                                      \
                                          N_RECEPTORS,                                       \
                                          "" RECEPTORS(SS_R_NAME),                           \
                                          is_source,                                         \
                                          N_RPYNN_PARAMS,                                    \
                                          COMPOSITION,                                       \
                                          rparam_rows,                                       \
                                          N_RPARAM_ROWS,                                     \
                                          N_RSTATE_ROWS,                                     \
                                          rstate_rows,                                       \
                                          prepare,                                           \
                                          update,                                            \
                                          restart}

#define NO_ROWS(X)

#endif
