"""Write README.md from index.ipynb (the landing page's single source): its markdown cells, in order.

    python scripts/readme.py

nbdev's own `nbdev_readme` renders through Quarto, which cannot be installed without a download; the landing page
is plain markdown, so joining its markdown cells gives the same README.
"""
import json
from pathlib import Path

root = Path(__file__).resolve().parents[1]
nb = json.loads((root / 'index.ipynb').read_text())
parts = [''.join(c['source']).strip() for c in nb['cells'] if c['cell_type'] == 'markdown']
(root / 'README.md').write_text('\n\n'.join(parts) + '\n')
print(f"README.md: {len(parts)} sections from index.ipynb")
