from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.accounts.services import user_add
from apps.platforms.services import CommandRefused


class Command(BaseCommand):
    help = (
        "创建或更新用户：add_user USERNAME --role city|county|hospital --scope CODE [--password P]"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--scope", required=True, help="区划代码（市、县区）或机构代码（医院）")
        parser.add_argument("--password")

    def handle(self, *args, username, role, scope, password, **options):
        try:
            user = user_add(username=username, role=role, scope=scope, password=password)
        except CommandRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"用户 {user.username}：{user.get_role_display()}，范围 {user.scope_label}"
        )
