"""Compatibility module for code written against upstream's ``rampart.pytest_plugin``.

The collection names come from ``rampart.collection``; ``RampartSession`` lives in the
``rampart-pytest`` distribution and is resolved only when asked for, so importing this module
never imports pytest.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rampart.collection import ResultCollectionHandler, ResultCollector, record_result
    from rampart_pytest import RampartSession

__all__ = ["RampartSession", "ResultCollectionHandler", "ResultCollector", "record_result"]

_COLLECTION_NAMES = frozenset({"ResultCollectionHandler", "ResultCollector", "record_result"})


def __getattr__(name: str) -> object:
    from importlib import import_module

    if name in _COLLECTION_NAMES:
        value = getattr(import_module("rampart.collection"), name)
    elif name == "RampartSession":
        try:
            module = import_module("rampart_pytest")
        except ImportError as exc:
            raise ImportError(
                "rampart.pytest_plugin.RampartSession needs the pytest plugin: "
                "pip install rampart-pytest",
                name=name,
            ) from exc
        value = module.RampartSession
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
