"""Peer simulators on the Vogels & Abbott CUBA network, for spinstream's benchmarks.

``run_peer(name, n_neurons, t_sim_ms)`` runs one peer (Brian2, NEST, PyNN on either) in the
reference venv made by ``scripts/refsim_setup`` and returns its JSON record. From
``benchmarks/bench_engine.py``::

    from peers import run_peer            # benchmarks/ on sys.path (python benchmarks/x.py)
    # or: from benchmarks.peers import run_peer   (python -m benchmarks.bench_engine)

    rec = run_peer("brian2_standalone", 4000, 1000.0)
    rec["sim_wall_per_bio_s"], rec["synaptic_events_per_s"]

Only the standard library is imported here, so any interpreter can call it. The command line
``python -m benchmarks.peers`` measures a table (see RESULTS.md).
"""

from __future__ import annotations

from ._runner import PEERS, PeerError, available, refsim_python, run_peer

__all__ = ["PEERS", "PeerError", "available", "refsim_python", "run_peer"]
