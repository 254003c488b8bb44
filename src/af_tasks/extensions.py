"""Load the settings, tier designs and classifiers other packages declare.

A package that extends af_tasks names the module holding its registrations
(:func:`af_tasks.register_setting` and friends) in the ``af_tasks.extensions`` entry point
group; the suite imports those modules when its tasks are loaded by Inspect and when
``af-report`` starts, so their settings and classifiers are known without an import by hand.
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.metadata import entry_points

logger = logging.getLogger(__name__)

GROUP = "af_tasks.extensions"
_loaded: set[str] = set()


def load_extensions() -> list[str]:
    """Import every module named in the ``af_tasks.extensions`` entry point group, once.

    Returns the names of the modules imported by this call. A module that fails to import is
    reported by name (with the error) instead of stopping the suite.
    """
    imported = []
    for entry in entry_points(group=GROUP):
        if entry.value in _loaded:
            continue
        _loaded.add(entry.value)
        try:
            import_module(entry.value.partition(":")[0])
        except Exception as err:  # noqa: BLE001 - one broken extension must not stop the suite
            logger.warning(
                "af_tasks extension %s (%s) failed to load: %s", entry.name, entry.value, err
            )
            continue
        imported.append(entry.value)
    return imported
