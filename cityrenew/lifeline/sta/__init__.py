"""The OGC SensorThings API v1.1 (Sensing part) over the lifeline tables, at ``/api/sta/v1.1/``.

``resources`` maps the six entity sets onto the models (properties, navigation, aliases for queries),
``query`` reads ``$filter`` (OData, parsed by the odata-query library), ``$orderby``, ``$top``, ``$skip``,
``$count``, ``$expand`` and ``$select``, ``writes`` creates entities (deep insert), and ``views`` routes
resource paths (``Things(1)/Datastreams``, ``Datastreams(7)/Observations`` …) and answers as the
standard's JSON. Readings always go through :func:`cityrenew.lifeline.storage.ingest`.
"""
