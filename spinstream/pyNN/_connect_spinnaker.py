"""sPyNNaker's extra connectors, expanded to ordinary synapses on the host.

``AllButMeConnector``, ``OneToOneOffsetConnector``, ``ConvolutionConnector`` and
``PoolDenseConnector`` take sPyNNaker 7's names and parameters and make the connections
sPyNNaker's on-board code makes (its synapse expander and its "local-only" convolution and
pooled-dense cores); here each becomes a list of plain synapses, built through the same
machinery as PyNN's connectors (:func:`spinstream.pyNN._connect.build_connections` calls
``connect``, which hands arrays to the projection's collector), so ``Projection.get``,
``set``, recording and the mapping report see every synapse.

2D populations are ``Population(n, ..., structure=Grid2D(aspect_ratio))``; as in sPyNNaker,
their shape is ``Grid2D.calculate_size(n) = (nx, ny)``: ``width = nx`` columns and
``height = ny`` rows, and neuron ``i`` sits at row ``i // width``, column ``i % width``.
Kernels are ``[row, column]`` arrays; strides, padding and pooling are ``(rows, columns)``.

Convolution and pooled-dense connectors choose each synapse's receptor by its weight's sign,
as sPyNNaker does: positive weights go to ``positive_receptor_type``, negative ones (their
magnitude) to ``negative_receptor_type``, zero weights make no synapse.  ``get("weight")``
returns the signed values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pyNN import errors
from pyNN.connectors import Connector
from pyNN.random import RandomDistribution
from pyNN.space import Grid2D

from spinstream.pyNN._connect import evaluate_at

__all__ = [
    "AllButMeConnector",
    "ConvolutionConnector",
    "OneToOneOffsetConnector",
    "PoolDenseConnector",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _emit(projection: Any, pre: IntArray, post: IntArray, values: dict[str, Any]) -> None:
    """Hand connections to the projection's collector, in PyNN's order (by target)."""
    order = np.lexsort((pre, post))
    pre, post = pre[order], post[order]
    values = {
        k: (v[order] if isinstance(v, np.ndarray) and v.shape == order.shape else v)
        for k, v in values.items()
    }
    projection._collector.add(pre, post, values)


def _synapse_values(
    connector: Any, projection: Any, pre: IntArray, post: IntArray
) -> dict[str, Any]:
    """Weights, delays and rule parameters of the synapse type at the pairs, in order."""
    space = connector._parameters_from_synapse_type(projection)
    return {name: evaluate_at(lazy, pre, post) for name, lazy in space.items()}


def _same_size_groups(name: str, projection: Any, group: int | None) -> int:
    """Return the group size, checked as sPyNNaker checks it (equal sizes, a divisor)."""
    n_pre, n_post = projection.pre.size, projection.post.size
    if n_pre != n_post:
        raise errors.ConnectionError(
            f"{name}: the pre- and postsynaptic populations must have the same size "
            f"(projection {projection.label!r}: {n_pre} and {n_post} neurons)"
        )
    if group is None:
        return int(n_pre)
    if group > n_pre:
        raise errors.ConnectionError(
            f"{name}: n_neurons_per_group={group} is larger than the populations "
            f"({n_pre} neurons, projection {projection.label!r})"
        )
    if n_pre % group:
        raise errors.ConnectionError(
            f"{name}: n_neurons_per_group={group} must divide the population size "
            f"{n_pre} (projection {projection.label!r})"
        )
    return group


def _group_size_arg(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: n_neurons_per_group must be a positive integer, not {value!r}")
    return int(value)


class _SpiNNakerConnector(Connector):  # type: ignore[misc]
    """Common part: sPyNNaker's ``safe``/``verbose``/``callback`` arguments."""

    def __init__(self, safe: bool = True, verbose: bool = False, callback: Any = None) -> None:
        if verbose:
            # sPyNNaker writes a CSV of the connectivity; Projection.save does that here.
            raise ValueError(
                f"{type(self).__name__}: verbose=True (a CSV of the connectivity) is not "
                "supported; use Projection.save('all', filename) after building it"
            )
        Connector.__init__(self, safe=safe, callback=callback)


class AllButMeConnector(_SpiNNakerConnector):
    """Connect each neuron to every neuron of its group but the one with its own index.

    Parameters
    ----------
    n_neurons_per_group
        Size of each group (a divisor of the population size); ``None``: one group, the
        whole population.  Neuron ``g * n + a`` connects to ``g * n + b`` for every
        ``b != a`` of group ``g``.
    weights
        Optional weights of one group, ``n * (n - 1)`` values (nA or uS), used for every
        group: the weight from group position ``a`` to ``b`` is
        ``weights[a * (n - 1) + (b if b < a else b - 1)]`` (row ``a``, the diagonal left
        out).  Without it the synapse type's weight is used.
    safe, callback
        As for PyNN's connectors.  ``verbose=True`` is refused.

    The pre- and postsynaptic populations must have the same size (as in sPyNNaker).
    """

    parameter_names = ("n_neurons_per_group",)

    def __init__(
        self,
        n_neurons_per_group: int | None = None,
        weights: Any = None,
        safe: bool = True,
        verbose: bool = False,
        callback: Any = None,
    ) -> None:
        super().__init__(safe, verbose, callback)
        self.n_neurons_per_group = _group_size_arg("AllButMeConnector", n_neurons_per_group)
        self.weights: FloatArray | None = None
        if weights is not None:
            if isinstance(weights, (RandomDistribution, str)) or np.ndim(weights) != 1:
                raise ValueError(
                    "AllButMeConnector: weights must be a list or 1-D array of the weights "
                    f"of one group, not {weights!r}"
                )
            w = np.asarray(weights, dtype=np.float64)
            if not np.all(np.isfinite(w)):
                raise ValueError("AllButMeConnector: weights must be finite numbers")
            n = self.n_neurons_per_group
            if n is not None and len(w) != n * (n - 1):
                raise ValueError(
                    f"AllButMeConnector: {len(w)} weights given, but a group of {n} neurons "
                    f"has {n} x ({n} - 1) = {n * (n - 1)} connections"
                )
            self.weights = w

    def connect(self, projection: Any) -> None:
        n = _same_size_groups("AllButMeConnector", projection, self.n_neurons_per_group)
        if self.weights is not None and len(self.weights) != n * (n - 1):
            raise errors.ConnectionError(
                f"AllButMeConnector: {len(self.weights)} weights given, but a group of {n} "
                f"neurons has {n * (n - 1)} connections (projection {projection.label!r})"
            )
        size = projection.pre.size
        a = np.arange(n)
        pa, pb = np.meshgrid(a, a, indexing="ij")
        keep = pa != pb
        pa, pb = pa[keep], pb[keep]  # row-major over (a, b): the weights' order
        starts = np.arange(0, size, n)
        pre = (starts[:, None] + pa[None, :]).reshape(-1).astype(np.int64)
        post = (starts[:, None] + pb[None, :]).reshape(-1).astype(np.int64)
        values = _synapse_values(self, projection, pre, post)
        if self.weights is not None:
            values["weight"] = np.tile(self.weights, len(starts))
        _emit(projection, pre, post, values)


class OneToOneOffsetConnector(_SpiNNakerConnector):
    """Connect neuron ``i`` to ``i + offset`` within its group, optionally wrapping round.

    Parameters
    ----------
    offset
        Postsynaptic index minus presynaptic index (may be negative); ``|offset|`` at most
        the group size.
    wrap
        True: an index beyond the group wraps round to its other end (``(a + offset) mod
        n`` within the group); False: such neurons make no connection.
    n_neurons_per_group
        Group size (a divisor of the population size); ``None``: the whole population.
    safe, callback
        As for PyNN's connectors.  ``verbose=True`` is refused.

    Weights and delays come from the synapse type; populations must have the same size.
    """

    parameter_names = ("offset", "wrap", "n_neurons_per_group")

    def __init__(
        self,
        offset: int,
        wrap: bool,
        n_neurons_per_group: int | None = None,
        safe: bool = True,
        verbose: bool = False,
        callback: Any = None,
    ) -> None:
        super().__init__(safe, verbose, callback)
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
            raise ValueError(f"OneToOneOffsetConnector: offset must be an integer, not {offset!r}")
        if not isinstance(wrap, (bool, np.bool_)):
            raise ValueError(f"OneToOneOffsetConnector: wrap must be True or False, not {wrap!r}")
        self.offset = int(offset)
        self.wrap = bool(wrap)
        self.n_neurons_per_group = _group_size_arg("OneToOneOffsetConnector", n_neurons_per_group)
        n = self.n_neurons_per_group
        if n is not None and abs(self.offset) > n:
            raise ValueError(
                f"OneToOneOffsetConnector: offset {self.offset} is larger than the group size {n}"
            )

    def connect(self, projection: Any) -> None:
        n = _same_size_groups("OneToOneOffsetConnector", projection, self.n_neurons_per_group)
        if abs(self.offset) > n:
            raise errors.ConnectionError(
                f"OneToOneOffsetConnector: offset {self.offset} is larger than the group size "
                f"{n} (projection {projection.label!r})"
            )
        post = np.arange(projection.post.size, dtype=np.int64)
        start = (post // n) * n
        within = post - start - self.offset
        if self.wrap:
            within = np.mod(within, n)
            keep = np.ones(len(post), dtype=bool)
        else:
            keep = (within >= 0) & (within < n)
        pre = (start + within)[keep].astype(np.int64)
        post = post[keep]
        _emit(projection, pre, post, _synapse_values(self, projection, pre, post))


# -- 2D: convolution and pooled dense ----------------------------------------------------


def _pair(name: str, param: str, value: Any, *, minimum: int) -> tuple[int, int] | None:
    """Read an int or a (rows, columns) pair (sPyNNaker: ``(v,)`` means ``(v, 1)``)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: {param} must be an int or (rows, columns), not {value!r}")
    if np.isscalar(value):
        pair = (value, value)
    elif isinstance(value, (Sequence, np.ndarray)) and len(value) in (1, 2):
        pair = (value[0], 1) if len(value) == 1 else (value[0], value[1])
    else:
        raise ValueError(f"{name}: {param} must be an int or (rows, columns), not {value!r}")
    out = []
    for v in pair:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise ValueError(f"{name}: {param} must hold integers >= {minimum}, not {value!r}")
        out.append(int(v))
    return out[0], out[1]


def _grid_shape(name: str, projection: Any, role: str) -> tuple[int, int]:
    """(height, width) of a whole Population with a Grid2D structure."""
    pop = projection.pre if role == "pre" else projection.post
    structure = getattr(pop, "structure", None)
    if not hasattr(pop, "structure") or hasattr(pop, "parent"):
        raise errors.ConnectionError(
            f"{name}: the {role}synaptic side of projection {projection.label!r} must be a "
            "whole Population with a Grid2D structure"
        )
    if not isinstance(structure, Grid2D):
        raise errors.ConnectionError(
            f"{name}: the {role}synaptic population {pop.label!r} must have a Grid2D "
            f"structure (Population(n, ..., structure=Grid2D(aspect_ratio))), not "
            f"{type(structure).__name__}"
        )
    nx, ny = structure.calculate_size(pop.size)
    if nx * ny != pop.size:
        raise errors.ConnectionError(
            f"{name}: population {pop.label!r} of {pop.size} neurons is not a full "
            f"{nx} x {ny} grid (Grid2D aspect ratio {structure.aspect_ratio})"
        )
    return int(ny), int(nx)


def _static_delay(name: str, connector: Any, projection: Any) -> float:
    """Return the one delay (ms) of a local-only connector; the synapse gives no weight."""
    from spinstream.pyNN._projections import StaticSynapse

    syn = projection.synapse_type
    if not isinstance(syn, StaticSynapse):
        raise errors.ConnectionError(
            f"{name}: makes static synapses only (sPyNNaker's local-only synapses), not "
            f"{type(syn).__name__} (projection {projection.label!r})"
        )
    space = connector._parameters_from_synapse_type(projection)
    weight, delay = space["weight"], space["delay"]
    if not weight.is_homogeneous or float(weight.evaluate(simplify=True)) != 0.0:
        raise errors.ConnectionError(
            f"{name}: takes its weights from the connector; leave the synapse's weight "
            f"unset (projection {projection.label!r})"
        )
    if not delay.is_homogeneous:
        raise errors.ConnectionError(
            f"{name}: supports one delay for the whole projection, as sPyNNaker does "
            f"(projection {projection.label!r})"
        )
    return float(delay.evaluate(simplify=True))


class _LocalOnly(_SpiNNakerConnector):
    """Receptor choice by the weight's sign (convolution and pooled dense)."""

    def __init__(
        self,
        positive_receptor_type: str,
        negative_receptor_type: str,
        safe: bool,
        verbose: bool,
        callback: Any,
    ) -> None:
        super().__init__(safe, verbose, callback)
        for param, value in (
            ("positive_receptor_type", positive_receptor_type),
            ("negative_receptor_type", negative_receptor_type),
        ):
            if value not in ("excitatory", "inhibitory"):
                raise ValueError(
                    f"{type(self).__name__}: {param} must be 'excitatory' or 'inhibitory', "
                    f"not {value!r}"
                )
        self.positive_receptor_type = positive_receptor_type
        self.negative_receptor_type = negative_receptor_type

    @property
    def receptors_by_sign(self) -> tuple[str, str]:
        """Receptor names for positive and for negative weights (read by Projection)."""
        return self.positive_receptor_type, self.negative_receptor_type

    def _emit_weights(
        self, projection: Any, pre: IntArray, post: IntArray, weight: FloatArray
    ) -> None:
        name = type(self).__name__
        delay = _static_delay(name, self, projection)
        keep = weight != 0.0  # sPyNNaker skips zero weights
        pre, post, weight = pre[keep], post[keep], weight[keep]
        _emit(projection, pre, post, {"weight": weight, "delay": delay})


class ConvolutionConnector(_LocalOnly):
    """A 2D kernel, centred on each postsynaptic neuron, gives its input weights.

    Parameters
    ----------
    kernel_weights
        The kernel (nA or uS, signed): a 2D array ``[row, column]``; a flat list with
        ``kernel_shape``; one number with ``kernel_shape``; or a ``RandomDistribution`` with
        ``kernel_shape`` (drawn once, row by row).  Both sizes must be odd.
    kernel_shape
        ``(rows, columns)`` or one int for a square kernel.
    strides
        Steps between postsynaptic neurons, ``(rows, columns)`` or one int (default 1).
    padding
        Zero pixels added round the (pooled) input, ``(rows, columns)`` or one int; True:
        half the kernel; None/False: none.
    pool_shape, pool_stride
        Average pooling before the kernel: input pixel ``(r, c)`` counts as pooled pixel
        ``(r // pool_stride_rows, c // pool_stride_cols)`` and every weight is divided by
        the pool's area.  ``pool_stride`` defaults to ``pool_shape``.
    positive_receptor_type, negative_receptor_type
        Receptors of positive and of negative weights (default excitatory, inhibitory).
    safe, callback
        As for PyNN's connectors.  ``verbose=True`` is refused.

    Notes
    -----
    The connections are sPyNNaker 7's: with ``hr, hc`` half the kernel's rows and columns,
    pooled input pixel ``(r, c)`` reaches postsynaptic ``(R + kr - hr, C + kc - hc)`` with
    weight ``kernel[kr, kc]``, where ``R = floor((r - hr + pad_rows) / stride_rows)`` (and
    likewise ``C``), for those inside the postsynaptic grid.  With stride 1 that is a true
    convolution: a single input spike makes the kernel's image (see ``get_post_shape`` for
    the postsynaptic size the connector requires).
    """

    parameter_names = ("kernel_shape", "strides", "padding", "pool_shape", "pool_stride")

    def __init__(
        self,
        kernel_weights: Any,
        kernel_shape: Any = None,
        strides: Any = None,
        padding: Any = None,
        pool_shape: Any = None,
        pool_stride: Any = None,
        positive_receptor_type: str = "excitatory",
        negative_receptor_type: str = "inhibitory",
        safe: bool = True,
        verbose: bool = False,
        callback: Any = None,
    ) -> None:
        super().__init__(positive_receptor_type, negative_receptor_type, safe, verbose, callback)
        name = "ConvolutionConnector"
        kernel = self._decode_kernel(kernel_weights, kernel_shape)
        if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
            raise ValueError(
                f"{name}: kernel shape {kernel.shape} must be odd in both dimensions "
                "(sPyNNaker 7 centres the kernel on the postsynaptic neuron)"
            )
        step = _pair(name, "strides", 1 if strides is None else strides, minimum=1)
        assert step is not None
        self.strides: tuple[int, int] = step
        if padding is None or padding is False:
            self.padding: tuple[int, int] = (0, 0)
        elif padding is True:
            self.padding = (kernel.shape[0] // 2, kernel.shape[1] // 2)
        else:
            pad = _pair(name, "padding", padding, minimum=0)
            assert pad is not None
            self.padding = pad
        self.pool_shape = _pair(name, "pool_shape", pool_shape, minimum=1)
        stride = _pair(name, "pool_stride", pool_stride, minimum=1)
        if stride is not None and self.pool_shape is None:
            raise ValueError(f"{name}: pool_stride={pool_stride!r} needs a pool_shape")
        self.pool_stride = stride if stride is not None else self.pool_shape
        if self.pool_shape is not None:
            kernel = kernel / float(np.prod(self.pool_shape))
        self.kernel_weights: FloatArray = kernel
        self.kernel_shape = kernel.shape

    @staticmethod
    def _decode_kernel(w: Any, shape: Any) -> FloatArray:
        name = "ConvolutionConnector"

        def kshape() -> tuple[int, int]:
            if shape is None:
                raise ValueError(f"{name}: kernel_shape must be given with kernel_weights={w!r}")
            pair = _pair(name, "kernel_shape", shape, minimum=1)
            assert pair is not None
            return pair

        if isinstance(w, RandomDistribution):
            s = kshape()
            out = np.asarray(w.next(s[0] * s[1]), dtype=np.float64).reshape(s)
        elif np.isscalar(w) and isinstance(w, (int, float, np.number)) and not isinstance(w, bool):
            out = np.full(kshape(), float(w))
        else:
            try:
                arr = np.asarray(w, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: kernel_weights {w!r} is not a 2D array") from None
            if arr.ndim == 1:
                s = kshape()
                if arr.size != s[0] * s[1]:
                    raise ValueError(
                        f"{name}: {arr.size} kernel_weights do not fill kernel_shape {s}"
                    )
                out = arr.reshape(s)
            elif arr.ndim == 2:
                if (
                    shape is not None
                    and _pair(name, "kernel_shape", shape, minimum=1) != arr.shape
                ):
                    raise ValueError(
                        f"{name}: kernel_shape {shape!r} does not match kernel_weights' "
                        f"shape {arr.shape}"
                    )
                out = arr.copy()
            else:
                raise ValueError(f"{name}: kernel_weights must be 2D, not {arr.ndim}-D")
        if out.size == 0 or not np.all(np.isfinite(out)):
            raise ValueError(f"{name}: kernel_weights must be finite numbers, got {out!r}")
        return out

    def _pooled(self, shape: tuple[int, int]) -> tuple[int, int]:
        if self.pool_stride is None:
            return shape
        return shape[0] // self.pool_stride[0], shape[1] // self.pool_stride[1]

    def get_post_shape(self, shape: Sequence[int]) -> tuple[int, int]:
        """Postsynaptic ``(rows, columns)`` for a presynaptic ``(rows, columns)``.

        Per dimension ``max(1, (n_pooled - (k - 1) + 2 * padding) // stride)`` with
        ``n_pooled = n // pool_stride`` (sPyNNaker 7's rule).
        """
        if len(shape) != 2:
            raise ValueError(f"ConvolutionConnector: shape must be (rows, columns), not {shape!r}")
        pooled = self._pooled((int(shape[0]), int(shape[1])))
        out = []
        for d in range(2):
            size = pooled[d] - (self.kernel_shape[d] - 1) + 2 * self.padding[d]
            out.append(max(1, size // self.strides[d]))
        return out[0], out[1]

    def connect(self, projection: Any) -> None:
        name = "ConvolutionConnector"
        pre_shape = _grid_shape(name, projection, "pre")
        post_shape = _grid_shape(name, projection, "post")
        want = self.get_post_shape(pre_shape)
        if want != post_shape:
            raise errors.ConnectionError(
                f"{name}: a presynaptic grid of {pre_shape[0]} rows x {pre_shape[1]} columns "
                f"needs a postsynaptic grid of {want[0]} x {want[1]} with these parameters, "
                f"not {post_shape[0]} x {post_shape[1]} (projection {projection.label!r})"
            )
        kh, kw = self.kernel_shape
        hr, hc = kh // 2, kw // 2
        n_pre = pre_shape[0] * pre_shape[1]
        idx = np.arange(n_pre, dtype=np.int64)
        r, c = idx // pre_shape[1], idx % pre_shape[1]
        if self.pool_stride is not None:
            r, c = r // self.pool_stride[0], c // self.pool_stride[1]
        base_r = np.floor_divide(r - hr + self.padding[0], self.strides[0])
        base_c = np.floor_divide(c - hc + self.padding[1], self.strides[1])
        grid_r, grid_c = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
        kr, kc = grid_r.reshape(-1), grid_c.reshape(-1)
        post_r = base_r[:, None] + (kr - hr)[None, :]
        post_c = base_c[:, None] + (kc - hc)[None, :]
        inside = (
            (post_r >= 0) & (post_r < post_shape[0]) & (post_c >= 0) & (post_c < post_shape[1])
        )
        pre = np.broadcast_to(idx[:, None], inside.shape)[inside]
        post = (post_r * post_shape[1] + post_c)[inside].astype(np.int64)
        weight = np.broadcast_to(self.kernel_weights.reshape(-1)[None, :], inside.shape)[inside]
        self._emit_weights(projection, pre.astype(np.int64), post, np.array(weight))


class PoolDenseConnector(_LocalOnly):
    """Average-pool a 2D population, then connect every pooled pixel to every target.

    Parameters
    ----------
    weights
        One number for all; an array (any shape) of ``n_pooled * n_post`` values, read
        flat: the weight from pooled pixel ``p`` (row-major over the pooled grid) to
        postsynaptic neuron ``j`` is ``weights.flat[p * n_post + j]``; or a
        ``RandomDistribution`` (that many values drawn in that order).  Signed, nA or uS.
    pool_shape, pool_stride
        As for :class:`ConvolutionConnector`; the pooled grid is ``shape // pool_stride``
        (inputs beyond it connect to nothing) and every weight is divided by the pool area.
    positive_receptor_type, negative_receptor_type, safe, callback
        As for :class:`ConvolutionConnector`.
    """

    parameter_names = ("pool_shape", "pool_stride")

    def __init__(
        self,
        weights: Any,
        pool_shape: Any = None,
        pool_stride: Any = None,
        positive_receptor_type: str = "excitatory",
        negative_receptor_type: str = "inhibitory",
        safe: bool = True,
        verbose: bool = False,
        callback: Any = None,
    ) -> None:
        super().__init__(positive_receptor_type, negative_receptor_type, safe, verbose, callback)
        name = "PoolDenseConnector"
        if isinstance(weights, RandomDistribution):
            self.weights: Any = weights
        elif isinstance(weights, (int, float, np.integer, np.floating)) and not isinstance(
            weights, bool
        ):
            self.weights = float(weights)
        else:
            try:
                self.weights = np.asarray(weights, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: weights {weights!r} are not numbers") from None
        if isinstance(self.weights, (float, np.ndarray)) and not np.all(np.isfinite(self.weights)):
            raise ValueError(f"{name}: weights must be finite numbers")
        self.pool_shape = _pair(name, "pool_shape", pool_shape, minimum=1)
        stride = _pair(name, "pool_stride", pool_stride, minimum=1)
        if stride is not None and self.pool_shape is None:
            raise ValueError(f"{name}: pool_stride={pool_stride!r} needs a pool_shape")
        self.pool_stride = stride if stride is not None else self.pool_shape

    def get_post_pool_shape(self, pre_shape: Sequence[int]) -> tuple[int, int]:
        """Return the pooled ``(rows, columns)`` of a presynaptic ``(rows, columns)`` grid."""
        if self.pool_stride is None:
            return int(pre_shape[0]), int(pre_shape[1])
        return int(pre_shape[0]) // self.pool_stride[0], int(pre_shape[1]) // self.pool_stride[1]

    def connect(self, projection: Any) -> None:
        name = "PoolDenseConnector"
        pre_shape = _grid_shape(name, projection, "pre")
        pooled = self.get_post_pool_shape(pre_shape)
        n_pooled = pooled[0] * pooled[1]
        n_post = projection.post.size
        n_weights = n_pooled * n_post
        if isinstance(self.weights, RandomDistribution):
            table = np.asarray(self.weights.next(n_weights), dtype=np.float64)
        elif isinstance(self.weights, float):
            table = np.full(n_weights, self.weights)
        else:
            table = self.weights
            if table.size != n_weights:
                raise errors.ConnectionError(
                    f"{name}: {table.size} weights given, but a pooled grid of {pooled[0]} x "
                    f"{pooled[1]} into {n_post} targets needs {n_weights} (projection "
                    f"{projection.label!r})"
                )
        if self.pool_shape is not None:
            table = table / float(np.prod(self.pool_shape))
        n_pre = pre_shape[0] * pre_shape[1]
        idx = np.arange(n_pre, dtype=np.int64)
        r, c = idx // pre_shape[1], idx % pre_shape[1]
        if self.pool_stride is not None:
            r, c = r // self.pool_stride[0], c // self.pool_stride[1]
        inside = (r < pooled[0]) & (c < pooled[1])
        src = idx[inside]
        p = (r * pooled[1] + c)[inside]
        pre = np.repeat(src, n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), len(src))
        weight = table.reshape(n_pooled, n_post)[p].reshape(-1)
        self._emit_weights(projection, pre, post, weight)
