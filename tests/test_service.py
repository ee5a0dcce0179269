"""formcheck serve: the JSON API and its errors (TestClient, no worker), the job store, clean-up, and, marked slow,
a real server in a subprocess: a browser (Debian's chromium through Playwright), 50 concurrent uploads, kill -9."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install -e '.[web]')")
pytest.importorskip("httpx", reason="httpx is not installed (pip install -e '.[dev]')")

from fastapi.testclient import TestClient  # noqa: E402

from conftest import REPO, SAMPLE_VIDEOS, write_test_video  # noqa: E402
from formcheck.service.app import COOKIE, create_app  # noqa: E402
from formcheck.service.cleanup import STALE_S, clean_up  # noqa: E402
from formcheck.service.config import ServiceConfig  # noqa: E402
from formcheck.service.sniff import NotAVideo, sniff  # noqa: E402
from formcheck.service.store import MAX_CRASHES, JobStore, is_job_id  # noqa: E402
from formcheck.service.uploads import UploadRejected, display_name, receive_upload  # noqa: E402

PYTHON = sys.executable
SRC = str(REPO / "src")


# ---- fixtures ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_mp4(tmp_path_factory) -> bytes:
    """A real (tiny) H.264 mp4: 20 frames, no person."""
    return write_test_video(tmp_path_factory.mktemp("clip") / "tiny.mp4").read_bytes()


def make_service(tmp_path: Path, **options):
    config = ServiceConfig(data_dir=tmp_path / "data", **{"max_upload_mb": 1.0, **options})
    store = JobStore(config.db_path)
    return config, store, TestClient(create_app(config, store))


@pytest.fixture
def service(tmp_path):
    return make_service(tmp_path)


def post(client, content: bytes, filename: str = "clip.mp4", **fields):
    return client.post("/api/jobs", files={"file": (filename, content, "video/mp4")}, data=fields,
                       headers={"Accept": "application/json"})


def _running(pid: int) -> bool:
    """Whether process `pid` is still running (not ended, not a zombie); it may end while it is read."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def finish_fake(store: JobStore, config: ServiceConfig, job_id: str, *, video: bool = True) -> Path:
    """Mark a queued job done as a worker would, with small stand-in artefacts (no pose model)."""
    job = store.claim("test-worker")
    assert job.id == job_id
    out = config.jobs_dir / job.id / f"run-{job.attempts}"
    out.mkdir(parents=True)
    (out / "report.json").write_text(json.dumps({"schema_version": 1, "exercise": "bridge"}))
    (out / "report.html").write_text("<!DOCTYPE html><html><body><video src='annotated.mp4'></video></body></html>")
    (out / "track.npz").write_bytes(b"PK\x03\x04 track")
    if video:
        (out / "annotated.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(1000))
    assert store.finish(job.id, job.claim, result_dir=out.name, headline="Looks fine.", summary="A bridge.",
                        size_bytes=5000)
    return out


# ---- uploads -------------------------------------------------------------------------------------------------------

def test_upload_answers_202_and_stores_the_video_under_a_server_name(service, tiny_mp4):
    config, store, client = service
    r = post(client, tiny_mp4, "my clip.mp4", exercise="bridge")
    assert r.status_code == 202, r.text
    body = r.json()
    assert is_job_id(body["id"]) and r.headers["location"] == f"/api/jobs/{body['id']}"
    assert (body["status"], body["exercise"], body["filename"], body["queue_position"]) == ("queued", "bridge",
                                                                                         "my clip.mp4", 1)
    assert files_under(config.jobs_dir) == {f"{body['id']}/input.mp4"}
    assert (config.jobs_dir / body["id"] / "input.mp4").read_bytes() == tiny_mp4
    assert files_under(config.incoming_dir) == set()
    status = client.get(f"/api/jobs/{body['id']}").json()
    assert status["status"] == "queued" and status["progress"]["fraction"] is None
    assert post(client, tiny_mp4).json()["queue_position"] == 2


def test_a_phone_recording_hevc_mov_with_rotation_is_accepted_as_quicktime(service, tmp_path):
    """What an iPhone's "record video" sends: HEVC in a QuickTime .MOV, stored sideways with a rotation tag."""
    from fractions import Fraction

    import av
    import numpy as np

    path = tmp_path / "IMG_0042.MOV"
    with av.open(str(path), "w", format="mov") as container:
        stream = container.add_stream("libx265", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"x265-params": "log-level=error"}
        stream.set_display_rotation(90)
        for i in range(8):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 30 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    config, store, client = service
    r = post(client, path.read_bytes(), path.name)
    assert r.status_code == 202, r.text
    job = store.get(r.json()["id"])
    assert (job.input_name, job.media_type, job.filename) == ("input.mov", "video/quicktime", "IMG_0042.MOV")


def test_job_ids_are_random_and_distinct(service, tiny_mp4):
    _, _, client = service
    ids = [post(client, tiny_mp4).json()["id"] for _ in range(12)]
    assert len(set(ids)) == 12 and all(is_job_id(i) for i in ids)
    assert len({i[:6] for i in ids}) == 12  # not sequential


@pytest.mark.parametrize("filename, shown", [
    ("../../../etc/passwd.mp4", "passwd.mp4"),
    ("..\\..\\windows\\evil.mp4", "evil.mp4"),
    ("/etc/cron.d/x.mp4", "x.mp4"),
    ("a/../../../b.mp4", "b.mp4"),
    ("..", "upload"),
    ("", "upload"),
    ("bad\x00name\n.mp4", "bad%00name%0A.mp4"),  # httpx escapes control characters as %XX
    ("%2e%2e%2fescape.mp4", "%2e%2e%2fescape.mp4"),  # not decoded: shown as sent, never a path
])
def test_path_traversal_filenames_never_reach_the_file_system(tmp_path, tiny_mp4, filename, shown):
    config, store, client = make_service(tmp_path)
    r = post(client, tiny_mp4, filename)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert r.json()["filename"] == shown
    assert files_under(tmp_path) - {"data/jobs.sqlite3", "data/jobs.sqlite3-wal", "data/jobs.sqlite3-shm"} == {
        f"data/jobs/{job_id}/input.mp4"}


def test_an_upload_over_the_limit_is_413_from_its_content_length(service):
    config, store, client = service
    big = b"\x00\x00\x00\x18ftypisom" + bytes(1_500_000)  # 1.5 MB, the limit is 1 MB
    r = post(client, big)
    assert r.status_code == 413
    assert r.json()["error"] == "too_large" and "1 MB" in r.json()["detail"]
    assert store.recent() == [] and files_under(config.data_dir / "..") >= set()
    assert files_under(config.incoming_dir) == set()


def test_an_upload_without_content_length_is_cut_off_at_the_limit(tmp_path):
    """The limit holds while the bytes stream in: reading stops at the first chunk past it, nothing is kept."""
    boundary = "XyZ"
    chunk = 64 * 1024
    sent = []

    async def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n"
               "Content-Type: video/mp4\r\n\r\n").encode() + b"\x00\x00\x00\x18ftypisom"
        for _ in range(1000):  # 64 MB offered
            sent.append(chunk)
            yield bytes(chunk)

    async def receive():
        return await receive_upload({"content-type": f"multipart/form-data; boundary={boundary}"}, body(),
                                    tmp_path / "incoming", max_bytes=1_000_000)

    with pytest.raises(UploadRejected) as refused:
        asyncio.run(receive())
    assert refused.value.status == 413
    assert sum(sent) <= 1_000_000 + 2 * chunk  # stopped right after the limit, not after 64 MB
    assert list((tmp_path / "incoming").iterdir()) == []


def test_a_chunked_upload_over_the_limit_is_413(service):
    config, store, client = service

    def chunks():
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n"
        yield b"\x00\x00\x00\x18ftypisom"
        for _ in range(40):
            yield bytes(64 * 1024)
        yield b"\r\n--b--\r\n"

    r = client.post("/api/jobs", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert store.recent() == [] and files_under(config.incoming_dir) == set()


@pytest.mark.parametrize("content, status, words", [
    (b"hello, this is a text file\n" * 40, 415, "is text, not a video"),
    (b"\x89PNG\r\n\x1a\n" + bytes(600), 415, "PNG image"),
    (b"\xff\xd8\xff\xe0" + bytes(600), 415, "JPEG image"),
    (b"\x00\x00\x00\x20ftypM4A " + bytes(600), 415, "audio file"),
    (b"%PDF-1.7\n" + bytes(600), 415, "PDF"),
    (b"", 422, "empty"),
])
def test_content_is_sniffed_not_the_extension(service, content, status, words):
    config, store, client = service
    r = post(client, content, "holiday.mp4")
    assert r.status_code == status, r.text
    assert words in r.json()["detail"] and "holiday.mp4" in r.json()["detail"]
    assert store.recent() == [] and files_under(config.data_dir / "jobs") == set()
    assert files_under(config.incoming_dir) == set()


@pytest.mark.parametrize("head, container", [
    (b"\x00\x00\x00\x18ftypisom", "MP4"),
    (b"\x00\x00\x00\x14ftypqt  ", "QuickTime"),
    (b"\x00\x00\x00\x08wide\x00\x00", "QuickTime"),
    (b"\x00\x00\x00\x18ftyp3gp4", "3GP"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "WebM"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "Matroska"),
    (b"RIFF\x00\x00\x00\x00AVI LIST", "AVI"),
    ((b"\x47" + bytes(187)) * 3, "MPEG-TS"),
    (b"\x00\x00\x01\xba\x44", "MPEG-PS"),
])
def test_sniff_names_video_containers(head, container):
    assert sniff(head).name == container


@pytest.mark.parametrize("head, words", [
    (b"GIF89a", "GIF image"), (b"PK\x03\x04", "ZIP"), (b"ID3\x03", "MP3"), (b"RIFF\x00\x00\x00\x00WAVE", "WAV"),
    (b"\x00\x00\x00\x18ftypheic", r"still image \(HEIC\)"), ("caf\u00e9 r\u00e9sum\u00e9".encode(), "text"),
    (bytes(range(256)), "unrecognised"), (b"", "empty"),
])
def test_sniff_says_what_a_non_video_is(head, words):
    with pytest.raises(NotAVideo, match=words):
        sniff(head)


@pytest.mark.parametrize("raw, shown", [
    ("clip.mp4", "clip.mp4"), ("C:\\Users\\me\\clip.MOV", "clip.MOV"), ("./x/../y.webm", "y.webm"),
    ("\u202eevil.mp4", "evil.mp4"), ("a" * 300, "a" * 120), (None, "upload"),
])
def test_display_name_is_the_last_printable_component(raw, shown):
    assert display_name(raw) == shown


def test_missing_file_empty_form_and_not_multipart(service, tiny_mp4):
    _, store, client = service
    r = client.post("/api/jobs", data={"exercise": "bridge"}, files={"other": ("x.txt", b"x")})
    assert r.status_code == 422 and r.json()["error"] == "no_file"
    r = client.post("/api/jobs", content=tiny_mp4, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 415 and r.json()["error"] == "not_multipart"
    r = client.post("/api/jobs", files=[("file", ("a.mp4", tiny_mp4)), ("file", ("b.mp4", tiny_mp4))])
    assert r.status_code == 422 and r.json()["error"] == "several_files"
    assert store.recent() == []


def test_exercise_is_checked(service, tiny_mp4):
    _, store, client = service
    r = post(client, tiny_mp4, exercise="deadlift")
    assert r.status_code == 422 and r.json()["error"] == "unknown_exercise"
    assert "choose one of auto, bridge" in r.json()["detail"]
    assert post(client, tiny_mp4, exercise="Hip_Thrust").json()["exercise"] == "hip_thrust"
    assert post(client, tiny_mp4).json()["exercise"] == "auto"


def test_a_browser_form_post_is_sent_to_the_job_page(service, tiny_mp4):
    _, _, client = service
    r = client.post("/api/jobs", files={"file": ("a.mp4", tiny_mp4)}, headers={"Accept": "text/html"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")


def test_disk_limit_refuses_uploads_when_only_unfinished_jobs_fill_it(tmp_path, tiny_mp4):
    config, store, client = make_service(tmp_path, max_disk_gb=len(tiny_mp4) * 1.5 / 1e9)
    assert post(client, tiny_mp4).status_code == 202
    r = post(client, tiny_mp4)
    assert r.status_code == 507 and r.json()["error"] == "disk_full"
    assert len(store.recent()) == 1 and files_under(config.incoming_dir) == set()


# ---- status, report, artefacts --------------------------------------------------------------------------------------

def test_unknown_job_is_404_everywhere(service):
    _, _, client = service
    unknown = "A" * 22
    for path in (f"/api/jobs/{unknown}", f"/api/jobs/{unknown}/report", f"/api/jobs/{unknown}/report.html",
                 f"/api/jobs/{unknown}/annotated.mp4", f"/api/jobs/{unknown}/track.npz", "/api/jobs/..%2F..%2Fetc",
                 "/api/jobs/not-an-id", f"/api/jobs/{unknown}/input.mp4", f"/api/jobs/{unknown}/../jobs.sqlite3"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"] == "not_found", path
    page = client.get(f"/jobs/{unknown}")
    assert page.status_code == 404 and "No such job" in page.text


def test_report_of_a_queued_job_is_409(service, tiny_mp4):
    _, _, client = service
    job_id = post(client, tiny_mp4).json()["id"]
    for name in ("report", "report.html", "annotated.mp4", "track.npz"):
        r = client.get(f"/api/jobs/{job_id}/{name}")
        assert r.status_code == 409 and r.json()["error"] == "not_ready" and "queued" in r.json()["detail"]


def test_a_done_job_serves_its_report_and_artefacts(service, tiny_mp4):
    config, store, client = service
    job_id = post(client, tiny_mp4).json()["id"]
    finish_fake(store, config, job_id)
    status = client.get(f"/api/jobs/{job_id}").json()
    assert status["status"] == "done" and status["headline"] == "Looks fine." and status["progress"]["fraction"] == 1
    base = f"/api/jobs/{job_id}"
    assert status["links"] == {"page": f"/jobs/{job_id}", "status": base, "report": f"{base}/report",
                               "html": f"{base}/report.html", "video": f"{base}/annotated.mp4",
                               "track": f"{base}/track.npz"}
    assert client.get(f"{base}/report").json() == {"schema_version": 1, "exercise": "bridge"}
    html = client.get(f"{base}/report.html")
    assert html.headers["content-type"].startswith("text/html") and "sandbox" in html.headers["content-security-policy"]
    video = client.get(f"{base}/annotated.mp4", headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and video.headers["content-type"] == "video/mp4" and len(video.content) == 100
    track = client.get(f"{base}/track.npz")
    assert track.content.startswith(b"PK") and "attachment" in track.headers["content-disposition"]
    listed = client.get("/api/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [job_id]


def test_a_done_job_without_annotated_video_has_no_video_link(service, tiny_mp4):
    config, store, client = service
    job_id = post(client, tiny_mp4).json()["id"]
    finish_fake(store, config, job_id, video=False)
    assert client.get(f"/api/jobs/{job_id}").json()["links"]["video"] is None
    assert client.get(f"/api/jobs/{job_id}/annotated.mp4").status_code == 404


def test_a_failed_job_gives_its_reason(service, tiny_mp4):
    config, store, client = service
    job_id = post(client, tiny_mp4).json()["id"]
    job = store.claim("w")
    store.fail(job.id, job.claim, "clip.mp4: only 2 frames, too short to judge")
    status = client.get(f"/api/jobs/{job_id}").json()
    assert status["status"] == "failed" and "too short" in status["error"]
    r = client.get(f"/api/jobs/{job_id}/report")
    assert r.status_code == 409 and "failed: clip.mp4: only 2 frames" in r.json()["detail"]


def test_recent_jobs_newest_first(service, tiny_mp4):
    _, _, client = service
    ids = [post(client, tiny_mp4, f"{i}.mp4").json()["id"] for i in range(3)]
    assert [j["id"] for j in client.get("/api/jobs").json()["jobs"]] == ids[::-1]
    assert [j["id"] for j in client.get("/api/jobs?limit=2").json()["jobs"]] == ids[:0:-1]
    assert client.get("/api/jobs?limit=0").status_code == 422
    page = client.get("/")
    assert all(f"/jobs/{i}" in page.text for i in ids)


# ---- the token -----------------------------------------------------------------------------------------------------

def test_token_guards_the_api_and_the_pages(tmp_path, tiny_mp4):
    config, store, client = make_service(tmp_path, token="s3cret-token")
    for path in ("/api/jobs", "/openapi.json", f"/api/jobs/{'A' * 22}"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", path
        assert r.headers["www-authenticate"].startswith("Bearer")
    r = post(client, tiny_mp4)
    assert r.status_code == 401 and store.recent() == [] and files_under(config.data_dir / "jobs") == set()
    wrong = client.get("/api/jobs", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "wrong token" in wrong.json()["detail"]
    assert client.get("/api/jobs", headers={"Authorization": "Basic czNjcmV0LXRva2Vu"}).status_code == 401
    right = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/api/jobs", headers=right).status_code == 200
    assert client.post("/api/jobs", files={"file": ("a.mp4", tiny_mp4)}, headers=right).status_code == 202
    for page in ("/", "/docs", f"/jobs/{'A' * 22}"):
        r = client.get(page)
        assert r.status_code == 401 and 'name="token"' in r.text, page
    assert client.post("/login", data={"token": "nope", "next": "/"}).status_code == 401
    login = client.post("/login", data={"token": "s3cret-token", "next": "//evil.example/"}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/"  # never another host
    assert COOKIE in login.cookies
    client.cookies.set(COOKIE, login.cookies[COOKIE])
    assert client.get("/").status_code == 200 and client.get("/api/jobs").status_code == 200
    client.cookies.clear()
    link = client.get("/?token=s3cret-token&x=1", follow_redirects=False)
    assert link.status_code == 303 and link.headers["location"] == "/?x=1" and COOKIE in link.cookies
    schema = client.get("/openapi.json", headers=right).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# ---- docs and pages --------------------------------------------------------------------------------------------------

def test_openapi_documents_the_endpoints_and_docs_need_no_cdn(service):
    _, _, client = service
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/report", "/api/jobs/{job_id}/report.html",
            "/api/jobs/{job_id}/annotated.mp4", "/api/jobs/{job_id}/track.npz"} <= set(paths)
    upload = paths["/api/jobs"]["post"]
    assert set(upload["responses"]) >= {"202", "401", "413", "415", "422"}
    assert "file" in upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200


def test_upload_page_works_with_a_phone_camera_and_drag_and_drop(service):
    _, _, client = service
    page = client.get("/").text
    assert 'accept="video/*" capture="environment"' in page and 'type="file" accept="video/*"' in page
    assert "addEventListener('drop'" in page and "upload.onprogress" in page
    assert '<option value="hip_thrust">hip thrust</option>' in page and 'name="viewport"' in page


def test_job_page_escapes_the_client_file_name(service, tiny_mp4):
    _, _, client = service
    job_id = post(client, tiny_mp4, "<img src=x onerror=alert(1)>.mp4").json()["id"]
    page = client.get(f"/jobs/{job_id}").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.mp4" in page
    assert "<img src=x" not in client.get("/").text


# ---- the store and clean-up ---------------------------------------------------------------------------------------

def test_claims_are_exclusive_and_a_requeued_claim_is_ignored(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    for i in range(2):
        store.create(f"{i}" * 22, exercise="auto", filename="a.mp4", input_name="input.mp4", media_type="video/mp4",
                     size_bytes=1)
    first, second = store.claim("w1"), store.claim("w2")
    assert {first.id, second.id} == {"0" * 22, "1" * 22} and store.claim("w3") is None
    assert store.requeue_running(worker="w1") == [first.id]  # the server restarted under w1
    again = store.claim("w3")
    assert again.id == first.id and again.attempts == 2
    assert not store.progress(first.id, first.claim, frames_done=5, frames_total=9, stage="x")  # the old attempt
    assert not store.finish(first.id, first.claim, result_dir="run-1", headline="", summary="", size_bytes=1)
    assert store.finish(again.id, again.claim, result_dir="run-2", headline="", summary="", size_bytes=1)
    assert store.get(first.id).status == "done" and store.get(first.id).result_dir == "run-2"


def test_a_job_that_keeps_killing_its_worker_fails(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    store.create("c" * 22, exercise="auto", filename="a.mp4", input_name="input.mp4", media_type="video/mp4",
                 size_bytes=1)
    for _ in range(MAX_CRASHES):
        job = store.claim("w")
        store.requeue_running(worker="w", crashed=True)
    job = store.get(job.id)
    assert job.status == "failed" and f"{MAX_CRASHES} times" in job.error
    store.create("d" * 22, exercise="auto", filename="a.mp4", input_name="input.mp4", media_type="video/mp4",
                 size_bytes=1)
    for _ in range(MAX_CRASHES + 2):  # restarts of the server are not the video's fault
        store.claim("w")
        store.requeue_running()
    assert store.get("d" * 22).status == "queued"


def test_clean_up_by_age_then_disk_keeps_unfinished_jobs(tmp_path, tiny_mp4):
    config, store, client = make_service(tmp_path, keep_days=2, max_disk_gb=12_000 / 1e9)
    ids = [post(client, tiny_mp4, f"{i}.mp4").json()["id"] for i in range(4)]
    for job_id in ids[:3]:
        finish_fake(store, config, job_id)  # 5000 bytes each
    now = time.time()
    with store._connect() as db:  # the first finished three days ago
        db.execute("UPDATE jobs SET finished_at = ? WHERE id = ?", (now - 3 * 86400, ids[0]))
        db.execute("UPDATE jobs SET finished_at = ? WHERE id = ?", (now - 60, ids[1]))
    debris = config.jobs_dir / ("Z" * 22)
    debris.mkdir()
    os.utime(debris, (now - STALE_S - 5, now - STALE_S - 5))
    deleted = clean_up(store, config, now=now)
    assert deleted == [ids[0], ids[1]]  # by age, then the oldest finished while over 12 kB
    assert [j.id for j in store.recent()] == [ids[3], ids[2]]
    assert not (config.jobs_dir / ids[0]).exists() and not debris.exists() and (config.jobs_dir / ids[3]).exists()


def test_a_second_server_on_the_same_data_dir_is_refused(tmp_path):
    from formcheck.service.server import _data_dir_lock

    with _data_dir_lock(tmp_path):
        with pytest.raises(ValueError, match="in use by another formcheck serve"):
            with _data_dir_lock(tmp_path):
                pass


def test_serve_options_are_checked_in_one_line():
    from typer.testing import CliRunner

    from formcheck.cli import app

    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 1 and "--workers" in result.output
    result = CliRunner().invoke(app, ["serve", "--token", " "])
    assert result.exit_code == 1 and "--token: is empty" in result.output


# ---- a real server (slow) -----------------------------------------------------------------------------------------

class Server:
    """`formcheck serve` in a subprocess on a free port of 127.0.0.1."""

    def __init__(self, data_dir: Path, workers: int = 1, *extra: str):
        self.data_dir = data_dir
        self.log = open(data_dir.parent / f"server-{time.monotonic_ns()}.log", "w")
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "formcheck.cli", "serve", "--port", "0", "--data-dir", str(data_dir),
             "--workers", str(workers), *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, cwd=data_dir.parent)
        line = self.proc.stdout.readline()
        assert line.startswith("formcheck serve: http://127.0.0.1:"), line + self.stderr()
        self.url = line.split()[2].rstrip("/")

    def stderr(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def worker_pids(self) -> list[int]:
        """The server's worker processes (its children running multiprocessing's spawn_main)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                args = (stat.parent / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and b"spawn_main" in args:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def server_factory(tmp_path):
    started: list[Server] = []

    def start(workers: int = 1, *extra: str, data_dir: Path | None = None) -> Server:
        server = Server(data_dir or tmp_path / "data", workers, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    from formcheck.video import write_excerpt

    return write_excerpt(SAMPLE_VIDEOS / "bridge_side_back_butt.mp4", tmp_path_factory.mktemp("short") / "bridge_1s.mp4",
                         seconds=1.0)


def wait_for(client, job_id: str, until, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get(f"/api/jobs/{job_id}").json()
        if until(status):
            return status
        assert time.monotonic() < deadline, f"gave up waiting: {status}"
        time.sleep(0.25)


@pytest.mark.slow
def test_kill_9_during_a_job_then_restart_completes_it(server_factory):
    import httpx

    server = server_factory(1)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        clip = (SAMPLE_VIDEOS / "bridge_side_good.mp4").read_bytes()
        job_id = client.post("/api/jobs", files={"file": ("bridge.mp4", clip)}).json()["id"]
        running = wait_for(client, job_id, lambda s: s["progress"]["frames_done"] > 30, 120)
        assert running["status"] == "running"
        workers = server.worker_pids()
        assert workers
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived the killed server"
        time.sleep(0.1)
    again = server_factory(1, data_dir=server.data_dir)
    with httpx.Client(base_url=again.url, timeout=30) as client:
        done = wait_for(client, job_id, lambda s: s["status"] in ("done", "failed"), 180)
        assert done["status"] == "done", done
        assert done["attempts"] == 2
        assert client.get(f"/api/jobs/{job_id}/report").json()["exercise"] == "bridge"
    runs = sorted(p.name for p in (server.data_dir / "jobs" / job_id).iterdir() if p.name.startswith("run-"))
    assert runs == ["run-2"]  # the killed attempt's folder is gone


@pytest.mark.slow
def test_50_concurrent_uploads_all_end_done_or_with_a_clear_error(server_factory, short_clip, tmp_path):
    """46 short clips, 2 text files named .mp4 (refused at upload) and 2 mp4 files cut after 2 kB (accepted by
    their first bytes, failed by the decode), all at once against a server with 2 workers."""
    import httpx

    server = server_factory(2)
    good = short_clip.read_bytes()
    uploads = [("good", good)] * 46 + [("text", b"not a video\n" * 100)] * 2 + [("cut", good[:2048])] * 2

    async def send_all():
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as client:
            async def one(i, kind, content):
                r = await client.post("/api/jobs", files={"file": (f"{kind}-{i}.mp4", content, "video/mp4")})
                return kind, r.status_code, r.json()
            return await asyncio.gather(*(one(i, kind, content) for i, (kind, content) in enumerate(uploads)))

    started = time.monotonic()
    answers = asyncio.run(send_all())
    uploaded_s = time.monotonic() - started
    refused = [a for a in answers if a[1] != 202]
    assert [(kind, status, body["error"]) for kind, status, body in refused] == [("text", 415, "not_a_video")] * 2
    accepted = {body["id"]: kind for kind, status, body in answers if status == 202}
    assert len(accepted) == 48
    with httpx.Client(base_url=server.url, timeout=30) as client:
        deadline = time.monotonic() + 900
        while True:
            jobs = client.get("/api/jobs", params={"limit": 500}).json()["jobs"]
            if all(j["status"] in ("done", "failed") for j in jobs) or time.monotonic() > deadline:
                break
            time.sleep(1)
    finished_s = time.monotonic() - started
    by_id = {j["id"]: j for j in jobs}
    assert set(by_id) == set(accepted)  # none lost, none invented
    for job_id, kind in accepted.items():
        job = by_id[job_id]
        if kind == "good":
            assert job["status"] == "done", job
        else:
            assert job["status"] == "failed" and job["error"] and f"{kind}-" in job["error"], job
            assert "/jobs/" not in job["error"]  # the server's paths are not shown
    print(f"\n50 concurrent uploads: {len(refused)} refused, 48 accepted in {uploaded_s:.1f} s; all 48 finished "
          f"after {finished_s:.1f} s with 2 workers ({48 / finished_s * 60:.0f} jobs/min, 1 s clips)")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).is_file():
        message = "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -e '.[dev]')")
    return CHROMIUM


@pytest.mark.slow
def test_browser_uploads_a_clip_and_shows_the_report(server_factory, tmp_path):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("FORMCHECK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    server = server_factory(1)
    clip = SAMPLE_VIDEOS / "bridge_side_back_butt.mp4"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url + "/")
            assert page.locator("#record").get_attribute("capture") == "environment"
            page.set_input_files("#file", str(clip))
            page.select_option("#exercise", "bridge")
            page.click("#send")
            page.wait_for_url("**/jobs/*", timeout=60_000)
            page.wait_for_selector("#job[data-status=running], #job[data-status=done]", timeout=60_000)
            page.wait_for_selector("#job[data-status=done]", timeout=240_000)
            assert "back" in page.locator("#headline").text_content().lower()
            frame = page.frame_locator("#report")
            frame.locator("video").wait_for(timeout=30_000)
            # The report's frame is sandboxed (no scripts run in it): look into it from the page.
            report = "document.getElementById('report').contentDocument"
            played = page.evaluate("""async () => {
                const v = %s.querySelector('video');
                v.muted = true;
                await Promise.race([v.play(), new Promise((_, no) => setTimeout(() => no('play() hung'), 20000))]);
                await new Promise(r => setTimeout(r, 1500));
                return {time: v.currentTime, width: v.videoWidth, error: v.error && v.error.code};
            }""" % report)
            assert played["error"] is None and played["width"] > 0 and played["time"] > 0.3, played
            plots = page.evaluate("() => [...%s.querySelectorAll('.plot img')].map(i => i.complete && i.naturalWidth)"
                                  % report)
            assert plots and all(width > 100 for width in plots), plots
            keys = page.evaluate("() => [...%s.querySelectorAll('figure img')].map(i => i.naturalWidth)" % report)
            assert keys and all(width > 0 for width in keys)
            page.evaluate("() => { const v = %s.querySelector('video'); v.pause(); v.currentTime = 1.6; }" % report)
            page.wait_for_timeout(800)
            page.screenshot(path=str(shots / "job-1280.png"), full_page=True)
            job_url = page.url
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True,
                                     has_touch=True)
            phone.goto(server.url + "/")
            phone.screenshot(path=str(shots / "upload-390.png"), full_page=True)
            phone.goto(job_url)
            phone.wait_for_selector("#job[data-status=done]", timeout=30_000)
            phone.frame_locator("#report").locator(".plot img").first.wait_for(timeout=30_000)
            phone.wait_for_timeout(1500)
            width = phone.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"the job page scrolls sideways on a phone ({width} px)"
            phone.screenshot(path=str(shots / "job-390.png"), full_page=True)
            page.goto(server.url + "/")
            page.screenshot(path=str(shots / "upload-1280.png"), full_page=True)
        finally:
            browser.close()
    print(f"\nscreenshots in {shots}")
