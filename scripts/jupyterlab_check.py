"""Open notebooks in a real JupyterLab and run them there, driven by headless Chromium through Playwright.

Called by scripts/jupyterlab_check.sh (which sets up .venv, runs this without network when it can, and kills what is
left behind); run that. Per notebook: JupyterLab opens it the way a person would (its URL), the check waits for the
kernel, runs the cells one by one through JupyterLab's own "Run Selected Cell" command (the cells nbdev_test skips
stay unrun, see `cells_to_skip`), and then asserts on what JupyterLab shows: no dialog ever appeared (e.g. "Select
Kernel", which a notebook without a kernelspec raises, or "Kernel Restarting" when the kernel dies), every run cell
has an execution count, no error output, no library warning that shows the reader a machine path (a Python warning
raised in site-packages, e.g. tqdm's IProgress warning when ipywidgets is missing), each figure the kernel sent is rendered as a decoded <img>, and the figures,
fastprogress bars and docments tables a notebook is known to show (`EXPECT`) are there. It prints one line per
notebook, saves screenshots of each (the whole notebook, in images up to 16,000 px high), and exits 1 on any failure.
"""
import argparse, json, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / 'nbs'
# --fast (scripts/test.sh): three quick notebooks that together show figures and DataFrames (01_canvases), docments
# tables (all three) and a skipped cell (11_dist's nbdev_export); about 80 s on 2 busy CPU cores, JupyterLab included.
FAST = ['01_canvases.ipynb', '11_dist.ipynb', '29_showdoc.ipynb']
# What a notebook is known to show, at least: figures (decoded <img> in outputs), cells that showed a fastprogress bar
# (a <progress> element, seen while the cell ran: the trainer's bars use leave=False and vanish at the end) and
# tables in markdown outputs (show_doc's docments tables). Every notebook must show no dialog and no error, and every
# figure its kernel sends must render; lower a number here when a notebook shows less on purpose. 01_canvases shows two
# more figures with Debian's dataset-fashion-mnist installed (its cells test the same path).
FASHION = any(Path('/usr/share/datasets/fashion-mnist', f).exists() for f in ('t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte'))
EXPECT = {
    '01_canvases.ipynb':     dict(images=4 if FASHION else 2, tables=12),
    '11_dist.ipynb':    dict(tables=3),
    '23_gradcam.ipynb':  dict(images=2),
    '16_report.ipynb':   dict(images=1, tables=4),
    '24_embedding.ipynb': dict(images=1),
    '25_topology.ipynb': dict(images=1),
    '26_uncertainty.ipynb': dict(images=1),
    '29_showdoc.ipynb':  dict(tables=2),
}
SHOT_MAX_H = 16000   # px; Chromium cannot capture much more in one image

def cells_to_skip(path):
    """Indices of the cells nbdev_test would not run (nbdev.test.test_nb's rule, with nbdev's own directive parser):
    markdown/raw cells, cells that call nbdev_export(, `#| eval: false`, and cells flagged with a `tst_flags` flag of
    settings.ini (`slow`, `gpu`). Those must not run here either: `#| slow` cells take many minutes and `#| gpu` cells
    need a GPU. That is why the check runs cell by cell instead of "Run All Cells" (which has no way to leave cells
    out); the skipped cells are reported, and the notebook is skipped whole when its front matter says skip_exec."""
    from nbdev.config import get_config
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor, nb_lang
    from fastcore.basics import str2bool
    flags = set(get_config().tst_flags.split())
    nb = NBProcessor(path, rm_directives=False).nb                 # directives_ per cell, sources untouched
    fm = getattr(NBProcessor(path, procs=FrontmatterProc, process=True).nb, 'frontmatter_', {}) or {}
    if str2bool(fm.get('skip_exec', False)) or nb_lang(nb) != 'python': return None, [c.source for c in nb.cells]
    def no_eval(c):
        if c.cell_type != 'code': return True
        if 'nbdev_export' + '(' in c.source: return True
        direc = getattr(c, 'directives_', {}) or {}
        if direc.get('eval:', [''])[0].lower() == 'false': return True
        return bool(flags & direc.keys())
    return {i for i, c in enumerate(nb.cells) if no_eval(c)}, [c.source for c in nb.cells]

# Runs in every page before JupyterLab's own scripts: remembers every dialog that was ever shown, and every cell in
# which a <progress> element appeared, even if it is gone by the end.
INIT_JS = r"""
window.__dialogs = []; window.__bars = new Set();
new MutationObserver(muts => { for (const m of muts) for (const n of m.addedNodes) {
  if (n.nodeType !== 1) continue;
  for (const d of [n.matches('.jp-Dialog') ? n : null, ...n.querySelectorAll('.jp-Dialog')]) {
    if (d) setTimeout(() => window.__dialogs.push((d.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 200) || 'a dialog'), 300);
  }
  for (const p of [n.matches('progress') ? n : null, ...n.querySelectorAll('progress')]) {
    const cell = p && p.closest('.jp-Cell'); if (cell) window.__bars.add(cell);
  }
}}).observe(document, {childList: true, subtree: true});
window.__panel = path => {
  const app = window.jupyterapp; if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) if (w.context && w.context.path === path && w.content && w.content.widgets) return w;
  return null;
};
"""

STATE_JS = """path => { const p = window.__panel(path);
  if (document.querySelector('.jp-Dialog') || window.__dialogs.length) return 'dialog';
  if (!p || !p.context.isReady || !p.sessionContext.isReady) return null;
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  return k && k.status === 'idle' && k.connectionStatus === 'connected' ? 'ready' : null; }"""

IDLE_JS = """path => { const p = window.__panel(path); const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""

RUN_JS = """([path, i]) => { const p = window.__panel(path); const nb = p.content;
  nb.activeCellIndex = i; nb.deselectAll(); window.__run = null;
  window.jupyterapp.commands.execute('notebook:run-cell')
    .then(r => { window.__run = {ok: r !== false}; }, e => { window.__run = {ok: false, err: String(e)}; }); }"""

CELLS_JS = """path => window.__panel(path).content.widgets.map((c, i) => {
  const outs = c.model.type === 'code' ? c.model.outputs.toJSON() : [];
  const imgs = [...c.node.querySelectorAll('.jp-OutputArea-output img')];
  return {type: c.model.type, source: c.model.sharedModel.getSource(),
    count: c.model.type === 'code' ? c.model.executionCount : null,
    errors: outs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${String(o.evalue).slice(0, 200)}`),
    warnings: outs.filter(o => o.output_type === 'stream' && o.name === 'stderr' && /site-packages\/\S+\.py:\d+: \w*Warning/.test(String(o.text)))
                  .map(o => String(o.text).trim().slice(0, 200)),
    kernel_images: outs.filter(o => Object.keys(o.data || {}).some(m => m.startsWith('image/'))).length,
    images: imgs.filter(im => im.complete && im.naturalWidth > 0).length,
    tables: c.node.querySelectorAll('.jp-OutputArea .jp-RenderedMarkdown table').length,
    bar: window.__bars.has(c.node)}; })"""

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def resolve(arg, cwd='.'):
    for p in (Path(cwd) / arg, NBS / arg, NBS / f'{arg}.ipynb'):
        if p.is_file() and p.suffix == '.ipynb': return Path(os.path.abspath(p))   # not resolve(): nbs/index.ipynb is a link
    sys.exit(f"[jupyterlab] no notebook {arg!r} (give a path, or a name in nbs/ such as 07_metrics)")

def lab_settings(d):
    "JupyterLab user settings for the check: every cell in the DOM, no autosave (the run must not write the notebook), no news."
    for plugin, s in {'notebook-extension/tracker': {'windowingMode': 'none'},
                      'docmanager-extension/plugin': {'autosave': False},
                      'apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False}}.items():
        f = d / '@jupyterlab' / f'{plugin}.jupyterlab-settings'
        f.parent.mkdir(parents=True, exist_ok=True); f.write_text(json.dumps(s))

class Lab:
    "A JupyterLab server on 127.0.0.1, a free port and a random token, with `root` as its root; stopped by `stop`."
    def __init__(self, root, tmp, state=None):
        self.tmp, self.state, self.proc, self.log = tmp, state, None, tmp / 'jupyterlab.log'
        env = {k: v for k, v in os.environ.items() if k != 'MPLBACKEND'}   # figures inline, not Agg (test.sh sets Agg)
        for k, sub in [('JUPYTERLAB_SETTINGS_DIR', 'settings'), ('JUPYTERLAB_WORKSPACES_DIR', 'workspaces'),
                       ('JUPYTER_RUNTIME_DIR', 'runtime'), ('JUPYTER_CONFIG_DIR', 'config'), ('IPYTHONDIR', 'ipython')]:
            env[k] = str(tmp / sub); (tmp / sub).mkdir(exist_ok=True)
        lab_settings(tmp / 'settings')
        self.token = secrets.token_hex(24)
        for attempt in range(3):                                         # the free port may be taken meanwhile
            self.port = free_port()
            self.base = f'http://127.0.0.1:{self.port}'
            cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={self.port}',
                   '--ServerApp.port_retries=0', f'--ServerApp.root_dir={root}', f'--IdentityProvider.token={self.token}',
                   '--ServerApp.terminals_enabled=False', '--LabApp.expose_app_in_browser=True', '--LabApp.news_url=None',
                   '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--NotebookNotary.db_file=:memory:']
            if os.geteuid() == 0: cmd.append('--allow-root')
            with open(self.log, 'ab') as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                             cwd=root, start_new_session=True)
            if self.state: (Path(self.state) / 'server.pid').write_text(str(self.proc.pid))
            t0 = time.time()
            while time.time() - t0 < 120 and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(f'{self.base}/api/status?token={self.token}', timeout=5) as r:
                        if r.status == 200: return
                except OSError: time.sleep(0.5)
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; its log ends with:\n{self.log_tail()}")

    def log_tail(self, n=15): return '\n'.join(self.log.read_text(errors='replace').splitlines()[-n:]) if self.log.exists() else ''

    def kernel_pids(self):
        "The server's child processes: its kernels (jupyter_client starts them in sessions of their own)."
        r = subprocess.run(['ps', '-o', 'pid=', '--ppid', str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in r.stdout.split()]

    def stop(self):
        if self.proc is None or self.proc.poll() is not None: return
        kids = self.kernel_pids()
        try: os.killpg(self.proc.pid, signal.SIGTERM)                     # the server shuts its kernels down
        except ProcessLookupError: pass
        try: self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait()
        for pid in kids:                                                  # kernels it could not shut down
            try: os.kill(pid, signal.SIGKILL)
            except ProcessLookupError: pass

SCROLLER = '.jp-NotebookPanel .jp-WindowedPanel-outer'                # the notebook's scrolling element

CONTENT_H = f"""() => {{ const e = document.querySelector('{SCROLLER}'), cells = e.querySelectorAll('.jp-Cell');
  const last = cells[cells.length - 1]; if (!last) return 0;   // the cells' height, without JupyterLab's scroll-past-end padding
  return last.getBoundingClientRect().bottom - e.getBoundingClientRect().top + e.scrollTop + 20; }}"""

def screenshots(page, stem):
    "The whole notebook: the page as tall as the notebook (up to SHOT_MAX_H px), one image per screenful (stem.png, stem-2.png, ...)."
    page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }")
    chrome = page.evaluate(f"() => window.innerHeight - document.querySelector('{SCROLLER}').clientHeight")   # menus, bars
    page.set_viewport_size({'width': 1280, 'height': max(600, min(SHOT_MAX_H, int(page.evaluate(CONTENT_H) + chrome) + 10))})
    page.wait_for_timeout(300)
    h, view = page.evaluate(CONTENT_H), page.evaluate(f"() => document.querySelector('{SCROLLER}').clientHeight")
    for k in range(1, 100):
        page.evaluate(f"top => {{ document.querySelector('{SCROLLER}').scrollTop = top; }}", (k - 1) * view)
        page.wait_for_timeout(800)
        page.screenshot(path=f"{stem}{'' if k == 1 else f'-{k}'}.png")
        if k * view >= h: break

def check_notebook(ctx, lab, root, path, shots, cell_timeout):
    rel = path.relative_to(root).as_posix()
    res = dict(name=rel, ok=False, secs=0., open=0., run=0, skipped=0, images=0, bars=0, tables=0, problems=[])
    prob = res['problems'].append
    skip, file_sources = cells_to_skip(path)
    if skip is None: res.update(ok=True, note='skip_exec'); return res
    before, t0 = path.read_bytes(), time.time()
    outside, page_errors = [], []
    page = ctx.new_page()
    page.on('pageerror', lambda e: page_errors.append(str(e)[:200]))
    def route(r):
        u = urlparse(r.request.url)
        if u.scheme in ('data', 'blob') or u.hostname in ('127.0.0.1', 'localhost'): return r.continue_()
        outside.append(r.request.url); return r.abort()
    page.route('**/*', route)
    try:
        page.goto(f'{lab.base}/lab/tree/{quote(rel)}?reset&token={lab.token}', wait_until='domcontentloaded', timeout=120_000)
        state = page.wait_for_function(STATE_JS, arg=rel, timeout=180_000, polling=250).json_value()
        res['open'] = time.time() - t0
        cells = page.evaluate(CELLS_JS, rel)
        if state != 'ready': pass
        elif len(cells) != len(file_sources) or any(c['source'] != s for c, s in zip(cells, file_sources)):
            prob(f"JupyterLab shows {len(cells)} cells that differ from the file's {len(file_sources)}")
        else:
            for i, c in enumerate(cells):
                if c['type'] != 'code': continue
                if i in skip: res['skipped'] += 1; continue
                page.evaluate(RUN_JS, [rel, i])
                try: done = page.wait_for_function('() => window.__run', timeout=cell_timeout * 1000, polling=200).json_value()
                except Exception:
                    prob(f"cell {i} did not finish in {cell_timeout} s (interrupted)")
                    page.evaluate("path => window.__panel(path).sessionContext.session.kernel.interrupt()", rel); break
                if page.evaluate('() => window.__dialogs.length || !!document.querySelector(".jp-Dialog")'): break
                if not done['ok']: break                                 # the error is reported below, from the outputs
            page.wait_for_function(IDLE_JS, arg=rel, timeout=60_000, polling=250)
            page.wait_for_function("() => [...document.querySelectorAll('.jp-OutputArea-output img')].every(i => i.complete)",
                                   timeout=30_000)
            cells = page.evaluate(CELLS_JS, rel)
        page.wait_for_timeout(400)                                       # a dialog is recorded 300 ms after it appears
        for d in page.evaluate('() => window.__dialogs'): prob(f'dialog "{d}"')
        code = [i for i, c in enumerate(cells) if c['type'] == 'code' and i not in skip]
        res['run'] = sum(cells[i]['count'] is not None for i in code)
        res['images'] = sum(c['images'] for c in cells)
        res['tables'] = sum(c['tables'] for c in cells)
        res['bars'] = sum(c['bar'] for c in cells)
        for i, c in enumerate(cells):
            for e in c['errors']: prob(f"cell {i}: {e}")
            for w in c['warnings']: prob(f"cell {i}: a library warning with a machine path: {w}")
            if c['images'] < c['kernel_images']: prob(f"cell {i}: {c['kernel_images']} figures from the kernel, {c['images']} rendered")
        if state == 'ready' and res['run'] < len(code):
            prob(f"{len(code) - res['run']} of {len(code)} code cells not run (first: cell {next(i for i in code if cells[i]['count'] is None)})")
        for k, n in EXPECT.get(path.name, {}).items():
            if res[k] < n: prob(f"{res[k]} {'doc tables' if k == 'tables' else k}, expected at least {n}")
        if outside: prob(f"{len(outside)} requests outside 127.0.0.1, e.g. {outside[0]}")
        if shots: screenshots(page, Path(shots) / path.stem)
    except Exception as e:
        prob(f"{type(e).__name__}: {str(e).splitlines()[0][:300]}")
    finally:
        try: page.evaluate("path => { const p = window.__panel(path); return p && Promise.race([p.sessionContext.shutdown(), new Promise(r => setTimeout(r, 10000))]); }", rel)
        except Exception: pass
        page.close()
        if path.read_bytes() != before:                                  # autosave is off; never leave outputs behind
            path.write_bytes(before); prob("JupyterLab wrote the notebook (restored)")
    if res['problems'] and page_errors: res['problems'].append(f"page errors: {page_errors[:2]}")
    res['secs'] = time.time() - t0
    res['ok'] = not res['problems']
    return res

def main():
    ap = argparse.ArgumentParser(description='Run notebooks in JupyterLab through headless Chromium')
    ap.add_argument('notebooks', nargs='*', help='notebooks (paths, or names in nbs/); default every nbs/[0-9]*.ipynb')
    ap.add_argument('--fast', action='store_true', help=f"only {', '.join(FAST)} (what scripts/test.sh runs)")
    ap.add_argument('--shots', help='folder for the screenshots (default: a new temporary folder)')
    ap.add_argument('--cell-timeout', type=int, default=900, help='seconds one cell may run (default 900)')
    ap.add_argument('--state', help=argparse.SUPPRESS)               # scripts/jupyterlab_check.sh's folder for the server pid
    ap.add_argument('--cwd', default='.', help=argparse.SUPPRESS)    # the caller's folder (setup.sh changes to the root)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))           # stop JupyterLab and Chromium on the way out
    if a.fast and a.notebooks: ap.error('give notebooks or --fast, not both')
    nbs = [resolve(n, a.cwd) for n in (FAST if a.fast else a.notebooks)] or sorted(NBS.glob('[0-9]*.ipynb'))
    root = Path(os.path.commonpath([p.parent for p in nbs]))
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if not exe: sys.exit("[jupyterlab] no chromium: install Debian's chromium (apt-get install chromium)")
    try: from playwright.sync_api import sync_playwright
    except ImportError: sys.exit("[jupyterlab] no playwright: pip install playwright (in settings.ini's dev_requirements)")
    shots = Path(a.shots or tempfile.mkdtemp(prefix='probmcl-jupyterlab-shots-')); shots.mkdir(parents=True, exist_ok=True)
    results, t_all = [], time.time()
    with tempfile.TemporaryDirectory(prefix='probmcl-jupyterlab-') as tmp:
        lab = None
        try:
            lab = Lab(root, Path(tmp), a.state)
            print(f"[jupyterlab] JupyterLab on 127.0.0.1:{lab.port} (root {root}), {len(nbs)} notebooks, Chromium {exe}", flush=True)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=exe, headless=True,
                                             args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'])
                ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
                ctx.add_init_script(INIT_JS)
                for p in nbs:
                    r = check_notebook(ctx, lab, root, p, shots, a.cell_timeout)
                    results.append(r)
                    print(f"[jupyterlab] {r['name']:<28} {'PASS' if r['ok'] else 'FAIL'} {r['secs']:6.1f}s (open {r['open']:4.1f}s)  "
                          f"{r['run']:3d} cells run, "
                          f"{r['skipped']} skipped  {r['images']} images  {r['bars']} bars  {r['tables']} doc tables"
                          + (f"  ({r['note']})" if r.get('note') else '')
                          + ''.join(f"\n    {m}" for m in r['problems']), flush=True)
                browser.close()
        except Exception as e:
            print(f"[jupyterlab] FAILED: {type(e).__name__}: {e}", flush=True)
            if lab: print(lab.log_tail())
            results.append(dict(ok=False))
        finally:
            if lab: lab.stop()
    failed = sum(not r['ok'] for r in results)
    print(f"[jupyterlab] {len(results) - failed} passed, {failed} failed in {time.time() - t_all:.0f}s; screenshots in {shots}")
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
