"""Build the C engine (C99 and POSIX threads, no Python.h) into a library inside the package.

It is built as an extension module so that ``pip install .`` and ``pip install -e .`` compile
it with nothing more than gcc; Python loads it with ctypes (``spinstream/board/_engine.py``).
"""

import os
import re
import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

#: Run at interpreter start: makes `import pyNN.spiNNaker` find spinstream (_spinstream_hook.py).
HOOK_PTH = "spinstream-pynn-spinnaker.pth"


class build_py_with_hook(build_py):
    """Also put the .pth hook at the root of the build, so that it lands in site-packages."""

    def run(self):
        """Build as usual, then copy the hook."""
        super().run()
        shutil.copyfile(HOOK_PTH, os.path.join(self.build_lib, HOOK_PTH))

    def get_outputs(self, include_bytecode=True):
        """List the hook among the outputs (wheel and install record)."""
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, HOOK_PTH)]


extra = ["-O3", "-std=c99", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"]
if os.environ.get("SPINSTREAM_NATIVE", "1") == "1" and sys.platform.startswith("linux"):
    # The library is compiled on the machine that runs it (pip install .); tune for it.
    extra.append("-march=native")


def model_sources() -> list[str]:
    """Every model file of kernels_c/models, each checked against the registry.

    A model is one file (docs/MODELS.md); the registry line gives it its id.  A file without a
    line would be compiled but unreachable, a line without a file would not link: both are
    refused here, naming the file.
    """
    folder = Path("kernels_c/models")  # relative, as setuptools wants sources
    here = Path(__file__).resolve().parent / folder
    files = sorted(p.stem for p in here.glob("*.c"))
    registry = (here / "registry.h").read_text()
    registered = re.findall(r"^SS_MODEL\((\w+)\)", registry, flags=re.M)
    missing = sorted(set(files) - set(registered))
    if missing:
        raise SystemExit(f"kernels_c/models: {missing} have no SS_MODEL line in registry.h")
    absent = sorted(set(registered) - set(files))
    if absent:
        raise SystemExit(f"kernels_c/models/registry.h: no model file for {absent}")
    return [str(folder / f"{name}.c") for name in files]


setup(
    cmdclass={"build_py": build_py_with_hook},
    ext_modules=[
        Extension(
            "spinstream.board._libengine",
            sources=[
                "kernels_c/engine.c",
                "kernels_c/models.c",
                "kernels_c/conductance.c",
                "kernels_c/sources.c",
                "kernels_c/plastic.c",
                "kernels_c/structural.c",
                "kernels_c/dopamine.c",
                "kernels_c/recurrent.c",
                "kernels_c/weight_change.c",
                "kernels_c/layout.c",
                "kernels_c/threads.c",
                "kernels_c/mpi.c",
                "kernels_c/rows.c",
                "kernels_c/build.c",
                *model_sources(),
            ],
            include_dirs=["kernels_c"],
            depends=[
                "kernels_c/engine.h",
                "kernels_c/model.h",
                "kernels_c/model_rows.h",
                "kernels_c/models/registry.h",
                "kernels_c/models/izhikevich_cond_step.h",
            ],
            extra_compile_args=[*extra, "-pthread"],
            extra_link_args=["-pthread"],
            libraries=["m"],
            py_limited_api=False,
        )
    ],
)
