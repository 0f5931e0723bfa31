#!/usr/bin/env python3
"""The table of containers_compare.sh: its raw records (bench/lib/common.sh `sample`/`failed`
JSON lines) -> per measurement the median of every system, its ratio to the Linux bridge, the
target and pass/FAIL per system, then every run's value.

    containers_targets.py RAW.jsonl

A sample's `target` field says what decides: `ratio>=X` / `ratio<=X` (median / the bridge's
median) or `abs<=X` / `abs>=X` (the median itself); none: reported, no target. The numbers
decide; nothing here knows what they should be.
"""
import json
import statistics
import sys

BRIDGE = "Linux bridge"


def load(path):
    cases, systems, values, status, meta, first = [], [], {}, {}, {}, {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") not in ("sample", "status"):
                continue
            c, s = r["case"], r["system"]
            if c not in cases:
                cases.append(c)
            if s not in systems:
                systems.append(s)
            if s != BRIDGE:
                first.setdefault(c, len(first))
            if r["type"] == "status":
                status[(c, s)] = r.get("reason", "")
                continue
            values.setdefault((c, s), []).append(float(r["value"]))
            meta.setdefault(c, (r.get("unit", ""), r.get("target", "")))
    # Cases in the order the other systems measured them (the bridge measures some first).
    seen = {c: i for i, c in enumerate(cases)}
    cases.sort(key=lambda c: (first.get(c, len(first)), seen[c]))
    if BRIDGE in systems:  # the reference first
        systems.remove(BRIDGE)
        systems.insert(0, BRIDGE)
    return cases, systems, values, status, meta


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 10:
        return "%.2f" % v
    return "%.3f" % v


def verdict(target, med, ratio):
    if not target:
        return "(reported)"
    for op in (">=", "<="):
        if op in target:
            kind, thr = target.split(op)
            thr = float(thr)
            x = ratio if kind == "ratio" else med
            if x is None:
                return "n/a"
            ok = x >= thr if op == ">=" else x <= thr
            return "pass" if ok else "FAIL"
    return "?"


def target_text(target):
    if not target:
        return "-"
    for op, sym in ((">=", ">="), ("<=", "<=")):
        if op in target:
            kind, thr = target.split(op)
            return ("%s %sx bridge" % (sym, thr)) if kind == "ratio" else ("%s %s" % (sym, thr))
    return target


def main():
    cases, systems, values, status, meta = load(sys.argv[1])
    others = [s for s in systems if s != BRIDGE]
    med = {k: statistics.median(v) for k, v in values.items()}
    head = ["measurement"] + systems + ["target"] + ["%s" % s for s in others]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for c in cases:
        unit, target = meta.get(c, ("", ""))
        ref = med.get((c, BRIDGE))
        cells, verdicts = [], []
        for s in systems:
            if (c, s) in status and (c, s) not in med:
                cells.append("FAILED: %s" % status[(c, s)])
                if s != BRIDGE:
                    verdicts.append("FAIL (did not run)")
                continue
            m = med.get((c, s))
            ratio = m / ref if m is not None and ref else None
            if s == BRIDGE or ratio is None:
                cells.append(fmt(m))
            else:
                cells.append("%s (%.2fx)" % (fmt(m), ratio))
            if s != BRIDGE:
                verdicts.append(verdict(target, m, ratio) if m is not None else "-")
        print("| %s (%s) | %s | %s | %s |" % (c, unit, " | ".join(cells), target_text(target),
                                              " | ".join(verdicts)))
    print()
    print("Every run (in order):")
    print()
    print("| measurement | " + " | ".join(systems) + " |")
    print("|" + "---|" * (len(systems) + 1))
    for c in cases:
        row = [" ".join(fmt(v) for v in values.get((c, s), [])) or "-" for s in systems]
        print("| %s | %s |" % (c, " | ".join(row)))


if __name__ == "__main__":
    main()
