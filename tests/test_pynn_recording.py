"""Recording to neo: the structure PyNN's reference backends produce, segments, files."""

from __future__ import annotations

import neo
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pyNN import errors

import spinstream.pyNN as sim
from tests.reference import ReferenceBoard, trivial_plan


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=1, board=ReferenceBoard(), mapper=trivial_plan)
    yield sim
    sim.end()


def _driven(net, n=3, label="pop"):
    p = net.Population(n, net.IF_curr_exp(i_offset=1.0), label=label)
    p.record(["spikes", "v"])
    return p


def test_block_segment_train_signal_structure(net):
    """Names and annotations as pyNN.nest gives them (checked against NEST 3.10)."""
    p = _driven(net)
    net.run(40.0)
    block = p.get_data()
    assert block.name == "pop"
    assert block.annotations == {
        "size": 3,
        "first_index": 0,
        "last_index": 3,
        "first_id": int(p.first_id),
        "last_id": int(p.last_id),
        "label": "pop",
        "simulator": "spinstream",
        "dt": 0.1,
        "mpi_processes": 1,
    }
    assert 'Population "pop"' in block.description
    seg = block.segments[0]
    assert seg.name == "segment000"
    assert isinstance(seg.spiketrains, neo.spiketrainlist.SpikeTrainList)
    assert len(seg.spiketrains) == 3
    st = seg.spiketrains[1]
    assert st.annotations == {
        "source_population": "pop",
        "source_index": 1,
        "channel_id": int(p[1]),
    }
    assert float(st.t_start) == 0.0
    assert float(st.t_stop) == pytest.approx(40.0)
    assert st.units == neo.SpikeTrain([], t_stop=1, units="ms").units
    assert len(st) == 1
    assert float(st[0]) == pytest.approx(27.8, abs=0.1)
    (sig,) = seg.analogsignals
    assert sig.name == "v"
    assert sig.shape == (401, 3)
    assert_array_equal(sig.annotations["channel_ids"], [int(i) for i in p.all_cells])
    assert sig.annotations["source_population"] == "pop"
    assert_array_equal(sig.array_annotations["channel_index"], [0, 1, 2])
    assert float(sig.t_start) == 0.0
    assert float(sig.sampling_period) == pytest.approx(0.1)
    assert str(sig.units.dimensionality) == "mV"
    assert sig[0, 0] == -65.0 * sig.units


def test_views_select_channels_with_parent_indices(net):
    p = _driven(net, 4)
    net.run(5.0)
    seg = p[1:3].get_data().segments[0]
    assert [st.annotations["source_index"] for st in seg.spiketrains] == [1, 2]
    assert_array_equal(seg.analogsignals[0].array_annotations["channel_index"], [1, 2])
    assert seg.analogsignals[0].shape == (51, 2)
    only = p.get_data_by_indexes("v", [3]).segments[0].analogsignals[0]
    assert_array_equal(only.array_annotations["channel_index"], [3])


def test_record_subset_and_sampling_interval(net):
    p = net.Population(4, net.IF_curr_exp(i_offset=1.0), label="s")
    p[::2].record("v", sampling_interval=1.0)
    net.run(10.0)
    sig = p.get_data("v").segments[0].analogsignals[0]
    assert sig.shape == (11, 2)
    assert float(sig.sampling_period) == pytest.approx(1.0)
    assert_array_equal(sig.array_annotations["channel_index"], [0, 2])
    with pytest.raises(ValueError, match=r"multiple of the time step"):
        p.record("v", sampling_interval=0.25)
    with pytest.raises(ValueError, match=r"one sampling interval"):
        p.record("isyn_exc", sampling_interval=0.5)


def test_reset_starts_a_new_segment_and_clear_drops_data(net):
    p = _driven(net)
    net.run(10.0)
    net.reset(annotations={"trial": 0})
    net.run(5.0)
    block = p.get_data()
    assert [s.name for s in block.segments] == ["segment000", "segment001"]
    assert block.segments[0].annotations == {"trial": 0}
    assert [s.analogsignals[0].shape[0] for s in block.segments] == [101, 51]
    p.get_data(clear=True)
    net.run(5.0)
    block = p.get_data()
    assert len(block.segments) == 1
    sig = block.segments[0].analogsignals[0]
    assert float(sig.t_start) == pytest.approx(5.1)
    assert sig.shape == (50, 3)
    assert float(block.segments[0].spiketrains[0].t_start) == pytest.approx(5.0)


def test_clear_frees_the_recorded_data(net):
    """get_data(clear=True) frees the data in the runtime's recorder, in every segment."""
    p = _driven(net)
    other = _driven(net, 2, label="other")
    net.run(10.0)
    net.reset()
    net.run(5.0)
    recorder = p._runtime.recorder
    assert all((p._spec_id, "v") in seg.samples for seg in recorder._segments)
    p.get_data(clear=True)
    for seg in recorder._segments:
        assert p._spec_id not in seg.spikes
        assert all(key[0] != p._spec_id for key in seg.samples)
        assert (other._spec_id, "v") in seg.samples  # other populations keep theirs
    assert len(recorder.spikes(p._spec_id, segment=0)[0]) == 0
    assert len(other.get_data().segments) == 2
    net.run(5.0)
    block = p.get_data()
    (seg,) = block.segments
    sig = seg.analogsignals[0]
    assert float(sig.t_start) == pytest.approx(5.1)
    assert sig.shape == (50, 3)
    stamps, _, _ = recorder.samples(p._spec_id, "v")
    assert stamps.min() == 51  # only what was recorded after the clear is held
    # the same as data recorded without clearing, from 5 ms on
    net.reset()
    net.run(10.0)
    full = p.get_data().segments[-1].analogsignals[0]
    assert_allclose(sig.magnitude, full.magnitude[51:])


def test_reset_at_time_zero_adds_no_segment(net):
    p = _driven(net)
    net.reset()
    net.run(1.0)
    assert len(p.get_data().segments) == 1


def test_get_data_variables_and_errors(net):
    p = _driven(net)
    net.run(2.0)
    seg = p.get_data("spikes").segments[0]
    assert len(seg.analogsignals) == 0
    assert len(seg.spiketrains) == 3
    seg = p.get_data(["v"]).segments[0]
    assert len(seg.spiketrains) == 0
    assert len(seg.analogsignals) == 1
    with pytest.raises(errors.RecordingError, match=r"'pop'.*isyn_exc.*was not recorded"):
        p.get_data("isyn_exc")
    with pytest.raises(errors.RecordingError, match=r"cannot record 'w'"):
        p.get_data("w")


def test_spike_counts_and_spinnaker_data(net):
    p = _driven(net)
    net.run(60.0)
    counts = p.get_spike_counts()
    assert counts == {int(i): 2 for i in p.all_cells}
    assert p.mean_spike_count() == 2.0
    spikes = p.spinnaker_get_data("spikes")
    assert spikes.shape == (6, 2)
    assert_array_equal(np.unique(spikes[:, 0]), [0, 1, 2])
    v = p.spinnaker_get_data("v")
    assert v.shape == (601 * 3, 3)
    assert p.spinnaker_get_data("v", as_matrix=True).shape == (601, 3)
    assert_allclose(v[v[:, 0] == 1][:, 2], p.spinnaker_get_data("v", as_matrix=True)[:, 1])


def test_assembly_merges_populations(net):
    a = _driven(net, 3, "a")
    b = _driven(net, 2, "b")
    asm = a + b
    net.run(3.0)
    block = asm.get_data()
    seg = block.segments[0]
    assert len(seg.spiketrains) == 5
    (sig,) = seg.analogsignals
    assert sig.shape == (31, 5)
    assert_array_equal(sig.array_annotations["channel_index"], [0, 1, 2, 3, 4])
    assert_array_equal(
        sig.annotations["channel_ids"], [int(i) for i in list(a.all_cells) + list(b.all_cells)]
    )
    assert asm.get_spike_counts() == {**a.get_spike_counts(), **b.get_spike_counts()}


@pytest.mark.parametrize("suffix", [".pkl", ".nix"])
def test_write_data_and_files_on_end(tmp_path, suffix):
    sim.setup(timestep=0.1, board=ReferenceBoard(), mapper=trivial_plan)
    p = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="w")
    p.record(["spikes", "v"], to_file=str(tmp_path / f"end{suffix}"))
    sim.run(30.0)
    p.write_data(str(tmp_path / f"now{suffix}"))
    sim.end()
    for name in ("now", "end"):
        path = str(tmp_path / f"{name}{suffix}")
        io = neo.io.PickleIO(path) if suffix == ".pkl" else neo.io.NixIO(path, mode="ro")
        block = io.read_block()
        if hasattr(io, "close"):
            io.close()
        seg = block.segments[0]
        assert seg.analogsignals[0].shape == (301, 2)
        assert sum(len(st) for st in seg.spiketrains) == 2


def test_current_source_recording_and_changes_between_runs(net):
    p = net.Population(1, net.IF_curr_exp(), label="c")
    p.record("v")
    dc = net.DCSource(amplitude=0.5, start=2.0, stop=8.0)
    dc.record()
    p.inject(dc)
    net.run(5.0)
    dc.amplitude = 1.0
    net.run(5.0)
    i = dc.get_data()
    values = np.asarray(i.magnitude).reshape(-1)
    assert values.shape == (101,)
    assert values[10] == 0.0
    assert values[30] == 0.5
    assert values[60] == 1.0
    assert values[90] == 0.0
    v = p.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert v[20] == -65.0
    assert v[50] > -65.0
    with pytest.raises(errors.RecordingError, match=r"record\(\) before running"):
        net.NoisyCurrentSource(mean=0.0, stdev=1.0).get_data()


def test_record_none_changes_what_the_next_segment_records(net):
    p = net.Population(5, net.IF_cond_exp(), label="r")
    p[3:4].record("v")
    net.run(2.0)
    net.reset()
    p.record(None)
    p[4:5].record("v")
    net.run(2.0)
    segs = p.get_data().segments
    assert_array_equal(segs[0].analogsignals[0].array_annotations["channel_index"], [3])
    assert_array_equal(segs[1].analogsignals[0].array_annotations["channel_index"], [4])


def test_data_survives_end():
    sim.setup(timestep=0.1, board=ReferenceBoard(), mapper=trivial_plan)
    p = sim.Population(1, sim.IF_curr_exp(), label="kept")
    p.record("v")
    sim.run(5.0)
    sim.end()
    assert p.get_data().segments[0].analogsignals[0].shape == (51, 1)
    with pytest.raises(RuntimeError, match=r"closed"):
        sim.run(1.0)


def test_step_and_ac_sources_follow_pynn_conventions(net):
    step = net.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])
    assert len(step.times.evaluate()) == 2  # both first times fall on step 4
    assert step.amplitudes[0] == -0.5
    assert abs(step.times[1] - 0.9) < 1e-9
    with pytest.raises(ValueError, match=r"increasing"):
        net.StepCurrentSource(times=[0.4, 0.2], amplitudes=[1.0, 2.0])
    cells = net.Population(1, net.IF_curr_exp())
    ac = net.ACSource(start=5.0, stop=20.0, amplitude=1.0, frequency=20.0, phase=90.0)
    ac.record()
    cells.inject(ac)
    net.run(25.0)
    i = np.asarray(ac.get_data().magnitude).reshape(-1)
    assert i[50] == pytest.approx(1.0)  # the phase holds at t = start
    assert i[49] == 0.0
    assert i[200] == 0.0


class _InterruptedLoad(ReferenceBoard):
    """Ctrl-C arrives while the network is loaded onto the board (once)."""

    interrupted = False

    def load(self, spec, plan):
        if not self.interrupted:
            self.interrupted = True
            raise KeyboardInterrupt
        super().load(spec, plan)


def _empty_v(p):
    (seg,) = p.get_data("v").segments
    (v,) = seg.analogsignals
    return v


def test_get_data_of_an_empty_state_recording_is_an_empty_signal():
    """Before any step, after run(0), after clearing twice, after Ctrl-C while loading."""
    board = _InterruptedLoad()
    sim.setup(timestep=0.1, seed=1, board=board, mapper=trivial_plan)
    try:
        p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="p")
        p.record(["spikes", "v"])
        assert _empty_v(p).shape == (0, 3)  # before any step
        with pytest.raises(KeyboardInterrupt):
            sim.run(10.0)
        assert board.interrupted
        assert _empty_v(p).shape == (0, 3)
        sim.run(0.0)
        assert _empty_v(p).shape[1] == 3
        sim.run(10.0)
        assert _empty_v(p).shape == (101, 3)  # nothing lost around the interruption
        p.get_data(clear=True)
        first = p.get_data(clear=True)
        assert first.segments[0].analogsignals[0].shape == (0, 3)
        assert [len(st) for st in first.segments[0].spiketrains] == [0, 0, 0]
        sim.run(5.0)  # recording goes on after the clears
        assert _empty_v(p).shape == (50, 3)
    finally:
        sim.end()
