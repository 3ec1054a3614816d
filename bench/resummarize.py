"""Rewrite the verdicts of committed comparison summaries (data/*.md) from their committed rows, with the current code:
the header lines each comparison wrote (budget, tuning note) are kept, the table and the verdicts after them are made
again by `probmcl.verdicts.summarize` or `probmcl.budgets.budgets_summary`. Nothing is trained.

    python bench/resummarize.py data/real_posters.md data/real_budget_odir.md ...   [--margin 1]
"""
import argparse, csv
from pathlib import Path
from probmcl.records import read_rows
from probmcl.verdicts import summarize
from probmcl.budgets import budgets_summary

def split(md:str):
    "(the header paragraphs, the entries in the table's order) of a summary."
    lines = md.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith('| entry ') or l.startswith('| test mAP'))
    entries = []
    for l in lines[i + 2:]:                                          # the first table only: its rows run to the first other line
        if not l.startswith('| '): break
        entries.append(l.split('|')[1].strip())
    return '\n'.join(lines[:i]), entries

def resummarize(path:Path, margin:float=1.0) -> str:
    "The summary at `path` with its table and verdicts made again from the CSV beside it."
    head, entries = split(path.read_text())
    with open(path.with_suffix('.csv'), newline='') as fh: header = next(csv.reader(fh), [])
    if 'budget' in header:                                          # a budget axis: one row per (budget, entry, seed)
        with open(path.with_suffix('.csv'), newline='') as fh: rows = list(csv.DictReader(fh))
        png = path.with_suffix('.png').name if path.with_suffix('.png').exists() else None
        body = budgets_summary(rows, 'probmcl', entries, png, margin)
    else: body = summarize(read_rows(path.with_suffix('.csv')), 'probmcl', entries, margin)
    return head.rstrip('\n') + '\n\n' + body + '\n'

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('files', nargs='+', type=Path); ap.add_argument('--margin', type=float, default=1.0)
    a = ap.parse_args()
    for f in a.files:
        f.write_text(resummarize(f, a.margin)); print(f"{f}: rewritten from {f.with_suffix('.csv').name}")
