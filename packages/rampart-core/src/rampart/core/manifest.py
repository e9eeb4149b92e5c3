"""A description of the agent under test: its tools and the data it can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AppManifest", "DataSource", "ToolDeclaration"]


@dataclass(kw_only=True)
class ToolDeclaration:
    """A tool the agent may call, with its parameters and the permissions it needs."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    permissions: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class DataSource:
    """A source of data the agent reads; untrusted writers make it an injection surface."""

    name: str
    type: str = ""
    writable_by_untrusted: bool = False


@dataclass(kw_only=True)
class AppManifest:
    """What the agent is and can do; LLM components use its text form as context."""

    name: str
    tools: list[ToolDeclaration] = field(default_factory=list)
    data_sources: list[DataSource] = field(default_factory=list)
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def declares_tool(self, name: str) -> bool:
        """Whether a tool of that name is declared."""
        return self.get_tool(name) is not None

    def get_tool(self, name: str) -> ToolDeclaration | None:
        """The first declared tool of that name, or ``None``."""
        return next((tool for tool in self.tools if tool.name == name), None)

    def __str__(self) -> str:
        blocks = [f"TARGET AGENT: {self.name}"]
        if self.description:
            blocks.append(self.description)
        if self.tools:
            lines = ["Available tools:"]
            for tool in self.tools:
                params = ", ".join(f"{key}: {value}" for key, value in tool.parameters.items())
                line = f"  - {tool.name}({params})"
                if tool.description:
                    line += f" — {tool.description}"
                lines.append(line)
            blocks.append("\n".join(lines))
        if self.data_sources:
            lines = ["Accessible data sources:"]
            for source in self.data_sources:
                suffix = " (writable by untrusted users)" if source.writable_by_untrusted else ""
                lines.append(f"  - {source.name}{suffix}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
