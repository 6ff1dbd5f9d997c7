#!/usr/bin/env python3
"""Prints the last `cargo bench --bench presentation` run as a Markdown table: per benchmark the
median time per iteration and the fastest of the 20 samples, each also as a ratio to the same
run's P-256 sign+verify baseline (see BENCHMARKS.md).

Usage: python3 benches/medians.py [target/criterion]
"""

import json
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
ORDER = ["baseline", "full_presentation", "holder_respond", "reader_verify"]
# Groups of the aws-lc-rs provider (`cargo bench --features aws-lc`) follow their RustCrypto ones.
ORDER = [g + suffix for g in ORDER for suffix in ("", "_aws_lc")]


def median_ns(group: str, name: str) -> float:
    path = ROOT / group / name / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def fastest_ns(group: str, name: str) -> float:
    """The fastest sample's time per iteration: the least disturbed by other load."""
    sample = json.loads((ROOT / group / name / "new" / "sample.json").read_text())
    return min(t / n for t, n in zip(sample["times"], sample["iters"]))


def fmt(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} µs" if ns >= 1e3 else f"{ns:.0f} ns"


def ratio(r: float) -> str:
    return f"{r:.2f}" if r >= 0.1 else f"{r:.4f}"


def main() -> None:
    base_median = median_ns("baseline", "p256_sign_verify")
    base_fastest = fastest_ns("baseline", "p256_sign_verify")
    print("| benchmark | median | median ÷ sign+verify | fastest sample | fastest ÷ sign+verify |")
    print("|---|---:|---:|---:|---:|")
    for group in ORDER:
        if not (ROOT / group).is_dir():
            continue
        names = sorted(p.parent.parent.name for p in (ROOT / group).glob("*/new/estimates.json"))
        for name in names:
            med, fast = median_ns(group, name), fastest_ns(group, name)
            print(
                f"| `{group}/{name}` | {fmt(med)} | {ratio(med / base_median)} "
                f"| {fmt(fast)} | {ratio(fast / base_fastest)} |"
            )


if __name__ == "__main__":
    main()
