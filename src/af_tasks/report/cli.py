"""``af-report LOGS... [--out DIR] [--compliance SCORER] [--af SCORER] [--prices CSV]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from af_tasks.extensions import load_extensions
from af_tasks.report import columns as C
from af_tasks.report.build import OUTPUT_FOLDER, build_report


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="af-report",
        description=(
            "Summarise af_tasks Inspect logs: per model and condition, refusal, compliance "
            "and compliance with alignment-faking reasoning; the compliance gap with a 95% "
            "interval and a paired test; the stacked-bar figure; a plain-language summary."
        ),
    )
    p.add_argument("logs", nargs="+", help="Inspect log folders (searched recursively) or files")
    p.add_argument(
        "--out",
        help=f"output folder (default: {OUTPUT_FOLDER}/ inside the log folder)",
    )
    p.add_argument(
        "--compliance",
        default=C.AUTO,
        choices=[C.AUTO, *C.compliance_scorers()],
        help="scorer that labels compliance (default: auto, the one of "
        + ", ".join(C.compliance_scorers())
        + " that labels the most samples; the notes say which)",
    )
    p.add_argument(
        "--af",
        default=C.AUTO,
        choices=[C.AUTO, *C.af_scorers()],
        help="alignment-faking classifier (default: auto, the first the log has of "
        + ", ".join(C.af_scorers())
        + ")",
    )
    p.add_argument(
        "--prices",
        help="price table (CSV, dollars per million tokens) for the cost section, replacing "
        "the shipped datasets/prices.csv (dated list prices: check them before use)",
    )
    p.add_argument(
        "--no-cost",
        action="store_true",
        help="skip the cost section",
    )
    p.add_argument(
        "--requests",
        action="store_true",
        help="count requests and Inspect cache hits in the cost section (reads every sample's "
        "model events: about 5 ms a sample; the tokens and prices need only the log headers)",
    )
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report; exit code 0 on success, 2 on bad input (with the reason on stderr)."""
    load_extensions()  # classifiers other packages declare choose the report's columns too
    args = parser().parse_args(argv)
    try:
        report = build_report(
            args.logs,
            out=args.out,
            compliance=args.compliance,
            af=args.af,
            progress=False if args.no_progress else None,
            prices=args.prices,
            cost=not args.no_cost,
            requests=args.requests,
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"af-report: error: {err}", file=sys.stderr)
        return 2
    print(report.summary)
    print("Wrote:")
    for path in report.paths.values():
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
