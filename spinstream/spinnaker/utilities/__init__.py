"""sPyNNaker's ``spynnaker.pyNN.utilities``: :mod:`.neo_convertor`."""
