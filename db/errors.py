"""Exceptions of the database layer; each docstring is the message."""


class DatabaseError(Exception):
    """The archive database could not be used."""

    def __init__(self, detail: str = "") -> None:
        doc = (type(self).__doc__ or "").strip()
        super().__init__(f"{doc} {detail}".strip())


class SchemaTooNewError(DatabaseError):
    """The database was written by a newer portal-archive (unknown migrations):"""


class NotAnArchiveError(DatabaseError):
    """The file is not a portal-archive database:"""
