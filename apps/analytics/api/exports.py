"""CSV answers: one table of the summary, or the events of a period."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

EVENTS_CSV_MAX = 100_000


def summary_rows(summary: dict, section: str, *, type: str | None = None) -> list[dict]:
    if section == "series":
        return [row for row in summary["series"] if type is None or row["type"] == type]
    if section == "routes":
        return summary["api"]["routes"]
    if section == "tools":
        return summary["tools"]["top"]
    if section == "tables":
        return summary["tables"]
    if section == "models":
        return summary["llm"]["models"]
    if section == "active_users":
        return summary["active_users"]["by_day"]
    if section == "workflows":
        return [{"status": status, "runs": runs}
                for status, runs in summary["workflows"]["by_status"].items()]
    raise ValueError(section)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(header: list[str], rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.DictWriter(_Echo(), fieldnames=header, extrasaction="ignore")
    yield writer.writerow(dict(zip(header, header, strict=True)))
    for row in rows:
        yield writer.writerow(row)


def csv_response(rows: list[dict], filename: str) -> StreamingHttpResponse:
    header: list[str] = []
    for row in rows:
        header += [key for key in row if key not in header]
    return _response(_lines(header or ["empty"], rows), filename)


def events_csv_response(events, filename: str) -> StreamingHttpResponse:
    header = ["id", "timestamp", "type", "user_id", "api_key_id", "grant", "data"]
    rows = ({"id": e.id, "timestamp": e.timestamp.isoformat(), "type": e.type,
             "user_id": e.user_id, "api_key_id": e.api_key_id, "grant": e.grant,
             "data": json.dumps(e.data, separators=(",", ":"))}
            for e in events[:EVENTS_CSV_MAX].iterator(chunk_size=2_000))
    return _response(_lines(header, rows), filename)


def _response(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
