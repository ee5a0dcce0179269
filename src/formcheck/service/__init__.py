"""formcheck as a web service (`formcheck serve`): people upload a video and get the report in the browser.

    config.py   ServiceConfig: the options of `formcheck serve`
    server.py   serve(config): lock the data folder, requeue what a previous run left running, workers, uvicorn
    app.py      the FastAPI app: JSON API under /api (docs at /docs), the pages, the optional bearer token
    uploads.py  multipart uploads streamed to a server-named file, limited and sniffed while they arrive
    sniff.py    what a file is, from its first bytes
    store.py    the jobs table (SQLite, WAL): queued -> running -> done | failed, claims that survive kill -9
    worker.py   a worker process: one PoseEstimator, jobs through formcheck.analyze and write_outputs
    workers.py  starts, watches and restarts the worker processes; periodic clean-up
    cleanup.py  old jobs deleted by age (--keep-days) and disk (--max-disk-gb)
    pages.py    the HTML pages

Needs the `web` extra (fastapi, uvicorn, python-multipart, fastapi-offline).
"""
from formcheck.service.config import ServiceConfig

__all__ = ["ServiceConfig", "serve", "create_app", "require_web_extra"]

WEB_MODULES = ("fastapi", "uvicorn", "python_multipart", "fastapi_offline")


def require_web_extra() -> None:
    """ValueError, naming the install command, when a package of the `web` extra is missing."""
    import importlib

    for module in WEB_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            raise ValueError(f"formcheck serve needs the web extra ({module} is not installed): "
                             "pip install 'formcheck[web]'") from None


def __getattr__(name: str):
    if name == "serve":
        from formcheck.service.server import serve

        return serve
    if name == "create_app":
        from formcheck.service.app import create_app

        return create_app
    raise AttributeError(f"module 'formcheck.service' has no attribute {name!r}")
