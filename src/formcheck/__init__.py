"""formcheck: checks glute bridge, hip thrust, squat and walking form from video, with evidence.

    import formcheck
    analysis = formcheck.analyze("clip.mp4")     # formcheck.pipeline.analyze: a video, an upload or a .npz track
    print(analysis.report.summary)
"""
from formcheck.track import LANDMARK_NAMES, PoseTrack

__version__ = "0.1.0"
__all__ = ["PoseTrack", "LANDMARK_NAMES", "analyze", "__version__"]


def __getattr__(name: str):
    if name == "analyze":  # imported on first use: the pipeline pulls in the video and pose layers
        from formcheck.pipeline import analyze

        return analyze
    raise AttributeError(f"module 'formcheck' has no attribute {name!r}")
