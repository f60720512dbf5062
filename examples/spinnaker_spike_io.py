"""Live spikes in and out, written the way sPyNNaker's live examples are (spike_io style).

Two synfire rings: a program (the "controller", here in the same script) sends spikes into
a ``SpikeInjector`` when the simulation starts; the injector drives the first neuron of a
ring of IF_curr_exp cells, and the ring's spikes come back to the controller live.  With
``--forever`` the network runs until the controller, having seen enough spikes, calls
``request_stop()`` from its receive callback.

Run it::

    python examples/spinnaker_spike_io.py [--forever] [--board 127.0.0.1] [--port 19999]

``--connections spynnaker`` uses sPyNNaker's own connection class (the ``spynnaker``
package) instead of spinstream's.  It prints a JSON summary on its last line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import threading
import time

import spinstream.pyNN as p
from spinstream.spinnaker import external_devices

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--forever", action="store_true", help="run until request_stop()")
parser.add_argument("--board", default="127.0.0.1", help="loopback address of the board")
parser.add_argument("--port", type=int, default=19999, help="notification port")
parser.add_argument("--connections", choices=["spinstream", "spynnaker"], default="spinstream")
parser.add_argument("--stop-after", type=int, default=150, help="spikes before stopping")
args = parser.parse_args()

if args.connections == "spynnaker":
    Connection = importlib.import_module(
        "spynnaker.pyNN.connections"
    ).SpynnakerLiveSpikesConnection
else:
    Connection = external_devices.SpynnakerLiveSpikesConnection

# real time, as on a board: the controller and the network share the wall clock
p.setup(timestep=1.0, min_delay=1.0, mode="realtime")
external_devices.configure_live_io(board_address=args.board)
run_time = 2000
n_neurons = 50
weight_to_spike = 2.0
cell_params = {
    "cm": 0.25,
    "i_offset": 0.0,
    "tau_m": 20.0,
    "tau_refrac": 2.0,
    "tau_syn_E": 5.0,
    "tau_syn_I": 5.0,
    "v_reset": -70.0,
    "v_rest": -65.0,
    "v_thresh": -50.0,
}

# the network: injectors drive two rings of neurons; the rings' spikes go out live
rings = {}
for name in ("forward", "backward"):
    injector = p.Population(
        n_neurons,
        external_devices.SpikeInjector(database_notify_port_num=args.port),
        label=f"spike_injector_{name}",
    )
    ring = p.Population(n_neurons, p.IF_curr_exp(**cell_params), label=f"pop_{name}")
    p.Projection(injector, ring, p.OneToOneConnector(), p.StaticSynapse(weight=weight_to_spike))
    step = 1 if name == "forward" else -1
    links = [(i, (i + step) % n_neurons, weight_to_spike, 3.0) for i in range(n_neurons)]
    p.Projection(
        ring, ring, p.FromListConnector(links), p.StaticSynapse(weight=weight_to_spike, delay=3.0)
    )
    ring.record("spikes")
    injector.record("spikes")
    external_devices.activate_live_output_for(ring, database_notify_port_num=args.port)
    rings[name] = (injector, ring)

# the controller: one connection that sends to the injectors and hears the rings
lock = threading.Lock()
heard: list[tuple[str, int, int]] = []
sent: list[tuple[str, int]] = []
connection = Connection(
    receive_labels=["pop_forward", "pop_backward"],
    send_labels=["spike_injector_forward", "spike_injector_backward"],
    local_host="127.0.0.1",
    local_port=args.port,
)


def send_input(label: str, conn: object) -> None:
    """Start both rings by kicking one neuron each (on the connection's own thread)."""
    time.sleep(0.05)
    neuron = 0 if "forward" in label else n_neurons - 1
    with lock:
        sent.append((label, neuron))
    connection.send_spike(label, neuron, send_full_keys=True)


def receive_spikes(label: str, step: int, neuron_ids: list[int]) -> None:
    """Print what the rings send, and stop a run_forever() after enough of it."""
    with lock:
        heard.extend((label, step, n) for n in neuron_ids)
        enough = len(heard) >= args.stop_after
    for n in neuron_ids:
        print(f"received spike at step {step} from {label} neuron {n}")
    if args.forever and enough:
        external_devices.request_stop()


for name in ("forward", "backward"):
    connection.add_start_resume_callback(f"spike_injector_{name}", send_input)
    connection.add_receive_callback(f"pop_{name}", receive_spikes)

if args.forever:
    external_devices.run_forever()
else:
    p.run(run_time)
time.sleep(0.3)  # the last packets are on their way

recorded = {}
for injector, ring in rings.values():
    for pop in (injector, ring):
        trains = pop.get_data("spikes").segments[0].spiketrains
        recorded[pop.label] = sorted(
            (round(float(t)), i) for i, tr in enumerate(trains) for t in tr.magnitude
        )
summary = {
    "time": p.get_current_time(),
    "heard": sorted(heard),
    "sent": sent,
    "recorded": recorded,
    "statistics": external_devices.live_io_statistics().malformed,
}
connection.close()
p.end()
print(json.dumps(summary))
