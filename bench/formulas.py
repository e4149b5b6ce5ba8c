"""Formula engine benchmark: Python evaluation throughput and SQL filter latency.

    python bench/formulas.py [--records 100000] [--runs 30]

Uses the PostgreSQL at DATABASE_URL, or starts a throwaway one (config.devservices).
Figures are printed with ratios against baselines measured in the same run:
Python throughput against the cheapest possible per-record step (a dict
lookup and a comparison in a plain loop), and the SQL filter against
evaluating the same formula in Python over the same records.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.formulas import FieldSpec, compile_filter, evaluate, is_truthy, parse
from apps.formulas.sql import index_expression, text_order_key

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
STATUSES = ["Todo", "In progress", "Blocked", "Done", "Archived"]
FIELDS = {
    "Name": FieldSpec("Name", "singleLineText"),
    "Qty": FieldSpec("Qty", "number"),
    "Price": FieldSpec("Price", "currency"),
    "Status": FieldSpec("Status", "singleSelect"),
    "Due": FieldSpec("Due", "date"),
    "Tags": FieldSpec("Tags", "multipleSelects"),
}
PYTHON_FORMULAS = [
    "{Qty} > 2",
    "IF({Qty} > 2, 'bulk', 'single')",
    "{Price} * {Qty} * (1 - 0.2)",
    "AND({Status} = 'Done', FIND('urgent', LOWER({Name})) > 0)",
    "DATETIME_DIFF({Due}, TODAY(), 'days') < 7",
]
FILTERS = [
    ("{Qty} > 990", "expression index on Qty"),
    ("{Status} = 'Blocked'", "expression index on Status"),
    ("AND({Qty} > 950, FIND('urgent', LOWER({Name})))", "index on Qty, then a text test"),
    ("{Price} * {Qty} > 400000", "sequential scan"),
    ("IS_BEFORE({Due}, DATEADD(TODAY(), -300, 'days'))",
     "index on Due's order key bounds it, then the exact date test"),
]


def make_records(count, seed=7):
    rng = random.Random(seed)
    words = ["alpha", "beta", "urgent", "gamma", "delta", "Urgent fix", "omega"]
    records = []
    for index in range(count):
        fields = {
            "Name": f"{rng.choice(words)} {index}",
            "Qty": rng.randint(0, 1000),
            "Price": round(rng.uniform(1, 500), 2),
            "Status": rng.choice(STATUSES),
            "Due": (NOW.date() + timedelta(days=rng.randint(-400, 400))).isoformat(),
            "Tags": rng.sample(["red", "green", "blue", "bulk"], rng.randint(0, 2)),
        }
        if index % 50 == 0:
            del fields["Qty"]
        records.append((f"rec{index:08d}", fields))
    return records


def bench_python(records):
    print(f"\nPython: parse + evaluate over {len(records):,} records")
    start = time.perf_counter()
    hits = 0
    for _, fields in records:
        qty = fields.get("Qty")
        hits += qty is not None and qty > 2
    baseline = len(records) / (time.perf_counter() - start)
    print(f"  baseline (dict lookup + compare in a loop) {baseline:14,.0f} records/s")
    for formula in PYTHON_FORMULAS:
        start = time.perf_counter()
        for _, fields in records:
            evaluate(formula, fields, now=NOW)
        rate = len(records) / (time.perf_counter() - start)
        print(f"  {formula:58s} {rate:12,.0f} records/s  ({rate / baseline:5.2f}x baseline)")


def connect():
    import psycopg

    url = os.environ.get("DATABASE_URL")
    if url:
        return psycopg.connect(url, autocommit=True), None
    from config import devservices

    folder = Path(tempfile.mkdtemp(prefix="formula-bench-"))
    os.chmod(folder, 0o755)
    server = devservices.start_postgres(folder / "pg", devservices.free_port(), durable=False)
    return psycopg.connect(server.url, autocommit=True), (server, folder)


def bench_sql(records, runs):
    connection, started = connect()
    try:
        with connection.cursor() as cursor:
            load(cursor, records)
            print(
                f"\nSQL filter over {len(records):,} mirrored records, {runs} runs each "
                "(Python = evaluating the same filter over the same records)"
            )
            for formula, note in FILTERS:
                sql, params = compile_filter(parse(formula), FIELDS, now=NOW)
                query = f"SELECT record_id FROM bench_mirror WHERE {sql}"
                timings, matched = [], 0
                for _ in range(runs):
                    start = time.perf_counter()
                    cursor.execute(query, params)
                    matched = len(cursor.fetchall())
                    timings.append(time.perf_counter() - start)
                python_time, python_matched = python_filter(records, formula)
                assert python_matched == matched, (formula, python_matched, matched)
                p50 = statistics.median(timings) * 1000
                p95 = statistics.quantiles(timings, n=20)[18] * 1000
                print(
                    f"  {formula}\n    {note}; {matched:,} matches:"
                    f" p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  | Python {python_time * 1000:8.1f} ms"
                    f"  ({python_time * 1000 / p50:6.1f}x slower)"
                )
    finally:
        connection.close()
        if started:
            from config import devservices

            devservices.stop(started[0])
            shutil.rmtree(started[1], ignore_errors=True)


def load(cursor, records):
    cursor.execute("DROP TABLE IF EXISTS bench_mirror")
    cursor.execute(
        "CREATE UNLOGGED TABLE bench_mirror (record_id text PRIMARY KEY, created_time timestamptz,"
        " last_modified_time timestamptz, fields jsonb)"
    )
    with cursor.copy(
        "COPY bench_mirror (record_id, created_time, last_modified_time, fields) FROM STDIN"
    ) as copy:
        for record_id, fields in records:
            copy.write_row((record_id, NOW, NOW, json.dumps(fields)))
    for name in ("Qty", "Status"):
        cursor.execute(f"CREATE INDEX ON bench_mirror (({index_expression(name, FIELDS)}))")
    # What the mirror builds for a date field used in filters: its text order key.
    due_text = index_expression("Due", {"Due": FieldSpec("Due", "singleLineText")})
    cursor.execute(f"CREATE INDEX ON bench_mirror (({text_order_key(due_text)}))")
    cursor.execute("ANALYZE bench_mirror")


def python_filter(records, formula):
    start = time.perf_counter()
    matched = sum(1 for _, fields in records if is_truthy(evaluate(formula, fields, now=NOW)))
    return time.perf_counter() - start, matched


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    records = make_records(args.records)
    bench_python(records)
    bench_sql(records, args.runs)


if __name__ == "__main__":
    main()
