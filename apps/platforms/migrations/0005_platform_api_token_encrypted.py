"""The platforms' interface tokens stored encrypted (apps/core/secrets.py). The
column first becomes plain text (an encrypted token is longer than 500 characters
when the clear one is near that), the stored tokens are encrypted in place, then
the field becomes the encrypted one; backwards, the tokens are decrypted."""

from django.db import migrations, models

from apps.core import secrets


def encrypt_tokens(apps, schema_editor):
    Platform = apps.get_model("platforms", "Platform")
    for pk, token in Platform.objects.exclude(api_token="").values_list("pk", "api_token"):
        Platform.objects.filter(pk=pk).update(api_token=secrets.encrypt(token))


def decrypt_tokens(apps, schema_editor):
    Platform = apps.get_model("platforms", "Platform")
    for pk, token in Platform.objects.exclude(api_token="").values_list("pk", "api_token"):
        Platform.objects.filter(pk=pk).update(api_token=secrets.decrypt(token))


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0004_declarations"),
    ]

    operations = [
        migrations.AlterField(
            model_name="platform",
            name="api_token",
            field=models.TextField(blank=True, verbose_name="statistics interface token"),
        ),
        migrations.RunPython(encrypt_tokens, decrypt_tokens),
        migrations.AlterField(
            model_name="platform",
            name="api_token",
            field=secrets.EncryptedTextField(blank=True, verbose_name="statistics interface token"),
        ),
    ]
