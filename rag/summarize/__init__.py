"""``rag summarize``: structured, cited summaries of stored documents, section by section.

A document's chunks are grouped by section path and packed to a size the model reads well; each
group's passages are numbered and the model fills a small JSON schema (constrained decoding, hard
``max_tokens``, one retry with a shorter-output instruction, then the failure is reported). Every
item is then checked in code: its citation must name a passage of the group, every figure must
occur in the cited chunk (re-cited to the chunk that has it, or removed when the document does not
contain it), and named bodies must be verbatim. Groups are merged into one record per document.
"""

from rag.errors import SummarizeError
from rag.summarize.batch import BatchResult, run_config, summarize_batch, to_markdown
from rag.summarize.check import Checker
from rag.summarize.document import brief_record, brief_summary, harvest_figures, summarize_document
from rag.summarize.generate import SCHEMAS, Group, generate_json, group_chunks, load_schema_file

__all__ = ["SCHEMAS", "BatchResult", "Checker", "Group", "SummarizeError", "brief_record", "brief_summary",
           "generate_json", "group_chunks", "harvest_figures", "load_schema_file", "run_config", "summarize_batch",
           "summarize_document", "to_markdown"]
