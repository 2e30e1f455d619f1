"""Quick retries for the pull tests: the simulator's faults are retried at once."""

import pytest


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.HIPWATCH_PULL = {
        **settings.HIPWATCH_PULL,
        "retries": 4,
        "backoff": 0.01,
        "backoff_max": 0.05,
        "retry_after_max": 2,
        "read_timeout": 5,
    }


# Real peers on loopback (MariaDB, PostgreSQL, SFTP) for the sources' tests.
from tests.peers import mariadb, sftp, vendor_postgres  # noqa: E402, F401
