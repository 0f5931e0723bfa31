#!/usr/bin/env python3
"""Turns bench/run.sh's raw records (raw.jsonl) into the results page and its plots.

Per scenario, per case and metric: one row per system with the median of its rounds (min-max),
the CPU seconds it was charged with, the cores that makes, the cost per Mpps or per Gbit/s, and
the ratio of Lite vSwitch to that system, all from this one run. Systems that failed or cannot
do a case are listed as such (never as a number). Scaling curves (records with an x) become
line plots, everything else bar charts (one bar per system, whiskers = min-max).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import textwrap
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LITE = "Lite vSwitch"
TITLES = OrderedDict(
    datapath="1. Datapath limit (DPDK vdevs, one PMD core)",
    pvp="2. PVP loop (vhost-user)",
    containers="3. Containers (two namespaces through the switch)",
    tunnels="4. Tunnels (two namespaced hosts)",
    scaling="5. How cost grows",
    idle="Idle cost and wake-up latency (issue 8)",
)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:  # a missing tool only loses one line of the machine description
        return ""


def machine(root):
    cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
    mem = sh("free -g | awk '/^Mem/{print $2}'")
    osname = sh(". /etc/os-release && echo $PRETTY_NAME")
    load = sh("cut -d' ' -f1-3 /proc/loadavg")
    dpdk = sh("dpkg-query -W -f='${Version}' libdpdk-dev")
    ovs = sh("ovs-vswitchd --version | head -1 | awk '{print $NF}'") or "not installed"
    gxx = sh("g++ --version | head -1")
    iperf = sh("iperf3 --version | head -1 | cut -d' ' -f2")
    commit = sh(f"git -C {root} rev-parse --short HEAD")
    dirty = sh(f"git -C {root} status --porcelain --untracked-files=no")
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores; memory {mem} GiB",
        f"Kernel: {platform.release()}; {osname}; load average at the end: {load}",
        f"DPDK {dpdk}; Open vSwitch {ovs}; {gxx}; iperf3 {iperf}",
        f"Lite vSwitch commit {commit}{' (with uncommitted changes)' if dirty else ''}",
    ]


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


class Series:
    """The rounds of one system for one case, metric (and x)."""

    def __init__(self):
        self.values, self.cpu, self.wall, self.extra = [], [], [], defaultdict(list)

    def add(self, r):
        self.values.append(r["value"])
        if isinstance(r.get("cpu_s"), (int, float)) and isinstance(r.get("wall_s"), (int, float)):
            self.cpu.append(r["cpu_s"])
            self.wall.append(r["wall_s"])
        if "cycles_per_pkt" in r and r["cycles_per_pkt"]:
            self.extra["cycles/pkt"].append(r["cycles_per_pkt"])

    @property
    def med(self):
        return statistics.median(self.values)

    def cores(self):
        if not self.cpu:
            return None
        return statistics.median(c / w for c, w in zip(self.cpu, self.wall) if w > 0)


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    return recs


def cost_unit(unit):
    return {"Mpps": "cores/Mpps", "Gbit/s": "cores/(Gbit/s)"}.get(unit)


def table(cases, statuses, systems_order):
    """Markdown blocks (lists of lines), one per case and metric of a scenario's non-scaling cases."""
    blocks = []
    for (case, metric, unit, better), by_sys in cases.items():
        out = []
        blocks.append(out)
        lite = by_sys.get(LITE)
        cu = cost_unit(unit)
        out.append(f"**{case}** - {metric} ({unit}, {'higher' if better == 'higher' else 'lower'} is better)\n")
        head = "| system | median (min-max) | rounds | CPU s | cores |"
        head += f" {cu} |" if cu else ""
        head += " Lite vSwitch / system |"
        out.append(head)
        out.append("|" + "---|" * (head.count("|") - 1))
        names = sorted(by_sys, key=lambda s: systems_order.get(s, 99))
        for sysname in names:
            s = by_sys[sysname]
            cores = s.cores()
            cpu = statistics.median(s.cpu) if s.cpu else None
            row = f"| {sysname} | {fmt(s.med)} ({fmt(min(s.values))}-{fmt(max(s.values))})"
            if s.extra.get("cycles/pkt"):
                row += f", {statistics.median(s.extra['cycles/pkt']):.0f} cycles/pkt"
            row += f" | {len(s.values)} | {fmt(cpu)} | {fmt(cores)} |"
            if cu:
                row += f" {fmt(cores / s.med) if cores is not None and s.med > 0 else '-'} |"
            ratio = "-"
            if lite and s is not lite and s.med > 0 and lite.med > 0:
                q = lite.med / s.med
                ratio = f"{q:.2f}" if q >= 0.1 else f"{q:.4f}"
            row += f" {ratio} |"
            out.append(row)
        for st in statuses.get(case, []):
            if st["system"] in by_sys:
                continue
            out.append(f"| {st['system']} | **{st['status'].upper()}**: {st['reason']} | | | |"
                       + (" |" if cu else "") + " |")
        out.append("")
    # Cases where nothing ran at all still appear, with their reasons.
    shown = {c[0] for c in cases}
    for case, sts in statuses.items():
        if case in shown:
            continue
        out = [f"**{case}**\n"]
        out += [f"- {st['system']}: **{st['status'].upper()}**: {st['reason']}" for st in sts]
        blocks.append(out + [""])
    return blocks


def bar_plot(scenario, cases, path):
    by_metric = OrderedDict()
    for (case, metric, unit, better), by_sys in cases.items():
        by_metric.setdefault((metric, unit, better), []).append((case, by_sys))
    n = len(by_metric)
    if n == 0:
        return False
    fig, axes = plt.subplots(n, 1, figsize=(10, 3.2 * n), squeeze=False)
    for ax, ((metric, unit, better), items) in zip(axes[:, 0], by_metric.items()):
        systems = []
        for _, by_sys in items:
            systems += [s for s in by_sys if s not in systems]
        width = 0.8 / max(1, max(len(by_sys) for _, by_sys in items))
        colours = {name: f"C{i}" for i, name in enumerate(systems)}
        labelled = set()
        for j, (_, by_sys) in enumerate(items):
            present = [name for name in systems if name in by_sys]
            for k, sysname in enumerate(present):
                s = by_sys[sysname]
                x = j + (k - (len(present) - 1) / 2) * width
                bars = ax.bar([x], [s.med], width, yerr=[[s.med - min(s.values)], [max(s.values) - s.med]],
                              capsize=3, color=colours[sysname],
                              label=None if sysname in labelled else sysname)
                labelled.add(sysname)
                ax.bar_label(bars, labels=[fmt(s.med)], fontsize=7)
        ax.set_xticks(range(len(items)))
        ax.set_xticklabels([textwrap.fill(c, 22) for c, _ in items], fontsize=8)
        ax.set_ylabel(f"{metric} ({unit})")
        ax.set_title(f"{TITLES.get(scenario, scenario)}: {metric} ({'higher' if better == 'higher' else 'lower'} is better)",
                     fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def line_plots(curves, path):
    if not curves:
        return False
    n = len(curves)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.6 * rows), squeeze=False)
    for ax, ((case, metric, unit, better, xlabel), by_sys) in zip(axes.flat, curves.items()):
        for sysname, by_x in by_sys.items():
            xs = sorted(by_x)
            med = [by_x[x].med for x in xs]
            lo = [by_x[x].med - min(by_x[x].values) for x in xs]
            hi = [max(by_x[x].values) - by_x[x].med for x in xs]
            ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, label=sysname)
        allx = [x for b in by_sys.values() for x in b]
        if allx and min(allx) > 0 and max(allx) / min(allx) >= 100:
            ax.set_xscale("log")
        ally = [s.med for b in by_sys.values() for s in b.values()]
        if ally and min(ally) > 0 and max(ally) / min(ally) >= 100:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{metric} ({unit})")
        ax.set_title(case, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def curve_tables(curves):
    out = []
    for (case, metric, unit, better, xlabel), by_sys in curves.items():
        systems = list(by_sys)
        xs = sorted({x for b in by_sys.values() for x in b})
        out.append(f"**{case}** - {metric} ({unit}, {'higher' if better == 'higher' else 'lower'} is better), "
                   "median (min-max); CPU cores in brackets where measured\n")
        out.append(f"| {xlabel} | " + " | ".join(systems) + " |")
        out.append("|---|" + "---|" * len(systems))
        for x in xs:
            cells = []
            for sname in systems:
                s = by_sys[sname].get(x)
                if not s:
                    cells.append("-")
                    continue
                c = s.cores()
                cells.append(f"{fmt(s.med)} ({fmt(min(s.values))}-{fmt(max(s.values))})"
                             + (f" [{fmt(c)}]" if c is not None else ""))
            xs_ = f"{int(x):,}" if float(x).is_integer() else f"{x:g}"
            out.append(f"| {xs_} | " + " | ".join(cells) + " |")
        out.append("")
    return out


BEGIN, END = "<!-- bench-suite:begin -->", "<!-- bench-suite:end -->"


def update_readme(path, command_line, md_rel, lines):
    """Replaces what is between the README's bench-suite markers with this run's headlines."""
    text = open(path).read()
    if BEGIN not in text or END not in text:
        print(f"{path} has no {BEGIN} ... {END} markers: not updated")
        return
    body = [BEGIN, "", f"Latest suite run ([full report]({md_rel})). {command_line}", ""] + lines + [END]
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(path, "w") as f:
        f.write(head + "\n".join(body) + tail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--reps", default="")
    ap.add_argument("--dur", default="")
    ap.add_argument("--seconds", default="")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--scenarios", default="")
    ap.add_argument("--broken", default="")
    ap.add_argument("--root", default=".")
    ap.add_argument("--readme", default="", help="README whose bench-suite markers get the headline tables")
    a = ap.parse_args()
    recs = load(a.raw)
    rel = os.path.relpath(a.out, os.path.dirname(os.path.abspath(a.md)))
    readme_rel = os.path.relpath(a.out, os.path.dirname(os.path.abspath(a.readme))) if a.readme else ""
    readme = []

    md = [f"# Lite vSwitch benchmark suite - {os.path.basename(a.out)}", ""]
    mode = (f"QUICK smoke run ({a.reps} round of {a.dur} s per measurement: figures indicative only)"
            if a.quick == "1" else f"{a.reps} interleaved rounds of {a.dur} s per measurement")
    run_line = f"Command: `{a.command}` - {mode}; whole run {a.seconds} s."
    md.append(f"{run_line} Raw records: [{rel}/raw.jsonl]({rel}/raw.jsonl).")
    md.append("")
    md += [f"- {line}" for line in machine(a.root)]
    md += ["", "Reading the tables: median of the rounds (min-max); CPU s = the CPU seconds charged to the "
           "system per measurement (its processes' utime+stime from /proc/PID/stat, plus the kernel's softirq "
           "time from /proc/stat where frames cross the kernel: the Linux bridge's and kernel VXLAN's datapath "
           "is softirq); cores = CPU s / wall s; cost = cores per Mpps or per Gbit/s (lower is cheaper); the "
           "ratio is Lite vSwitch's median over the system's, both from this run.", ""]
    if a.broken.strip():
        md += [f"**HARNESS BROKE in: {a.broken}** (their figures are missing or partial).", ""]

    order = {}
    for r in recs:
        if r.get("system") and r["system"] not in order:
            order[r["system"]] = len(order)
    order[LITE] = -1
    scenarios = [s for s in a.scenarios.split() if s] or list(TITLES)
    for sc in scenarios:
        rs = [r for r in recs if r.get("scenario") == sc]
        md += [f"## {TITLES.get(sc, sc)}", ""]
        if not rs:
            md += ["No records: the scenario did not run (see the log).", ""]
            continue
        for r in rs:
            if r["type"] == "note":
                md += [r["text"], ""]
        cases, curves = OrderedDict(), OrderedDict()
        statuses = OrderedDict()
        for r in rs:
            if r["type"] == "status":
                statuses.setdefault(r["case"], []).append(r)
            if r["type"] != "sample":
                continue
            if "x" in r:
                k = (r["case"], r["metric"], r["unit"], r["better"], r.get("x_label", "x"))
                curves.setdefault(k, OrderedDict()).setdefault(r["system"], {}).setdefault(r["x"], Series()).add(r)
            else:
                k = (r["case"], r["metric"], r["unit"], r["better"])
                cases.setdefault(k, OrderedDict()).setdefault(r["system"], Series()).add(r)
        blocks = table(cases, statuses, order)
        md += [line for b in blocks for line in b]
        if curves:
            md += curve_tables(curves)
        readme += [f"**{TITLES.get(sc, sc)}**", ""] + (blocks[0] if blocks else [])
        plots = []
        if bar_plot(sc, cases, os.path.join(a.out, f"{sc}.png")):
            plots.append(f"{sc}.png")
        if line_plots(curves, os.path.join(a.out, f"{sc}-scaling.png")):
            plots.append(f"{sc}-scaling.png")
        md += [f"![{p}]({rel}/{p})\n" for p in plots]
        readme += [f"![{p}]({readme_rel}/{p})\n" for p in plots]
        cmds = OrderedDict()
        for r in rs:
            if r["type"] == "cmd":
                cmds.setdefault(r["system"], r["cmd"])
        if cmds:
            md += ["<details><summary>Exact commands</summary>", "", "```"]
            md += [f"# {s}\n{c}" for s, c in cmds.items()]
            md += ["```", "</details>", ""]
    with open(a.md, "w") as f:
        f.write("\n".join(md) + "\n")
    if a.readme:
        update_readme(a.readme, run_line, os.path.relpath(a.md, os.path.dirname(os.path.abspath(a.readme))), readme)
    print(f"report: {a.md}, plots and raw records in {a.out}")


if __name__ == "__main__":
    main()
