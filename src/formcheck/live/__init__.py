"""Live mode: a webcam (or a video file played as one) watched as the set goes on, with spoken cues.

    from formcheck.live import LiveOptions, run_live
    result = run_live(LiveOptions(camera="sample_videos/bridge_side_back_butt.mp4", window=False, speak=False))
    [line for line in result.events if line["type"] == "cue"]

Modules: cameras (open a source with one-line errors, list cameras), setup (whole body in view? which view?),
coach (cues, rate limit, instant checks, hold timer, key angle; pure), speech (espeak-ng / pyttsx3 on a thread),
overlay (the live picture and window), session (the loop and its threads).
"""
from formcheck.live.cameras import CameraInfo, list_cameras
from formcheck.live.overlay import LiveError
from formcheck.live.session import LiveOptions, LiveResult, LiveSession, run_live

__all__ = ["CameraInfo", "LiveError", "LiveOptions", "LiveResult", "LiveSession", "list_cameras", "run_live"]
