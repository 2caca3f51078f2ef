"""Demo data of the policy library: every document of the manifest, ingested from the seeds."""

from __future__ import annotations

from .ingest import ingest_seeds


def load(stdout) -> None:
    result = ingest_seeds()
    stdout.write(result["summary"] + "\n")
