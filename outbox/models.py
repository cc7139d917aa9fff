from django.db import models


class Intent(models.Model):
    """A task to run because a transaction committed: written in that transaction.

    pending -> sent (handed to the broker) -> done (the task succeeded) | failed (it gave up).
    A `pending` row whose hand-over failed, or a `sent` row not done by `due_at`, is handed over
    again by the relay.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待投递"
        SENT = "sent", "已投递"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # task and arguments as one string: finds the open intents for the same work
    key = models.CharField(max_length=255, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # hand-overs to the broker so far
    attempts = models.PositiveIntegerField(default=0)
    # when the relay may hand it over (again)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # why the last hand-over or the task failed
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="outbox_intent_due")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} {self.status}"
