"""The `ChatModel` interface, its backends (local llama.cpp, OpenAI-compatible, Ollama, extractive) and the packaged
local model.
"""

from assistant.llm.backends import ChatModel, backend_names, make_chat_model

__all__ = ["ChatModel", "backend_names", "make_chat_model"]
