"""Cited answers: retrieval coverage, the model's prompt, citation checks."""

from assistant.answers.answer import AnswerOptions, Assistant, LlmTranslator, TokenCallback
from assistant.answers.citations import source_url
from assistant.answers.coverage import name_pattern
from assistant.answers.language import detect_language

__all__ = [
    "AnswerOptions",
    "Assistant",
    "LlmTranslator",
    "TokenCallback",
    "detect_language",
    "name_pattern",
    "source_url",
]
