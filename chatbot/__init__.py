"""The chat pipeline: parse a message, update the dialogue state, query, re-rank, reply.

`chatbot.turn.take_turn` is the whole turn; `chatbot.app` is the Gradio shell around it.
"""

from __future__ import annotations

from chatbot.parse import ALL_VOCALS, ParsedTurn, TurnParser, normalise_message
from chatbot.query import DescriptorIndex, build_query, expand_exclusions
from chatbot.reply import ResultView, TurnResult, format_reply, rerank
from chatbot.state import DialogueState, apply_turn, state_from_dict, state_to_dict
from chatbot.turn import (
    Conversation,
    Recommender,
    Searcher,
    current_results,
    give_feedback,
    replace_disliked,
    search_again,
    take_turn,
)

__all__ = [
    "ALL_VOCALS",
    "Conversation",
    "DescriptorIndex",
    "DialogueState",
    "ParsedTurn",
    "Recommender",
    "ResultView",
    "Searcher",
    "TurnParser",
    "TurnResult",
    "apply_turn",
    "build_query",
    "current_results",
    "expand_exclusions",
    "format_reply",
    "give_feedback",
    "normalise_message",
    "replace_disliked",
    "rerank",
    "search_again",
    "state_from_dict",
    "state_to_dict",
    "take_turn",
]
