"""Telling a workflow's owner that a run failed: an in-app notice and an e-mail (Django's
mail backend; the console in development) with a link to the run, where it can be replayed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from ..models import Notice, WorkflowRun

logger = logging.getLogger(__name__)


def run_link(run: WorkflowRun) -> str:
    base = getattr(settings, "PLATFORM_URL", "").rstrip("/")
    return f"{base}/workflows/runs/{run.pk}/"


def run_failed_notify(*, run: WorkflowRun) -> Notice | None:
    if run.test:
        return None
    workflow = run.workflow
    message = (f"The workflow “{workflow.name}” failed (run {run.pk}): "
               f"{run.error or run.error_code}. Replay it from {run_link(run)}")
    notice = Notice.objects.create(user_id=run.owner_id, run=run, message=message[:2000])
    user = get_user_model().objects.filter(pk=run.owner_id, is_active=True).first()
    if user is not None and user.email:
        def mail() -> None:
            try:
                send_mail(subject=f"Workflow failed: {workflow.name}"[:200], message=message,
                          from_email=None, recipient_list=[user.email])
            except Exception:  # the mail server away must not undo the failed run's record
                logger.warning("failure mail for run %s not sent", run.pk, exc_info=True)

        transaction.on_commit(mail)
    return notice
