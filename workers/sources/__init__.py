"""Job sources, one module per API, and the registry the pipeline builds them from."""

from __future__ import annotations

from workers.sources.adzuna import Adzuna
from workers.sources.arbeitnow import Arbeitnow
from workers.sources.base import JobSource
from workers.sources.remoteok import RemoteOK
from workers.sources.remotive import Remotive
from workers.sources.themuse import TheMuse

SOURCE_CLASSES: dict[str, type[JobSource]] = {
    cls.name: cls for cls in (RemoteOK, Remotive, Arbeitnow, Adzuna, TheMuse)
}

__all__ = ["SOURCE_CLASSES", "Adzuna", "Arbeitnow", "JobSource", "RemoteOK", "Remotive", "TheMuse"]
