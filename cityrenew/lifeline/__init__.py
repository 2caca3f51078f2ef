"""城市生命线 monitoring. ``rules`` is the alarm-rule engine (pure Python, no database, no web)."""
