"""The Gradio shell around the chat turn; the only module that imports gradio.

`ChatUI` holds the page's handlers as methods (tests call them without launching);
`create_app(recommender)` builds the page without launching it; `launch(...)` serves it. Per-session data lives in `gr.State` (a DialogueState) and is
mirrored into `gr.BrowserState`, so a reload in the same browser restores the
conversation; models and the index live in the shared `Recommender`.
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import logging
import sys
import tempfile
import uuid
from pathlib import Path

from chatbot.export import export_tracks
from chatbot.reply import ResultView
from chatbot.state import (
    DialogueState,
    filter_chips,
    remove_descriptor,
    remove_filter,
    state_from_dict,
    state_to_dict,
)
from chatbot.turn import Recommender, current_results, give_feedback, search_again, take_turn

try:
    import gradio as gr
except ModuleNotFoundError as error:  # pragma: no cover - gradio is a hard dependency of the package
    raise ModuleNotFoundError("the chat needs gradio: pip install 'gradio>=5'") from error

logger = logging.getLogger(__name__)

MAX_RESULTS = 10
EXAMPLES = [
    "Upbeat tropical music with steel drums",
    "Calm piano music to study to",
    "Sad songs with a female voice, 90s",
    "High-energy hip hop for a workout",
    "Something to dance to at a party, no rap",
]
# Queue settings, measured with benchmarks/concurrent_sessions.py (32 users x 4 turns).
QUEUE_CONCURRENCY = 8  # chat turns processed at once
# "auto" re-sends every waiting client its queue position each time any turn finishes: with 32
# users that is ~1,000 messages per round of turns. Once a second is enough for a wait this short.
STATUS_UPDATE_RATE: float | str = 1.0
HINT = 'Refine as you go: "more upbeat", "no vocals", "more like #2", "not the first one", "start over".'
CSS = """
.tt-card {border:1px solid var(--border-color-primary); border-radius:10px; padding:8px 12px; margin:2px 0;}
.tt-card .tt-title {font-weight:600; font-size:1.05em;}
.tt-card .tt-rank {color:var(--body-text-color-subdued); margin-right:6px;}
.tt-chip {display:inline-block; padding:1px 8px; margin:2px 3px 0 0; border-radius:12px; font-size:0.85em;
          background:var(--background-fill-secondary); border:1px solid var(--border-color-primary);}
.tt-chip.tt-matched {background:#ffe7a3; color:#4a3500; border-color:#e0b84c; font-weight:600;}
.tt-thumb {gap:4px !important;}
.tt-thumb button {min-width:44px !important; max-width:64px;}
"""


def card_html(view: ResultView, *, is_liked: bool = False, is_disliked: bool = False) -> str:
    """One result as escaped HTML: catalogue text is always shown as text."""
    track = view.track
    matched = set(view.matched)
    chips = "".join(
        f'<span class="tt-chip{" tt-matched" if d in matched else ""}">{html.escape(d)}</span>'
        for d in track.descriptors
    )
    year = f" · {track.year}" if track.year else ""
    mark = " 👍" if is_liked else " 👎" if is_disliked else ""
    link = ""
    if track.url.startswith(("https://", "http://")):
        link = f' · <a href="{html.escape(track.url, quote=True)}" target="_blank" rel="noopener noreferrer">listen</a>'
    return (
        f'<div class="tt-card" data-track-id="{html.escape(track.id, quote=True)}">'
        f'<span class="tt-rank">#{view.rank}</span><span class="tt-title">{html.escape(track.title)}</span>'
        f' — {html.escape(track.artist)}{html.escape(year)}{link}{mark}<div>{chips}</div></div>'
    )


class ChatUI:
    """The page: its handlers are methods over a shared Recommender; `build` only wires them.

    Every handler takes the session's values (message, history, frozen DialogueState, session
    id) and returns the new ones, so each can be called from a test without launching Gradio.
    Each change of state also returns the browser copy (`stored`), so a reload restores it.
    """

    def __init__(self, recommender: Recommender, *, title: str = "tunetalk") -> None:
        self.recommender = recommender
        self.title = title

    # -- rendering ---------------------------------------------------------------------------------
    def render(self, state: DialogueState, views: list[ResultView]) -> list:
        """The result rows (visibility and card HTML) and the two chip groups."""
        updates: list = []
        for i in range(MAX_RESULTS):
            if i < len(views):
                view = views[i]
                updates += [
                    gr.update(visible=True),
                    card_html(view, is_liked=view.track.id in state.liked, is_disliked=view.track.id in state.disliked),
                ]
            else:
                updates += [gr.update(visible=False), ""]
        snapshot = state.snapshot()
        updates.append(gr.update(choices=snapshot["wanted"], value=snapshot["wanted"]))
        updates.append(gr.update(choices=snapshot["excluded"], value=snapshot["excluded"]))
        chips = filter_chips(state)
        updates.append(gr.update(choices=chips, value=chips, visible=bool(chips)))
        return updates

    @staticmethod
    def stored(state: DialogueState, history: list, session: str) -> dict:
        """The browser copy of a session."""
        return {"state": state_to_dict(state), "history": history, "session": session}

    # -- handlers ----------------------------------------------------------------------------------
    def on_message(self, message: object, history: list | None, state: DialogueState, session: str) -> list:
        """A typed message: [history, state, stored, session, cleared textbox, *results]."""
        history = list(history or [])
        session = session or uuid.uuid4().hex
        try:
            state, turn = take_turn(self.recommender, state, message, session_id=session)
            reply = turn.reply
            views = turn.results if turn.results or not state.last_results else current_results(self.recommender, state)
        except Exception:  # noqa: BLE001 - the boundary: log it, tell the user, keep the session
            logger.exception("chat turn failed")
            gr.Warning("Sorry, that turn failed; your conversation is kept. Please try again.")
            reply = "Sorry, something went wrong with that request. Your conversation is kept; please try again."
            views = current_results(self.recommender, state)
        shown_message = message if isinstance(message, str) else ""
        if len(shown_message) > 2000:
            shown_message = shown_message[:2000] + " …"
        history += [{"role": "user", "content": shown_message}, {"role": "assistant", "content": reply}]
        return [history, state, self.stored(state, history, session), session, ""] + self.render(state, views)

    def on_feedback(self, index: int, is_liked: bool, history: list | None, state: DialogueState,
                    session: str) -> list:
        """👍/👎 on result `index`: [state, stored, *results]."""
        if index < len(state.last_results):
            track_id = state.last_results[index]
            state = give_feedback(self.recommender, state, track_id, is_liked=is_liked, session_id=session)
            track = self.recommender.tracks[track_id]
            gr.Info(f"{'Liked' if is_liked else 'Noted: not for you'} — {track.title}")
        stored = self.stored(state, list(history or []), session)
        return [state, stored] + self.render(state, current_results(self.recommender, state))

    def on_chips(self, wanted: list[str] | None, excluded: list[str] | None, filters: list[str] | None,
                 history: list | None, state: DialogueState, session: str) -> list:
        """A chip unticked: search again without it. [history, state, stored, *results]."""
        history = list(history or [])
        snapshot = state.snapshot()
        removed = [d for d in snapshot["wanted"] if d not in (wanted or [])]
        removed += [d for d in snapshot["excluded"] if d not in (excluded or [])]
        removed_filters = [chip for chip in filter_chips(state) if chip not in (filters or [])]
        if not removed and not removed_filters:
            return [history, state, self.stored(state, history, session)] + self.render(
                state, current_results(self.recommender, state))
        for descriptor in removed:
            state = remove_descriptor(state, descriptor)
        for chip in removed_filters:
            state = remove_filter(state, chip)
        removed += removed_filters
        state, turn = search_again(self.recommender, state, session_id=session)
        history += [{"role": "assistant", "content": f"Removed {', '.join(removed)}.\n{turn.reply}"}]
        return [history, state, self.stored(state, history, session)] + self.render(state, turn.results)

    def on_reset(self, session: str) -> list:
        """The Start over button: [history, state, stored, *results]."""
        state = DialogueState()
        return [[], state, self.stored(state, [], session)] + self.render(state, [])

    def on_export(self, fmt: str, state: DialogueState) -> str | None:
        """The liked songs and the current results as a playlist file; its path."""
        ids = list(dict.fromkeys([*state.liked, *state.last_results]))
        tracks = [self.recommender.tracks[i] for i in ids if i in self.recommender.tracks]
        if not tracks:
            gr.Warning("Nothing to export yet: ask for some music first.")
            return None
        folder = Path(tempfile.mkdtemp(prefix="tunetalk-export-"))
        path = folder / f"tunetalk-playlist.{fmt}"
        path.write_text(export_tracks(tracks, fmt, liked_ids=state.liked), encoding="utf-8")
        return str(path)

    def on_load(self, stored: dict | None) -> list:
        """A page (re)load: the browser copy back. [history, state, session, *results]."""
        stored = stored if isinstance(stored, dict) else {}
        state = state_from_dict(stored.get("state"))
        history = stored.get("history") if isinstance(stored.get("history"), list) else []
        session = stored.get("session") or uuid.uuid4().hex
        return [history, state, session] + self.render(state, current_results(self.recommender, state))

    def recommend(self, messages: list[str], k: int = 10) -> list[dict]:
        """Run one conversation (each message a user turn); returns one JSON object per turn."""
        if isinstance(messages, str):
            messages = [messages]
        state = DialogueState()
        session_id = uuid.uuid4().hex
        k = max(1, min(int(k), 50))
        turns = []
        for message in list(messages)[:50]:
            state, turn = take_turn(self.recommender, state, str(message), session_id=session_id, k=k)
            turns.append(turn.to_json())
        return turns

    # -- wiring ------------------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        """The page, not launched."""
        with gr.Blocks(title=self.title, analytics_enabled=False) as demo:
            state = gr.State(DialogueState())
            session = gr.State("")
            stored = gr.BrowserState({}, storage_key="tunetalk-conversation")
            gr.Markdown(f"# 🎶 {html.escape(self.title)}\nDescribe the music you want in your own words. {HINT}")
            with gr.Row():
                with gr.Column(scale=5):
                    chatbot = gr.Chatbot(label="Conversation", height=460, elem_id="tt-chat", feedback_options=None)
                    message = gr.Textbox(placeholder="e.g. upbeat tropical music with steel drums", show_label=False,
                                         elem_id="tt-message", submit_btn=True, max_lines=4)
                    gr.Examples(EXAMPLES, inputs=message, label="Try")
                    with gr.Row():
                        reset = gr.Button("Start over", elem_id="tt-reset", variant="secondary")
                    wanted = gr.CheckboxGroup([], label="Wanted (untick to remove)", elem_id="tt-wanted")
                    excluded = gr.CheckboxGroup([], label="Excluded (untick to remove)", elem_id="tt-excluded")
                    filters = gr.CheckboxGroup([], label="Artists, era, places (untick to remove)",
                                               elem_id="tt-filters", visible=False)
                with gr.Column(scale=7):
                    gr.Markdown("### Results")
                    rows, cards, likes, dislikes = [], [], [], []
                    for i in range(MAX_RESULTS):
                        with gr.Row(visible=False, equal_height=False) as row:
                            with gr.Column(scale=12, min_width=240):
                                card = gr.HTML(elem_id=f"tt-card-{i}")
                            with gr.Column(scale=1, min_width=64, elem_classes="tt-thumb"):
                                like = gr.Button("👍", elem_id=f"tt-like-{i}", size="sm")
                                dislike = gr.Button("👎", elem_id=f"tt-dislike-{i}", size="sm")
                        rows.append(row)
                        cards.append(card)
                        likes.append(like)
                        dislikes.append(dislike)
                    with gr.Row():
                        export_buttons = {fmt: gr.Button(f"Export {fmt.upper()}", elem_id=f"tt-export-{fmt}", size="sm")
                                          for fmt in ("m3u", "csv", "json")}
                    export_file = gr.File(label="Playlist (liked songs and current results)", elem_id="tt-export-file")

            results: list = []
            for row, card in zip(rows, cards):
                results += [row, card]
            results += [wanted, excluded, filters]
            private = {"api_visibility": "private"}

            message.submit(self.on_message, [message, chatbot, state, session],
                           [chatbot, state, stored, session, message, *results], api_name="chat",
                           show_progress="minimal")
            for i in range(MAX_RESULTS):
                for button, is_liked in ((likes[i], True), (dislikes[i], False)):
                    button.click(functools.partial(self.on_feedback, i, is_liked), [chatbot, state, session],
                                 [state, stored, *results], **private)
            for chips in (wanted, excluded, filters):
                chips.input(self.on_chips, [wanted, excluded, filters, chatbot, state, session],
                            [chatbot, state, stored, *results], **private)
            reset.click(self.on_reset, [session], [chatbot, state, stored, *results], **private)
            for fmt, button in export_buttons.items():
                button.click(functools.partial(self.on_export, fmt), [state], [export_file], **private)
            demo.load(self.on_load, [stored], [chatbot, state, session, *results], **private)
            gr.api(self.recommend, api_name="recommend",
                   api_description="Run a conversation: a list of user messages in, one JSON result per turn out.")
        return demo


def create_app(recommender: Recommender, *, title: str = "tunetalk") -> gr.Blocks:
    """Build the chat page (not launched)."""
    return ChatUI(recommender, title=title).build()


def launch(
    recommender: Recommender,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    auth: tuple[str, str] | None = None,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    """Serve the chat. A share link that cannot be made is reported in one line; serving goes on locally."""
    demo = create_app(recommender)
    common = dict(server_name=host, server_port=port, auth=auth, css=CSS, quiet=True, show_error=False,
                  footer_links=["api"], prevent_thread_lock=True)
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, status_update_rate=STATUS_UPDATE_RATE)
    gradio_output = io.StringIO()
    try:
        # gradio prints a multi-line help text when the tunnel fails; we report one line instead.
        with contextlib.redirect_stdout(gradio_output):
            demo.launch(share=share, **common)
    except Exception as error:  # noqa: BLE001 - gradio raises plain exceptions for tunnel failures
        if not share:
            raise
        print(f"tunetalk chat: no public share link ({error.__class__.__name__}: offline or tunnel blocked); "
              f"serving locally only at http://{host}:{port}", file=sys.stderr)
        demo.close()
        demo = create_app(recommender)
        demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, status_update_rate=STATUS_UPDATE_RATE)
        demo.launch(share=False, **common)
    else:
        if share and not getattr(demo, "share_url", None):
            print(f"tunetalk chat: no public share link (offline or tunnel blocked); serving locally only at "
                  f"http://{host}:{port}", file=sys.stderr)
    print(f"tunetalk chat: http://{host}:{port}" + (f"  public: {demo.share_url}" if getattr(demo, "share_url", None)
                                                     else ""), file=sys.stderr)
    if not prevent_thread_lock:
        demo.block_thread()
    return demo
