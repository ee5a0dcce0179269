"""The web app: JSON API under /api (OpenAPI at /docs and /openapi.json, served without a CDN), and the pages.

The app only stores uploads and reads the jobs table; worker processes (formcheck.service.workers) do the analysis.
Errors are JSON: {"error": short code, "detail": one line} with the HTTP status (401, 404, 409, 413, 415, 422, 507).
"""
from __future__ import annotations

import hmac
import os
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from formcheck import __version__
from formcheck.exercises import check_exercise
from formcheck.report.outputs import HTML_NAME, JSON_NAME, VIDEO_NAME
from formcheck.service import pages
from formcheck.service.cleanup import room_for
from formcheck.service.config import ServiceConfig
from formcheck.service.store import Job, JobStore, new_job_id
from formcheck.service.uploads import UploadRejected, receive_upload
from formcheck.service.worker import TRACK_NAME, job_dir

COOKIE = "formcheck_token"
COOKIE_MAX_AGE_S = 30 * 86400
REPORT_CSP = ("default-src 'none'; img-src data:; media-src 'self'; style-src 'unsafe-inline'; "
              "frame-ancestors 'self'; sandbox allow-same-origin")


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class ErrorBody(BaseModel):
    error: str = Field(description="A short code: unauthorized, not_found, not_ready, too_large, not_a_video, ...")
    detail: str = Field(description="What went wrong, in one line")


class JobProgress(BaseModel):
    stage: str = Field(description="What the worker is doing: finding the pose, writing the report and annotated video")
    frames_done: int
    frames_total: int = Field(description="Frames in the video, 0 while unknown")
    fraction: Optional[float] = Field(description="frames_done / frames_total while finding the pose; 1 when done")


class JobLinks(BaseModel):
    page: str
    status: str
    report: Optional[str] = Field(None, description="The report JSON (when done)")
    html: Optional[str] = Field(None, description="The HTML report (when done)")
    video: Optional[str] = Field(None, description="The annotated video, H.264 mp4 (when done and written)")
    track: Optional[str] = Field(None, description="The pose track, .npz (when done)")


class JobStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    exercise: str = Field(description="As asked: auto or an exercise name (the report says what was detected)")
    filename: str = Field(description="The uploaded file's name, for display")
    created_at: str
    started_at: Optional[str]
    finished_at: Optional[str]
    queue_position: Optional[int] = Field(description="1 for the next job to start; null unless queued")
    attempts: int = Field(description="How many times a worker started it (more than 1 after a restart)")
    progress: JobProgress
    error: Optional[str] = Field(description="Why it failed, in one line")
    headline: Optional[str] = Field(description="The verdict in one sentence (when done)")
    summary: Optional[str] = Field(description="The report's summary (when done)")
    links: JobLinks


class JobList(BaseModel):
    jobs: list[JobStatus]


_ERRORS = {status: {"model": ErrorBody} for status in (401, 404)}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "The video (MP4, MOV, WebM, MKV, AVI, MPEG); its content is checked, not its name"},
                "exercise": {"type": "string", "default": "auto",
                             "enum": ["auto", "bridge", "hip_thrust", "squat", "single_leg_squat", "walk",
                                      "single_leg_stance"]},
            },
        }}},
    }
}


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


def create_app(config: ServiceConfig, store: JobStore | None = None) -> FastAPI:
    """The FastAPI app over config.data_dir's jobs. It runs no analysis itself: start workers beside it
    (formcheck.service.workers.Workers), or, in tests, call worker.process_job."""
    store = store or JobStore(config.db_path)
    app = FastAPIOffline(
        title="formcheck",
        version=__version__,
        description="Upload a video of a glute bridge, hip thrust, squat or walk; get formcheck's report.\n\n"
                    "POST /api/jobs with the video in the multipart field `file` (and optionally `exercise`), then "
                    "poll GET /api/jobs/{id} until `status` is `done` or `failed`."
                    + ("\n\nThis server needs `Authorization: Bearer TOKEN`." if config.token else ""),
        static_url="/static/docs",
    )
    app.state.store = store
    app.state.config = config

    # ---- errors as JSON ------------------------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse({"error": exc.code, "detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(UploadRejected)
    async def _upload_rejected(request: Request, exc: UploadRejected):
        return JSONResponse({"error": exc.code, "detail": exc.detail}, status_code=exc.status,
                            headers={"Connection": "close"} if exc.status == 413 else None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = f"no such page or endpoint: {request.url.path}" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse({"error": code, "detail": detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"error": "invalid_request", "detail": f"{where}: {first.get('msg', 'invalid')}"},
                            status_code=422)

    # ---- the token ----------------------------------------------------------------------------------------------

    if config.token:
        app.add_middleware(TokenGate, token=config.token)
        _document_bearer(app)

    # ---- API ------------------------------------------------------------------------------------------------------

    def find(job_id: str) -> Job:
        job = store.get(job_id)
        if job is None:
            raise ApiError(404, "not_found", f"no job {job_id!r} (unknown, or deleted as old)")
        return job

    def status_of(job: Job) -> dict:
        base = f"/api/jobs/{job.id}"
        links = {"page": f"/jobs/{job.id}", "status": base}
        if job.status == "done" and job.result_dir:
            out = job_dir(config.data_dir, job.id) / job.result_dir
            links |= {"report": f"{base}/report", "html": f"{base}/{HTML_NAME}", "track": f"{base}/{TRACK_NAME}"}
            if (out / VIDEO_NAME).is_file():
                links["video"] = f"{base}/{VIDEO_NAME}"
        fraction = None
        if job.status == "done":
            fraction = 1.0
        elif job.status == "running" and job.frames_total:
            fraction = round(min(job.frames_done / job.frames_total, 1.0), 4)
        return {
            "id": job.id, "status": job.status, "exercise": job.exercise, "filename": job.filename,
            "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at),
            "queue_position": store.queue_position(job) if job.status == "queued" else None,
            "attempts": job.attempts,
            "progress": {"stage": job.stage, "frames_done": job.frames_done, "frames_total": job.frames_total,
                         "fraction": fraction},
            "error": job.error, "headline": job.headline, "summary": job.summary, "links": links,
        }

    def artefact(job_id: str, name: str) -> Path:
        job = find(job_id)
        if job.status != "done" or not job.result_dir:
            why = f"failed: {job.error}" if job.status == "failed" else f"is {job.status}; it is ready when done"
            raise ApiError(409, "not_ready", f"job {job.id} {why}")
        path = job_dir(config.data_dir, job.id) / job.result_dir / name
        if not path.is_file():
            raise ApiError(404, "not_found", f"job {job.id} has no {name}")
        return path

    @app.post("/api/jobs", status_code=202, response_model=JobStatus, tags=["jobs"], summary="Upload a video",
              openapi_extra=_UPLOAD_BODY,
              responses={**_ERRORS, 413: {"model": ErrorBody, "description": "Over --max-upload-mb"},
                         415: {"model": ErrorBody, "description": "Not a video (by content) or not multipart"},
                         422: {"model": ErrorBody, "description": "No file, an empty file, or an unknown exercise"},
                         507: {"model": ErrorBody, "description": "Over --max-disk-gb with unfinished jobs"}})
    async def create_job(request: Request):
        """Store the video and queue a job; 202 with its status. Answers 303 to the job's page when a browser form
        (Accept: text/html) posts it."""
        upload = await receive_upload(dict(request.headers), request.stream(), config.incoming_dir,
                                      config.max_upload_bytes)
        try:
            exercise = (upload.fields.get("exercise") or "auto").strip().lower()
            try:
                check_exercise(exercise)
            except ValueError as exc:
                raise ApiError(422, "unknown_exercise", str(exc)) from None
            if not await run_in_threadpool(room_for, store, config, upload.size_bytes):
                raise ApiError(507, "disk_full", "the server's disk limit (--max-disk-gb) is taken by jobs still to "
                                                 "run; try again later")
            job_id = new_job_id()
            folder = job_dir(config.data_dir, job_id)
            folder.mkdir(parents=True)
            input_name = "input" + upload.container.extension
            os.replace(upload.path, folder / input_name)
            job = await run_in_threadpool(store.create, job_id, exercise=exercise, filename=upload.filename,
                                          input_name=input_name, media_type=upload.container.media_type,
                                          size_bytes=upload.size_bytes)
        finally:
            upload.path.unlink(missing_ok=True)  # still there only when the job was not created
        accept = request.headers.get("accept", "")
        if "text/html" in accept and "application/json" not in accept:
            return RedirectResponse(f"/jobs/{job.id}", status_code=303)
        body = await run_in_threadpool(status_of, job)
        return JSONResponse(body, status_code=202, headers={"Location": f"/api/jobs/{job.id}"})

    @app.get("/api/jobs", response_model=JobList, tags=["jobs"], summary="Recent jobs", responses=_ERRORS)
    def list_jobs(limit: int = 50):
        """The newest jobs first (limit 1 to 500)."""
        if not 1 <= limit <= 500:
            raise ApiError(422, "invalid_request", "limit: from 1 to 500")
        return {"jobs": [status_of(job) for job in store.recent(limit)]}

    @app.get("/api/jobs/{job_id}", response_model=JobStatus, tags=["jobs"], summary="A job's status and progress",
             responses=_ERRORS)
    def get_job(job_id: str):
        return status_of(find(job_id))

    @app.get("/api/jobs/{job_id}/report", tags=["jobs"], summary="The report JSON",
             responses={**_ERRORS, 409: {"model": ErrorBody, "description": "Not done yet, or failed"},
                        200: {"description": "formcheck's report.json (schema_version 1; see the README)",
                              "content": {"application/json": {}}}})
    def get_report(job_id: str):
        return FileResponse(artefact(job_id, JSON_NAME), media_type="application/json")

    @app.get(f"/api/jobs/{{job_id}}/{HTML_NAME}", tags=["artefacts"], summary="The HTML report",
             response_class=HTMLResponse, responses={**_ERRORS, 409: {"model": ErrorBody}})
    def get_html(job_id: str):
        return FileResponse(artefact(job_id, HTML_NAME), media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": REPORT_CSP})

    @app.get(f"/api/jobs/{{job_id}}/{VIDEO_NAME}", tags=["artefacts"], summary="The annotated video (H.264 mp4)",
             response_class=FileResponse,
             responses={**_ERRORS, 409: {"model": ErrorBody}, 200: {"content": {"video/mp4": {}}}})
    def get_video(job_id: str):
        return FileResponse(artefact(job_id, VIDEO_NAME), media_type="video/mp4")

    @app.get(f"/api/jobs/{{job_id}}/{TRACK_NAME}", tags=["artefacts"], summary="The pose track (.npz)",
             response_class=FileResponse,
             responses={**_ERRORS, 409: {"model": ErrorBody}, 200: {"content": {"application/octet-stream": {}}}})
    def get_track(job_id: str):
        return FileResponse(artefact(job_id, TRACK_NAME), media_type="application/octet-stream",
                            filename=TRACK_NAME)

    # ---- pages ----------------------------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def upload_page():
        return pages.upload_page(store.recent(20), max_upload_bytes=config.max_upload_bytes)

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def job_page(job_id: str):
        job = store.get(job_id)
        if job is None:
            return HTMLResponse(pages.not_found_page("No such job: it may have been deleted as old."), status_code=404)
        return pages.job_page(job)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        form = await request.form()
        next_path = _local_path(str(form.get("next") or "/"))
        given = str(form.get("token") or "")
        if not config.token or hmac.compare_digest(given.encode(), config.token.encode()):
            response = RedirectResponse(next_path, status_code=303)
            if config.token:
                _set_cookie(response, config.token)
            return response
        return HTMLResponse(pages.login_page(next_path=next_path, wrong=True), status_code=401)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def _local_path(text: str) -> str:
    """A redirect target on this server only (a path, never another host)."""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="strict", path="/")


class TokenGate:
    """Every request needs the token: `Authorization: Bearer TOKEN` or the cookie the login form sets (pages, and the
    report's frame and video inside them, send it by themselves). A page opened as /PATH?token=TOKEN sets the cookie
    and comes back without it. Otherwise: 401, JSON for /api and /openapi.json, the token form for pages. Checked
    before the body is read, so a refused upload is not received."""

    def __init__(self, app, token: str):
        self.app = app
        self.token = token.encode()

    def _matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        path = request.url.path
        if path == "/login" and request.method == "POST":
            return await self.app(scope, receive, send)
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() == "bearer" and self._matches(given.strip()):
            return await self.app(scope, receive, send)
        cookie = request.cookies.get(COOKIE)
        if cookie is not None and self._matches(cookie):
            return await self.app(scope, receive, send)
        query_token = request.query_params.get("token")
        if query_token is not None and self._matches(query_token) and request.method == "GET":
            rest = urllib.parse.urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            response = RedirectResponse(path + (f"?{rest}" if rest else ""), status_code=303)
            _set_cookie(response, self.token.decode())
            return await response(scope, receive, send)
        wrong = bool(auth or cookie or query_token)
        if path.startswith("/api/") or path == "/openapi.json":
            detail = ("wrong token" if wrong else "this server needs a token") + ": send Authorization: Bearer TOKEN"
            response = JSONResponse({"error": "unauthorized", "detail": detail}, status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer realm="formcheck"', "Connection": "close"})
        else:
            response = HTMLResponse(pages.login_page(next_path=_local_path(path), wrong=wrong), status_code=401)
        return await response(scope, receive, send)


def _document_bearer(app: FastAPI) -> None:
    """OpenAPI: every operation wants the bearer token (so /docs offers 'Authorize')."""
    build = app.openapi

    def openapi():
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
                "type": "http", "scheme": "bearer"}
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
