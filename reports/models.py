from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Report(models.Model):
    """A file someone asked for (`POST /reports`), built by a Celery task, never in a request.

    It keeps the question (kind, format, period), not the rows: the task reads them when it runs.
    The file lives in the `reports` storage (STORAGES) under `file_name` until `expires_at`,
    when a periodic task deletes it.
    """

    class Kind(models.TextChoices):
        SALES = "sales", "销售明细"
        STATEMENT = "statement", "对账流水"
        MEMBER_SALES = "member_sales", "社员销售"
        BENEFIT = "benefit", "公益认捐"
        CLAIMS = "claims", "售后明细"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    # Whose data: the owner's farm for the producer kinds (fixed when asked).
    producer = models.ForeignKey(
        "producers.Producer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    format = models.CharField(max_length=8, choices=Format.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    # Each run of the task claims the report with attempt + 1; only the run holding the current
    # attempt may write progress or the result, so a stale run that wakes up changes nothing.
    attempt = models.PositiveSmallIntegerField(default=0)
    # The Celery task id of the run holding the report: a message of that id delivered again
    # means that run's worker died (Celery redelivers an unacknowledged message), so the new
    # delivery resumes the build at once instead of waiting for the heartbeat to go stale.
    run_id = models.CharField(max_length=255, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_max"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="report_period_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file_name="") | Q(purged_at__isnull=False),
                name="report_done_has_file",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "created_at", "id"], name="report_owner_created"),
            models.Index(fields=["status", "heartbeat_at"], name="report_status_heartbeat"),
            models.Index(fields=["expires_at"], name="report_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}..{self.period_end}"
