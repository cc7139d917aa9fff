from django.contrib import admin

from outbox.models import Intent


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    """What the side effects after each commit became: `failed` ones carry their reason."""

    list_display = ["id", "task", "args", "status", "attempts", "created_at", "finished_at",
                    "error"]
    list_filter = ["status", "task"]
    search_fields = ["key"]
    readonly_fields = ["task", "args", "kwargs", "key", "status", "attempts", "due_at",
                       "created_at", "sent_at", "finished_at", "error"]
    actions = ["hand_over_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Hand over again (the task is idempotent)")
    def hand_over_again(self, request, queryset):
        from django.utils import timezone

        count = queryset.exclude(status=Intent.Status.DONE).update(
            status=Intent.Status.PENDING, attempts=0, due_at=timezone.now(), finished_at=None)
        self.message_user(request, f"{count} intents will be handed over by the relay.")
