"""scripts/real_variants.py: each altered copy has the size, frame rate and picture its kind promises."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture()
def variants():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import real_variants
    finally:
        sys.path.pop(0)
    return real_variants


def _clip(path: Path, frames: int = 10, size=(160, 120), fps: float = 30.0) -> Path:
    """A clip with a bright square left of centre, so a flip or a rotation shows."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(frames):
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        frame[40:80, 20:60] = 255
        writer.write(frame)
    writer.release()
    return path


def _read(path: Path) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def _bright_centre(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(frame.mean(axis=2) > 128)
    return float(xs.mean()), float(ys.mean())


def test_each_kind_changes_what_it_says(variants, tmp_path):
    src = _clip(tmp_path / "clip.mp4")
    out = {}
    for kind in variants.KINDS:
        variants.write_variant(src, tmp_path / f"{kind}.mp4", kind)
        out[kind] = _read(tmp_path / f"{kind}.mp4")
    original = _read(src)[0][0].astype(float)
    x0, y0 = _bright_centre(original)
    frames, fps = out["mirror"]
    assert len(frames) == 10 and fps == pytest.approx(30.0)
    assert _bright_centre(frames[0])[0] == pytest.approx(160 - 1 - x0, abs=2)  # the square moved to the right
    frames, _ = out["half"]
    assert frames[0].shape[:2] == (60, 80) and _bright_centre(frames[0])[0] == pytest.approx(x0 / 2, abs=2)
    frames, _ = out["far"]
    assert frames[0].shape[:2] == (120, 160)
    assert _bright_centre(frames[0])[0] == pytest.approx(80 + (x0 - 80) / 2, abs=2)  # half as far from the centre
    frames, _ = out["tilt"]
    assert frames[0].shape[:2] == (120, 160) and _bright_centre(frames[0])[1] < y0 - 1  # clockwise: left side up
    frames, fps = out["halffps"]
    assert len(frames) == 5 and fps == pytest.approx(15.0)
    frames, _ = out["dark"]
    assert frames[0].mean() == pytest.approx(original.mean() * variants.DARK_GAIN, abs=3)
    assert frames[0][original.mean(axis=2) < 1].mean() > 0.3  # sensor noise lifts the black (none would stay 0)
    frames, _ = out["jpeg"]
    assert frames[0].shape == original.shape and 0 < np.abs(frames[0] - original).mean() < 20
    frames, _ = out["portrait"]
    assert frames[0].shape[:2] == (120, 66)  # the middle 9:16 of 160x120, even width
    assert _bright_centre(frames[0])[0] == pytest.approx((60 - 47) / 2, abs=2)  # the square's x 47-60 is left in it
    assert variants.portrait_box(120, 160) == (0, 47, 120, 66)  # a portrait frame keeps its middle 16:9 band
    frames, fps = out["letterbox"]
    assert frames[0].shape[:2] == (120, 66) and fps == pytest.approx(30.0)  # 9:16 canvas of the same height
    assert frames[0][:34].max() < 20 and frames[0][-34:].max() < 20  # black bars above and below the whole frame
    assert _bright_centre(frames[0]) == pytest.approx((x0 * 66 / 160, 35 + y0 * 50 / 120), abs=2)
    assert variants.letterbox_layout(120, 160) == ((120, 66), (35, 0, 50, 66))  # portrait: bars at the sides
    frames, fps = out["fast"]
    assert len(frames) == 5 and fps == pytest.approx(30.0)  # every other frame, same rate: twice the speed
    frames, _ = out["blur"]
    assert frames[0].mean() == pytest.approx(original.mean(), abs=3)  # blurred, not dimmed
    assert original[60, 19].mean() < 5 and frames[0][60, 19].mean() > 15  # light spreads past the square's edge (x 20)
    frames, _ = out["rot90"]
    assert frames[0].shape[:2] == (160, 120)  # clockwise: the left of the picture goes to the top
    assert _bright_centre(frames[0]) == pytest.approx((120 - 1 - y0, x0), abs=2)
    frames, _ = out["rot180"]
    assert _bright_centre(frames[0]) == pytest.approx((160 - 1 - x0, 120 - 1 - y0), abs=2)
    frames, fps = out["slow"]
    assert len(frames) == 20 and fps == pytest.approx(30.0)  # every frame twice, same rate: half the speed
    frames, _ = out["quarter"]
    assert frames[0].shape[:2] == (30, 40) and _bright_centre(frames[0])[0] == pytest.approx(x0 / 4, abs=1.5)
    frames, _ = out["shake"]
    centres = np.array([_bright_centre(f) for f in frames])
    assert frames[0].shape == original.shape and len(frames) == 10
    assert np.ptp(centres[:, 0]) > 0.5 and np.all(np.abs(centres - (x0, y0)) < 4 * variants.SHAKE_SHARE * 160)


def test_manifest_rows_keep_their_labels_and_bad_input_is_one_line(tmp_path):
    _clip(tmp_path / "a.mp4")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,exercise,view,expected_faults\na.mp4,squat,front,none\nmissing.mp4,walk,back,none\n")
    run = lambda *args: subprocess.run([sys.executable, str(SCRIPTS / "real_variants.py"), *map(str, args)],  # noqa: E731
                                       capture_output=True, text=True)
    done = run(manifest, tmp_path / "out", "--kinds", "tilt")
    assert done.returncode == 0, done.stderr
    assert "skipped:" in done.stdout and "missing.mp4" in done.stdout
    rows = list(csv.DictReader((tmp_path / "out" / "tilt.csv").open()))
    assert [(Path(r["path"]).name, r["exercise"], r["view"]) for r in rows] == [("a_tilt.mp4", "squat", "front")]
    bad = run(tmp_path / "nope.csv", tmp_path / "out")
    assert bad.returncode == 2 and "no such manifest" in bad.stderr and "Traceback" not in bad.stderr
