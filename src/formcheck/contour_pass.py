"""Person masks on a few frames -> the body's outline points in the PoseTrack (the back's, and for a bridge the
front's), from the frames the one decode kept.

    analysis = analyze_track(track)                                              # phases known
    track2 = add_dorsal_contour(track, analysis.report, frames=cache, masks=estimator.person_mask)
    analysis = analyze_track(track2)                                             # lumbar_arch sees the outline

The pose pass keeps masks off (a mask costs ~3x a tracked frame). Here masks are made on the frames
`plan_mask_frames` picks (at most `max_share` of the frames: each rep's peak and a few frames around it, its start
and end), taken from the frame cache (formcheck.frame_cache keeps the tops and bottoms of the hips' travel), and
formcheck.contour traces the back on them, and for a bridge the front too (chest and belly: in a floor bridge the
arm on the floor hides the back). Only side views of bridges and hip thrusts are traced; otherwise the track is
returned with meta["dorsal_contour"]["status"] saying why not.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Callable

import numpy as np

from formcheck.contour import (FRONT_OUTLINE_EXERCISES, OUTLINE_NOT_FOUND, contour_points, dorsal_sign,
                               traced_dorsal_sign)
from formcheck.report.schema import Report
from formcheck.track import DORSAL_POINT_NAMES, VENTRAL_POINT_NAMES, PoseTrack

if TYPE_CHECKING:  # annotations only: importing it brings the video decoder
    from formcheck.frame_cache import FrameCache, FrameWindow

CONTOUR_EXERCISES = ("bridge", "hip_thrust")
CONTOUR_VIEWS = ("side",)
# Share of a clip's frames that get a mask. Each mask costs a multi-person look (~50 ms at 1080p), so at 4% the masks
# take about a tenth of `formcheck analyze --no-video` on a 10 s 1080p bridge (benchmarks/analyze_speed.py: 0.83 of
# the bare pose loop there, 0.92 on a clip without masks).
DEFAULT_MAX_SHARE = 0.04
MIN_FRAMES = 6
TOP_SPREAD_S = 0.12  # extra top frames this far either side of each rep's peak


def plan_mask_frames(track: PoseTrack, report: Report, *, max_share: float = DEFAULT_MAX_SHARE,
                     min_frames: int = MIN_FRAMES) -> list[int]:
    """Frame indices to make masks for, most useful first, at most max(min_frames, ceil(max_share * T)).

    Priority: each rep's peak (the top), each rep's start and end (the bottom), frames TOP_SPREAD_S either side of
    each peak, the middle of each hold; without reps or holds, evenly spaced frames. Sorted ascending.
    """
    T = len(track)
    if T == 0:
        return []
    budget = max(min_frames, math.ceil(max_share * T))
    t = track.timestamps_s

    def at(time_s: float) -> int:
        return int(np.clip(np.argmin(np.abs(t - time_s)), 0, T - 1))

    tiers: list[list[int]] = [[], [], [], []]
    for rep in report.reps:
        peak, *around = rep_top_frames(at(rep.peak_s), track.fps)
        tiers[0].append(peak)
        tiers[1] += [at(rep.start_s), at(rep.end_s)]
        tiers[2] += around
    for hold in report.holds:
        tiers[3] += [at(0.5 * (hold.start_s + hold.end_s)), at(hold.start_s + 0.25 * hold.duration_s)]
    chosen: list[int] = []
    for tier in tiers:
        for i in tier:
            if 0 <= i < T and i not in chosen and len(chosen) < budget:
                chosen.append(i)
    if not chosen:
        chosen = [int(i) for i in np.unique(np.linspace(0, T - 1, min(budget, T)).round().astype(int))]
    elif not report.reps and len(chosen) < budget:  # holds only: add a few low frames for the bottom
        rest = [int(i) for i in np.linspace(0, T - 1, budget - len(chosen) + 2)[1:-1].round()]
        chosen += [i for i in rest if i not in chosen]
    return sorted(chosen)


def rep_top_frames(peak: int, fps: float) -> list[int]:
    """The frames masked at a rep's top: its peak, then the frames TOP_SPREAD_S either side (may fall outside the
    track: callers keep those within it)."""
    spread = max(1, int(round(TOP_SPREAD_S * fps)))
    return [peak, peak - spread, peak + spread]


def hold_frames(frames: int) -> list[int]:
    """The frames masked in a hold of `frames` frames, counted from its first: its middle, then a quarter of the way
    in (as plan_mask_frames picks them by time)."""
    return [int(round(0.5 * (frames - 1))), int(round(0.25 * (frames - 1)))]


# A planned frame may be served by a kept frame this close (seconds): the cache keeps the turning points of the raw
# hips, the plan takes tops from the cleaned ones (a frame or two apart) and rep starts and ends where the rise
# begins (the hips still low, a few frames from the bottom).
MAX_FRAME_OFFSET_S = 0.25


def needs_contour(report: Report) -> bool:
    """Whether the analysis in `report` reads the body's outline (a bridge or hip thrust seen from the side)."""
    return outline_is_read(report.exercise, report.view)


def outline_is_read(exercise: str, view: str) -> bool:
    """Whether the rules read the body's outline for this exercise and view (a bridge or hip thrust from the side)."""
    return exercise in CONTOUR_EXERCISES and view in CONTOUR_VIEWS


def add_dorsal_contour(
    track: PoseTrack,
    report: Report,
    *,
    frames: FrameCache | None,
    masks: Callable[[np.ndarray, np.ndarray | None], np.ndarray | None] | None,
    max_share: float = DEFAULT_MAX_SHARE,
    only: list[int] | None = None,
) -> PoseTrack:
    """The track with `dorsal_contour` points on the planned frames (see module docstring).

    frames: the pictures kept from the decode; masks(rgb, subject_landmarks) -> (H, W) person mask or None
    (PoseEstimator.person_mask). only: explicit frame indices (overrides the plan, e.g. every other frame for an
    evaluation; they must have been kept). For a bridge the front's outline (chest and belly) is traced on the same
    masks into `ventral_contour` (contour.FRONT_OUTLINE_EXERCISES). meta["dorsal_contour"]: {status, dorsal_sign,
    frames_masked, frames_traced (the back), front_frames_traced, reasons{why: count},
    untraced_visible_from_u_median and untraced_visible_from_u_at_s {frame time, s (str): u}
    (where the outline joined to the pelvis began on the untraced frames, u from shoulder 0 to hip 1; only when some
    were untraced)}; status is "traced", or a sentence saying why the outline was not used.
    """
    wanted = plan_mask_frames(track, report, max_share=max_share) if only is None else only
    return trace_outlines(track, report.exercise, report.view, frames=frames, masks=masks, wanted=wanted)


def trace_outlines(
    track: PoseTrack,
    exercise: str,
    view: str,
    *,
    frames: FrameCache | FrameWindow | None,
    masks: Callable[[np.ndarray, np.ndarray | None], np.ndarray | None] | None,
    wanted: list[int],
) -> PoseTrack:
    """The track with the body's outline traced on the kept frames nearest to the `wanted` frame indices (those
    outside the track are left out): add_dorsal_contour's work once the frames are chosen (live mode traces each
    rep's top as the rep ends). frames: anything with FrameCache.nearest, indexed by track row."""
    def skipped(status: str) -> PoseTrack:
        return track.with_dorsal_contour(None, dorsal_contour={"status": status})

    if frames is None or masks is None:
        if track.dorsal_contour is not None or track.ventral_contour is not None:  # a saved track with its outline
            return track
        return skipped("no video to take a body outline from (a pose track alone has no mask)")
    if exercise not in CONTOUR_EXERCISES:
        return skipped(f"not used for a {exercise}")
    if view not in CONTOUR_VIEWS:
        return skipped(f"not used in a {view} view: the back's outline is only seen from the side")
    sign = dorsal_sign(track)
    if sign == 0:
        return skipped("could not tell the back from the front of the body")
    wanted = sorted({int(i) for i in wanted if 0 <= i < len(track)})
    max_offset = max(0, int(round(MAX_FRAME_OFFSET_S * track.fps)))
    points = np.full((len(track), len(DORSAL_POINT_NAMES), 3), np.nan)
    front = exercise in FRONT_OUTLINE_EXERCISES
    ventral = np.full((len(track), len(VENTRAL_POINT_NAMES), 3), np.nan) if front else None
    reasons: dict[int, str] = {}
    masked: set[int] = set()
    tried: set[int] = set()
    visible_from: dict[int, float] = {}
    not_kept = no_person = 0
    for index in wanted:  # one mask at a time: a 1080p mask is 8 MB, and long clips plan over a hundred
        kept = frames.nearest(index, max_offset)
        if kept is None:
            not_kept += 1
            continue
        kept_index, rgb = kept
        if kept_index in tried:
            continue
        tried.add(kept_index)
        mask = masks(rgb, track.landmarks[kept_index])
        if mask is None:
            no_person += 1
            continue
        masked.add(kept_index)
        traced_here, why = contour_points(track, {kept_index: mask}, sign=sign, visible_from=visible_from,
                                          ventral=ventral)
        points[kept_index] = traced_here[kept_index]
        reasons.update(why)
    traced = int(np.isfinite(points[:, :, 0]).any(axis=1).sum())
    missing = Counter(reasons.values())
    missing.update({"no person in the mask pass": no_person} if no_person else {})
    missing.update({"frame not kept from the decode": not_kept} if not_kept else {})
    info = {
        "status": "traced" if traced else OUTLINE_NOT_FOUND,
        "dorsal_sign": sign,
        "frames_masked": len(masked),
        "frames_traced": traced,
        "front_frames_traced": int(np.isfinite(ventral[:, :, 0]).any(axis=1).sum()) if front else 0,
        "reasons": dict(missing),
    }
    hidden = {i: u for i, u in visible_from.items() if i in reasons and np.isfinite(u)}
    if hidden:  # how much of the back the untraced frames showed: 0 = all of it from the shoulder, 1 = none
        info["untraced_visible_from_u_median"] = float(np.median(list(hidden.values())))
        info["untraced_visible_from_u_at_s"] = {f"{track.timestamps_s[i]:.3f}": round(float(u), 3)
                                                for i, u in sorted(hidden.items())}
    return track.with_dorsal_contour(points, ventral, dorsal_contour=info)


def join_shot_outlines(track: PoseTrack, shots: list[tuple[int, PoseTrack]]) -> PoseTrack:
    """The whole clip's track carrying the body outlines its shots traced (pipeline.analyze_shots judges each shot
    on a slice), so the report draws them and a re-read of the saved track judges with them.

    shots: (first frame in `track`, the shot's analysed track). The outline points land at their clip frames, NaN
    elsewhere; meta["dorsal_contour"] adds up the shots' frame counts and joins their per-frame notes (keyed by the
    frame's time, which slicing keeps).
    Returned unchanged when it already carries outlines, when no shot traced one, or when shots traced from opposite
    sides of the body (one dorsal_sign cannot describe both)."""
    if track.dorsal_contour is not None or track.ventral_contour is not None:
        return track  # a saved track re-read: its shots are slices of the outlines it already carries
    traced = [(first, shot) for first, shot in shots
              if shot.dorsal_contour is not None or shot.ventral_contour is not None]
    signs = {traced_dorsal_sign(shot) for _, shot in traced}
    if not traced or len(signs) != 1:
        return track
    arrays: dict[str, np.ndarray] = {}
    info: dict = {"status": OUTLINE_NOT_FOUND, "dorsal_sign": signs.pop(), "frames_masked": 0, "frames_traced": 0,
                  "front_frames_traced": 0, "reasons": {}}
    seen_from: dict[str, float] = {}
    for first, shot in traced:
        for name in ("dorsal_contour", "ventral_contour"):
            part = getattr(shot, name)
            if part is not None:
                arrays.setdefault(name, np.full((len(track),) + part.shape[1:], np.nan))[first:first + len(shot)] = part
        meta = shot.meta.get("dorsal_contour", {})
        if meta.get("status") == "traced":
            info["status"] = "traced"
        for key in ("frames_masked", "frames_traced", "front_frames_traced"):
            info[key] += int(meta.get(key, 0))
        for why, count in meta.get("reasons", {}).items():
            info["reasons"][why] = info["reasons"].get(why, 0) + count
        seen_from.update(meta.get("untraced_visible_from_u_at_s", {}))
    if seen_from:
        info["untraced_visible_from_u_at_s"] = seen_from
        info["untraced_visible_from_u_median"] = float(np.median(list(seen_from.values())))
    return track.with_dorsal_contour(arrays.get("dorsal_contour"), arrays.get("ventral_contour"), dorsal_contour=info)
