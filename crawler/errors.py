"""Exceptions shown to users as one line; each docstring is the message."""


class PortalArchiveError(Exception):
    """portal-archive failed."""

    def __init__(self, detail: str = "") -> None:
        doc = (type(self).__doc__ or "").strip()
        super().__init__(f"{doc} {detail}".strip())


class RegistryError(PortalArchiveError):
    """Invalid portal registry:"""


class UnknownPortalError(PortalArchiveError):
    """Unknown portal id (see `portal-archive portals`):"""
