from django.core.management.base import BaseCommand

from apps.core.results import ImportResult
from apps.demo.services import demo_load, demo_users


class Command(BaseCommand):
    help = "载入信阳市演示数据（41 家医院，2023 年第二季度）和演示账号；可重复执行"

    def handle(self, *args, **options):
        labels = {
            "regions": "行政区划",
            "institutions": "机构名录",
            "tables": "数据表目录",
            "connections": "联通状态变更",
            "uploads": "上传统计",
        }
        for key, value in demo_load().items():
            text = value.summary() if isinstance(value, ImportResult) else f"{value} 条"
            self.stdout.write(f"{labels[key]}：{text}")
        self.stdout.write("")
        self.stdout.write("演示账号（http://127.0.0.1:8000/ 登录）：")
        for login in demo_users():
            self.stdout.write(f"  {login.username:<12} 密码 {login.password}  {login.who}")
