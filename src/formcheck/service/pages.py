"""The service's HTML pages: upload (with the recent jobs), a job's page, the token form, not found.

Plain HTML with a little inline script, no external resources, usable from 320 px wide. The job page asks the JSON
API for its status every second and, once done, shows the report formcheck writes for every analysis
(report.html: summary, findings, key frames, the annotated video, plots) in a frame of its own; the frame's links
(the annotated video beside the report) resolve under /api/jobs/{id}/. Everything a client sent is escaped.
"""
from __future__ import annotations

import html
import json
from datetime import datetime, timezone

from formcheck.exercises import EXERCISE_WORDS, EXERCISES
from formcheck.service.store import Job

CSS = """
:root { --ink:#1d2330; --muted:#5b6473; --line:#e3e6eb; --bg:#f6f7f9; --card:#fff; --accent:#0b6bcb;
        --fault:#c62828; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 16px; }
nav { display:flex; gap:16px; align-items:baseline; padding: 4px 2px 12px; }
nav .brand { font-weight: 700; font-size: 20px; color: var(--ink); text-decoration: none; }
nav a { color: var(--accent); }
section { background: var(--card); border-radius: 12px; padding: 18px 22px; margin-bottom: 16px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h1 { font-size: 22px; margin: 0 0 12px; } h2 { font-size: 18px; margin: 0 0 10px; }
.muted { color: var(--muted); } .small { font-size: 14px; }
.drop { display:block; border: 2px dashed #b8c0cc; border-radius: 12px; padding: 26px 16px; text-align:center;
        cursor:pointer; background:#fafbfc; }
.drop.over { border-color: var(--accent); background:#eef5fd; }
.drop strong { display:block; font-size: 18px; margin-bottom: 4px; }
.drop input { display:block; margin: 12px auto 0; max-width: 100%; }
.row { display:flex; flex-wrap:wrap; gap: 12px; align-items:center; margin-top: 14px; }
label.field { display:flex; gap:8px; align-items:center; }
select, button, .button { font: inherit; padding: 10px 14px; border-radius: 8px; border: 1px solid #b8c0cc; background:#fff; }
button.primary, .button.primary { background: var(--accent); color: #fff; border-color: var(--accent); font-weight: 600; cursor:pointer; }
button:disabled { opacity: .5; cursor: default; }
.button { text-decoration: none; color: var(--ink); display:inline-block; }
.record { display:inline-flex; gap:8px; align-items:center; cursor:pointer; }
.record input { position:absolute; left:-9999px; }
progress { width: 100%; height: 18px; }
.error { color: var(--fault); font-weight: 600; }
.status { display:inline-block; font-size: 13px; font-weight: 700; padding: 2px 10px; border-radius: 10px; color:#fff;
          background: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.status.running { background: var(--accent); } .status.done { background: var(--ok); } .status.failed { background: var(--fault); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align:left; padding: 7px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
td.name { word-break: break-word; }
.downloads { display:flex; flex-wrap:wrap; gap: 8px 16px; margin: 10px 0 0; padding:0; list-style:none; }
iframe.report { width: 100%; border: 0; display:block; min-height: 600px; background: var(--bg); }
.headline { font-size: 19px; font-weight: 600; margin: 8px 0 4px; }
@media (max-width: 600px) {
  main { padding: 8px; } section { padding: 14px; border-radius: 8px; }
  table.jobs th.when, table.jobs td.when, table.jobs th.exercise, table.jobs td.exercise { display:none; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def when(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _page(title: str, body: str, *, script: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        '<nav><a class="brand" href="/">formcheck</a><a href="/#recent">Recent jobs</a><a href="/docs">API</a></nav>'
        f"{body}</main>{f'<script>{script}</script>' if script else ''}</body></html>\n"
    )


def _exercise_words(name: str) -> str:
    return "auto" if name == "auto" else EXERCISE_WORDS.get(name, name)


def jobs_table(jobs: list[Job]) -> str:
    if not jobs:
        return '<p class="muted">No jobs yet.</p>'
    rows = []
    for j in jobs:
        note = ""
        if j.status == "done" and j.headline:
            note = f'<br><span class="small">{_e(j.headline)}</span>'
        elif j.status == "failed" and j.error:
            note = f'<br><span class="small error">{_e(j.error)}</span>'
        rows.append(
            f'<tr><td class="name"><a href="/jobs/{_e(j.id)}">{_e(j.filename)}</a>{note}</td>'
            f'<td class="exercise">{_e(_exercise_words(j.exercise))}</td>'
            f'<td><span class="status {_e(j.status)}">{_e(j.status)}</span></td>'
            f'<td class="when">{_e(when(j.created_at))}</td></tr>'
        )
    return ('<table class="jobs"><thead><tr><th>Video</th><th class="exercise">Exercise</th><th>Status</th>'
            f'<th class="when">Uploaded</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def upload_page(recent: list[Job], *, max_upload_bytes: int) -> str:
    options = "".join(f'<option value="{_e(name)}">{_e(EXERCISE_WORDS[name])}</option>' for name in EXERCISES)
    body = f"""
<section>
  <h1>Check your form</h1>
  <p class="muted">Upload a video of a glute bridge, hip thrust, squat or walk. formcheck finds your pose, measures hips,
  knees and trunk, and says whether the glutes do the work, with times, angles and pictures.</p>
  <form id="upload" method="post" action="/api/jobs" enctype="multipart/form-data">
    <label class="drop" id="drop" for="file">
      <strong>Drop a video here</strong>
      <span class="muted small">or choose one (up to {max_upload_bytes / 1e6:g} MB)</span>
      <input id="file" name="file" type="file" accept="video/*">
    </label>
    <div class="row">
      <label class="button record" for="record">&#9679; Record a video<input id="record" type="file" accept="video/*" capture="environment"></label>
      <span class="muted small" id="chosen">No video chosen.</span>
    </div>
    <div class="row">
      <label class="field" for="exercise">Exercise
        <select id="exercise" name="exercise"><option value="auto" selected>Detect it (auto)</option>{options}</select>
      </label>
      <button class="primary" id="send" type="submit" disabled>Upload and check</button>
    </div>
    <div id="sending" hidden><p class="small muted" id="sent">Uploading…</p><progress id="bar" max="1" value="0"></progress></div>
    <p class="error" id="problem" role="alert"></p>
  </form>
</section>
<section id="recent"><h2>Recent jobs</h2>{jobs_table(recent)}</section>
"""
    script = """
const limit = %d;
const form = document.getElementById('upload'), drop = document.getElementById('drop');
const picker = document.getElementById('file'), record = document.getElementById('record');
const send = document.getElementById('send'), chosen = document.getElementById('chosen');
const problem = document.getElementById('problem');
let video = null;
function choose(file) {
  problem.textContent = '';
  video = file || null;
  if (!video) { chosen.textContent = 'No video chosen.'; send.disabled = true; return; }
  chosen.textContent = video.name + ' (' + (video.size / 1e6).toFixed(1) + ' MB)';
  if (video.size > limit) { problem.textContent = 'This video is over the ' + (limit / 1e6) + ' MB limit; trim it or film a shorter clip.'; send.disabled = true; return; }
  send.disabled = false;
}
picker.addEventListener('change', () => choose(picker.files[0]));
record.addEventListener('change', () => choose(record.files[0]));
['dragenter', 'dragover'].forEach(e => drop.addEventListener(e, ev => { ev.preventDefault(); drop.classList.add('over'); }));
['dragleave', 'drop'].forEach(e => drop.addEventListener(e, ev => { ev.preventDefault(); drop.classList.remove('over'); }));
drop.addEventListener('drop', ev => { if (ev.dataTransfer.files.length) choose(ev.dataTransfer.files[0]); });
form.addEventListener('submit', ev => {
  ev.preventDefault();
  if (!video) return;
  const data = new FormData();
  data.append('exercise', document.getElementById('exercise').value);
  data.append('file', video, video.name);
  const xhr = new XMLHttpRequest();
  const bar = document.getElementById('bar'), sent = document.getElementById('sent');
  document.getElementById('sending').hidden = false; send.disabled = true;
  xhr.upload.onprogress = e => { if (e.lengthComputable) { bar.value = e.loaded / e.total;
    sent.textContent = 'Uploading… ' + Math.round(100 * e.loaded / e.total) + '%%'; } };
  xhr.onload = () => {
    let answer = {}; try { answer = JSON.parse(xhr.responseText); } catch (e) {}
    if (xhr.status === 202 && answer.id) { sent.textContent = 'Uploaded.'; location.href = '/jobs/' + answer.id; return; }
    problem.textContent = answer.detail || ('The upload failed (HTTP ' + xhr.status + ').');
    document.getElementById('sending').hidden = true; send.disabled = false;
  };
  xhr.onerror = () => { problem.textContent = 'The upload failed: the connection to the server broke.';
    document.getElementById('sending').hidden = true; send.disabled = false; };
  xhr.open('POST', '/api/jobs');
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.send(data);
});
""" % max_upload_bytes
    return _page("formcheck: upload a video", body, script=script)


def job_page(job: Job) -> str:
    body = f"""
<section id="job" data-status="{_e(job.status)}">
  <p class="muted small">Job {_e(job.id)} · uploaded {_e(when(job.created_at))} · exercise: {_e(_exercise_words(job.exercise))}</p>
  <h1 class="name">{_e(job.filename)}</h1>
  <p><span class="status {_e(job.status)}" id="status">{_e(job.status)}</span> <span id="state" class="muted"></span></p>
  <progress id="progress" max="1" hidden></progress>
  <p class="headline" id="headline" hidden></p>
  <p id="summary" hidden></p>
  <p class="error" id="reason" role="alert" hidden></p>
  <ul class="downloads" id="downloads" hidden></ul>
</section>
<iframe class="report" id="report" title="formcheck report" sandbox="allow-same-origin" hidden></iframe>
"""
    script = """
const id = %s;
const $ = x => document.getElementById(x);
let shown = false;
function fit() {
  const frame = $('report');
  try { frame.style.height = frame.contentDocument.documentElement.scrollHeight + 'px'; } catch (e) {}
}
function show(job) {
  $('job').dataset.status = job.status;
  $('status').textContent = job.status; $('status').className = 'status ' + job.status;
  const p = job.progress, bar = $('progress');
  if (job.status === 'queued') {
    $('state').textContent = job.queue_position > 1 ? (job.queue_position - 1) + ' video(s) ahead in the queue' : 'next in the queue';
    bar.hidden = false; bar.removeAttribute('value');
  } else if (job.status === 'running') {
    bar.hidden = false;
    if (p.fraction !== null) { bar.value = p.fraction; } else { bar.removeAttribute('value'); }
    $('state').textContent = p.stage + (p.frames_total ? ': ' + p.frames_done + ' of ' + p.frames_total + ' frames' : '');
  } else {
    bar.hidden = true; $('state').textContent = '';
  }
  if (job.status === 'failed') { $('reason').hidden = false; $('reason').textContent = job.error; }
  if (job.status === 'done' && !shown) {
    shown = true;
    $('headline').hidden = false; $('headline').textContent = job.headline || '';
    $('summary').hidden = !job.summary; $('summary').textContent = job.summary || '';
    const names = {html: 'Report (HTML)', report: 'Report (JSON)', video: 'Annotated video', track: 'Pose track (.npz)'};
    const list = $('downloads'); list.hidden = false;
    for (const key of ['html', 'report', 'video', 'track']) {
      if (!job.links[key]) continue;
      const li = document.createElement('li'), a = document.createElement('a');
      a.href = job.links[key]; a.textContent = names[key]; li.appendChild(a); list.appendChild(li);
    }
    const frame = $('report');
    frame.addEventListener('load', () => {
      $('headline').hidden = $('summary').hidden = true;  // the report's own header says them
      fit(); frame.contentWindow.addEventListener('resize', fit);
      for (const img of frame.contentDocument.images) img.addEventListener('load', fit);
      const v = frame.contentDocument.querySelector('video'); if (v) v.addEventListener('loadedmetadata', fit); });
    frame.src = job.links.html; frame.hidden = false;
  }
  return job.status === 'queued' || job.status === 'running';
}
async function poll() {
  let again = true;
  try {
    const r = await fetch('/api/jobs/' + id, {headers: {Accept: 'application/json'}, cache: 'no-store'});
    if (r.status === 404) { $('reason').hidden = false; $('reason').textContent = 'This job no longer exists (old jobs are deleted).'; return; }
    if (r.ok) again = show(await r.json());
  } catch (e) { /* the server restarted: try again */ }
  if (again) setTimeout(poll, 1000);
}
window.addEventListener('resize', fit);
poll();
""" % json.dumps(job.id)
    return _page(f"formcheck: {job.filename}", body, script=script)


def login_page(*, next_path: str, wrong: bool) -> str:
    problem = '<p class="error">That token is not right.</p>' if wrong else ""
    body = f"""
<section><h1>This formcheck server needs a token</h1>
<p class="muted">Ask whoever runs it for the token (formcheck serve --token).</p>{problem}
<form method="post" action="/login" class="row">
  <input type="hidden" name="next" value="{_e(next_path)}">
  <input name="token" type="password" autocomplete="current-password" aria-label="token" required
         style="font:inherit;padding:10px;border-radius:8px;border:1px solid #b8c0cc;flex:1;min-width:200px">
  <button class="primary" type="submit">Open</button>
</form></section>"""
    return _page("formcheck: token needed", body)


def not_found_page(what: str) -> str:
    return _page("formcheck: not found", f'<section><h1>Not found</h1><p>{_e(what)}</p>'
                                         '<p><a href="/">Upload a video</a></p></section>')
