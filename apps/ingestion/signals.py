"""What the pull tells the layers above it, without importing them."""

from django.dispatch import Signal

# A platform's night is over (every kind of every day it pulled, whatever their
# outcomes): `platform`. Sent by the night's task; the pages warm their caches on it.
night_pulled = Signal()
