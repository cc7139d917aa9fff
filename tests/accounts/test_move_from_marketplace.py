"""A database made while User and Token lived in `marketplace` keeps every row and every live
token once migrated forward: the old code itself (LEGACY, the last commit with
`marketplace.User`) migrates a new database and gives a user a token, a promoter profile and a
staff group; this code migrates that database and the token still signs the user in."""

import json
from pathlib import Path

from django.conf import settings

from tests.legacy import git_archive, manage

LEGACY = "68e20eb4434e67e9589be7c6528e2816bd30a4d5"

MAKE_OLD_DATA = """
from django.contrib.auth.models import Group, Permission
from marketplace.auth import token_issue
from marketplace.models import User
from promotion.models import Promoter

user = User.objects.create_user("old_timer", password="an old password 2026",
                                display_name="老用户", is_staff=True)
Promoter.objects.create(user=user, display_name="老推广")
support = Group.objects.create(name="support")
support.permissions.add(Permission.objects.get(codename="change_user"))
user.groups.add(support)
print(token_issue(user=user)[0])
"""

READ_WITH_NEW_CODE = """
import json, os
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from accounts.models import Token, User

executor = MigrationExecutor(connection)

raw = os.environ["LEGACY_TOKEN"]
me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
user = User.objects.get(username="old_timer")
print(json.dumps({
    "status": me.status_code, "me": me.json(), "tokens": Token.objects.filter(user=user).count(),
    "may_change_users": user.has_perm("accounts.change_user"),
    "password_ok": user.check_password("an old password 2026"),
    "left_to_apply": len(executor.migration_plan(executor.loader.graph.leaf_nodes())),
}))
"""


def test_an_old_database_keeps_its_users_tokens_profiles_and_permissions(database_env, tmp_path):
    # given: a database migrated and filled by the code from before the move
    legacy = tmp_path / "legacy"
    git_archive(LEGACY, legacy)
    manage(legacy, database_env, "migrate", "--noinput", "-v0")
    raw = manage(legacy, database_env, "shell", "-v0", "-c", MAKE_OLD_DATA)

    # when: this code migrates it forward (no manual step: plain `migrate`)
    here = Path(settings.BASE_DIR)
    manage(here, database_env, "migrate", "--noinput", "-v0")

    # then: the old token signs the old user in, with their promoter profile; their password,
    # their token row and their group's permission (now on accounts.User) are all still there,
    # and no migration is left to apply
    seen = json.loads(manage(here, {**database_env, "LEGACY_TOKEN": raw},
                              "shell", "-v0", "-c", READ_WITH_NEW_CODE))
    assert seen["status"] == 200
    assert seen["me"]["username"] == "old_timer" and seen["me"]["display_name"] == "老用户"
    assert seen["me"]["promoter_id"] is not None
    assert seen["tokens"] == 1 and seen["password_ok"] and seen["may_change_users"]
    assert seen["left_to_apply"] == 0
