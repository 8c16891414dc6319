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
import re
import sys
import tempfile
import urllib.parse
import uuid
from dataclasses import dataclass
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
from chatbot.turn import (
    Recommender,
    current_results,
    give_feedback,
    replace_disliked,
    search_again,
    take_turn,
)
from retriever import Track
from retriever.catalog import is_web_url

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
EMPTY_TEXT = ("### Your songs will show up here\nDescribe what you want, or pick one of the examples. " + HINT)
CSS = """
.tt-result {border:1px solid var(--border-color-primary); border-radius:10px; padding:8px 12px !important;
            margin:2px 0; gap:4px !important;}
.tt-card .tt-title {font-weight:600; font-size:1.05em;}
.tt-card .tt-rank {color:var(--body-text-color-subdued); margin-right:6px;}
.tt-card {overflow-wrap:anywhere;}
.tt-chip {display:inline-block; padding:1px 8px; margin:2px 3px 0 0; border-radius:12px; font-size:0.85em;
          background:var(--background-fill-secondary); border:1px solid var(--border-color-primary);}
.tt-chip.tt-matched {background:#ffe7a3; color:#4a3500; border-color:#e0b84c; font-weight:600;}
.tt-seen {font-size:0.8em; color:var(--body-text-color-subdued); margin-left:6px;}
.tt-play {border:1px solid var(--border-color-primary); border-radius:50%; width:28px; height:28px;
          padding:0; margin:0 4px; cursor:pointer; background:var(--button-secondary-background-fill);
          vertical-align:middle;}
.tt-player:empty {display:none;}
.tt-player {margin-top:6px;}
.tt-player iframe {width:100%; max-width:560px; aspect-ratio:16/9; border:0; border-radius:8px;}
.tt-player iframe.tt-spotify {aspect-ratio:auto; height:152px;}
.tt-player audio {width:100%; max-width:560px;}
.tt-actions {gap:6px !important; flex-wrap:wrap !important;}
.tt-actions button {flex:0 0 auto !important; min-width:44px !important; width:auto !important;}
@media (max-width: 640px) {
  .gradio-container {padding-left:6px !important; padding-right:6px !important;}
  #tt-main {flex-direction:column !important;}
  #tt-main > div {min-width:0 !important; width:100% !important;}
  .tt-result {padding:6px 8px !important;}
}
"""
# The ▶ buttons insert their player only when pressed (nothing is fetched before): one listener
# for every card, and a second check of the source, so only our own embeds and http(s) audio play.
HEAD = """<script>
(() => {
  const EMBEDS = ["https://www.youtube-nocookie.com/embed/", "https://open.spotify.com/embed/track/"];
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(".tt-play") : null;
    const card = button ? button.closest(".tt-card") : null;
    const slot = card ? card.querySelector(".tt-player") : null;
    if (!slot) return;
    event.preventDefault();
    if (slot.firstChild) {
      slot.replaceChildren();
      button.textContent = "\\u25B6";
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const embed = button.dataset.embed || "";
    const audio = button.dataset.audio || "";
    let player = null;
    if (EMBEDS.some((prefix) => embed.startsWith(prefix))) {
      player = document.createElement("iframe");
      player.src = embed;
      player.title = button.getAttribute("aria-label") || "player";
      player.allow = "encrypted-media; picture-in-picture";
      player.referrerPolicy = "strict-origin-when-cross-origin";
      if (embed.startsWith("https://open.spotify.com/")) player.className = "tt-spotify";
    } else if (/^https?:\\/\\//i.test(audio)) {
      player = document.createElement("audio");
      player.controls = true;
      player.src = audio;
    }
    if (!player) return;
    slot.appendChild(player);
    button.textContent = "\\u25A0";
    button.setAttribute("aria-expanded", "true");
    if (player.tagName === "AUDIO") player.play().catch(() => {});
  });
})();
</script>"""

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_SPOTIFY_TRACK = re.compile(r"/(?:intl-[a-z]{2}(?:-[a-z]{2})?/)?track/([A-Za-z0-9]{22})/?")
_JAMENDO_TRACK = re.compile(r"/(?:[a-z]{2}/)?track/([0-9]{1,12})(?:/[^/]*)?/?")
_SECONDS = re.compile(r"([0-9]{1,6})(?:\.[0-9]*)?s?")


@dataclass(frozen=True)
class Player:
    """What a card's ▶ button plays: an `embed` (an iframe page) or `audio` (a file for <audio controls>)."""

    kind: str
    src: str


def _seconds(value: object) -> int:
    match = _SECONDS.fullmatch(str(value).strip()) if value is not None else None
    return int(match.group(1)) if match else 0


def player_for(track: Track) -> Player | None:
    """The in-page player for a track, or None (the card keeps its "listen" link).

    A catalogue `preview_url` (http/https only) plays as audio; a YouTube watch url (MusicCaps
    clips, with their `start_s`) as a youtube-nocookie embed from that second; an
    open.spotify.com track as Spotify's embed; a Jamendo track as its mp3 stream. A search url
    or anything else plays nothing: no identifier is ever guessed.
    """
    preview = track.metadata.get("preview_url")
    if is_web_url(preview):
        return Player("audio", str(preview))
    if not is_web_url(track.url):
        return None
    parts = urllib.parse.urlsplit(track.url)
    host = (parts.hostname or "").lower()
    query = urllib.parse.parse_qs(parts.query)
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        video = parts.path.strip("/") if host == "youtu.be" else (query.get("v") or [""])[0]
        if parts.path.rstrip("/") in ("/watch", "") or host == "youtu.be":
            if _YOUTUBE_ID.fullmatch(video):
                start = _seconds(track.metadata.get("start_s", (query.get("t") or ["0"])[0]))
                return Player("embed", f"https://www.youtube-nocookie.com/embed/{video}?start={start}")
    if host == "open.spotify.com":
        match = _SPOTIFY_TRACK.fullmatch(parts.path)
        if match:
            return Player("embed", f"https://open.spotify.com/embed/track/{match.group(1)}")
    if host in ("jamendo.com", "www.jamendo.com"):
        match = _JAMENDO_TRACK.fullmatch(parts.path)
        if match:
            return Player("audio", f"https://mp3l.jamendo.com/?trackid={match.group(1)}&format=mp31")
    return None


def card_html(view: ResultView, *, is_liked: bool = False, is_disliked: bool = False) -> str:
    """One result as escaped HTML: catalogue text is always shown as text, urls only as http(s)."""
    track = view.track
    matched = set(view.matched)
    chips = "".join(
        f'<span class="tt-chip{" tt-matched" if d in matched else ""}">{html.escape(d)}</span>'
        for d in track.descriptors
    )
    year = f" · {track.year}" if track.year else ""
    mark = " 👍" if is_liked else " 👎" if is_disliked else ""
    seen = '<span class="tt-seen">seen before</span>' if view.is_seen else ""
    player = player_for(track)
    play = ""
    if player is not None:
        label = html.escape(f"Play {track.title} — {track.artist}", quote=True)
        play = (f'<button type="button" class="tt-play" data-{player.kind}="{html.escape(player.src, quote=True)}"'
                f' aria-label="{label}" title="Play here" aria-expanded="false">▶</button>')
    link = ""
    if is_web_url(track.url):
        link = (f' · <a href="{html.escape(track.url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                f'{"open" if player is not None else "listen"}</a>')
    return (
        f'<div class="tt-card" data-track-id="{html.escape(track.id, quote=True)}"'
        f' data-artist="{html.escape(track.artist, quote=True)}">'
        f'<div>{play}<span class="tt-rank">#{view.rank}</span><span class="tt-title">{html.escape(track.title)}</span>'
        f' — {html.escape(track.artist)}{html.escape(year)}{link}{mark}{seen}</div>'
        f'<div>{chips}</div><div class="tt-player"></div></div>'
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
        """The result rows (visibility and card HTML), the three chip groups, the empty-page text,
        and the export box (shown once there is something to export) with its file."""
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
        updates.append(gr.update(choices=snapshot["wanted"], value=snapshot["wanted"], visible=bool(snapshot["wanted"])))
        updates.append(gr.update(choices=snapshot["excluded"], value=snapshot["excluded"],
                                 visible=bool(snapshot["excluded"])))
        chips = filter_chips(state, self.recommender.tracks)
        updates.append(gr.update(choices=chips, value=chips, visible=bool(chips)))
        updates.append(gr.update(visible=not views))
        has_export = bool(views or state.liked)
        updates.append(gr.update(visible=has_export))
        updates.append(gr.update() if has_export else None)  # a fresh page drops the old playlist file
        return updates

    @staticmethod
    def stored(state: DialogueState, history: list, session: str) -> dict:
        """The browser copy of a session."""
        return {"state": state_to_dict(state), "history": history, "session": session}

    def is_pure_reset(self, message: object) -> bool:
        """Is the message only "start over" (nothing else asked for)? Then the page empties, as its button does."""
        parsed = self.recommender.parser.parse(message)
        return parsed.is_reset and not (
            parsed.wanted or parsed.boosted or parsed.excluded or parsed.artists_like or parsed.artists_by
            or parsed.artists_excluded or parsed.seed_ids or parsed.era or parsed.regions or parsed.languages
            or parsed.liked_ranks or parsed.disliked_ranks or parsed.more_like_ranks
        )

    # -- handlers ----------------------------------------------------------------------------------
    def on_message(self, message: object, history: list | None, state: DialogueState, session: str) -> list:
        """A typed message: [history, state, stored, session, cleared textbox, *results].

        The bubble holds the turn's short summary (what was understood, notices); the cards are the list.
        """
        history = list(history or [])
        session = session or uuid.uuid4().hex
        try:
            if self.is_pure_reset(message):
                return self.on_reset(session)[:3] + [session, ""] + self.render(DialogueState(), [])
            state, turn = take_turn(self.recommender, state, message, session_id=session)
            reply = turn.summary or turn.reply
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
        """👍/👎 on result `index`: [state, stored, *results]. A 👎 replaces the song with the next best one."""
        views = None
        if index < len(state.last_results):
            track_id = state.last_results[index]
            track = self.recommender.tracks[track_id]
            if is_liked:
                state = give_feedback(self.recommender, state, track_id, is_liked=True, session_id=session)
                gr.Info(f"Liked — {track.title}")
            else:
                state, views = replace_disliked(self.recommender, state, track_id, session_id=session)
                gr.Info(f"Noted: not for you — {track.title}. It is off the list.")
        stored = self.stored(state, list(history or []), session)
        return [state, stored] + self.render(state, views if views is not None else
                                             current_results(self.recommender, state))

    def on_more_by(self, index: int, history: list | None, state: DialogueState, session: str) -> list:
        """"More by this artist" on result `index`: the turn "play <artist>", as if typed (its outputs)."""
        if index >= len(state.last_results) or not self.recommender.tracks[state.last_results[index]].artist:
            history = list(history or [])
            return [history, state, self.stored(state, history, session), session, ""] + self.render(
                state, current_results(self.recommender, state))
        artist = self.recommender.tracks[state.last_results[index]].artist
        return self.on_message(f"play {artist}", history, state, session)

    def on_chips(self, wanted: list[str] | None, excluded: list[str] | None, filters: list[str] | None,
                 history: list | None, state: DialogueState, session: str) -> list:
        """A chip unticked: search again without it. [history, state, stored, *results]."""
        history = list(history or [])
        tracks = self.recommender.tracks
        snapshot = state.snapshot()
        removed = [d for d in snapshot["wanted"] if d not in (wanted or [])]
        removed += [d for d in snapshot["excluded"] if d not in (excluded or [])]
        removed_filters = [chip for chip in filter_chips(state, tracks) if chip not in (filters or [])]
        if not removed and not removed_filters:
            return [history, state, self.stored(state, history, session)] + self.render(
                state, current_results(self.recommender, state))
        for descriptor in removed:
            state = remove_descriptor(state, descriptor)
        for chip in removed_filters:
            state = remove_filter(state, chip, tracks)
        removed += removed_filters
        state, turn = search_again(self.recommender, state, session_id=session)
        history += [{"role": "assistant", "content": f"Removed {', '.join(removed)}.\n{turn.summary or turn.reply}"}]
        return [history, state, self.stored(state, history, session)] + self.render(state, turn.results)

    def on_reset(self, session: str) -> list:
        """The Start over button (and a typed "start over"): [history, state, stored, *results]."""
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
            gr.Markdown(f"# 🎶 {html.escape(self.title)}\nDescribe the music you want in your own words.")
            with gr.Row(elem_id="tt-main"):
                with gr.Column(scale=5, min_width=300):
                    chatbot = gr.Chatbot(label="Conversation", height=420, elem_id="tt-chat", feedback_options=None,
                                         placeholder="Say what you'd like to hear.")
                    message = gr.Textbox(placeholder="e.g. upbeat tropical music with steel drums", show_label=False,
                                         elem_id="tt-message", submit_btn=True, max_lines=4)
                    gr.Examples(EXAMPLES, inputs=message, label="Try", elem_id="tt-examples")
                    with gr.Row():
                        reset = gr.Button("Start over", elem_id="tt-reset", variant="secondary")
                    wanted = gr.CheckboxGroup([], label="Wanted (untick to remove)", elem_id="tt-wanted", visible=False)
                    excluded = gr.CheckboxGroup([], label="Excluded (untick to remove)", elem_id="tt-excluded",
                                                visible=False)
                    filters = gr.CheckboxGroup([], label="Songs, artists, era, places (untick to remove)",
                                               elem_id="tt-filters", visible=False)
                with gr.Column(scale=7, min_width=300):
                    gr.Markdown("### Results")
                    empty = gr.Markdown(EMPTY_TEXT, elem_id="tt-empty")
                    rows, cards, likes, dislikes, more_bys = [], [], [], [], []
                    for i in range(MAX_RESULTS):
                        with gr.Column(visible=False, elem_classes="tt-result", elem_id=f"tt-result-{i}") as row:
                            card = gr.HTML(elem_id=f"tt-card-{i}", padding=False)
                            with gr.Row(elem_classes="tt-actions"):
                                like = gr.Button("👍", elem_id=f"tt-like-{i}", size="sm", min_width=44, scale=0)
                                dislike = gr.Button("👎", elem_id=f"tt-dislike-{i}", size="sm", min_width=44, scale=0)
                                more_by = gr.Button("More by this artist", elem_id=f"tt-more-by-{i}", size="sm",
                                                    min_width=44, scale=0)
                        rows.append(row)
                        cards.append(card)
                        likes.append(like)
                        dislikes.append(dislike)
                        more_bys.append(more_by)
                    with gr.Column(visible=False, elem_id="tt-export") as export_box:
                        with gr.Row():
                            export_buttons = {
                                fmt: gr.Button(f"Export {fmt.upper()}", elem_id=f"tt-export-{fmt}", size="sm")
                                for fmt in ("m3u", "csv", "json")
                            }
                        export_file = gr.File(label="Playlist (liked songs and current results)",
                                              elem_id="tt-export-file")

            results: list = []
            for row, card in zip(rows, cards):
                results += [row, card]
            results += [wanted, excluded, filters, empty, export_box, export_file]
            private = {"api_visibility": "private"}

            message.submit(self.on_message, [message, chatbot, state, session],
                           [chatbot, state, stored, session, message, *results], api_name="chat",
                           show_progress="minimal")
            for i in range(MAX_RESULTS):
                for button, is_liked in ((likes[i], True), (dislikes[i], False)):
                    button.click(functools.partial(self.on_feedback, i, is_liked), [chatbot, state, session],
                                 [state, stored, *results], **private)
                more_bys[i].click(functools.partial(self.on_more_by, i), [chatbot, state, session],
                                  [chatbot, state, stored, session, message, *results], **private)
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
    common = dict(server_name=host, server_port=port, auth=auth, css=CSS, head=HEAD, quiet=True, show_error=False,
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
