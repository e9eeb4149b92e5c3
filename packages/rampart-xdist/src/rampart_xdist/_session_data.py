"""Whole-session helpers kept for tools and tests; the transport itself streams records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from rampart.core.result import Result
from rampart_xdist._codec import _Cuts, result_to_wire, results_from_wire
from rampart_xdist._constants import ACCEPTED_SCHEMAS, SCHEMA_VERSION
from rampart_xdist._errors import SchemaVersionError, WorkerOutputError
from rampart_xdist._version import package_version
from rampart_xdist.wire import ResultV1, TrialRefV1, check_deep_json

__all__ = ["deserialize_trial_specs", "deserialize_worker_data", "serialize_worker_data"]


def serialize_worker_data(*, session: Any) -> dict[str, Any]:
    """A whole worker session in wire form (plain builtins)."""
    results_by_nodeid: dict[str, list[Any]] = {}
    for nodeid, results in session.results_by_nodeid.items():
        wire = [result_to_wire(r, i, _Cuts()) for i, r in enumerate(results)]
        results_by_nodeid[nodeid] = msgspec.to_builtins(wire)
    trial_specs = {
        nodeid: {
            "base_nodeid": spec.base_nodeid,
            "index": spec.index,
            "n": spec.n,
            "threshold": spec.threshold,
        }
        for nodeid, spec in session.trial_specs.items()
    }
    return {
        "schema": SCHEMA_VERSION,
        "package_version": package_version(),
        "results_by_nodeid": results_by_nodeid,
        "trial_specs": trial_specs,
    }


def _section(data: object, name: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise WorkerOutputError(f"worker data must be a mapping, got {type(data).__name__}")
    schema = data.get("schema")
    if schema not in ACCEPTED_SCHEMAS:
        raise SchemaVersionError(f"unknown worker data schema {schema!r}")
    section = data.get(name, {})
    if not isinstance(section, Mapping):
        raise WorkerOutputError(f"{name} must be a mapping")
    return section


def deserialize_worker_data(*, data: Mapping[str, Any]) -> dict[str, list[Result]]:
    """The inverse of ``serialize_worker_data`` (strict)."""
    section = _section(data, "results_by_nodeid")
    rebuilt: dict[str, list[Result]] = {}
    for nodeid, items in section.items():
        try:
            wire = msgspec.convert(items, type=tuple[ResultV1, ...], dec_hook=check_deep_json)
        except msgspec.ValidationError as exc:
            raise WorkerOutputError(f"{nodeid}: {exc}") from None
        key = str(nodeid)
        test_name = key.rpartition("::")[2]
        rebuilt[key] = results_from_wire(
            wire,
            extra=lambda metadata, item, key=key, test_name=test_name: metadata.update(  # type: ignore[misc]
                _pytest_nodeid=key, _pytest_test_name=test_name, _rampart_result_index=item.index
            ),
        )
    return rebuilt


def deserialize_trial_specs(*, data: Mapping[str, Any]) -> dict[str, Any]:
    """The trial specs from ``serialize_worker_data`` output, as ``TrialSpec`` objects."""
    from rampart_pytest import TrialSpec

    section = _section(data, "trial_specs")
    specs: dict[str, Any] = {}
    for nodeid, raw in section.items():
        try:
            ref = msgspec.convert(raw, type=TrialRefV1)
        except msgspec.ValidationError as exc:
            raise WorkerOutputError(f"{nodeid}: {exc}") from None
        specs[str(nodeid)] = TrialSpec(
            base_nodeid=ref.base_nodeid, threshold=ref.threshold, n=ref.n, index=ref.index
        )
    return specs
