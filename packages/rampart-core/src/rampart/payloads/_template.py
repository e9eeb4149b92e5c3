"""``PayloadTemplate``: a named, parameterised instruction for generating payloads."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

__all__ = ["PayloadTemplate"]


@dataclass(kw_only=True)
class PayloadTemplate:
    """What to generate: ``instruction`` may contain ``{variable}`` placeholders."""

    name: str
    description: str
    objective: str
    instruction: str
    variables: dict[str, str] = field(default_factory=dict)

    def with_variables(self, **variables: str) -> PayloadTemplate:
        """A copy whose variables are these merged over the current ones."""
        return replace(self, variables={**self.variables, **variables})

    def resolve(self) -> str:
        """The instruction with its placeholders filled; a missing one raises ``KeyError``."""
        return self.instruction.format_map(self.variables)
