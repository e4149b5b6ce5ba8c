"""The one way to Airtable (or the sandbox, which speaks the same API).

Built on pyairtable's `Api` with its own 429 retry switched off: every request
first takes a token from the shared Redis buckets (5/s per base, 50/s per
token by default), so the platform does not draw 429s itself. When Airtable
answers 429 anyway, the base's bucket is closed for the penalty time (30 s)
for every process. Server errors, timeouts and refused connections are retried
with jittered exponential backoff, but a request that may have created
records (a POST that timed out mid-way) is not sent twice. Interactive callers
(API requests, pages) wait at most AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS for a
slot and otherwise get ERROR_AIRTABLE_RATE_LIMITED with Retry-After; workers
wait as long as it takes.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from pyairtable import Api
from redis.exceptions import RedisError
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .crypto import TokenDecryptionFailed, token_decrypt
from .exceptions import (
    AirtableAuthenticationFailed,
    AirtableBadGateway,
    AirtableError,
    AirtableInvalidRequest,
    AirtableNotFound,
    AirtablePermissionDenied,
    AirtableRateLimited,
    AirtableTokenUnreadable,
    AirtableUnavailable,
    BaseNotFound,
    FieldNotFound,
    RecordNotFound,
    TableNotFound,
)
from .ratelimit import Bucket, RedisTokenBucket, WaitTooLong

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.airtable.com"
MAX_RECORDS_PER_WRITE = 10
MAX_URL_LENGTH = 16_000
MODEL_MISSING = "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
_limiter = RedisTokenBucket()
_background = contextvars.ContextVar("airtable_background_calls", default=False)


@contextmanager
def background_calls():
    """Clients made inside (Celery tasks) wait out rate limits instead of failing fast."""
    marker = _background.set(True)
    try:
        yield
    finally:
        _background.reset(marker)


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _paced(limit: float) -> float:
    return limit * (1 - min(max(settings.AIRTABLE_RATE_LIMIT_HEADROOM, 0.0), 0.9))


def _base_of(url: str) -> str | None:
    """The base a request is about: /v0/{baseId}/... or /v0/meta/bases/{baseId}/..."""
    path = urlsplit(url).path
    marker = "/v0/"
    if marker not in path:
        return None
    parts = [unquote(part) for part in path.split(marker, 1)[1].split("/") if part]
    if not parts:
        return None
    if parts[0] == "meta":
        return parts[2] if len(parts) > 2 and parts[1] == "bases" else None
    return parts[0]


def _never_sent(error: Exception) -> bool:
    """A refused or timed-out connect never reached Airtable: always safe to send again."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _error_of(response: requests.Response) -> tuple[str | None, str]:
    """Airtable's error type and message; bodies vary ({"error": "NOT_FOUND"},
    {"error": {"type", "message"}}, a 422 with no type, HTML from a proxy)."""
    try:
        body = response.json()
    except ValueError:
        # Not Airtable's JSON (a proxy's page): its text is not passed on to users.
        return None, "the answer was not Airtable's JSON"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        kind = error.get("type")
        return (str(kind) if kind else None), str(error.get("message") or "")[:1000]
    if isinstance(error, str):
        return error, str(body.get("message") or "")[:1000]
    return None, ""


def _describe(status: int, kind: str | None, message: str) -> str:
    text = f"Airtable answered {status}"
    if kind:
        text += f" {kind}"
    if message:
        text += f": {message}"
    return text


def error_from_response(response: requests.Response,
                        not_found: type[AirtableError] | None = None) -> AirtableError:
    status = response.status_code
    kind, message = _error_of(response)
    detail = _describe(status, kind, message)
    if status == 401:
        return AirtableAuthenticationFailed(detail, airtable_type=kind)
    if status == 403:
        return AirtablePermissionDenied(detail, airtable_type=kind)
    if status == 404:
        if kind == "TABLE_NOT_FOUND":
            return TableNotFound(detail)
        return (not_found or AirtableNotFound)(detail)
    if status == 429:
        return AirtableRateLimited(detail, retry_after=settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS,
                                   airtable_type=kind)
    if status == 503:
        return AirtableUnavailable(detail, airtable_type=kind)
    if status >= 500:
        return AirtableBadGateway(detail, airtable_type=kind)
    error = AirtableInvalidRequest(detail, airtable_type=kind)
    error.status = status if status in (400, 413, 422) else 422
    return error


class _PlatformApi(Api):
    """pyairtable's Api with every request going through AirtableClient.send."""

    def __init__(self, token: str, *, endpoint_url: str, client: AirtableClient):
        super().__init__(
            token,
            endpoint_url=endpoint_url,
            timeout=(settings.AIRTABLE_TIMEOUT_CONNECT_SECONDS,
                     settings.AIRTABLE_TIMEOUT_READ_SECONDS),
            retry_strategy=None,
        )
        self._client = client

    def request(self, method, url, fallback=None, options=None, params=None, json=None):
        return self._client.send(super().request, method, str(url), fallback=fallback,
                                 options=options, params=params, json=json)


class AirtableClient:
    """One connection's view of the Airtable API. `interactive` callers are
    answering a person and will not sit out a long rate-limit wait."""

    def __init__(self, *, token: str, endpoint_url: str | None = None,
                 interactive: bool | None = None, limiter: RedisTokenBucket | None = None):
        self.endpoint_url = (endpoint_url or DEFAULT_ENDPOINT).rstrip("/")
        self.interactive = (not _background.get()) if interactive is None else interactive
        self.limiter = limiter or _limiter
        self._token_bucket = Bucket(f"token:{_short_hash(self.endpoint_url, token)}",
                                    _paced(settings.AIRTABLE_RATE_LIMIT_PER_TOKEN))
        self.api = _PlatformApi(token, endpoint_url=self.endpoint_url, client=self)
        self.requests_sent = 0
        self.rate_limited_answers = 0

    def __repr__(self) -> str:
        return f"<AirtableClient {self.endpoint_url}>"

    # --- transport -----------------------------------------------------------------

    def _buckets(self, url: str) -> list[Bucket]:
        base_id = _base_of(url)
        if base_id is None:
            return [self._token_bucket]
        base = Bucket(f"base:{_short_hash(self.endpoint_url, base_id)}",
                      _paced(settings.AIRTABLE_RATE_LIMIT_PER_BASE))
        return [base, self._token_bucket]

    def _backoff(self, attempt: int) -> float:
        ceiling = min(30.0, settings.AIRTABLE_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def send(self, call, method: str, url: str, **kwargs):
        method = method.upper()
        replayable = method in _IDEMPOTENT_METHODS or url.rstrip("/").endswith("/listRecords")
        buckets = self._buckets(url)
        max_wait = settings.AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS if self.interactive else None
        failures = 0
        while True:
            try:
                self.limiter.acquire(buckets, max_wait=max_wait)
            except WaitTooLong as wait:
                raise AirtableRateLimited(
                    "Airtable's rate limit for this base is used up; try again in "
                    f"{wait.wait_seconds:.0f} s.", retry_after=wait.wait_seconds) from None
            except RedisError as error:
                raise AirtableUnavailable(
                    "The Airtable rate limiter (Redis) is unreachable.") from error
            self.requests_sent += 1
            try:
                return call(method, url, **kwargs)
            except requests.HTTPError as error:
                response = error.response
                status = response.status_code
                if status == 429:
                    self.rate_limited_answers += 1
                    wait = settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS
                    logger.warning("Airtable answered 429 for %s; pausing %s s", url, wait)
                    self.limiter.block(buckets[:1], wait)
                    failures += 1
                    if failures > settings.AIRTABLE_RETRY_ATTEMPTS:
                        raise error_from_response(response) from None
                    continue
                retry = status >= 500 and (replayable or status == 503)
                if retry and failures < settings.AIRTABLE_RETRY_ATTEMPTS:
                    failures += 1
                    time.sleep(self._backoff(failures))
                    continue
                raise error_from_response(response) from None
            except (requests.ConnectionError, requests.Timeout) as error:
                if (replayable or _never_sent(error)) and \
                        failures < settings.AIRTABLE_RETRY_ATTEMPTS:
                    failures += 1
                    time.sleep(self._backoff(failures))
                    continue
                raise AirtableUnavailable(self._transport_detail(error, replayable)) from None
            except ValueError:
                raise AirtableBadGateway(
                    f"{self.endpoint_url} did not answer with Airtable's JSON.") from None

    def _transport_detail(self, error: Exception, replayable: bool) -> str:
        what = "did not answer in time" if isinstance(error, requests.Timeout) else \
            "could not be reached"
        detail = f"Airtable ({self.endpoint_url}) {what}."
        if not replayable:
            detail += " The write may or may not have been applied; read the records to check."
        return detail

    def _request(self, method: str, url, *, not_found: type[AirtableError] | None = None,
                 missing: type[AirtableError] | None = None, params: dict | None = None,
                 json: dict | None = None):
        """`not_found` replaces Airtable's 404; `missing` its 403
        INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND, which is how Airtable says that
        a base or table does not exist (or is not shared with the token)."""
        try:
            return self.api.request(method, str(url), params=params, json=json)
        except AirtableNotFound as error:
            if not_found is None:
                raise
            raise not_found(error.detail) from None
        except AirtablePermissionDenied as error:
            if missing is None or error.airtable_type != MODEL_MISSING:
                raise
            raise missing(error.detail) from None

    # --- metadata ------------------------------------------------------------------------

    def whoami(self) -> dict:
        return self._request("GET", self.api.build_url("meta/whoami")) or {}

    def bases(self) -> list[dict]:
        found, offset = [], None
        while True:
            params = {"offset": offset} if offset else None
            page = self._request("GET", self.api.build_url("meta/bases"), params=params) or {}
            found.extend(page.get("bases") or [])
            offset = page.get("offset")
            if not offset:
                return found

    def base_tables(self, base_id: str) -> list[dict]:
        url = self.api.build_url("meta/bases", base_id, "tables")
        body = self._request("GET", url, not_found=BaseNotFound, missing=BaseNotFound) or {}
        return list(body.get("tables") or [])

    def table_create(self, base_id: str, *, name: str, fields: list[dict],
                     description: str | None = None) -> dict:
        body = {"name": name, "fields": fields}
        if description is not None:
            body["description"] = description
        return self._request("POST", self.api.build_url("meta/bases", base_id, "tables"),
                             json=body, not_found=BaseNotFound, missing=BaseNotFound)

    def table_update(self, base_id: str, table_id: str, *, name: str | None = None,
                     description: str | None = None) -> dict:
        body = {key: value for key, value in (("name", name), ("description", description))
                if value is not None}
        url = self.api.build_url("meta/bases", base_id, "tables", table_id)
        return self._request("PATCH", url, json=body, not_found=TableNotFound,
                             missing=TableNotFound)

    def field_create(self, base_id: str, table_id: str, *, name: str, type: str,
                     options: dict | None = None, description: str | None = None) -> dict:
        body: dict = {"name": name, "type": type}
        if options is not None:
            body["options"] = options
        if description is not None:
            body["description"] = description
        url = self.api.build_url("meta/bases", base_id, "tables", table_id, "fields")
        return self._request("POST", url, json=body, not_found=TableNotFound,
                             missing=TableNotFound)

    def field_update(self, base_id: str, table_id: str, field_id: str, *,
                     name: str | None = None, description: str | None = None) -> dict:
        body = {key: value for key, value in (("name", name), ("description", description))
                if value is not None}
        url = self.api.build_url("meta/bases", base_id, "tables", table_id, "fields", field_id)
        return self._request("PATCH", url, json=body, not_found=FieldNotFound,
                             missing=TableNotFound)

    # --- records ---------------------------------------------------------------------------

    def list_records(self, base_id: str, table: str, *, filter_by_formula: str | None = None,
                     sort: list[dict] | None = None, fields: list[str] | None = None,
                     page_size: int | None = None, offset: str | None = None,
                     max_records: int | None = None, view: str | None = None,
                     use_field_ids: bool = False, cell_format: str | None = None,
                     time_zone: str | None = None, user_locale: str | None = None) -> dict:
        """One page of listRecords: {"records": [...], "offset": str | None}. Moves to
        POST …/listRecords when the query would not fit in a URL, as Airtable asks."""
        body: dict = {}
        if filter_by_formula:
            body["filterByFormula"] = filter_by_formula
        if sort:
            body["sort"] = [{"field": item["field"], "direction": item.get("direction", "asc")}
                            for item in sort]
        if fields is not None:
            body["fields"] = list(fields)
        for key, value in (("pageSize", page_size), ("offset", offset),
                           ("maxRecords", max_records), ("view", view),
                           ("cellFormat", cell_format)):
            if value is not None:
                body[key] = value
        if use_field_ids:
            body["returnFieldsByFieldId"] = True
        query_only = {key: value for key, value in (("timeZone", time_zone),
                                                    ("userLocale", user_locale)) if value}
        params = self._query_params(body) | query_only
        url = self.api.build_url(base_id, table)
        prepared = requests.Request("GET", str(url), params=params).prepare()
        if len(prepared.url or "") < MAX_URL_LENGTH:
            page = self._request("GET", url, params=params, not_found=TableNotFound,
                                 missing=TableNotFound)
        else:
            page = self._request("POST", self.api.build_url(base_id, table, "listRecords"),
                                 params=query_only or None, json=body, not_found=TableNotFound,
                                 missing=TableNotFound)
        page = page or {}
        return {"records": list(page.get("records") or []), "offset": page.get("offset")}

    @staticmethod
    def _query_params(body: dict) -> dict:
        params: dict = {}
        for key, value in body.items():
            if key == "sort":
                for index, item in enumerate(value):
                    params[f"sort[{index}][field]"] = item["field"]
                    params[f"sort[{index}][direction]"] = item["direction"]
            elif key == "fields":
                params["fields[]"] = value
            elif key == "returnFieldsByFieldId":
                params[key] = "true"
            else:
                params[key] = value
        return params

    def iter_record_pages(self, base_id: str, table: str, **query) -> Iterator[list[dict]]:
        offset = None
        while True:
            page = self.list_records(base_id, table, page_size=100, offset=offset, **query)
            yield page["records"]
            offset = page["offset"]
            if not offset:
                return

    def record_get(self, base_id: str, table: str, record_id: str) -> dict:
        return self._request("GET", self.api.build_url(base_id, table, record_id),
                             not_found=RecordNotFound, missing=TableNotFound)

    def records_create(self, base_id: str, table: str, records: list[dict], *,
                       typecast: bool = False) -> Iterator[list[dict]]:
        """Creates in batches of 10, yielding each batch's records as Airtable
        returns them, so a failure later on loses nothing already written."""
        url = self.api.build_url(base_id, table)
        for chunk in _chunks(records):
            body = {"records": [{"fields": fields} for fields in chunk], "typecast": typecast}
            answer = self._request("POST", url, json=body, not_found=TableNotFound,
                                   missing=TableNotFound) or {}
            yield list(answer.get("records") or [])

    def records_update(self, base_id: str, table: str, records: list[dict], *,
                       typecast: bool = False) -> Iterator[list[dict]]:
        url = self.api.build_url(base_id, table)
        for chunk in _chunks(records):
            body = {"records": [{"id": item["id"], "fields": item["fields"]} for item in chunk],
                    "typecast": typecast}
            answer = self._request("PATCH", url, json=body, not_found=RecordNotFound,
                                   missing=TableNotFound) or {}
            yield list(answer.get("records") or [])

    def records_upsert(self, base_id: str, table: str, records: list[dict], *,
                       fields_to_merge_on: list[str], typecast: bool = False) -> Iterator[dict]:
        url = self.api.build_url(base_id, table)
        for chunk in _chunks(records):
            body = {"performUpsert": {"fieldsToMergeOn": list(fields_to_merge_on)},
                    "records": [{"fields": item["fields"]} for item in chunk],
                    "typecast": typecast}
            answer = self._request("PATCH", url, json=body, not_found=TableNotFound,
                                   missing=TableNotFound) or {}
            yield {"records": list(answer.get("records") or []),
                   "createdRecords": list(answer.get("createdRecords") or []),
                   "updatedRecords": list(answer.get("updatedRecords") or [])}

    def records_delete(self, base_id: str, table: str,
                       record_ids: list[str]) -> Iterator[list[dict]]:
        url = self.api.build_url(base_id, table)
        for chunk in _chunks(record_ids):
            answer = self._request("DELETE", url, params={"records[]": list(chunk)},
                                   not_found=RecordNotFound, missing=TableNotFound) or {}
            yield list(answer.get("records") or [])


def _chunks(items: Iterable, size: int = MAX_RECORDS_PER_WRITE) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def connection_client(connection, *, interactive: bool | None = None) -> AirtableClient:
    """The client of a stored connection (an AirtableConnection row)."""
    try:
        token = token_decrypt(connection.token_encrypted)
    except TokenDecryptionFailed as error:
        raise AirtableTokenUnreadable(
            f"The token of connection '{connection.name}' cannot be decrypted with the "
            "configured AIRTABLE_TOKEN_KEYS.") from error
    return AirtableClient(token=token, endpoint_url=connection.endpoint_url,
                          interactive=interactive)
