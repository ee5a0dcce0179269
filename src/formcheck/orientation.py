"""Is the picture the right way up? A person upside down, or lying along the frame when the exercise is a standing
one, means a video turned by its maker or a rotation tag lost on the way; formcheck then judges nothing and says
which `--rotate` turns it upright. Pure (no cv2, no mediapipe).

    check_orientation(track, exercise, view) -> Orientation | None   (None: upright, or cannot tell)

Which way is up, in the image, per frame (angles counter-clockwise from image right, so 90 deg = up the picture):
- first, for every exercise formcheck judges, the shins: in each of them a shin runs from the knee down to a planted
  foot (standing on it; or, in a bridge or hip thrust, the foot on the floor below the raised knee), so when on most
  frames neither shin points down the picture (SHIN_DOWN_MIN_SHARE), up is opposite to where they do point;
- lying with both knees bent, seen from the side (bridges, hip thrusts): the knees point away from the floor, so up
  is the direction from the hip-ankle line to the knee;
- otherwise, for a standing exercise (or one not recognised): from the mid-ankle to the mid-shoulder.
Lying exercises seen from the feet, the head or obliquely are not checked by their body line: it says nothing about
up (their shins still do).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.exercises import EXERCISES, LYING
from formcheck.track import PoseTrack, landmark_index

MIN_SHARE = 0.6  # the share of detected frames that must point the same wrong way
# A shin (knee -> ankle) within SHIN_DOWN_MAX_DEG of straight down the picture counts as planted-side down. Measured on
# the cached tracks of the real clips and their scripts/real_variants.py copies, and every rendered sweep track: every
# clip judged as an exercise, or named as one of two, had a shin seen pointing down on >= 0.78 of the frames with one
# seen (a portrait crop of a side-on bridge, its legs beyond the picture, shows none); turned 90 deg (`rot90`), 49 of
# 53 clips read <= 0.47 and the rest 0.60-1.00 (a side-lying leg raise's raised leg, a prone stretch).
SHIN_DOWN_MAX_DEG = 45.0
SHIN_DOWN_MIN_SHARE = 0.5
MIN_VISIBILITY = 0.5  # a knee or ankle the pose model rates less visible than this is not taken as seen
SHIN_CUE = "the way the shins point"
BODY_LINE_CUE = "the line from the ankles to the shoulders"
KNEES_BENT_RATIO = 0.3  # knee off the hip-ankle line, in hip-ankle lengths: 0.5 at a 90 deg knee, ~0 when straight
KNEES_BENT_SHARE = 0.8  # both knees bent on this share of frames: lying with feet planted (a standing person is not)


@dataclass(frozen=True)
class Orientation:
    """The person's up in the image points `pointing` (down, left, right); `rotate_deg` (clockwise) turns it upright."""

    pointing: str
    rotate_deg: int
    share: float  # share of detected frames pointing that way
    cue: str  # which body line gave "up"

    exercise: str = ""  # the exercise given or detected ("" or "unknown": none)

    def hint(self) -> str:
        seen = ("The person appears upside down" if self.pointing == "down" else
                f"The person appears lying along the frame, head to the {self.pointing}" if self.cue == BODY_LINE_CUE
                else f"The picture appears turned on its side (the person's up points to its {self.pointing})")
        text = (f"{seen} in {self.share:.0%} of the frames (going by {self.cue}), so nothing "
                "was judged: the video is probably turned (or its rotation tag was lost). Analyse it again with "
                f"--rotate {self.rotate_deg}.")
        if self.pointing != "down" and self.exercise and self.exercise not in LYING and self.exercise != "unknown":
            text += (f" If the person does lie down, the exercise is not {self.exercise.replace('_', ' ')} (a "
                     "standing one): give it with --exercise.")
        return text


def _mid(track: PoseTrack, part: str) -> np.ndarray:
    return (track.xy_px(f"left_{part}") + track.xy_px(f"right_{part}")) / 2.0


def _knee_offsets(track: PoseTrack, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, 2) px: the knee's offset from the hip-ankle line (perpendicular), and (T,) that offset in hip-ankle
    lengths."""
    hip, knee, ankle = (track.xy_px(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
    line = ankle - hip
    length = np.linalg.norm(line, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = line / length[:, None]
        along = np.sum((knee - hip) * unit, axis=-1)
        offset = (knee - hip) - along[:, None] * unit
        return offset, np.linalg.norm(offset, axis=-1) / length


def shins_up(track: PoseTrack) -> tuple[np.ndarray, float]:
    """((T, 2) image vectors pointing opposite to the shins (ankle -> knee, the unit vectors of the shins seen, summed;
    NaN where neither is), the share of frames with a shin seen on which one points down the picture within
    SHIN_DOWN_MAX_DEG). A shin is seen where its knee and ankle are inside the picture and visible (MIN_VISIBILITY):
    the pose model also places points it cannot see, e.g. feet beyond the picture's edge (there it can rate them 0.7
    visible)."""
    units, down, seen = [], np.zeros(len(track), bool), np.zeros(len(track), bool)
    for side in ("left", "right"):
        shin = track.xy_px(f"{side}_ankle") - track.xy_px(f"{side}_knee")
        length = np.linalg.norm(shin, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = shin / length[:, None]
        visible = np.ones(len(track), bool)
        for point in (f"{side}_knee", f"{side}_ankle"):
            xy = track.landmarks[:, landmark_index(point), :2]
            with np.errstate(invalid="ignore"):
                visible &= (track.visibility(point) >= MIN_VISIBILITY) & np.all((xy >= 0.0) & (xy <= 1.0), axis=1)
        ok = np.isfinite(unit).all(axis=1) & (length > 0) & visible
        seen |= ok
        down |= ok & (unit[:, 1] >= np.cos(np.radians(SHIN_DOWN_MAX_DEG)))
        units.append(np.where(ok[:, None], unit, np.nan))
    up = -np.nansum(np.stack(units), axis=0)
    up[~seen] = np.nan
    return up, float(down[seen].mean()) if seen.any() else float("nan")


def up_vectors(track: PoseTrack, exercise: str, view: str) -> tuple[np.ndarray, str] | None:
    """(T, 2) image vectors (x right, y down) pointing the person's up, NaN where unseen, and the cue's name, from the
    knees or the body line; None when this exercise and view give no cue (lying, not seen from the side)."""
    offsets = [_knee_offsets(track, side) for side in ("left", "right")]
    both_bent = np.fmin(offsets[0][1], offsets[1][1])
    seen = np.isfinite(both_bent)
    if view == "side" and seen.any() and np.mean(both_bent[seen] > KNEES_BENT_RATIO) >= KNEES_BENT_SHARE:
        return offsets[0][0] + offsets[1][0], "the way the bent knees point"
    if exercise in LYING:
        return None
    return _mid(track, "shoulder") - _mid(track, "ankle"), BODY_LINE_CUE


def check_orientation(track: PoseTrack, exercise: str, view: str) -> Orientation | None:
    """The wrong way up the person points on at least MIN_SHARE of the frames, and the turn that fixes it; None
    when upright or when it cannot be told. The shins first (for an exercise formcheck judges, when neither points
    down on most frames); when they give no one direction, the knees or the body line (up_vectors)."""
    if exercise in EXERCISES:
        shins, down_share = shins_up(track)
        turned = _turned(shins, SHIN_CUE, exercise) if down_share < SHIN_DOWN_MIN_SHARE else None
        if turned is not None:
            return turned
    found = up_vectors(track, exercise, view)
    return None if found is None else _turned(*found, exercise)


def _turned(up: np.ndarray, cue: str, exercise: str) -> Orientation | None:
    """The Orientation when the (T, 2) up vectors point one wrong way on at least MIN_SHARE of the frames seen."""
    ok = np.isfinite(up).all(axis=1) & (np.linalg.norm(up, axis=1) > 0)
    if ok.sum() < 3:
        return None
    angle = np.degrees(np.arctan2(-up[ok, 1], up[ok, 0]))  # counter-clockwise from image right; 90 = up
    quadrant = {  # where up points -> the clockwise turn that brings it to the top
        "down": (np.abs(angle + 90.0) < 45.0, 180),
        "left": (np.abs(angle) > 135.0, 90),
        "right": (np.abs(angle) < 45.0, 270),
    }
    for pointing, (mask, turn) in quadrant.items():
        share = float(mask.mean())
        if share >= MIN_SHARE:
            return Orientation(pointing=pointing, rotate_deg=turn, share=share, cue=cue, exercise=exercise)
    return None
