/*
 * The engine's models, one line each: SS_MODEL(<C name of its file in this folder>).
 * A model's id is its position here: append new models, never reorder (docs/MODELS.md).
 * The build compiles every file of this folder and refuses a model file with no line here.
 */
SS_MODEL(if_curr_exp)
SS_MODEL(if_cond_exp)
SS_MODEL(if_curr_alpha)
SS_MODEL(if_curr_delta)
SS_MODEL(izhikevich)
SS_MODEL(spike_source_poisson)
SS_MODEL(spike_source_array)
SS_MODEL(if_cond_alpha)
SS_MODEL(eif_cond_exp_isfa_ista)
SS_MODEL(eif_cond_alpha_isfa_ista)
SS_MODEL(hh_cond_exp)
SS_MODEL(spike_source_gamma)
SS_MODEL(spike_source_poisson_refractory)
SS_MODEL(if_curr_dual_exp)
SS_MODEL(adexp_cond_alpha_multisynapse)
SS_MODEL(lif_curr_exp_multisynapse)
SS_MODEL(adexp_cond_beta_multisynapse)
SS_MODEL(if_curr_exp_ca2_adaptive)
SS_MODEL(if_curr_delta_ca2_adaptive)
SS_MODEL(izhikevich_cond)
SS_MODEL(izhikevich_cond_dual)
SS_MODEL(if_curr_exp_semd)
