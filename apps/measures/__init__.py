"""Daily measures: what each platform counts per institution, code and day (the
tables' upload statistics, the business indicators, the data-quality results).

A measure kind is a declaration (`Measure`: its columns, its checks, its key and
its roll-up); one parser (`parse`), one store (`store`) and, in apps.ingestion,
one pull and one review queue serve every kind. Below the statistics apps,
which each declare their kind; above the registry, whose institution codes it
checks."""
