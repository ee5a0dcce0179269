"""Spoken cues on their own thread: ``Speaker.say(text)`` returns at once, the video loop never waits for a voice.

Engines: espeak-ng (a Debian package, run as a subprocess) or pyttsx3 (its espeak driver). With neither, or when
the engine cannot reach a sound device, the speaker says so once (``notes``) and goes on silently.

    with Speaker() as speaker:          # the first engine found; Speaker(engine=None) is silent
        speaker.say("Knees out")

``render_wav(text, path)`` writes what would be said to a WAV file (tests, and a machine without speakers).
"""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Callable, Protocol

# Words a minute: a little quicker than espeak-ng's 175 default is clearer for two- to four-word cues.
SPEECH_WPM = 170
# Lines waiting to be said at most: a newer cue pushes out the oldest (a cue minutes late is worse than none).
MAX_WAITING = 2
# A single utterance is cut off after this long (a hung engine must not silence every later cue).
SAY_TIMEOUT_S = 15.0


# espeak-ng runs at this lower priority (nice): on a machine with few cores, synthesising a line must not take CPU
# from the pose model (the frame loop), only the time the loop leaves.
SPEECH_NICENESS = 10


def _lower_priority() -> None:
    os.nice(SPEECH_NICENESS)


class SpeechError(RuntimeError):
    """The engine cannot speak (no sound device, a broken install): one line."""


class Engine(Protocol):
    name: str

    def speak(self, text: str) -> None:
        """Say `text`, returning when it has been said; SpeechError when it cannot."""


class EspeakEngine:
    """espeak-ng as a subprocess. wav_dir: write each utterance to wav_dir/cue-NNN.wav instead of playing it."""

    name = "espeak-ng"

    def __init__(self, executable: str | None = None, *, wav_dir: str | Path | None = None) -> None:
        self.executable = executable or shutil.which("espeak-ng") or shutil.which("espeak")
        if self.executable is None:
            raise SpeechError("espeak-ng is not installed")
        self.wav_dir = Path(wav_dir) if wav_dir is not None else None
        self.count = 0

    def speak(self, text: str) -> None:
        command = [self.executable, "-s", str(SPEECH_WPM)]
        if self.wav_dir is not None:
            self.wav_dir.mkdir(parents=True, exist_ok=True)
            command += ["-w", str(self.wav_dir / f"cue-{self.count:03d}.wav")]
        self.count += 1
        try:
            done = subprocess.run(command + ["--", text], capture_output=True, text=True, timeout=SAY_TIMEOUT_S,
                                  preexec_fn=_lower_priority if hasattr(os, "nice") else None)
        except subprocess.TimeoutExpired:
            raise SpeechError(f"{self.name} took over {SAY_TIMEOUT_S:.0f} s to say one line") from None
        # espeak-ng exits 0 even when it finds no sound device; it says so on stderr ("error: ...").
        problem = [line for line in done.stderr.splitlines() if line.lower().startswith("error")]
        if done.returncode != 0 or problem:
            detail = (problem or done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise SpeechError(f"{self.name} could not play sound ({detail.strip()}); no sound device?")


class Pyttsx3Engine:
    """pyttsx3 (its espeak driver on Linux)."""

    name = "pyttsx3"

    def __init__(self) -> None:
        try:
            import pyttsx3
        except ImportError:
            raise SpeechError("pyttsx3 is not installed") from None
        try:
            self._engine = pyttsx3.init()
        except Exception as exc:  # pyttsx3 raises whatever its driver raises
            raise SpeechError(f"pyttsx3 could not start ({exc})") from None
        self._engine.setProperty("rate", SPEECH_WPM)

    def speak(self, text: str) -> None:
        try:
            self._engine.say(text)
            self._engine.runAndWait()
        except Exception as exc:
            raise SpeechError(f"pyttsx3 could not speak ({exc})") from None


def find_engine() -> tuple[Engine | None, str]:
    """(the first speech engine that starts, "") or (None, why there is none)."""
    reasons = []
    for make in (EspeakEngine, Pyttsx3Engine):
        try:
            return make(), ""
        except SpeechError as exc:
            reasons.append(str(exc))
    return None, "; ".join(reasons)


def render_wav(text: str, path: str | Path) -> Path:
    """Write `text` spoken by espeak-ng (else pyttsx3) to a WAV file; SpeechError when neither is installed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    executable = shutil.which("espeak-ng") or shutil.which("espeak")
    if executable:
        subprocess.run([executable, "-s", str(SPEECH_WPM), "-w", str(path), "--", text], check=True,
                       capture_output=True, timeout=SAY_TIMEOUT_S)
        return path
    try:
        import pyttsx3
    except ImportError:
        raise SpeechError("no speech engine: install espeak-ng (apt-get install espeak-ng) or pyttsx3") from None
    engine = pyttsx3.init()
    engine.save_to_file(text, str(path))
    engine.runAndWait()
    return path


class Speaker:
    """Says lines on a worker thread, one at a time; ``say`` never blocks.

    engine : "auto" (find_engine), an Engine, or None (silent). notes : called once with a plain-words line when
    there is no engine or it fails (then the speaker goes silent). ``speaking``: a line is being said now.
    ``said``: the lines said so far (with the engine's failures left out).
    """

    def __init__(self, engine: Engine | str | None = "auto", *, notes: Callable[[str], None] | None = None) -> None:
        self._notes = notes or (lambda line: None)
        if engine == "auto":
            engine, why = find_engine()
            if engine is None:
                self._note(f"no speech engine ({why}): cues are shown and written, not spoken")
        self.engine: Engine | None = engine  # type: ignore[assignment]
        self.said: list[str] = []
        self.dropped = 0
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._speaking = threading.Event()
        self._noted = False
        self._thread: threading.Thread | None = None
        if self.engine is not None:
            self._thread = threading.Thread(target=self._run, name="formcheck-speech", daemon=True)
            self._thread.start()

    def _note(self, line: str) -> None:
        self._notes(line)

    @property
    def speaking(self) -> bool:
        return self._speaking.is_set()

    @property
    def enabled(self) -> bool:
        return self.engine is not None

    def say(self, text: str) -> None:
        """Queue a line; the oldest waiting line is dropped beyond MAX_WAITING. Returns at once."""
        if self.engine is None:
            return
        with self._lock:
            while self._queue.qsize() >= MAX_WAITING:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    break
            self._queue.put(text)

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            if self.engine is None:
                continue
            self._speaking.set()
            try:
                self.engine.speak(text)
                self.said.append(text)
            except SpeechError as exc:
                self.engine = None
                self._note(f"speech stopped: {exc}; cues are shown and written, not spoken")
            finally:
                self._speaking.clear()

    def close(self, timeout: float = 5.0) -> None:
        """Let the line being said finish (up to `timeout` s), drop the rest."""
        if self._thread is None:
            return
        with self._lock:
            while not self._queue.empty():
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._queue.put(None)
        self._thread.join(timeout=timeout)
        self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every queued line was said (tests)."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end and (not self._queue.empty() or self.speaking):
            time.sleep(0.02)

    def __enter__(self) -> "Speaker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
