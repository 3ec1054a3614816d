"""The documentation site, built from the notebooks with no network, and its checks.

    python scripts/docs.py build [--no-proc]   nbdev's processor (nbs/ -> _proc/), then _docs/src/*.ipynb, then MkDocs -> _site/
    python scripts/docs.py check [--no-browser] checks the built _site/ (see `check` below); exit 1 on any failure
    python scripts/docs.py serve                MkDocs' live preview of _docs/src (after a build)

Why this route and not `nbdev_docs`: nbdev renders with Quarto, a binary that cannot be installed without
downloading it. nbdev's own notebook processor (`nbdev.serve.proc_nbs`, no Quarto) still does the nbdev part:
it runs the `show_doc` cells (signature + docments table as markdown), drops `#| hide` cells and
writes `_proc/`. MkDocs + mkdocs-material + mkdocs-jupyter (all from PyPI) then render those notebooks. What
Quarto would have read is translated here (`convert_notebook`): the YAML front matter becomes the page's
title cell with a link to the source notebook, `#| echo: false` becomes the cell tag `remove_input`, and
Pandoc link attributes in `show_doc`'s markdown become plain HTML links. Math is typeset by MathJax 3, bundled
from the npm registry by the set-up of `scripts/docs.sh` and copied into the site, so pages load nothing
from outside.
"""
import argparse, configparser, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, PROC, BUILD, SITE = ROOT / 'nbs', ROOT / '_proc', ROOT / '_docs', ROOT / '_site'
SRC = BUILD / 'src'
MATHJAX = ROOT / '.venv' / 'share' / 'mathjax-3.2.2'   # unpacked npm tarball (set up by scripts/docs.sh)
CFG = configparser.ConfigParser(); CFG.read(ROOT / 'settings.ini'); CFG = CFG['DEFAULT']
GIT_URL, BRANCH = CFG['git_url'], CFG.get('branch', 'main')

def notebooks():
    "Every notebook under nbs/ in reading order: the landing page, the numbered modules, then the tutorials."
    nbs = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
    key = lambda p: (p.stem != 'index', p.stem.startswith('tutorial.'), p.stem)
    return sorted(nbs, key=key)

def front_matter(nb):
    "The YAML front matter nbdev's processor put in a raw first cell, as a dict (title, description, output-file)."
    import yaml
    for c in nb['cells']:
        if c['cell_type'] == 'raw' and ''.join(c['source']).lstrip().startswith('---'):
            return yaml.safe_load(''.join(c['source']).strip().strip('-')) or {}
    return {}

def page_name(fm, nb_path):
    "The page's file name: nbdev's `output-file` (so nbdev's doc links, e.g. losses.html#pcl_loss, stay valid)."
    return fm.get('output-file', nb_path.stem + '.html')

_PANDOC_LINK = re.compile(r'\[([^\]]+)\]\(([^)\s]+)\)\{[^}]*\}')   # [source](url){target="_blank" style=...}
_NB_LINK = re.compile(r'\]\((?:nbs/)?([\w.]+)\.ipynb(#[^)]*)?\)')  # ](06_losses.ipynb#anchor), ](nbs/06_losses.ipynb)

DOC_URL = f"{CFG['doc_host']}{CFG['doc_baseurl']}/"                 # where nbdev's doc links point (the deployed site)
_LINKED_CODE = re.compile(r'\[(`[^`]+`)\]\([^)]*\)')                  # [`name`](url): a doc link nbdev added

def _toc_id(heading):
    "The id Python-Markdown's table of contents gives a heading line."
    import markdown
    m = markdown.Markdown(extensions=['toc']); m.convert(heading)
    return m.toc_tokens[0]['id'] if m.toc_tokens else ''

def heading_anchors(line):
    """Extra ids for a heading, so that links land: MkDocs' table of contents slugs a heading without its code spans
    (nbconvert's id keeps them), and nbdev links a documented name as page.html#name.lower() (`Method.check` ->
    #method.check, where nbconvert's id drops the dot)."""
    ids = {_toc_id(re.sub(r'`[^`]*`', '', line))} - {_toc_id(line), ''}
    m = re.match(r'#{1,6} ([\w.]+)\s*$', line)                     # a show_doc heading: ### Method.check
    if m and '.' in m[1]: ids.add(m[1].lower())
    return ''.join(f'<a id="{i}"></a>' for i in sorted(ids))

def local_links(md):
    """nbdev's processor links each backticked name to the deployed site (DOC_URL + page#name): make those links
    relative, so the site reads offline and its link check covers them. Headings keep plain code (a link in a heading
    would leave the table of contents' anchor without its text) and get the ids of `heading_anchors`."""
    out, fenced = [], False
    for line in md.split('\n'):
        if line.lstrip().startswith('```'): fenced = not fenced
        if not fenced and re.match(r'#{1,6} ', line):
            line = _LINKED_CODE.sub(r'\1', line)
            if (extra := heading_anchors(line)): out += [extra, '']
        out.append(line)
    return '\n'.join(out).replace(f"]({DOC_URL}", "](")

def convert_cell(cell, pages):
    "One processed cell as mkdocs-jupyter should see it, or None to drop it."
    src = ''.join(cell['source'])
    if cell['cell_type'] == 'raw': return None                      # the front matter (rendered as the title cell)
    if cell['cell_type'] == 'markdown':
        if src.strip().startswith('<!-- WARNING'): return None
        cell['source'] = local_links(_NB_LINK.sub(lambda m: f"]({pages.get(m[1], m[1] + '.html')}{m[2] or ''})", src))
        return cell
    lines = src.splitlines()
    opts = dict(re.match(r'#\|\s*([\w-]+)\s*:\s*(.*)', l).groups() for l in lines if re.match(r'#\|\s*[\w-]+\s*:', l))
    if opts.get('include') == 'false': return None
    cell['source'] = '\n'.join(l for l in lines if not l.startswith('#|'))
    tags = cell.setdefault('metadata', {}).setdefault('tags', [])
    if opts.get('echo') == 'false': tags.append('remove_input')
    if opts.get('output') == 'false': tags.append('remove_output')
    for o in cell.get('outputs', []):
        md = o.get('data', {}).get('text/markdown')
        if md is not None:
            md = ''.join(md)
            o['data']['text/markdown'] = local_links(_PANDOC_LINK.sub(r'<a class="source-link" href="\2">\1</a>', md))
            o['data'].pop('text/plain', None)
    if not cell['source'].strip() and not cell.get('outputs'): return None
    return cell

def convert_notebook(proc_path, nb_path, pages):
    "A processed notebook -> (page file name, title, notebook for MkDocs) with a title cell linking to its source."
    nb = json.loads(proc_path.read_text())
    fm = front_matter(nb)
    title = fm.get('title', nb_path.stem)
    src_link = f"{GIT_URL}/blob/{BRANCH}/nbs/{nb_path.name}"
    head = f"# {title}\n\n" + (f"> {fm['description']}\n\n" if fm.get('description') else '') + \
           f"<p class=\"nb-source\">Source notebook: <a href=\"{src_link}\">nbs/{nb_path.name}</a></p>"
    cells = [c for c in (convert_cell(c, pages) for c in nb['cells']) if c is not None]
    if cells and cells[0]['cell_type'] == 'markdown' and re.fullmatch(r'# [^\n]*\s*', ''.join(cells[0]['source'])):
        cells = cells[1:]                                            # a bare title cell: the title cell above replaces it
    nb['cells'] = [dict(cell_type='markdown', metadata={}, source=head)] + cells
    state = nb.get('metadata', {}).get('widgets', {}).get('application/vnd.jupyter.widget-state+json', {})
    if not state.get('state'):                  # nbdev records an empty widget state whenever ipywidgets is installed;
        nb.get('metadata', {}).pop('widgets', None)   # with it the page would fetch the widget renderer from unpkg.com
    return page_name(fm, nb_path), title, nb

MATHJAX_LOADER = r"""// MathJax 3, served from this site (no CDN): configure, then load tex-chtml.js from this folder.
window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
                        processEscapes: true, tags: 'ams'},
                  options: {skipHtmlTags: ['script', 'noscript', 'style', 'textarea', 'pre', 'code']}};
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, '');
  var s = document.createElement('script'); s.src = here + 'tex-chtml.js'; s.async = true;
  document.head.appendChild(s);
})();
"""

EMPTY_PROMPT = re.compile(r'(<div class="jp-(?:In|Out)putPrompt [^"]*">)(?:In|Out)\s*\[\s*\]:(</div>)')

EXTRA_CSS = """.nb-source { font-size: .75rem; color: var(--md-default-fg-color--light); }
a.source-link { float: right; font-size: .7rem; }
.jupyter-wrapper .jp-RenderedMarkdown table { font-size: .72rem; }
"""

def mkdocs_config(nav):
    "The MkDocs configuration (written to _docs/mkdocs.yml; the site goes to _site/)."
    return dict(
        site_name=CFG['lib_name'], site_description=CFG['description'],
        site_url=f"{CFG['doc_host']}{CFG['doc_baseurl']}/", docs_dir='src', site_dir=str(SITE),
        use_directory_urls=False,       # pages sit side by side as losses.html etc., as nbdev names them; browsable from file://
        theme=dict(name='material', font=False,   # font False: the system fonts, not Google Fonts
                   features=['navigation.top', 'navigation.sections', 'search.highlight', 'content.code.copy', 'toc.follow']),
        # a plain link, not `repo_url`: material would fetch the repository's stars from api.github.com on every page
        extra=dict(social=[dict(icon='fontawesome/brands/github', link=GIT_URL, name='probmcl on GitHub')],
                   generator=False),
        extra_css=['assets/probmcl.css'],
        plugins=['search', {'mkdocs-jupyter': dict(
            include_source=True, execute=False, allow_errors=False, toc_depth=3,
            remove_tag_config=dict(remove_input_tags=['remove_input'], remove_all_outputs_tags=['remove_output']),
            custom_mathjax_url='assets/mathjax/load.js')}],
        nav=nav)

def expected_pages():
    "{notebook: page file name} from the processed notebooks' front matter."
    return {p: page_name(front_matter(json.loads((PROC / p.name).read_text())), p) for p in notebooks()}

def build(proc=True):
    "Process the notebooks with nbdev, convert them for MkDocs, and build _site/."
    import yaml
    if proc:
        from nbdev.serve import proc_nbs
        proc_nbs(force=True)
    if not (MATHJAX / 'es5' / 'tex-chtml.js').exists():
        sys.exit(f"MathJax is not at {MATHJAX}: run `bash scripts/docs.sh`, whose set-up fetches mathjax@3.2.2 from the npm registry once (needs npm).")
    shutil.rmtree(BUILD, ignore_errors=True); SRC.mkdir(parents=True)
    nbs = notebooks()
    pages = {p.stem: page for p, page in expected_pages().items()}
    nav, modules, tutorials = [], [], []
    for p in nbs:
        name, title, nb = convert_notebook(PROC / p.name, p, pages)
        (SRC / name.replace('.html', '.ipynb')).write_text(json.dumps(nb, indent=1))
        entry = {title: name.replace('.html', '.ipynb')}
        (nav if p.stem == 'index' else tutorials if p.stem.startswith('tutorial.') else modules).append(entry)
    nav = [{'Home': nav[0]['probmcl'] if 'probmcl' in nav[0] else list(nav[0].values())[0]},
           {'Modules': modules}, {'Tutorials': tutorials}]
    assets = SRC / 'assets'; (assets / 'mathjax').mkdir(parents=True)
    (assets / 'probmcl.css').write_text(EXTRA_CSS)
    (assets / 'mathjax' / 'load.js').write_text(MATHJAX_LOADER)
    shutil.copy(MATHJAX / 'es5' / 'tex-chtml.js', assets / 'mathjax' / 'tex-chtml.js')
    shutil.copytree(MATHJAX / 'es5' / 'output' / 'chtml' / 'fonts' / 'woff-v2', assets / 'mathjax' / 'output' / 'chtml' / 'fonts' / 'woff-v2')
    shutil.copytree(MATHJAX / 'es5' / 'input' / 'tex' / 'extensions', assets / 'mathjax' / 'input' / 'tex' / 'extensions')  # loaded on demand
    (BUILD / 'mkdocs.yml').write_text(yaml.safe_dump(mkdocs_config(nav), sort_keys=False, allow_unicode=True))
    shutil.rmtree(SITE, ignore_errors=True)
    r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-f', str(BUILD / 'mkdocs.yml')], cwd=BUILD)
    if r.returncode: sys.exit(f"mkdocs build failed (exit {r.returncode}); see above.")
    for page in SITE.glob('*.html'):                # the notebooks are stored without execution counts, so every
        html = page.read_text()                     # 'In [ ]:' / 'Out[ ]:' prompt carries nothing: leave them empty
        page.write_text(EMPTY_PROMPT.sub(r'\1\2', html))
    n = len(list(SITE.glob('*.html')))
    size = sum(f.stat().st_size for f in SITE.rglob('*') if f.is_file())
    print(f"[docs] {len(nbs)} notebooks -> {n} pages in _site/ ({size / 2**20:.1f} MiB)")

# ---------------------------------------------------------------------------------------------------------------
# Checks of the built site. Each returns a list of failure lines (empty: passed) and prints what it measured.

from html.parser import HTMLParser

class _Page(HTMLParser):
    "The ids, the links/assets (tag, attribute, value) and the visible text of one HTML page."
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.refs, self.text, self._skip = set(), [], [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag in ('script', 'style'): self._skip += 1
        for k in ('href', 'src'):
            if a.get(k): self.refs.append((tag, k, a[k], a.get('rel', '')))
    def handle_endtag(self, tag):
        if tag in ('script', 'style'): self._skip -= 1
    def handle_data(self, d):
        if not self._skip: self.text.append(d)

def parse_page(path):
    p = _Page(); p.feed(path.read_text(errors='replace')); p.text = ' '.join(''.join(p.text).split()); return p

def check_pages():
    expected = expected_pages()
    fails = [f"{nb.name}: no page {page} in _site/" for nb, page in expected.items() if not (SITE / page).exists()]
    print(f"[check] pages: {len(expected) - len(fails)}/{len(expected)} notebooks have a page")
    idx = SITE / 'search' / 'search_index.json'
    docs = json.loads(idx.read_text())['docs'] if idx.exists() else []
    indexed = {d['location'].split('#')[0] for d in docs}
    fails += [f"search index: no entry for {page}" for page in expected.values() if page not in indexed]
    if not any(d['location'] == 'losses.html#pcl_loss' for d in docs): fails.append("search index: no entry for losses.html#pcl_loss")
    fails += [f"{p.name}: an empty 'In [ ]:' / 'Out[ ]:' prompt" for p in SITE.glob('*.html') if EMPTY_PROMPT.search(p.read_text(errors='replace'))]
    print(f"[check] search: {len(docs)} entries, every page indexed: {all(p in indexed for p in expected.values())}")
    return fails

def module_of(nb_path):
    m = re.search(r'#\|\s*default_exp\s+([\w.]+)', nb_path.read_text())
    return m and f"{CFG['lib_path']}.{m[1]}"

def check_names():
    "Every name in each module's __all__ is on its page; functions and classes have their own show_doc section (an id)."
    import importlib, inspect
    fails, n_names, n_sections = [], 0, 0
    for nb, page in expected_pages().items():
        mod = module_of(nb)
        if not mod or not (SITE / page).exists(): continue
        m, pg = importlib.import_module(mod), parse_page(SITE / page)
        html = (SITE / page).read_text(errors='replace')
        sections = set(re.findall(r'class="source-link"[^>]*>source</a></p>\s*(?:<p>)?(?:<a id="([^"]+)"></a>)?(?:</p>)?\s*<h\d id="([^"]+)"', html))
        sections = {i for pair in sections for i in pair if i}          # ids of show_doc headings (after nbdev's source link)
        for name in getattr(m, '__all__', []):
            n_names += 1
            obj = getattr(m, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, '__module__', '') == mod:
                if name in sections or name.lower() in sections: n_sections += 1
                else: fails.append(f"{page}: {mod}.{name} has no show_doc section (no element id={name!r}); add show_doc({name}) to {nb.name}")
            elif name not in pg.text: fails.append(f"{page}: {mod}.{name} is not mentioned on the page")
    print(f"[check] public names: {n_names} names of {len([n for n in expected_pages() if module_of(n)])} modules checked, "
          f"{n_sections} with their own show_doc section")
    return fails

def check_hidden():
    "No line of a `#| hide` cell reaches a page (unless the same line is also in a visible cell)."
    fails, n = [], 0
    for nb, page in expected_pages().items():
        cells = json.loads(nb.read_text())['cells']
        code = [''.join(c['source']) for c in cells if c['cell_type'] == 'code']
        hidden = [s for s in code if re.search(r'^#\|\s*hide\s*$', s, re.M)]
        visible = '\n'.join(s for s in code if s not in hidden)
        html = (SITE / page).read_text(errors='replace') if (SITE / page).exists() else ''
        text = parse_page(SITE / page).text if html else ''
        for s in hidden:
            lines = [l.strip() for l in s.splitlines() if len(l.strip()) >= 25 and not l.startswith('#') and l.strip() not in visible]
            if not lines: continue
            n += 1
            probe = max(lines, key=len)
            if ' '.join(probe.split()) in text: fails.append(f"{page}: a hidden cell of {nb.name} is visible ({probe[:60]!r})")
    print(f"[check] hidden cells: {n} hidden cells probed, {len(fails)} visible")
    return fails

def _local(url): return not re.match(r'^([a-z][a-z0-9+.-]*:|//)', url, re.I)

def check_links_and_assets(site=SITE, quiet=False):
    "Internal links resolve (files and #anchors); no page or stylesheet loads anything from outside the site."
    fails, n_links, n_assets = [], 0, 0
    pages = {p: parse_page(p) for p in site.rglob('*.html')}
    for path, pg in pages.items():
        rel = path.relative_to(site)
        for tag, attr, url, rel_attr in pg.refs:
            is_asset = tag in ('script', 'img', 'iframe', 'source', 'video', 'audio', 'embed', 'object') or \
                       (tag == 'link' and not re.search(r'canonical|alternate', str(rel_attr)))
            if is_asset:
                n_assets += 1
                if not _local(url) and not url.startswith('data:'): fails.append(f"{rel}: <{tag} {attr}={url}> loads from outside the site")
                continue
            if tag != 'a' or not _local(url) or url.startswith(('mailto:', 'javascript:')): continue
            n_links += 1
            target, _, frag = url.partition('#')
            base = CFG['doc_baseurl'].rstrip('/') + '/'
            if target.startswith(base): target = str(site / target[len(base):])   # absolute links of 404.html
            tpath = (path.parent / target).resolve() if target else path
            if target.endswith('/'): tpath = tpath / 'index.html'
            if not tpath.exists(): fails.append(f"{rel}: broken link {url}"); continue
            if frag and tpath.suffix == '.html' and frag not in (pages[tpath] if tpath in pages else parse_page(tpath)).ids:
                fails.append(f"{rel}: link {url}: no element id={frag!r} in {tpath.name}")
    for css in site.rglob('*.css'):
        for url in re.findall(r'url\(\s*[\'"]?([^\'")]+)', css.read_text(errors='replace')):
            if not _local(url) and not url.startswith('data:'): fails.append(f"{css.relative_to(site)}: url({url}) loads from outside the site")
    if quiet: return fails
    print(f"[check] links: {n_links} internal links on {len(pages)} pages, {sum('broken' in f or 'no element' in f for f in fails)} broken; "
          f"{n_assets} assets, {sum('outside' in f for f in fails)} from outside")
    return fails

CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--virtual-time-budget=20000']

def browser_dom(page, tmp):
    """The DOM of `page` after headless Chromium ran its scripts (MathJax included), and the network requests it made;
    (None, message) when Chromium is missing, fails or hangs."""
    exe = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if not exe: return None, "no Chromium: install Debian's chromium (bash scripts/docs.sh does when root), or run check --no-browser"
    log = Path(tmp) / f'{page}.netlog.json'
    try:
        r = subprocess.run([exe, *CHROMIUM_FLAGS, f'--user-data-dir={tmp}/profile-{page}', f'--log-net-log={log}',
                            '--dump-dom', (SITE / page).resolve().as_uri()], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired: return None, f"{page}: Chromium did not finish in 120 s"
    if r.returncode or '<body' not in r.stdout:
        return None, f"{page}: Chromium failed (exit {r.returncode}): {r.stderr.strip().splitlines()[-1:] or ''}"
    return r.stdout, page_requests(log)

def page_requests(netlog):
    """The network requests a page made, from Chromium's net log (file:// loads are not network requests). Requests
    Chromium makes for itself (its clock, account checks) have the initiator 'not an origin' and are left out."""
    if not netlog.exists(): return set()
    d = json.loads(netlog.read_text(errors='replace'))
    start = d['constants']['logEventTypes']['URL_REQUEST_START_JOB']
    return {e['params']['url'] for e in d['events'] if e['type'] == start and 'url' in e.get('params', {})
            and e['params'].get('initiator') != 'not an origin'}

def check_browser():
    """Headless Chromium loads the landing page and the losses page: MathJax typeset the math (mjx-container
    elements, no mjx-merror), the API tables are there (pcl_loss: each parameter with its docments comment), and no
    request left file://."""
    import inspect
    from fastcore.docments import docments
    from probmcl.losses import pcl_loss
    fails = []
    with tempfile.TemporaryDirectory() as tmp:
        for page, need_api in (('index.html', False), ('losses.html', True)):
            dom, urls = browser_dom(page, tmp)
            if dom is None: fails.append(urls); continue
            n_math, n_err = dom.count('<mjx-container'), dom.count('<mjx-merror')
            n_tables = len(re.findall(r'<th[^>]*>\s*<strong>Type</strong>|<th[^>]*>\s*Type\s*</th>', dom))
            print(f"[check] chromium {page}: {len(dom) // 1024} KiB DOM, {n_math} typeset formulas, {n_err} MathJax errors, "
                  f"{n_tables} API tables, {len(urls)} network requests by the page")
            if n_math == 0: fails.append(f"{page}: MathJax typeset nothing (no mjx-container in the DOM)")
            if n_err: fails.append(f"{page}: {n_err} formulas failed to typeset (mjx-merror)")
            if urls: fails.append(f"{page}: the page made network requests: {sorted(urls)[:3]}")
            if not need_api: continue
            if n_tables == 0: fails.append(f"{page}: no API table (show_doc docments table) in the DOM")
            sec = dom.split('id="pcl_loss"', 1)[-1].split('<h3', 1)[0] if 'id="pcl_loss"' in dom else ''
            if not sec: fails.append(f"{page}: no pcl_loss section"); continue
            import html as _html
            text = ' '.join(_html.unescape(re.sub(r'<[^>]+>', ' ', sec)).split())
            missing = [arg for arg, doc in docments(pcl_loss).items()
                       if arg != 'return' and doc and (arg not in text or ' '.join(doc.split()) not in text)]
            fails += [f"{page}: pcl_loss's parameter {a!r} or its docments comment is not in its API table" for a in missing]
            n = len(inspect.signature(pcl_loss).parameters)
            print(f"[check] chromium losses.html: pcl_loss's table has {n - len(missing)}/{n} parameters with their docments")
    return fails

def check_selftest():
    "The link and asset check must fail on a page that breaks each rule (a check that cannot fail is no check)."
    with tempfile.TemporaryDirectory() as d:
        Path(d, 'a.html').write_text('<a href="b.html">ok</a><a href="missing.html">x</a><a href="b.html#nope">y</a>'
                                     '<script src="https://cdn.example.org/x.js"></script>')
        Path(d, 'b.html').write_text('<h1 id="top">b</h1>')
        Path(d, 's.css').write_text('@font-face { src: url(https://fonts.example.org/f.woff2) }')
        got = check_links_and_assets(Path(d), quiet=True)
    kinds = ['broken link missing.html', "no element id='nope'", 'cdn.example.org', 'fonts.example.org']
    missed = [k for k in kinds if not any(k in f for f in got)]
    return [f"self-test: the link/asset check did not catch {missed}"] if missed or len(got) != 4 else []

def check(browser=True):
    fails = check_selftest() + check_pages() + check_names() + check_hidden() + check_links_and_assets() + (check_browser() if browser else [])
    for f in fails: print('FAILED', f)
    print(f"[check] {'site OK' if not fails else f'{len(fails)} failures'}")
    return not fails

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=('build', 'check', 'serve'))
    ap.add_argument('--no-proc', action='store_true', help='build from the existing _proc/ (skip nbdev\'s processor)')
    ap.add_argument('--no-browser', action='store_true', help='check without Chromium')
    a = ap.parse_args()
    if a.what == 'build': build(proc=not a.no_proc)
    elif a.what == 'check': sys.exit(0 if check(browser=not a.no_browser) else 1)
    else: subprocess.run([sys.executable, '-m', 'mkdocs', 'serve', '-f', str(BUILD / 'mkdocs.yml')], cwd=BUILD)
