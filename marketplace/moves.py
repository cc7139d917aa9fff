"""Moving a model from one app to another without touching its table: the model keeps its
table (`db_table`), the two apps' migrations move it in Django's state only
(`SeparateDatabaseAndState`), and its content type is renamed, not created anew, so the
admin's permissions of staff groups and its history follow it."""

from django.db import migrations


def content_types_moved(models: tuple[str, ...], source: str, target: str) -> migrations.RunPython:
    """The migration operation that renames the content types of `models` (lower-case model
    names) from app `source` to app `target`, and back when unapplied. On a new database there
    is nothing to rename: the content types are created after `migrate`, in the new app."""

    def move(apps, from_app: str, to_app: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not content_type.objects.filter(app_label=to_app, model=model).exists():
                content_type.objects.filter(app_label=from_app, model=model).update(
                    app_label=to_app)

    return migrations.RunPython(lambda apps, schema_editor: move(apps, source, target),
                                lambda apps, schema_editor: move(apps, target, source))
