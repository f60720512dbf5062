"""Progress lines while a network loads: what a user waiting for a big load sees.

On a terminal the line is rewritten in place once a stage has run for a second; elsewhere
only with SPINSTREAM_PROGRESS=1 (plain lines); SPINSTREAM_PROGRESS=0 silences it; every
stage is logged to the ``spinstream`` logger (INFO) either way.
"""

from __future__ import annotations

import io
import logging

import pytest

import spinstream.pyNN as sim
from spinstream import _progress  # private: the terminal's timing, made immediate below
from tests.engine import require_engine

require_engine()


def load_network() -> int:
    """A static network whose rows are built in C; its synapse count."""
    sim.setup(timestep=0.1, seed=4)
    try:
        a = sim.Population(300, sim.IF_curr_exp(i_offset=0.5))
        b = sim.Population(200, sim.IF_curr_exp())
        native = sim.NativeRNG(seed=2)
        drawn = sim.Projection(
            a, b, sim.FixedProbabilityConnector(0.1, rng=native), sim.StaticSynapse(weight=0.1)
        )
        listed = sim.Projection(
            b, a, sim.FixedNumberPreConnector(5, rng=sim.NumpyRNG(seed=1)), sim.StaticSynapse()
        )
        sim.run(0.1)
        return int(drawn.size() + listed.size())
    finally:
        sim.end()


def test_forced_plain_lines_say_how_many_synapses_are_built(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPINSTREAM_PROGRESS", "1")  # stderr is not a terminal here
    n = load_network()
    err = capfd.readouterr().err
    assert n > 5000
    assert f"spinstream: building the synapse rows: done ({n:,} of {n:,} synapses" in err
    assert "spinstream: laying out the rows: done in" in err
    assert "spinstream: starting the engine: done in" in err
    assert "\r" not in err  # plain lines for a log file


def test_no_lines_without_a_terminal_or_when_turned_off(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SPINSTREAM_PROGRESS", raising=False)
    load_network()
    assert "spinstream:" not in capfd.readouterr().err
    monkeypatch.setenv("SPINSTREAM_PROGRESS", "0")
    load_network()
    assert "spinstream:" not in capfd.readouterr().err


def test_every_stage_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SPINSTREAM_PROGRESS", "0")
    with caplog.at_level(logging.INFO, logger="spinstream"):
        load_network()
    text = caplog.text
    assert "building the synapse rows: done in" in text
    assert "starting the engine: done in" in text


def test_a_bad_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINSTREAM_PROGRESS", "yes")
    with pytest.raises(ValueError, match="SPINSTREAM_PROGRESS='yes'"):
        _progress.Progress("x", 10, "things")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_line_is_rewritten_in_place_and_left_standing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPINSTREAM_PROGRESS", raising=False)
    monkeypatch.setattr(_progress, "_QUIET_S", 0.0)
    monkeypatch.setattr(_progress, "_TTY_EVERY_S", 0.0)
    out = Terminal()
    p = _progress.Progress("building the synapse rows", 4_000_000, "synapses", stream=out)
    for _ in range(4):
        p.advance(1_000_000)
    p.done()
    text = out.getvalue()
    frames = text.split("\r\x1b[K")[1:]
    assert [f.split(":")[2].split("(")[0].strip() for f in frames] == [
        "25 %",
        "50 %",
        "75 %",
        "100 %",
        "done",
    ]
    assert frames[-1].startswith("spinstream: building the synapse rows: done (4.0 M of 4.0 M")
    assert text.endswith("\n")
    assert text.count("\n") == 1  # one line, rewritten


def test_another_mpi_rank_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINSTREAM_PROGRESS", "1")
    out = io.StringIO()
    p = _progress.Progress("building the synapse rows", 10, "synapses", show=False, stream=out)
    p.advance(10)
    assert p.done() >= 0.0
    assert out.getvalue() == ""
    assert p.count == 10


def test_a_drawn_projection_says_so_only_when_it_takes_a_while(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPINSTREAM_PROGRESS", "1")
    load_network()  # each projection drawn in well under a second: no line for it
    assert "drawing Projection" not in capfd.readouterr().err
    monkeypatch.setattr(_progress, "_QUIET_S", 0.0)  # as if each took seconds
    n = load_network()
    err = capfd.readouterr().err
    drawn = [ln for ln in err.splitlines() if ln.startswith("spinstream: drawing Projection")]
    done = [ln for ln in drawn if ": done, " in ln]
    assert len(done) == 1  # the NativeRNG one; the NumpyRNG one keeps its arrays
    assert done[0].endswith("synapses (0 s)")
    assert 0 < int(done[0].split("done, ")[1].split()[0].replace(",", "")) < n
