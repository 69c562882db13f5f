"""Schema migrations: one module per migration, ``mNNN_name.py`` with ``migrate(db)``,
applied in name order. A new migration is a new module; never edit an applied one."""
