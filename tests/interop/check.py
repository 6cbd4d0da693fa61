"""Opens every table of an `entrace run` output in the clients analysts use,
with their defaults, and checks what each one sees.

    python check.py OUT_DIR --schema SCHEMA_JSON --recipes docs/notebooks.md [--spark]

For every table and every client (pyarrow, pandas with both dtype backends,
polars, DuckDB and, with --spark, PySpark in local mode, session time zone
UTC):

* the table opens with no reader options and has the row count the
  manifest gives;
* every timestamp column is a UTC instant in microseconds (not a long, not a
  naive time), equal to its exact `_ns` companion truncated to microseconds;
* list columns are lists, and a sort, a group-by and a filter on a string
  column work.

Independently of entrace, the exact companions of the entity tables are
compared with the timestamps written in each record's `ingest_raw` text, parsed
here from the Graph strings (7 fractional digits, offsets, `/Date(ms)/`), and
the timeline's times with the events of the tables it cites.

Then the notebook recipes of docs/notebooks.md (the ```python blocks of its "Notebook
recipes" section) run against the output, each in a fresh namespace, and
must give the same answer in every client.

Prints one line per check and a table of client versions; exits 1 when any
check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import sys
import time
import traceback
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

NS_SUFFIX = "_ns"
FAILURES: list[str] = []


def check(name: str, fn) -> None:
    """Runs one check; records and prints its outcome."""
    try:
        fn()
        print(f"ok    {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        FAILURES.append(f"{name}: {detail}")
        print(f"FAIL  {name}: {detail}")


# ---------------------------------------------------------------- the truth


def parse_graph_time(value) -> int | None:
    """UTC nanoseconds of a Graph timestamp as the collectors write it."""
    if isinstance(value, dict):
        value = value.get("value", value.get("Value"))
    if not isinstance(value, str):
        return None
    s = value.strip()
    m = re.fullmatch(r"/Date\((-?\d+)([+-]\d{4})?\)/", s)
    if m:
        return int(m.group(1)) * 1_000_000
    m = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
        r"(Z|z|[+-]\d{2}:\d{2})",
        s,
    )
    if not m:
        return None
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    try:
        base = dt.datetime(y, mo, d, h, mi, min(se, 59), tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    frac = (m.group(7) or "")[:9].ljust(9, "0")
    zone = m.group(8)
    offset = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    seconds = int(base.timestamp()) + (se - min(se, 59)) - offset
    return seconds * 1_000_000_000 + int(frac)


def snake_to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def graph_get(record, path: str):
    """The value at dotted Graph `path` of a record (PascalCase tolerated)."""
    node = record
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        if key in node:
            node = node[key]
        else:
            node = node.get(key[:1].upper() + key[1:])
    return node


# ---------------------------------------------------------------- pyarrow


def timestamp_columns(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema if pa.types.is_timestamp(f.type)]


def nested_timestamps(schema: pa.Schema) -> list[tuple[str, str]]:
    """(list column, struct field) of every timestamp inside a list<struct>."""
    out = []
    for f in schema:
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            inner = f.type.value_type
            if pa.types.is_struct(inner):
                for member in inner:
                    if pa.types.is_timestamp(member.type):
                        out.append((f.name, member.name))
    return out


def first_string_column(schema: pa.Schema) -> str:
    for f in schema:
        if str(f.type) in ("string", "large_string", "string_view"):
            return f.name
    raise AssertionError("no string column")


def assert_micros_of(us: pa.ChunkedArray | pa.Array, ns, what: str) -> None:
    assert us.type == pa.timestamp("us", tz="UTC"), f"{what}: {us.type}"
    got = pc.cast(us, pa.int64()).to_pylist()
    exact = ns.to_pylist()
    want = [None if v is None else v // 1000 for v in exact]
    assert got == want, f"{what}: not its {NS_SUFFIX} companion truncated to microseconds"


def check_pyarrow(path: Path, rows: int, raw_paths: dict[str, str]) -> pa.Table:
    t = pq.read_table(path)
    assert t.num_rows == rows, f"{t.num_rows} rows, manifest says {rows}"
    for f in t.schema:
        assert "view" not in str(f.type), f"{f.name}: {f.type}"
    for name in timestamp_columns(t.schema):
        assert name + NS_SUFFIX in t.schema.names, f"{name} has no {NS_SUFFIX} companion"
        assert_micros_of(t[name], t[name + NS_SUFFIX], name)
    for col, member in nested_timestamps(t.schema):
        flat = pc.list_flatten(t[col])
        assert_micros_of(
            pc.struct_field(flat, member),
            pc.struct_field(flat, member + NS_SUFFIX),
            f"{col}[].{member}",
        )
    for f in t.schema:
        if "list" in str(f.type):
            assert pa.types.is_list(f.type) or pa.types.is_large_list(f.type), f.name
    key = first_string_column(t.schema)
    t.sort_by(key)
    t.group_by(key).aggregate([([], "count_all")])
    t.filter(pc.is_valid(t[key]))
    t.to_pandas()
    if "ingest_raw" in t.schema.names:
        check_against_raw(t, raw_paths)
    return t


def check_against_raw(t: pa.Table, raw_paths: dict[str, str]) -> None:
    """Every exact companion equals the Graph string of the record's text."""
    raws = t["ingest_raw"].to_pylist()
    records = [json.loads(r) for r in raws]
    compared = 0
    for column, graph_path in raw_paths.items():
        exact = t[column + NS_SUFFIX].to_pylist()
        for i, rec in enumerate(records):
            want = parse_graph_time(graph_get(rec, graph_path))
            assert exact[i] == want, (
                f"{column} row {i}: {exact[i]} but the record says "
                f"{graph_get(rec, graph_path)!r} = {want}"
            )
            compared += want is not None
    for col, member in nested_timestamps(t.schema):
        items = t[col].to_pylist()
        graph_list = snake_to_camel(col)
        for i, rec in enumerate(records):
            source = graph_get(rec, graph_list) or []
            for j, item in enumerate(items[i] or []):
                want = parse_graph_time(graph_get(source[j], snake_to_camel(member)))
                assert item[member + NS_SUFFIX] == want, f"{col}[{j}].{member} row {i}"
                compared += want is not None
    assert compared > 0 or t.num_rows == 0, "no timestamp compared with its record"


# ---------------------------------------------------------------- the others


def exact_ns(path: Path, ts: list[str]) -> dict[str, list]:
    """The `_ns` companions of `ts`, read exactly (pyarrow keeps int64 with nulls)."""
    t = pq.read_table(path, columns=[n + NS_SUFFIX for n in ts])
    return {n: t[n + NS_SUFFIX].to_pylist() for n in ts}


def check_pandas(path: Path, rows: int, ts: list[str], lists: list[str], key: str) -> None:
    df = pd.read_parquet(path)
    assert len(df) == rows, f"{len(df)} rows"
    exact = exact_ns(path, ts)
    for name in ts:
        dtype = df[name].dtype
        assert isinstance(dtype, pd.DatetimeTZDtype), f"{name}: {dtype}"
        assert str(dtype.tz) == "UTC" and dtype.unit == "us", f"{name}: {dtype}"
        got = [None if pd.isna(v) else v.value // 1000 for v in df[name]]
        want = [None if v is None else v // 1000 for v in exact[name]]
        assert got == want, name
    for name in lists:
        cell = next((v for v in df[name] if v is not None), None)
        assert cell is None or hasattr(cell, "__len__"), f"{name}: {type(cell)}"
    df.sort_values(key)
    df.groupby(key, dropna=False).size()
    df[df[key].notna()]


def check_pandas_arrow(path: Path, rows: int, ts: list[str], key: str) -> None:
    df = pd.read_parquet(path, dtype_backend="pyarrow")
    assert len(df) == rows, f"{len(df)} rows"
    for name in ts:
        assert str(df[name].dtype) == "timestamp[us, tz=UTC][pyarrow]", f"{name}: {df[name].dtype}"
        companion = df[name + NS_SUFFIX]
        assert str(companion.dtype) == "int64[pyarrow]", f"{name}{NS_SUFFIX}: {companion.dtype}"
    df.sort_values(key)
    df.groupby(key, dropna=False).size()


def check_polars(path: Path, rows: int, ts: list[str], lists: list[str], key: str) -> None:
    df = pl.read_parquet(path)
    assert df.height == rows, f"{df.height} rows"
    for name in ts:
        assert df.schema[name] == pl.Datetime("us", "UTC"), f"{name}: {df.schema[name]}"
        bad = df.filter(
            pl.col(name).dt.epoch("us") != pl.col(name + NS_SUFFIX).floordiv(1000)
        ).height
        assert bad == 0, f"{name}: {bad} rows differ from {name}{NS_SUFFIX}"
    for name in lists:
        assert isinstance(df.schema[name], pl.List), f"{name}: {df.schema[name]}"
    df.sort(key)
    df.group_by(key).len()
    df.filter(pl.col(key).is_not_null())


def check_duckdb(path: Path, rows: int, ts: list[str], lists: list[str], key: str) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rel = f"read_parquet('{path}')"
    (n,) = con.execute(f"select count(*) from {rel}").fetchone()
    assert n == rows, f"{n} rows"
    types = {r[0]: r[1] for r in con.execute(f"describe select * from {rel}").fetchall()}
    for name in ts:
        assert types[name] == "TIMESTAMP WITH TIME ZONE", f"{name}: {types[name]}"
        (bad,) = con.execute(
            f'select count(*) from {rel} where epoch_us("{name}") != "{name}{NS_SUFFIX}" // 1000'
        ).fetchone()
        assert bad == 0, f"{name}: {bad} rows differ"
    for name in lists:
        assert types[name].endswith("[]"), f"{name}: {types[name]}"
    con.execute(f'select "{key}", count(*) from {rel} group by 1 order by 1').fetchall()
    con.execute(f'select * from {rel} where "{key}" is not null order by "{key}"').fetchall()


def check_spark(spark, path: Path, rows: int, ts: list[str], lists: list[str], key: str) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, TimestampType

    df = spark.read.parquet(str(path))
    n = df.count()
    assert n == rows, f"{n} rows"
    fields = {f.name: f.dataType for f in df.schema.fields}
    for name in ts:
        assert isinstance(fields[name], TimestampType), f"{name}: {fields[name]}"
        bad = df.filter(
            F.unix_micros(F.col(name)) != F.expr(f"`{name}{NS_SUFFIX}` div 1000")
        ).count()
        assert bad == 0, f"{name}: {bad} rows differ"
    for name in lists:
        assert isinstance(fields[name], ArrayType), f"{name}: {fields[name]}"
    df.groupBy(key).count().orderBy(key).collect()
    df.filter(F.col(key).isNotNull()).orderBy(key).collect()


# ---------------------------------------------------------------- stage 2 links


def check_timeline_times(out: Path) -> None:
    """Each timeline row's time is the event time of the record it shows."""
    con = duckdb.connect()
    event = {
        "sign_in": ("signins", "created_date_time"),
        "directory_audit": ("directory_audits", "activity_date_time"),
        "risk_detection": ("risk_detections", "activity_date_time"),
        "risky_user": ("risky_users", "risk_last_updated_date_time"),
        "risky_user_history": ("risky_user_history", "risk_last_updated_date_time"),
    }
    checked = 0
    for entity, (table, column) in event.items():
        (rows, bad) = con.execute(
            f"""select count(*), count(*) filter (where t.time_ns != e."{column}_ns")
                from read_parquet('{out / "timeline.parquet"}') t
                join read_parquet('{out / (table + ".parquet")}') e on e.id = t.record_id
                where t.entity = '{entity}'"""
        ).fetchone()
        assert bad == 0, f"{bad} {entity} rows of the timeline differ from {table}.{column}"
        checked += rows
    (total,) = con.execute(
        f"select count(*) from read_parquet('{out / 'timeline.parquet'}')"
    ).fetchone()
    assert checked >= total, f"only {checked} of {total} timeline rows matched a record"


# ---------------------------------------------------------------- recipes


def recipes(readme: Path) -> list[tuple[str, str]]:
    """(client, code) of each ```python block of the Notebook recipes section."""
    text = readme.read_text(encoding="utf-8")
    section = re.search(r"^## Notebook recipes\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, f"{readme} has no '## Notebook recipes' section"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    out = []
    for code in blocks:
        first = code.strip().splitlines()[0]
        client = first.split()[1].split(".")[0]
        out.append((client, code))
    return out


def plain(rows) -> list[tuple]:
    """Rows of any client's result as tuples of plain values, times as UTC ISO."""
    spark_rows = hasattr(rows, "collect") and not isinstance(rows, duckdb.DuckDBPyRelation)
    if isinstance(rows, pl.DataFrame):
        rows = rows.rows()
    elif isinstance(rows, pd.DataFrame):
        rows = list(rows.itertuples(index=False, name=None))
    elif isinstance(rows, duckdb.DuckDBPyRelation):
        rows = rows.fetchall()
    elif hasattr(rows, "collect"):
        rows = [tuple(r) for r in rows.collect()]


    def value(v):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        if isinstance(v, dt.datetime):
            if v.tzinfo is None:
                # PySpark hands instants (TimestampType, checked above) to
                # Python as naive local times; this process runs in UTC.
                if not spark_rows:
                    raise AssertionError(f"naive time {v}: not a UTC instant")
                v = v.replace(tzinfo=dt.timezone.utc)
            return v.astimezone(dt.timezone.utc).isoformat()
        if hasattr(v, "item"):
            return v.item()
        return v

    return [tuple(value(v) for v in r) for r in rows]


def run_recipes(readme: Path, out: Path, spark_too: bool) -> None:
    found = recipes(readme)
    clients = [c for c, _ in found]
    expected = ["polars", "pandas", "duckdb", "pyspark"]
    assert clients == expected, f"recipes for {clients}, expected {expected}"
    answers = {}
    assert (Path("out") / "manifest.json").is_file(), "run from the recipes' directory"
    for client, code in found:
        if client == "pyspark" and not spark_too:
            print("skip  recipe pyspark (no --spark)")
            continue

        def run(code=code, client=client):
            ns: dict = {}
            exec(compile(code, f"notebook recipe ({client})", "exec"), ns)
            answers[client] = {k: plain(ns[k]) for k in ("by_code", "next_events")}

        check(f"recipe {client}", run)
    if answers:
        first = next(iter(answers.values()))

        def agree():
            assert first["by_code"], "the recipe found no failed sign-ins"
            for client, a in answers.items():
                assert a == first, f"{client} answers {a}, not {first}"

        check("recipes give one answer in every client", agree)
        print("      by_code:", first["by_code"])
        print("      next_events:", len(first["next_events"]), "rows")


# ---------------------------------------------------------------- main


def main() -> int:
    # PySpark turns instants into naive Python datetimes in the process's
    # zone: make that zone UTC, as the recipes' Spark session is.
    os.environ["TZ"] = "UTC"
    time.tzset()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--schema", type=Path, required=True, help="entrace schema --format json")
    ap.add_argument("--recipes", type=Path, required=True)
    ap.add_argument("--spark", action="store_true", help="also check PySpark (needs a JRE)")
    ap.add_argument("--workdir", type=Path, help="where the recipes run (default: OUT/../.recipes)")
    args = ap.parse_args()
    out = args.out.resolve()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    docs = json.loads(args.schema.read_text(encoding="utf-8"))
    tables = manifest["tables"]
    assert len(tables) == 11, sorted(tables)
    # The recipes read `out/...` relative to the working directory, and Spark
    # resolves paths against the directory its JVM starts in: start there.
    workdir = Path(args.workdir or out.parent / ".recipes").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    link = workdir / "out"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(out)
    readme = args.recipes.resolve()
    os.chdir(workdir)
    spark = None
    if args.spark:
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
    for table, entry in sorted(tables.items()):
        path = out / entry["file"]
        rows = entry["rows"]
        raw_paths = {
            d["column"]: d["source"]
            for d in docs
            if d["table"] == table and d["type"].startswith("timestamp") and d["source"] != "(entrace)"
        }
        holder = {}

        def arrow(path=path, rows=rows, raw_paths=raw_paths):
            holder["t"] = check_pyarrow(path, rows, raw_paths)

        check(f"pyarrow  {table}", arrow)
        schema = pq.read_schema(path)
        ts = timestamp_columns(schema)
        lists = [f.name for f in schema if "list" in str(f.type)]
        key = first_string_column(schema)
        check(f"pandas   {table}", lambda: check_pandas(path, rows, ts, lists, key))
        check(f"pandas[pyarrow] {table}", lambda: check_pandas_arrow(path, rows, ts, key))
        check(f"polars   {table}", lambda: check_polars(path, rows, ts, lists, key))
        check(f"duckdb   {table}", lambda: check_duckdb(path, rows, ts, lists, key))
        if spark is not None:
            check(f"spark    {table}", lambda: check_spark(spark, path, rows, ts, lists, key))
    check("timeline times are the events' own", lambda: check_timeline_times(out))
    check("notebook recipes", lambda: run_recipes(readme, out, spark is not None))
    versions = {
        "python": sys.version.split()[0],
        "pyarrow": pa.__version__,
        "pandas": pd.__version__,
        "polars": pl.__version__,
        "duckdb": duckdb.__version__,
    }
    if spark is not None:
        versions["pyspark"] = spark.version
        spark.stop()
    print("clients:", ", ".join(f"{k} {v}" for k, v in versions.items()))
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) failed:")
        for f in FAILURES:
            print(" ", f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
