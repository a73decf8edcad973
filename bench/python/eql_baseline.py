"""The Python `eql` engine (PyPI eql, the reference implementation of Endgame/Elastic
EQL) over the benchmark's stream, for `cargo xtask bench --python`.

    python eql_baseline.py RULES_DIR STREAM.ndjson

Loads every rule of RULES_DIR (detection-rules TOML) that eql parses (Elasticsearch
syntax) and whose functions its engine knows, runs them all in one PythonEngine over
the stream, and prints one JSON object: version, rules_total, rules_loaded, events,
seconds, events_per_s, alerts.

As benchmark.md (M7) says, eql raises TypeError on list-valued fields in `in` and some
functions, which aborts the event for every later query; so list values are reduced to
their first element, for every event, before timing (the reduction is not timed). The
JSON decoding of each line is timed, as eqlc's is.
"""

import glob
import json
import os
import sys
import time
import tomllib
from datetime import datetime

import eql
from eql.parser import elasticsearch_syntax, ignore_missing_functions


def first_of_lists(value):
    if isinstance(value, dict):
        return {k: first_of_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return first_of_lists(value[0]) if value else None
    return value


def nest(event):
    """Dotted keys become nested objects (eql reads nested fields)."""
    out = {}
    for key, value in event.items():
        if isinstance(value, dict):
            value = nest(value)
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            nxt = node.get(p)
            if not isinstance(nxt, dict):
                nxt = {}
                node[p] = nxt
            node = nxt
        node[parts[-1]] = value
    return out


def to_event(data):
    """An `eql.Event` from an ECS event (lists already reduced)."""
    category = (data.get("event") or {}).get("category")
    event_type = category if isinstance(category, str) else eql.events.EVENT_TYPE_GENERIC
    ts = data.get("@timestamp")
    millis = 0
    if isinstance(ts, str):
        try:
            millis = int(datetime.fromisoformat(ts).timestamp() * 1000)
        except ValueError:
            millis = 0
    elif isinstance(ts, (int, float)):
        millis = int(ts)
    return eql.Event(event_type, millis, data)


def main():
    rules_dir, stream_path = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(rules_dir, "**", "*.toml"), recursive=True))
    engine = eql.PythonEngine({"time_unit": 1000})
    loaded = 0
    for f in files:
        with open(f, "rb") as fh:
            rule = tomllib.load(fh).get("rule", {})
        query = rule.get("query")
        if not query:
            continue
        try:
            with elasticsearch_syntax, ignore_missing_functions:
                analytic = eql.parse_analytic(
                    {"query": query, "metadata": {"id": rule.get("rule_id", f)}}
                )
            engine.add_analytic(analytic)
            loaded += 1
        except Exception:  # noqa: BLE001 - not parsed or not supported by this engine
            continue
    alerts = []
    engine.add_output_hook(alerts.append)
    with open(stream_path, "r", encoding="utf-8") as fh:
        lines = [l for l in fh if l.strip()]
    # Reduce lists (not timed), and keep the text form so decoding is timed.
    reduced = [json.dumps(first_of_lists(nest(json.loads(l)))) for l in lines]
    start = time.perf_counter()
    events = (to_event(json.loads(l)) for l in reduced)
    engine.stream_events(events)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "version": eql.__version__,
                "rules_total": len(files),
                "rules_loaded": loaded,
                "events": len(lines),
                "seconds": seconds,
                "events_per_s": len(lines) / seconds if seconds > 0 else 0.0,
                "alerts": len(alerts),
            }
        )
    )


if __name__ == "__main__":
    main()
