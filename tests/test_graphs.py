"""darkroom.core.graphs: tracing a function into a TensorFlow graph, and drawing it."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

from darkroom.core import graphs


def event_tags(folder: Path) -> tuple[set[str], int]:
    """Scalar tags and the number of graph events in every TensorBoard event file under ``folder``."""
    tags, graphs = set(), 0
    for path in folder.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            graphs += bool(event.graph_def)
            tags.update(value.tag for value in event.summary.value)
    return tags, graphs


def test_trace_graph_keeps_names_and_writes_for_tensorboard(tmp_path: Path) -> None:
    w = tf.Variable(2.0, name="slope")

    def line(x):
        with tf.name_scope("model"):
            return tf.add(tf.multiply(w, x, name="times_slope"), 1.0, name="prediction")

    graph_def = graphs.trace_graph(line, tf.TensorSpec((None,), tf.float32), log_dir=tmp_path / "g")
    names = {node.name for node in graph_def.node}
    assert {"model/times_slope", "model/prediction"} <= names
    assert event_tags(tmp_path / "g")[1] == 1


def test_plot_graph_draws_every_kept_op() -> None:
    import matplotlib

    matplotlib.use("Agg")

    def f(x):
        with tf.name_scope("scale"):
            return tf.multiply(x, 3.0, name="triple")

    graph_def = graphs.trace_graph(f, tf.TensorSpec((None,), tf.float32))
    nodes, edges = graphs.graph_edges(graph_def)
    assert nodes == {"x": "Placeholder", "scale/triple": "Mul"} and edges == [("x", "scale/triple", "data")]
    ax = graphs.plot_graph(graph_def)
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())  # arrows are empty annotations
    assert labels == ["triple\n(Mul)", "x\n(Placeholder)"] and len(ax.texts) == 3
    with pytest.raises(ValueError, match="no ops left"):
        graphs.plot_graph(graph_def, hide=("Placeholder", "Mul", "Const", "Identity", "NoOp"))
