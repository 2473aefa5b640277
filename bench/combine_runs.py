#!/usr/bin/python3
"""Combine several outputs of bench/run_bench.py into the Markdown tables of bench/README.md.

    /usr/bin/python3 bench/combine_runs.py RUN1.txt RUN2.txt RUN3.txt ...

The machine is shared, so each case is reported as the median over the runs of each column
(cnnrt, torch eager and frozen, ratio, GFLOP/s, ...), with every run's ratio beside it, and
the per-kernel rates as the median over the runs too. A ratio <= 0.7 is printed in bold.
"""

import re
import statistics
import sys

ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+"
                 r"([\d.]+)\s+(\d+)%\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$")
KERNEL = re.compile(r"([\w ]+?): ([\d.]+) GFLOP/s = (\d+)% of peak \(([\d.]+) ms\)")
PEAK = re.compile(r"single-core FMA peak ([\d.]+) GFLOP/s")


def parse(path):
    """(peak, {case: row fields}, {(model, batch): {kernel: GFLOP/s}}) of one run."""
    rows, kernels, peak = {}, {}, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip()
        if (m := PEAK.search(line)):
            peak = float(m.group(1))
        elif (m := ROW.match(line)):
            rows[(m.group(1), int(m.group(2)), int(m.group(3)))] = [float(g) for g in m.groups()[3:]]
        elif (parts := line.split(None, 2)) and len(parts) == 3 and parts[1].isdigit():
            found = {k.strip(): float(g) for k, g, _, _ in KERNEL.findall(parts[2])}
            if found:
                kernels[(parts[0], int(parts[1]))] = found
    return peak, rows, kernels


def main():
    runs = [parse(p) for p in sys.argv[1:]]
    if not runs:
        sys.exit(__doc__)
    peaks = [p for p, _, _ in runs if p]
    print(f"{len(runs)} runs; single-core FMA peak {min(peaks):.1f}-{max(peaks):.1f} GFLOP/s\n")
    print("| model | batch | threads | cnnrt ms | torch eager ms | torch frozen ms | ratio | "
          "eff. GFLOP/s | % peak | arena MB | RSS MB | load ms | ratio per run |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for case in runs[0][1]:
        values = [r[case] for _, r, _ in runs if case in r]
        med = [statistics.median(v[i] for v in values) for i in range(len(values[0]))]
        ratio = f"**{med[3]:.2f}**" if med[3] <= 0.7 else f"{med[3]:.2f}"
        per_run = " ".join(f"{v[3]:.2f}" for v in values)
        print(f"| {case[0]} | {case[1]} | {case[2]} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.3f} | "
              f"{ratio} | {med[4]:.1f} | {med[5]:.0f}% | {med[6]:.2f} | {med[7]:.1f} | "
              f"{med[8]:.1f} | {per_run} |")
    print("\n| model | batch | " + " | ".join(["GEMM-path Conv2d", "Linear", "Winograd",
                                                "depthwise"]) + " |")
    print("|---|---:|---:|---:|---:|---:|")
    names = {"GEMM-path Conv2d": "Conv2d gemm", "Linear": "Linear gemm",
             "Winograd": "Conv2d winograd", "depthwise": "Conv2d depthwise"}
    peak = statistics.median(peaks)
    for key in runs[0][2]:
        cells = []
        for label, kernel in names.items():
            rates = [k[key][kernel] for _, _, k in runs if key in k and kernel in k[key]]
            g = statistics.median(rates) if rates else None
            cells.append(f"{g:.1f} ({100 * g / peak:.0f}%)" if g is not None else "")
        print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
