"""A live client process for the tests: sPyNNaker's connection classes, or spinstream's.

Usage: ``python spike_client.py CONFIG_JSON``; the config says which connection module to
use (``spynnaker.pyNN.connections`` or ``spinstream.spinnaker.connections``), the labels,
the notification port, and what to send:

* ``init_sends``: per run (by the order of database reads), atoms sent from the init
  callback, i.e. before the client answers the notification (they land at the run's first
  step);
* ``echo``: every spike received from ``echo_from`` is sent back to ``echo_to`` at once;
* ``rates``: per run, ``[[neuron, Hz], ...]`` set from the init callback of a Poisson
  control connection.

It prints ``READY`` once listening, then at the end one JSON line: the spikes received
``[label, step, atom]``, the echoes sent ``[step received, atom]`` and the notifications
seen.  It ends after ``runs`` stop notifications, or after ``timeout`` seconds.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time


def main() -> None:
    cfg = json.loads(sys.argv[1])
    mod = importlib.import_module(cfg["module"])
    lock = threading.Lock()
    received: list[list[object]] = []
    echoes: list[list[int]] = []
    events: list[str] = []
    stops = threading.Event()
    n_stops = [0]
    reads = [0]
    full = bool(cfg.get("full_keys", False))
    host = cfg.get("local_host", "127.0.0.1")
    port = int(cfg["port"])

    if cfg.get("rates") is not None:
        conn = mod.SpynnakerPoissonControlConnection(
            poisson_labels=[cfg["poisson"]], local_host=host, local_port=port
        )
        label = cfg["poisson"]

        def init_rates(lbl: str, n: int, run_ms: float, dt_ms: float) -> None:
            run = reads[0]
            reads[0] += 1
            events.append(f"init {lbl} {n} {run_ms} {dt_ms}")
            plan = cfg["rates"]
            if run < len(plan) and plan[run]:
                conn.set_rates(lbl, [(int(a), float(r)) for a, r in plan[run]])

        conn.add_init_callback(label, init_rates)
        watch = label
    else:
        receive = cfg.get("receive", [])
        send = cfg.get("send", [])
        conn = mod.SpynnakerLiveSpikesConnection(
            receive_labels=receive or None,
            send_labels=send or None,
            local_host=host,
            local_port=port,
        )
        init_sends = cfg.get("init_sends", [])

        def init(lbl: str, n: int, run_ms: float, dt_ms: float) -> None:
            run = reads[0]
            reads[0] += 1
            events.append(f"init {lbl} {n} {run_ms} {dt_ms}")
            if run < len(init_sends) and init_sends[run]:
                conn.send_spikes(lbl, init_sends[run], send_full_keys=full)

        if send:
            conn.add_init_callback(send[0], init)

        def on_spikes(lbl: str, step: int, atoms: list[int]) -> None:
            with lock:
                received.extend([lbl, int(step), int(a)] for a in atoms)
            if cfg.get("echo_from") == lbl:
                conn.send_spikes(cfg["echo_to"], list(atoms), send_full_keys=full)
                with lock:
                    echoes.extend([int(step), int(a)] for a in atoms)

        for lbl in receive:
            conn.add_receive_callback(lbl, on_spikes)
        watch = (send or receive)[0]

    def on_start(lbl: str, _conn: object) -> None:
        events.append("start")

    def on_stop(lbl: str, _conn: object) -> None:
        events.append("stop")
        n_stops[0] += 1
        if n_stops[0] >= int(cfg.get("runs", 1)):
            stops.set()

    conn.add_start_resume_callback(watch, on_start)
    conn.add_pause_stop_callback(watch, on_stop)
    print("READY", flush=True)
    stops.wait(float(cfg.get("timeout", 60)))
    time.sleep(float(cfg.get("linger", 0.3)))  # packets sent before "stop" still arrive
    with lock:
        out = {"received": received, "echoes": echoes, "events": events}
    print(json.dumps(out), flush=True)
    conn.close()


if __name__ == "__main__":
    main()
