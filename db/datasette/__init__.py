"""Datasette configuration of the archive: ``metadata.json``, ``plugins/`` (loaded with
``--plugins-dir``), ``templates/`` and the query folding shared with ``portal-archive export``
(:mod:`db.datasette.folding`)."""
