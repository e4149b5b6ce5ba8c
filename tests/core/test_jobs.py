"""Queueing work by task name: after the commit, never inside a rolled-back
transaction, and a broker that is down never fails the caller."""

import logging
import socket

import pytest
from celery import current_app
from django.db import transaction

from apps.core.jobs import enqueue, enqueue_on_commit, task_get

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _function(task):
    run = task.__wrapped__
    return getattr(run, "__func__", run)  # a bound task's run is a method of the task


def test_every_job_a_service_queues_is_registered_by_its_name():
    for name in ("airtable.sync_job_run", "airtable.base_sync_scheduled",
                 "airtable.field_indexes_ensure", "airtable.connection_sync",
                 "airtable.mirror_analyze", "files.file_extract", "files.import_job_run"):
        assert task_get(name).name == name
    # Messages queued under the names these jobs had before run the same code.
    for old, new in (("airtable.base_sync", "airtable.sync_job_run"),
                     ("airtable.scheduled_sync", "airtable.base_sync_scheduled"),
                     ("files.extract", "files.file_extract"),
                     ("files.import", "files.import_job_run")):
        assert _function(task_get(old)) is _function(task_get(new))


def test_an_unknown_name_is_refused_before_anything_is_queued(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued, pytest.raises(KeyError):
        enqueue_on_commit("airtable.no_such_job", schema_name="t_alpha")
    assert queued == []


def test_the_job_is_queued_after_the_commit_and_not_after_a_rollback(
        team_a, django_capture_on_commit_callbacks):
    schema = team_a.tenant.schema_name
    with django_capture_on_commit_callbacks(execute=True) as queued:
        enqueue_on_commit("airtable.mirror_analyze", schema_name=schema)
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as rolled_back:
        try:
            with transaction.atomic():
                enqueue_on_commit("airtable.mirror_analyze", schema_name=schema)
                raise RuntimeError("the caller's transaction fails")
        except RuntimeError:
            pass
    assert rolled_back == []


def _forget_connections() -> None:
    """The app keeps its broker connections; drop them so the next send connects anew."""
    current_app._pool = None
    current_app.amqp._producer_pool = None


def test_a_broker_that_is_down_is_logged_and_the_caller_goes_on(team_a, caplog):
    conf = current_app.conf
    saved = conf.task_always_eager, conf.broker_url, conf.broker_connection_timeout
    conf.task_always_eager, conf.broker_url = False, f"redis://127.0.0.1:{_closed_port()}/0"
    conf.broker_connection_timeout = 1
    _forget_connections()
    try:
        with caplog.at_level(logging.WARNING, logger="apps.core.jobs"):
            queued = enqueue("airtable.mirror_analyze", schema_name=team_a.tenant.schema_name)
    finally:
        conf.task_always_eager, conf.broker_url, conf.broker_connection_timeout = saved
        _forget_connections()
    assert queued is False
    assert "could not queue airtable.mirror_analyze" in caplog.text
