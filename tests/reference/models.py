"""How each engine model is checked against something independent: the registry the suite holds
every model of the engine to (tests/test_models.py fails for a model missing here).

Each entry names the tests that compare the model with the ReferenceBoard (written from
docs/ENGINE.md alone), NEST (through PyNN or directly), Brian2, or a closed form, as
``"module::test_function"``; a test parametrised over ``model`` must list the model among its
parameters.  At least one entry of a model must be an independent comparison (not the C engine
against itself).
"""

from __future__ import annotations

COMPARISONS: dict[str, tuple[str, ...]] = {
    "IF_curr_exp": (
        "test_engine_models::test_host_matches_reference_board",
        "test_pynn_reference::test_single_neuron_matches_nest",
        "test_reference_closed_form::test_dc_charging_matches_closed_form",
        "test_engine_closed_form::test_current_psp_shape",
    ),
    "IF_curr_alpha": (
        "test_engine_models::test_host_matches_reference_board",
        "test_pynn_reference::test_single_neuron_matches_nest",
        "test_reference_closed_form::test_dc_charging_matches_closed_form",
        "test_engine_closed_form::test_current_psp_shape",
    ),
    "IF_curr_delta": (
        "test_engine_models::test_host_matches_reference_board",
        "test_reference_closed_form::test_dc_charging_matches_closed_form",
        "test_engine_closed_form::test_delta_psp_jumps_at_arrival_and_decays",
    ),
    "IF_cond_exp": (
        "test_engine_models::test_host_matches_reference_board",
        "test_pynn_reference::test_single_neuron_matches_nest",
        "test_reference_closed_form::test_cond_exp_subthreshold_matches_fine_ode_solution",
    ),
    "IF_cond_alpha": ("test_pynn_reference::test_single_neuron_matches_nest",),
    "Izhikevich": (
        "test_engine_models::test_host_matches_reference_board",
        "test_pynn_reference::test_single_neuron_matches_nest",
        "test_reference_closed_form::test_izhikevich_steps_match_hand_computed_euler",
    ),
    "EIF_cond_exp_isfa_ista": ("test_pynn_reference::test_single_neuron_matches_nest",),
    "EIF_cond_alpha_isfa_ista": ("test_pynn_reference::test_single_neuron_matches_nest",),
    "HH_cond_exp": ("test_pynn_reference::test_single_neuron_matches_nest",),
    "IF_curr_dual_exp": (
        "test_model_if_curr_dual_exp::test_host_matches_reference_board",
        "test_model_if_curr_dual_exp::test_excitatory2_psp_matches_closed_form",
        "test_model_if_curr_dual_exp::test_matches_nest_iaf_psc_exp_multisynapse",
    ),
    "AdExp_cond_alpha_multisynapse": (
        "test_pynn_composed::test_adexp_cond_alpha_point_neuron_matches_nest",
        "test_pynn_composed::test_receptor_conductances_are_recorded_and_follow_the_alpha_shape",
    ),
    "AdExp_cond_beta_multisynapse": (
        "test_pynn_composed::test_adexp_cond_beta_point_neuron_matches_nest",
    ),
    "LIF_cond_exp_multisynapse": (
        "test_pynn_composed::test_cond_point_neuron_matches_nest_two_receptor_model",
    ),
    "LIF_cond_alpha_multisynapse": (
        "test_pynn_composed::test_cond_point_neuron_matches_nest_two_receptor_model",
    ),
    "AdExp_cond_exp_multisynapse": (
        "test_pynn_composed::test_cond_point_neuron_matches_nest_two_receptor_model",
    ),
    "LIF_cond_beta_multisynapse": (
        "test_pynn_composed::test_cond_point_neuron_matches_nest_two_receptor_model",
    ),
    "AdExp_curr_exp_multisynapse": (
        "test_pynn_composed::test_cond_point_neuron_matches_nest_two_receptor_model",
    ),
    "LIF_curr_exp_multisynapse": (
        "test_pynn_composed::test_lif_curr_exp_point_neuron_with_signed_weights_matches_nest",
    ),
    "IFCurrExpCa2Adaptive": (
        "test_model_if_curr_exp_ca2_adaptive::test_host_matches_reference_board",
        "test_model_if_curr_exp_ca2_adaptive::test_dc_driven_neuron_matches_closed_forms",
    ),
    "IFCurrDeltaCa2Adaptive": (
        "test_model_if_curr_delta_ca2_adaptive::test_host_matches_reference_board",
        "test_model_if_curr_delta_ca2_adaptive::test_jump_on_a_decaying_calcium_current_matches_closed_form",
        "test_model_if_curr_delta_ca2_adaptive::test_dc_driven_neuron_matches_closed_forms",
    ),
    "Izhikevich_cond": (
        "test_model_izhikevich_cond::test_host_matches_reference_board",
        "test_model_izhikevich_cond::test_matches_fine_ode_solution",
    ),
    "Izhikevich_cond_dual": (
        "test_model_izhikevich_cond_dual::test_host_matches_reference_board",
        "test_model_izhikevich_cond_dual::test_excitatory2_conductance_and_equivalence_with_izhikevich_cond",
    ),
    "IF_curr_exp_sEMD": (
        "test_model_if_curr_exp_semd::test_host_matches_reference_board",
        "test_model_if_curr_exp_semd::test_trigger_samples_the_facilitation_closed_form",
    ),
    "IFTruncDelta": (
        "test_model_if_trunc_delta::test_dc_drive_fires_at_the_exact_step_and_rests_refractory",
        "test_model_if_trunc_delta::test_truncation_jumps_and_drive_match_the_rule",
        "test_model_if_trunc_delta::"
        "test_spynnaker_script_at_one_millisecond_follows_the_per_step_rule",
    ),
    "IZK_curr_exp": (
        "test_model_izk_curr_exp::test_matches_fine_ode_solution",
        "test_model_izk_curr_exp::test_dc_spike_times_match_nest_izhikevich",
    ),
    "SpikeSourcePoisson": (
        "test_reference_closed_form::test_poisson_counts_and_intervals",
        "test_engine_sources::test_poisson_intervals_in_steps_match_a_numpy_simulation",
    ),
    "SpikeSourceArray": (
        "test_reference_closed_form::test_spike_array_stamps_and_stamp_zero",
        "test_engine_sources::test_spike_source_array_exact_stamps_including_t0",
    ),
    "SpikeSourceGamma": (
        "test_engine_sources::test_gamma_source_rate_cv_and_interval_distribution",
    ),
    "SpikeSourcePoissonRefractory": (
        "test_engine_sources::test_poisson_refractory_source_never_fires_within_tau_refrac",
    ),
    "StocExp": (
        "test_model_stochastic::test_stoc_exp_onset_probability_and_on_period_of_tau",
        "test_model_stochastic::test_stoc_exp_input_of_a_step_enters_its_probability",
    ),
    "StocExpStable": (
        "test_model_stochastic::"
        "test_stoc_exp_stable_first_spike_times_follow_the_integrated_probability",
    ),
    "StocSigma": (
        "test_model_stochastic::"
        "test_stoc_sigma_fires_with_probability_two_to_minus_two_to_minus_alpha_v",
    ),
    "IFCurrDeltaFixedProb": (
        "test_model_stochastic::"
        "test_if_curr_delta_fixed_prob_fires_with_p_thresh_at_or_above_threshold",
        "test_model_stochastic::test_if_curr_delta_fixed_prob_with_p_thresh_one_is_if_curr_delta",
    ),
    "IFCondExpStoc": ("test_model_stochastic::test_if_cond_exp_stoc_soft_threshold_probability",),
    "SpikeSourcePoissonVariable": (
        "test_model_poisson_variable::test_count_per_window_is_rate_times_length",
        "test_model_poisson_variable::test_intervals_within_a_window_are_exponential",
        "test_model_poisson_variable::test_matches_nest_inhomogeneous_poisson_generator",
    ),
}
