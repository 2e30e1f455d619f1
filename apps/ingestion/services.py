"""The ingestion services, by concern: pulling a platform's days (`pull`),
backfills over a range (`backfills`), and a platform's source settings and test
(`configure`). Imported from here by the views, tasks and commands."""

from .backfills import (  # noqa: F401
    backfill_restart,
    backfill_run,
    backfill_send,
    backfill_start,
    backfills_mark_interrupted,
    backfills_requeue_stalled,
)
from .configure import (  # noqa: F401
    ConnectionTest,
    TokenNeeded,
    platform_settings_save,
    platform_test_connection,
)
from .pull import (  # noqa: F401
    known_codes,
    platform_pull_day,
    platform_pull_indicators,
    platform_pull_institutions,
    platform_pull_measure,
    platform_pull_quality,
    platform_pull_quality_rules,
    sync_runs_mark_interrupted,
)
