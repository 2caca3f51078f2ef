"""Pages of the city check-up (城市体检), one module per topic.

* :mod:`.dashboard` — dashboard, map GeoJSON, Word report;
* :mod:`.sets` — indicator sets;
* :mod:`.runs` — runs;
* :mod:`.tasks` — department tasks;
* :mod:`.problems` — field problems;
* :mod:`.lists` — 问题清单, 整治建议清单, evaluation;
* :mod:`.units` — assessment units and engine results;
* :mod:`.common` — the run in the URL, the Chinese 403, colours.

Every rule lives in :mod:`cityrenew.checkup.services`; these views only ask it.
"""
