"""Model calls of a summary: a document's chunks grouped by section, and JSON drafts generated under a
schema with one retry."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from rag.errors import SummarizeError
from rag.prompting import PromptPassage, prompt
from rag.types import ChunkRecord

if TYPE_CHECKING:
    from rag.llm import LLM, Message


Style = Literal["structured", "brief"]
SCHEMAS = ("work-plan", "news")
GROUP_CHARS = 1500
GROUP_MAX_TOKENS = 700
ATTEMPTS = 2

@dataclass
class Group:
    section: str
    kind: str
    chunks: list[ChunkRecord]

    def passages(self) -> str:
        return "\n\n".join(PromptPassage(i, c.source, c.section, c.text).render()
                           for i, c in enumerate(self.chunks, 1))


def group_chunks(chunks: list[ChunkRecord], max_chars: int = GROUP_CHARS) -> list[Group]:
    """Consecutive chunks of the same top two section levels, packed up to ``max_chars``."""
    groups: list[Group] = []
    for chunk in chunks:
        key = " > ".join(chunk.section.split(" > ")[:2])
        last = groups[-1] if groups else None
        if (last is not None and last.section == key and last.kind == chunk.kind
                and sum(len(c.text) for c in last.chunks) + len(chunk.text) <= max_chars):
            last.chunks.append(chunk)
        else:
            groups.append(Group(key, chunk.kind, [chunk]))
    return groups


def load_schema_file(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SummarizeError(f"cannot read schema file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise SummarizeError(f"schema file {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SummarizeError(f"schema file {path}: expected a JSON schema with \"type\": \"object\"")
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        json_schema_to_gbnf(json.dumps(schema))
    except ImportError:
        pass
    except Exception as exc:  # the converter raises bare exceptions on unsupported constructs
        raise SummarizeError(f"schema file {path} cannot be used for constrained output: {exc}") from exc
    return schema


# --- generation -------------------------------------------------------------------------------------

def chat_messages(user: str) -> list[Message]:
    return [{"role": "system", "content": prompt("summary_system")}, {"role": "user", "content": user}]


def generate_json(llm: LLM, user: str, schema: dict[str, Any], max_tokens: int,
                  validate: Callable[[str], Any]) -> tuple[Any, str | None]:
    """Schema-constrained output, validated; one retry asking for less. Returns (value, error)."""
    messages = chat_messages(user)
    error = ""
    for _ in range(ATTEMPTS):
        text = llm.complete(messages, max_tokens, 0.0, json_schema=schema)
        try:
            return validate(text), None
        except (ValidationError, json.JSONDecodeError, ValueError) as exc:
            error = str(exc).splitlines()[0][:200]
            messages = [*chat_messages(user), {"role": "assistant", "content": text[:2000]},
                        {"role": "user", "content": prompt("summary_retry")}]
    return None, f"invalid output after {ATTEMPTS} attempts: {error}"


def pydantic_validator(model: type[BaseModel]) -> Callable[[str], BaseModel]:
    return lambda text: model.model_validate_json(text)


def json_validator(text: str) -> Any:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


