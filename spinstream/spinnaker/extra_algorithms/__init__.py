"""sPyNNaker's ``spynnaker.pyNN.extra_algorithms``: :mod:`.splitter_components` only."""
