"""Give a checkout a SECRET_KEY of its own: `make install` runs this file (a script,
never imported by the portal) before anything reads the settings.

With DEBUG off, as by default, the settings refuse the development key, so the first
`make install` appends a random key to .env (gitignored; the settings read it). A
.env that already has a SECRET_KEY line is left as it is: a new key would sign every
user out and void the signed links already sent.
"""

import os
import re
import secrets
import sys
from pathlib import Path

# `SECRET_KEY=…` or `export SECRET_KEY=…`, as django-environ reads a .env file.
KEY_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?SECRET_KEY[ \t]*=", re.MULTILINE)


def ensure_secret_key(path: Path) -> bool:
    """Append a random SECRET_KEY to the .env file at `path` (created readable by its
    owner only) unless it has a SECRET_KEY line already; True when it wrote one."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if KEY_LINE.search(text):
        return False
    line = f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    if text and not text.endswith("\n"):
        line = "\n" + line
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as env_file:
        env_file.write(line)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if ensure_secret_key(target):
        print(f"Wrote a random SECRET_KEY to {target}.")
