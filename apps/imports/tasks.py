"""Celery tasks: thin, they take a job id and call one service. They are sent with
the time limits of HIPWATCH_IMPORT_TIME_LIMIT (`import_job_dispatch`)."""

from celery import shared_task

from .models import ImportJob
from .services import import_job_check, import_job_run


@shared_task
def import_check(job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    if job.state != ImportJob.State.CHECKING:
        return job.state  # delivered twice: the first delivery checked it
    return import_job_check(job=job).state


@shared_task
def import_run(job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    if job.state != ImportJob.State.IMPORTING or job.finished_at is not None:
        return job.state
    return import_job_run(job=job).state
