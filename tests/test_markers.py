"""Marker derivation and statistics, with hand-worked numbers."""

from __future__ import annotations

import json

import pytest

import profile_frames

from .builders import processed_profile, to_bytes


def _doc(markers: list[tuple]) -> dict:
    """Samples at 0..10 ms; markers are (name, start, end, phase, payload)."""
    p = processed_profile([(["A"], 1)] * 11)
    strings = p["shared"]["stringArray"]
    table = p["threads"][0]["markers"]
    for name, start, end, phase, payload in markers:
        if name not in strings:
            strings.append(name)
        table["name"].append(strings.index(name))
        table["startTime"].append(start)
        table["endTime"].append(end)
        table["phase"].append(phase)
        table["category"].append(0)
        table["data"].append(payload)
    table["length"] = len(markers)
    return p


def _thread(markers: list[tuple]) -> profile_frames.Thread:
    return profile_frames.load(to_bytes(_doc(markers))).thread(0)


MARKERS = [
    ("Paint", 1.0, 3.0, 1, None),  # interval, 2 ms
    ("GC", 2.0, None, 0, None),  # instant
    ("Paint", 5.0, 9.0, 1, None),  # interval, 4 ms
    ("Load", 1.0, None, 2, None),  # start ...
    ("Load", 2.0, None, 2, None),  # ... nested start (pairs first: last opened, first closed)
    ("Load", None, 4.0, 3, None),  # end of the 2.0 start: 2 ms
    ("Load", None, 8.0, 3, None),  # end of the 1.0 start: 7 ms
    ("Tail", 6.0, None, 2, None),  # never closed: runs to the thread's end (10): 4 ms
    ("Head", None, 0.5, 3, None),  # never opened: starts at the thread's start (0): 0.5 ms
    ("Net", 3.0, 3.0, 1, {"type": "Network", "id": 7, "status": "STATUS_START"}),
    ("Net", 3.5, 6.0, 1, {"type": "Network", "id": 7, "status": "STATUS_STOP"}),  # 3.0 -> 6.0
]


def test_derived_markers_pair_starts_ends_and_network_requests():
    m = _thread(MARKERS).derived_markers()
    got = sorted(
        (r["name"], r["start"], r["end"], r["incomplete"]) for r in m.iter_rows(named=True)
    )
    assert got == sorted(
        [
            ("Paint", 1.0, 3.0, False),
            ("GC", 2.0, None, False),
            ("Paint", 5.0, 9.0, False),
            ("Load", 2.0, 4.0, False),
            ("Load", 1.0, 8.0, False),
            ("Tail", 6.0, 10.0, True),
            ("Head", 0.0, 0.5, True),
            ("Net", 3.0, 6.0, False),
        ],
        key=str,
    )
    assert m["start"].is_sorted()


def test_marker_summary_counts_and_durations():
    s = _thread(MARKERS).marker_summary()
    rows = {r["name"]: r for r in s.iter_rows(named=True)}
    assert rows["Load"]["count"] == 2 and rows["Load"]["total_ms"] == 9.0
    assert rows["Load"]["median_ms"] == 4.5 and rows["Load"]["max_ms"] == 7.0
    assert rows["Load"]["p95_ms"] == pytest.approx(2.0 + 0.95 * 5.0)  # linear interpolation
    assert rows["Paint"]["mean_ms"] == 3.0
    assert rows["GC"]["count"] == 1 and rows["GC"]["instants"] == 1
    assert rows["GC"]["total_ms"] == 0.0 and rows["GC"]["max_ms"] is None
    assert s["name"].to_list()[0] == "Load"  # heaviest total first
    assert s["count"].sum() == 8


def test_marker_durations_in_time_order():
    t = _thread(MARKERS)
    assert t.marker_durations("Paint").to_list() == [2.0, 4.0]
    assert t.marker_durations("Load").to_list() == [7.0, 2.0]  # starts 1.0, then 2.0
    assert t.marker_durations("GC").to_list() == []


def test_samples_during_and_outside_markers():
    t = _thread(MARKERS)
    # Paint covers [1, 3) and [5, 9): samples at 1, 2, 5, 6, 7, 8
    inside = t.during_markers("paint").samples["time"].to_list()
    assert inside == [1.0, 2.0, 5.0, 6.0, 7.0, 8.0]
    outside = t.during_markers("Paint", outside=True).samples["time"].to_list()
    assert outside == [0.0, 3.0, 4.0, 9.0, 10.0]
    # the Firefox Profiler's marker search: the payload's type and its schema's fields, not
    # every payload text (Network's schema has no "status" field); terms are alternatives
    assert t.during_markers("network").samples["time"].to_list() == [3.0, 4.0, 5.0]
    assert t.during_markers("STATUS_STOP").n_samples == 0
    both = t.during_markers("Head, Tail").samples["time"].to_list()
    assert both == [0.0, 6.0, 7.0, 8.0, 9.0]
    assert t.during_markers("GC").n_samples == 0  # instants are not ranges


def test_markers_command(capsys, tmp_path):
    from profile_frames.present.cli import main

    path = tmp_path / "m.json"
    path.write_text(json.dumps(_doc(MARKERS)))
    assert main(["markers", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in out["rows"]] == _thread(MARKERS).marker_summary()["name"].to_list()
    assert main(["markers", str(path), "--name", "Load", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["duration_ms", "7.0", "2.0"]
    assert main(["markers", str(path), "--name", "Nope"]) == 2
    assert "no interval markers called 'Nope'" in capsys.readouterr().err


def test_marker_search_follows_the_schema():
    """A schema field matches, a field outside the schema does not, and neither do the
    payload's keys; ``key:text`` and ``-key:text`` filter by one field (Firefox's marker
    search, marker-data.ts positiveFilterMarker/negativeFilterMarker)."""
    doc = _doc(
        [
            (
                "DOMEvent",
                1.0,
                3.0,
                1,
                {"type": "DOMEvent", "eventType": "click", "innerWindowID": 4242},
            ),
            (
                "DOMEvent",
                5.0,
                7.0,
                1,
                {"type": "DOMEvent", "eventType": "keydown", "innerWindowID": 7},
            ),
            ("Styles", 8.0, 9.0, 1, {"type": "Styles", "elementsTraversed": 12}),
        ]
    )
    doc["meta"]["markerSchema"] = [
        {
            "name": "DOMEvent",
            "display": ["marker-chart"],
            "fields": [{"key": "eventType", "label": "Type", "format": "string"}],
        },
        {
            "name": "Styles",
            "display": ["marker-chart"],
            "data": [
                {
                    "key": "elementsTraversed",
                    "label": "Traversed",
                    "format": "integer",
                    "searchable": True,
                }
            ],
        },
    ]
    t = profile_frames.load(to_bytes(doc)).thread(0)

    def times(search: str) -> list[float]:
        return t.during_markers(search).samples["time"].to_list()

    assert times("click") == [1.0, 2.0]  # a schema field
    assert times("4242") == []  # innerWindowID is not in the schema
    assert times("eventtype") == []  # keys are not values
    assert times("12") == [8.0]  # an old-style schema ("data") field
    assert times("eventType:key") == [5.0, 6.0]
    assert times("name:styles") == [8.0]
    assert times("cat:other") == [1.0, 2.0, 5.0, 6.0, 8.0]
    assert times("DOMEvent, -eventType:click") == [5.0, 6.0]
