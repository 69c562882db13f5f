"""Cluster errors, shown as one line; each docstring is the message."""

from crawler.errors import PortalArchiveError


class NodeUnreachableError(PortalArchiveError):
    """Scrapyd node unreachable:"""


class ScrapydError(PortalArchiveError):
    """Scrapyd refused the request:"""


class NoNodeError(PortalArchiveError):
    """No usable Scrapyd node (unreachable, or running another project version):"""


class ShardError(PortalArchiveError):
    """Shard skipped:"""
