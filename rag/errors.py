"""Every error the tool reports to a user, under one root.

A :class:`RagError`'s message is one line that names the file, value or setting at fault and, where
there is one, what to do; the CLI prints it and exits non-zero. Anything else escaping is a bug.
The built-in bases (ValueError, RuntimeError) are kept so callers that predate the root still work.
"""

from __future__ import annotations


class RagError(Exception):
    """Root of the tool's user-facing errors."""


class SettingsError(RagError, ValueError):
    """A configuration value or file is invalid; the message names it."""


class CatalogError(RagError, ValueError):
    """models.txt is malformed; the message names the file and line."""


class ModelMissingError(RagError, RuntimeError):
    """A model the user asked for is not on this machine; the message says what would provide it."""


class AssemblyError(RagError, RuntimeError):
    """Parts are missing, out of order or the joined file does not match its sha256."""


class LLMError(RagError, RuntimeError):
    """The chat model cannot be loaded or reached."""


class LoadError(RagError):
    """A file cannot be read as a document; the message is the reason shown to the user."""


class StoreError(RagError, RuntimeError):
    """A store problem the user can act on; the message says what to do."""


class StoreLockedError(StoreError):
    """Another process is writing the store."""


class StoreMismatchError(StoreError):
    """The store was built with other settings or models than the ones asked for."""


class StoreCorruptError(StoreError):
    """A store file is damaged or missing."""


class QuestionError(RagError, ValueError):
    """The question cannot be asked as given (empty, only symbols)."""


class EvalSetError(RagError, ValueError):
    """An eval set file is malformed; the message names the file and line."""


class EvalRunError(RagError, ValueError):
    """An eval run directory cannot be resumed or compared."""


class SummarizeError(RagError, ValueError):
    """A document cannot be summarized as asked (schema, output)."""


class FilterError(RagError, ValueError):
    """A search filter value is malformed (a year, a kind)."""
