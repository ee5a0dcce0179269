"""Altered copies of every clip in a labelled manifest, same labels, to check that verdicts hold when the camera does.

    python scripts/real_variants.py benchmarks/shared_videos.csv OUT_DIR [--kinds mirror half ... shake slow]
    formcheck eval OUT_DIR/tilt.csv --detect --cache OUT_DIR/cache_tilt      # then score each variant

Kinds (each writes OUT_DIR/videos/<stem>_<kind>.mp4 and OUT_DIR/<kind>.csv, the manifest's rows with the new paths):
    mirror    flipped left to right: a person filmed from their other side
    half      half the width and height (cv2.INTER_AREA): a smaller or farther person, a low-resolution upload
    far       shrunk to half size in the middle of a frame of the original size (edges replicated): the camera twice
              as far away, the person a quarter of the area they filled
    tilt      rotated 7 deg clockwise about the centre, border replicated: a camera rolled to one side
    halffps   every other frame, at half the frame rate: a slower camera
    dark      a dim room: brightness x DARK_GAIN plus sensor noise (sd DARK_NOISE grey levels, a fixed seed)
    jpeg      every frame JPEG-compressed at quality JPEG_QUALITY: a heavily compressed upload (blocks, smeared edges)
    portrait  the middle 9:16 of a landscape frame (the full height kept; a portrait frame keeps its middle 16:9
              band): the same spot filmed with the phone turned, so a long body may leave the picture
    letterbox the whole landscape frame shrunk into a 9:16 portrait frame with black bars above and below (a portrait
              frame: into a 16:9 one with bars at the sides): a clip reposted to a phone app, the person small
    fast      every other frame at the original frame rate: played at twice the speed (a sped-up upload)
    blur      Gaussian blur of sd BLUR_SHARE of the frame height: out of focus, or a smeared low-light picture
    rot90     turned 90 deg clockwise: a phone clip whose rotation tag was lost, the person on their side
    rot180    turned upside down
    slow      every frame twice at the original frame rate: played at half the speed (a slow-motion clip)
    quarter   a quarter of the width and height: a thumbnail-sized upload, the person a few dozen pixels tall
    shake     moved about by a hand-held camera: each frame shifted (sd SHAKE_SHARE of its size) and rolled (sd
              SHAKE_ROLL_DEG), the motion wandering smoothly over about SHAKE_TIME_S (a fixed seed)

An existing output video is kept (delete it to make it again). The copies are for measurement only: they are made
from ../shared/videos, so they stay out of the repository.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

KINDS = ("mirror", "half", "far", "tilt", "halffps", "dark", "jpeg", "portrait", "letterbox", "fast", "blur", "rot90",
         "rot180", "quarter", "shake", "slow")
TILT_DEG = 7.0
DARK_GAIN = 0.3
DARK_NOISE = 5.0
JPEG_QUALITY = 12
BLUR_SHARE = 0.004  # 4.3 px on a 1080-line frame
# A hand-held phone: a few per cent of the frame of wander and a degree of roll, changing over half a second (a hand's
# tremor and drift; no stabilisation). Chosen to look like casual hand-held footage, not measured.
SHAKE_SHARE = 0.02
SHAKE_ROLL_DEG = 1.0
SHAKE_TIME_S = 0.5


def portrait_box(w: int, h: int) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the middle 9:16 of a landscape frame, or the middle 16:9 band of a portrait one
    (even sizes, for the encoder)."""
    if w >= h:
        cw = min(w, int(h * 9 / 16)) // 2 * 2
        return (w - cw) // 2, 0, cw, h // 2 * 2
    ch = min(h, int(w * 9 / 16)) // 2 * 2
    return 0, (h - ch) // 2, w // 2 * 2, ch


def letterbox_layout(w: int, h: int) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """((canvas width, height), (x, y, width, height) of the whole frame inside it): a landscape frame shrunk into a
    9:16 canvas of its own height, a portrait one into a 16:9 canvas of its own width (even sizes, for the encoder)."""
    if w >= h:
        cw, ch = int(h * 9 / 16) // 2 * 2, h // 2 * 2
        iw, ih = cw, int(round(h * cw / w)) // 2 * 2
    else:
        cw, ch = w // 2 * 2, int(w * 9 / 16) // 2 * 2
        iw, ih = int(round(w * ch / h)) // 2 * 2, ch
    return (cw, ch), ((cw - iw) // 2, (ch - ih) // 2, iw, ih)


def write_variant(src: Path, dst: Path, kind: str) -> None:
    """Write `kind` of the video `src` to `dst` (mp4v); ValueError when `src` cannot be read."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise ValueError(f"{src}: cannot be opened as a video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    box = portrait_box(w, h)
    canvas, inner = letterbox_layout(w, h) if kind == "letterbox" else ((w, h), (0, 0, w, h))
    sizes = {"half": (w // 4 * 2, h // 4 * 2), "portrait": box[2:], "letterbox": canvas, "rot90": (h, w),
             "quarter": (w // 8 * 2, h // 8 * 2)}
    size = sizes.get(kind, (w, h))
    keep = np.exp(-1.0 / (SHAKE_TIME_S * fps))  # AR(1) memory per frame: the shake wanders over SHAKE_TIME_S
    noise = np.random.default_rng(0)
    # x, y shift and roll in their sd, already wandering at the first frame (drawn only for shake: the dark kind's
    # noise stays the same as before shake existed)
    wander = noise.normal(size=3) if kind == "shake" else np.zeros(3)
    rotation = cv2.getRotationMatrix2D((w / 2, h / 2), -TILT_DEG, 1.0)
    shrink = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, 0.5)
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps / 2 if kind == "halffps" else fps, size)
    index = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if kind == "mirror":
                writer.write(cv2.flip(frame, 1))
            elif kind == "half":
                writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
            elif kind == "far":
                writer.write(cv2.warpAffine(frame, shrink, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE))
            elif kind == "tilt":
                writer.write(cv2.warpAffine(frame, rotation, size, borderMode=cv2.BORDER_REPLICATE))
            elif kind == "dark":
                dim = frame.astype(np.float32) * DARK_GAIN + noise.normal(0.0, DARK_NOISE, frame.shape)
                writer.write(np.clip(dim, 0, 255).astype(np.uint8))
            elif kind == "jpeg":
                _, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                writer.write(cv2.imdecode(data, cv2.IMREAD_COLOR))
            elif kind == "portrait":
                x, y, cw, ch = box
                writer.write(np.ascontiguousarray(frame[y: y + ch, x: x + cw]))
            elif kind == "letterbox":
                x, y, iw, ih = inner
                out = np.zeros((size[1], size[0], 3), np.uint8)
                out[y: y + ih, x: x + iw] = cv2.resize(frame, (iw, ih), interpolation=cv2.INTER_AREA)
                writer.write(out)
            elif kind == "blur":
                writer.write(cv2.GaussianBlur(frame, (0, 0), BLUR_SHARE * h))
            elif kind == "rot90":
                writer.write(cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE))
            elif kind == "rot180":
                writer.write(cv2.rotate(frame, cv2.ROTATE_180))
            elif kind == "slow":
                writer.write(frame)
                writer.write(frame)
            elif kind == "quarter":
                writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
            elif kind == "shake":  # unit-variance smooth wander: x, y shift and roll
                wander = keep * wander + np.sqrt(1.0 - keep ** 2) * noise.normal(size=3)
                moved = cv2.getRotationMatrix2D((w / 2, h / 2), SHAKE_ROLL_DEG * wander[2], 1.0)
                moved[:, 2] += SHAKE_SHARE * np.array([w, h]) * wander[:2]
                writer.write(cv2.warpAffine(frame, moved, size, borderMode=cv2.BORDER_REPLICATE))
            elif index % 2 == 0:  # halffps and fast: every other frame, at half or the same frame rate
                writer.write(frame)
            index += 1
    finally:
        writer.release()
        cap.release()
    if index == 0:
        dst.unlink(missing_ok=True)
        raise ValueError(f"{src}: no frame could be decoded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    args = parser.parse_args()
    if not args.manifest.is_file():
        parser.error(f"{args.manifest}: no such manifest")
    rows = list(csv.DictReader(args.manifest.open(newline="")))
    if not rows or "path" not in rows[0]:
        parser.error(f"{args.manifest}: needs a header with a `path` column and at least one row")
    (args.out / "videos").mkdir(parents=True, exist_ok=True)
    for kind in args.kinds:
        out_rows = []
        for row in rows:
            src = (args.manifest.parent / row["path"]).resolve()
            dst = (args.out / "videos" / f"{src.stem}_{kind}.mp4").resolve()
            if not dst.exists():
                try:
                    write_variant(src, dst, kind)
                except ValueError as err:
                    print(f"skipped: {err}")
                    continue
            out_rows.append({**row, "path": str(dst)})
        with (args.out / f"{kind}.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            writer.writeheader()
            writer.writerows(out_rows)
        print(f"{kind}: {len(out_rows)} clips -> {args.out / f'{kind}.csv'}")


if __name__ == "__main__":
    main()
