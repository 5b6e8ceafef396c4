"""darkroom.core.datasets: Caltech-256's file names parsed, and the list split by image."""

from __future__ import annotations

from darkroom.core import data, datasets


def test_caltech256_parses_names(tmp_path):
    root = tmp_path / "256_ObjectCategories"
    for folder, files in {
        "001.ak47": ["001_0001.jpg", "001_0002.jpg"],
        "257.clutter": ["257_0010.jpg"],
        "002.american-flag": ["002_0001.jpg", "RENAME2", "001_0003.jpg"],
    }.items():
        (root / folder).mkdir(parents=True)
        for f in files:
            (root / folder / f).write_bytes(b"x")
    items = datasets.caltech256(tmp_path)
    assert [(i.category, i.name, i.number) for i in items] == [
        (1, "ak47", 1),
        (1, "ak47", 2),
        (2, "american-flag", 1),
        (257, "clutter", 10),
    ]
    assert items[0].path == root / "001.ak47" / "001_0001.jpg"
    splits = data.split_by_image(items, val=0.25, test=0.25, seed=0)
    assert sorted(len(v) for v in splits.values()) == [1, 1, 2]
    assert {i.path for v in splits.values() for i in v} == {i.path for i in items}
