"""Automated screening of what a disclosure would publish (pure library: no Django models).

    from review.checks import ScanContext, run_screening
    result = run_screening(ScanContext(repo=path, sha=sha, mode="full_history",
                                       license="Apache-2.0"))

See runner.run_screening for the walk, base.py for the data types, and one module per check.
"""

from .base import (
    BLOCKER,
    ENGINE_VERSION,
    FULL_HISTORY,
    HIGH,
    INFO,
    LOW,
    MEDIUM,
    MODES,
    SEVERITIES,
    SNAPSHOT,
    Check,
    FindingData,
    ProgressCallback,
    ScanContext,
    TreeFile,
    fingerprint,
)
from .config import LeakRules, PatentRecord, ScreeningConfig
from .errors import InvalidConfig, InvalidLicense, RepositoryUnreadable, ScreeningError
from .leaks import LeaksCheck
from .licenses import LicensesCheck
from .patents import PatentsCheck
from .readiness import ReadinessCheck
from .runner import ScreeningResult, run_screening
from .secrets import SecretsCheck

ALL_CHECKS: tuple[type[Check], ...] = (
    SecretsCheck,
    LeaksCheck,
    LicensesCheck,
    ReadinessCheck,
    PatentsCheck,
)
RULES_VERSION: dict[str, str] = {c.name: c.rules_version for c in ALL_CHECKS}


def get_check(name: str) -> type[Check]:
    for check in ALL_CHECKS:
        if check.name == name:
            return check
    raise InvalidConfig(f"unknown check {name!r}; known: {', '.join(RULES_VERSION)}")


__all__ = [
    "ALL_CHECKS",
    "BLOCKER",
    "ENGINE_VERSION",
    "FULL_HISTORY",
    "HIGH",
    "INFO",
    "LOW",
    "MEDIUM",
    "MODES",
    "RULES_VERSION",
    "SEVERITIES",
    "SNAPSHOT",
    "Check",
    "FindingData",
    "InvalidConfig",
    "InvalidLicense",
    "LeakRules",
    "LeaksCheck",
    "LicensesCheck",
    "PatentRecord",
    "PatentsCheck",
    "ProgressCallback",
    "ReadinessCheck",
    "RepositoryUnreadable",
    "ScanContext",
    "ScreeningConfig",
    "ScreeningError",
    "ScreeningResult",
    "SecretsCheck",
    "TreeFile",
    "fingerprint",
    "get_check",
    "run_screening",
]
