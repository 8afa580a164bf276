"""One model for every piece of background work (HMC syncs, Create on HMC, workbook imports,
migrations, readiness runs …), after Nautobot's JobResult: a row first, its id in the Celery
task id, state, progress, an event log, who asked, times and a heartbeat on the row.

How to add a kind of background work::

    # models.py of your app
    from lpmplanner.jobs import Job, JobEvent

    class ReadinessRun(Job):
        job_kind = "readiness"                      # ?kind= on the Jobs page and /api/jobs/
        frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="+")

        class Meta(Job.Meta):
            verbose_name = "readiness run"

        def get_absolute_url(self) -> str:          # the row's own page, linked from Jobs
            return reverse("planning:readiness-detail", args=[self.pk])

    class ReadinessRunEvent(JobEvent):
        job = models.ForeignKey(ReadinessRun, on_delete=models.CASCADE, related_name="events")

    # services.py: the row first, the task after commit, its id in the task id
    run = ReadinessRun.objects.create(frame=frame, requested_by=user)
    job_enqueue(job=run, task=readiness_run_task)

    # tasks.py: thin; the service does the work through a JobRun
    @shared_task(bind=True)
    def readiness_run_task(self, job_id: int) -> str:
        return readiness_run(job=ReadinessRun.objects.get(pk=job_id),
                             worker=self.request.hostname or "").state

    def readiness_run(*, job, worker=""):
        with JobRun(job, worker=worker) as run:    # claims it; an error escaping fails it
            if not run.claimed:
                return job                         # already taken, or not queued any more
            run.progress(10, "Reading frames")     # percent and a sentence (beats too)
            run.event("Frame p750-a read.", data={"lpars": 12})
            run.heartbeat()                        # long step without progress to report
            return run.finish("12 LPARs ready.")   # or run.fail("Why, in words.")

Every concrete subclass of `Job` is listed on the Jobs page and in `/api/jobs/`, to users who
hold its model's view permission.
"""

from lpmplanner.jobs.models import Job, JobEvent, JobLevel, JobState
from lpmplanner.jobs.run import JobRun, job_enqueue

__all__ = ["Job", "JobEvent", "JobLevel", "JobRun", "JobState", "job_enqueue"]
