"""Build the C engine (C99 and POSIX threads, no Python.h) into a library inside the package.

It is built as an extension module so that ``pip install .`` and ``pip install -e .`` compile
it with nothing more than gcc; Python loads it with ctypes (``spinstream/board/_engine.py``).
"""

import os
import sys

from setuptools import Extension, setup

extra = ["-O3", "-std=c99", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"]
if os.environ.get("SPINSTREAM_NATIVE", "1") == "1" and sys.platform.startswith("linux"):
    # The library is compiled on the machine that runs it (pip install .); tune for it.
    extra.append("-march=native")

setup(
    ext_modules=[
        Extension(
            "spinstream.board._libengine",
            sources=[
                "kernels_c/engine.c",
                "kernels_c/neurons.c",
                "kernels_c/sources.c",
                "kernels_c/plastic.c",
                "kernels_c/threads.c",
                "kernels_c/rows.c",
            ],
            include_dirs=["kernels_c"],
            depends=["kernels_c/engine.h"],
            extra_compile_args=[*extra, "-pthread"],
            extra_link_args=["-pthread"],
            libraries=["m"],
            py_limited_api=False,
        )
    ]
)
