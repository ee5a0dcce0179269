"""formcheck: checks glute bridge, hip thrust, squat and walking form from video, with evidence."""
from formcheck.track import LANDMARK_NAMES, PoseTrack

__version__ = "0.1.0"
__all__ = ["PoseTrack", "LANDMARK_NAMES", "__version__"]
