"""The chat pipeline: dialogue state, turn parsing, replies; `chatbot.app` is the Gradio shell."""

from __future__ import annotations

from chatbot.conversation import Conversation, Recommender, ResultView, TurnResult, format_reply
from chatbot.dialogue import DialogueState, ParsedTurn, TurnParser, build_query, expand_exclusions

__all__ = [
    "Conversation",
    "DialogueState",
    "ParsedTurn",
    "Recommender",
    "ResultView",
    "TurnParser",
    "TurnResult",
    "build_query",
    "expand_exclusions",
    "format_reply",
]
