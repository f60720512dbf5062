"""sPyNNaker's WeightChangeable / WeightChanger (``sim.extra_models``; kernels_c/weight_change.c).

Hand-computed weights: each changer spike ``k`` (through its synapse ``k -> j``, weight dw)
adds dw to the changeable synapse ``k -> j``, clipped to [weight_min, weight_max]; the
changeable synapse then transmits the new weight (the jump of the target's synaptic
current).  The same weights whatever the chunking and the number of threads; mistakes are
refused where they are made.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose
from pyNN import errors

import spinstream.pyNN as sim
from tests.engine import require_engine
from tests.test_spinnaker_face import result, run_script

require_engine()

DT = 0.1


def network(threads: int = 1) -> tuple[object, object, object]:
    sim.setup(timestep=DT, threads=threads)
    pre = sim.Population(3, sim.SpikeSourceArray(spike_times=[[5.0, 30.0], [6.0, 31.0], []]))
    chg = sim.Population(
        3, sim.SpikeSourceArray(spike_times=[[10.0, 40.0], [10.0, 12.0, 14.0, 16.0], [11.0]])
    )
    post = sim.Population(2, sim.IF_curr_exp(tau_syn_E=5.0, v_thresh=100.0))
    a = sim.Projection(
        pre,
        post,
        sim.AllToAllConnector(),
        sim.WeightChangeable(weight_min=0.1, weight_max=1.2, weight=0.5, delay=1.0),
    )
    b = sim.Projection(
        chg,
        post,
        sim.FromListConnector(
            [(0, 0, 0.3), (1, 1, 0.25), (1, 0, -0.5), (2, 1, -0.9)], column_names=["weight"]
        ),
        sim.WeightChanger(weight_change=0.0, projection=a),
    )
    post.record("isyn_exc")
    return a, b, post


def test_changes_by_hand_and_the_changed_weight_is_transmitted() -> None:
    a, _, post = network()
    sim.run(20.0)
    w = a.get("weight", format="array")  # read from the board
    # 0 -> 0: +0.3 once (t = 10); 1 -> 1: +0.25 four times, clipped at 1.2;
    # 1 -> 0: -0.5 four times, clipped at 0.1; 2 -> 1: -0.9 once, clipped at 0.1
    assert_allclose(w, [[0.8, 0.5], [0.1, 1.2], [0.5, 0.1]], rtol=0, atol=1e-12)
    sim.run(30.0)  # pre 0 fires at 30 ms and 1 at 31 ms; changer 0 again at 40 ms
    w = a.get("weight", format="array")
    assert_allclose(w[0], [1.1, 0.5], rtol=0, atol=1e-12)
    # the current jumps by the weights as they were at 30 and 31 ms (arrivals 31, 32 ms)
    sig = post.get_data().segments[0].filter(name="isyn_exc")[0]
    i0 = np.asarray(sig)[:, 0]
    decay = math.exp(-DT / 5.0)
    jump = lambda t: i0[round(t / DT)] - i0[round(t / DT) - 1] * decay  # noqa: E731
    assert jump(31.0) == pytest.approx(0.8, abs=1e-9)  # 0 -> 0 after one change
    assert jump(32.0) == pytest.approx(0.1, abs=1e-9)  # 1 -> 0 clipped at weight_min
    assert jump(6.0) == pytest.approx(0.5, abs=1e-9)  # before any change
    sim.end()


@pytest.mark.parametrize("threads", [1, 2])
def test_same_weights_whatever_the_chunking_and_threads(threads: int) -> None:
    a, _, _ = network(threads)
    for _ in range(10):
        sim.run(5.0)
    cut = a.get("weight", format="array")
    sim.end()
    a, _, _ = network(1)
    sim.run(50.0)
    whole = a.get("weight", format="array")
    sim.end()
    assert np.array_equal(cut, whole)


def test_mistakes_are_refused_where_they_are_made() -> None:
    sim.setup(timestep=DT)
    pre = sim.Population(3, sim.SpikeSourceArray(spike_times=[[5.0]] * 3))
    small = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0]] * 2))
    post = sim.Population(2, sim.IF_curr_exp())
    other = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="weight_min"):
        sim.WeightChangeable(weight_min=1.0, weight_max=0.5)
    a = sim.Projection(pre, post, sim.OneToOneConnector(), sim.WeightChangeable(0.0, 1.0, 0.5))
    with pytest.raises(errors.ConnectionError, match="lies outside"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.WeightChangeable(0.0, 1.0, 1.5))
    with pytest.raises(errors.ConnectionError, match="WeightChangeable projection"):
        sim.WeightChanger(0.1, projection=object())
    changer = sim.WeightChanger(0.1, projection=a)
    with pytest.raises(errors.ConnectionError, match="onto the population"):
        sim.Projection(pre, other, sim.OneToOneConnector(), changer)
    with pytest.raises(errors.ConnectionError, match="as many neurons"):
        sim.Projection(small, post, sim.OneToOneConnector(), changer)
    with pytest.raises(errors.ConnectionError, match="receptor type"):
        sim.Projection(pre, post, sim.OneToOneConnector(), changer, receptor_type="inhibitory")
    with pytest.raises(errors.ConnectionError, match=r"\(1 -> 0\) has no synapse 1 -> 0"):
        sim.Projection(pre, post, sim.AllToAllConnector(), changer)
    # the session stays usable: a correct changer runs
    sim.Projection(pre, post, sim.OneToOneConnector(), changer)
    sim.run(10.0)
    assert_allclose(a.get("weight", format="array").diagonal(), [0.6, 0.6], atol=1e-12)
    sim.end()


def test_spynnaker_script_names_them(tmp_path: pathlib.Path) -> None:
    script = """
import json
import pyNN.spiNNaker as sim
sim.setup(timestep=1.0)
pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[2.0, 20.0], [3.0]]))
chg = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0], [5.0, 6.0]]))
post = sim.Population(2, sim.IF_curr_exp())
a = sim.Projection(pre, post, sim.OneToOneConnector(),
                   sim.extra_models.WeightChangeable(weight_min=0.0, weight_max=2.0, weight=1.0))
sim.Projection(chg, post, sim.OneToOneConnector(),
               sim.extra_models.WeightChanger(weight_change=-0.25, projection=a))
sim.run(30)
print(json.dumps({"w": [float(x) for x in a.get("weight", format="list", with_address=False)]}))
sim.end()
"""
    out = result(run_script(tmp_path, script))
    assert out["w"] == [0.75, 0.5]
