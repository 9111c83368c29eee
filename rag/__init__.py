"""Offline, cited question answering and summarization over Chinese policy documents.

Public API: :class:`rag.app.App` wires settings, models and the store; :func:`rag.answer.answer_question`
answers with verified citations; :func:`rag.ingest.ingest` brings a store in line with files on disk.
"""

__version__ = "0.1.0"
