"""gunicorn settings of the web process: `gunicorn -c config/gunicorn.py config.wsgi`.

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files in that
directory and `/metrics` adds up every worker's, so a scrape sees the whole process
rather than whichever worker answered it. The directory is emptied when gunicorn
starts, and a worker that exits is marked dead (its gauges leave the sums; its
counters stay, as counters must)."""

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
accesslog = "-"
# The longest request line gunicorn takes (its maximum; the default is 4094): record
# listings carry their formula in the URL, as Airtable's clients send it, up to 8 KB.
# Longer queries go in the body of POST …/records/listRecords.
limit_request_line = 8190


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
