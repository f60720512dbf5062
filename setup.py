"""Build the C engine (plain C99, no Python.h) into a shared library inside the package.

It is built as an extension module so that ``pip install .`` and ``pip install -e .`` compile
it with nothing more than gcc; Python loads it with ctypes (``spinstream/board/_engine.py``).
"""

import os
import shutil
import sys

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

setup(
    cmdclass={"build_py": build_py_with_hook},
    ext_modules=[
        Extension(
            "spinstream.board._libengine",
            sources=[
                "kernels_c/engine.c",
                "kernels_c/neurons.c",
                "kernels_c/sources.c",
                "kernels_c/plastic.c",
            ],
            include_dirs=["kernels_c"],
            depends=["kernels_c/engine.h"],
            extra_compile_args=extra,
            libraries=["m"],
            py_limited_api=False,
        )
    ],
)
