"""TensorFlow graphs: traced from a function, written for TensorBoard, and drawn with matplotlib.

:func:`trace_graph` traces a function into a ``GraphDef`` (and writes it where TensorBoard's
Graphs tab finds it); :func:`graph_edges` and :func:`plot_graph` draw one as a still figure,
as notebook 04's "TensorFlow graphs" section does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tensorflow as tf

from darkroom.core.paths import log_path

__all__ = ["HIDDEN_OPS", "graph_edges", "plot_graph", "trace_graph"]


def trace_graph(fn: Callable[..., Any], *args: Any, log_dir: str | os.PathLike[str] | None = None) -> Any:
    """Trace ``fn(*args)`` into a TensorFlow graph and return its ``GraphDef``.

    ``args`` are tensors, arrays or ``tf.TensorSpec``; ``fn`` may be a ``tf.function`` already.
    With ``log_dir`` (a run name goes to ``outputs/logs/<name>``) the graph is also written where
    TensorBoard's Graphs tab finds it. Ops keep the names given by ``tf.name_scope`` and ``name=``.
    """
    function = fn if hasattr(fn, "get_concrete_function") else tf.function(fn)
    graph_def = function.get_concrete_function(*args).graph.as_graph_def()
    if log_dir is not None:
        writer = tf.summary.create_file_writer(str(log_path(log_dir)))
        with writer.as_default():
            tf.summary.graph(graph_def)
        writer.close()
    return graph_def


# --------------------------------------------------------------------------- graph figures

#: Ops a graph figure leaves out: tf.function's output plumbing and constant operands (axes, exponents).
HIDDEN_OPS: tuple[str, ...] = ("Identity", "NoOp", "Const")


def graph_edges(
    graph_def: Any, hide: Sequence[str] = HIDDEN_OPS
) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """``({node name: op type}, [(source, target, kind), ...])`` of a GraphDef, kind "data" or "control".

    Output indices (``name:1``) are dropped; a ``^name`` input is a control edge (run after, no value
    passed). Nodes whose op is in ``hide`` are left out with their edges.
    """
    nodes = {n.name: n.op for n in graph_def.node if n.op not in hide}
    edges = []
    for node in graph_def.node:
        if node.name not in nodes:
            continue
        for source in node.input:
            kind = "control" if source.startswith("^") else "data"
            source = source.lstrip("^").split(":")[0]
            if source in nodes:
                edges.append((source, node.name, kind))
    return nodes, edges


def _graph_layout(
    nodes: Mapping[str, str], edges: Sequence[tuple[str, str, str]]
) -> dict[str, tuple[float, float]]:
    """Column = longest path (data or control) from an input; rows spread evenly within a column."""
    parents: dict[str, list[str]] = {name: [] for name in nodes}
    for source, target, _ in edges:
        parents[target].append(source)
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((level(p) for p in parents[name]), default=-1)
        return depth[name]

    columns: dict[int, list[str]] = {}
    for name in nodes:
        columns.setdefault(level(name), []).append(name)
    return {
        name: (float(col), (len(names) - 1) / 2 - row)
        for col, names in columns.items()
        for row, name in enumerate(names)
    }


def _node_label(name: str, op: str) -> str:
    """The name below its top-level scope (the colour says the scope), one path part per line, and the op."""
    parts = name.split("/")[1:] or [name]
    return "/\n".join(parts) + ("" if parts[-1] == op else f"\n({op})")


def plot_graph(
    graph_def: Any, hide: Sequence[str] = HIDDEN_OPS, ax: Any = None, title: str | None = None
) -> Any:
    """Draw a GraphDef's ops left to right (inputs first), coloured by top-level name scope; return the Axes.

    A still picture of what TensorBoard's Graphs tab shows, for pages that cannot embed TensorBoard.
    Each box reads ``name`` over ``(op type)``; the legend maps colours to name scopes; dashed
    arrows are control dependencies (run after, no value passed).
    """
    import matplotlib.pyplot as plt

    nodes, edges = graph_edges(graph_def, hide)
    if not nodes:
        raise ValueError(f"plot_graph: no ops left to draw after hiding {list(hide)}")
    where = _graph_layout(nodes, edges)
    width = max(x for x, _ in where.values()) + 1
    height = max(abs(y) for _, y in where.values()) * 2 + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.35 * width), max(2.5, 0.8 * height + 1)))
    scopes = sorted({n.split("/")[0] if "/" in n else "(no scope)" for n in nodes})
    colours = dict(zip(scopes, plt.get_cmap("tab10").colors))
    for source, target, kind in edges:
        ax.annotate(
            "",
            xy=where[target],
            xytext=where[source],
            arrowprops=dict(
                arrowstyle="->",
                color="0.55",
                shrinkA=22,
                shrinkB=22,
                lw=0.8,
                ls="--" if kind == "control" else "-",
            ),
        )
    for name, op in nodes.items():
        scope = name.split("/")[0] if "/" in name else "(no scope)"
        label = _node_label(name, op)
        ax.text(
            *where[name],
            label,
            ha="center",
            va="center",
            fontsize=7,
            bbox=dict(boxstyle="round,pad=0.3", fc=colours[scope], alpha=0.35, ec="0.3"),
        )
    for scope in scopes:
        ax.plot([], [], "s", ms=9, color=colours[scope], alpha=0.5, label=scope)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="name scope")
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-height / 2, height / 2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
