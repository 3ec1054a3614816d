"""Are two comparison folders the same result? Every CSV, JSON and markdown file that `probmcl_compare` wrote under A and
under B, compared after masking what may differ between two runs of the same comparison: the folder's own path, wall
and per-epoch times, and 40-hex digests (first-stage keys hash the code, so a change of code renames the stage folders;
their stage.json files are compared as a set). Used for issue 44 (the split of `compare`, behaviour unchanged):

    OUT=/tmp/before; V=$OUT/variants.json; mkdir -p $OUT; echo '{"probmcl:mine": {"finetune": true, "alpha": 0.6}}' > $V
    F="--n-train 160 --n-test 64 --epochs 1 --cls-epochs 1 --batch-size 32 --max-steps 2 --workers 0 --threads 2"
    probmcl_compare $F --methods asl probmcl:paper probmcl:mine --variants $V --seeds 0 1 --budgets 2 4 --tune lr=1e-3,2e-3 --out $OUT/b
    probmcl_compare $F --methods asl bce probmcl:mine --variants $V --seeds 0 1 --out $OUT/c
    # ... the same into /tmp/after with the other code, then:
    python bench/same_outputs.py /tmp/before /tmp/after
"""
import csv, difflib, io, json, re, sys
from pathlib import Path

HEX = re.compile(r'\b[0-9a-f]{40}\b')
VOLATILE = ('timings', 'started', 'finished', 'host', 'pid', 'time', 'wall_s', 'date')


def normal(p:Path, root:Path) -> str:
    "A file's text with its folder's path, digests, wall and epoch times masked (CSV, JSON and markdown)."
    t = HEX.sub('HASH', p.read_text().replace(str(root), 'OUT'))
    if p.suffix == '.csv':
        rows = list(csv.DictReader(io.StringIO(t)))
        for r in rows:
            for k in ('wall_s', 'time_s'):
                if k in r: r[k] = 'W'
        return json.dumps(rows, indent=0)
    if p.suffix == '.json':
        def strip(x):
            if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in VOLATILE and not k.endswith('_s')}
            if isinstance(x, list): return [strip(v) for v in x]
            return x
        return json.dumps(strip(json.loads(t)), indent=0, sort_keys=True)
    return re.sub(r'\| (\d+) \|\n', '| W |\n', t + '\n')       # markdown: the median wall s column, last in each row


def files(root:Path) -> dict:
    "{path with digests masked: [normalized texts]} of every CSV, JSON and markdown file under root."
    out = {}
    for p in sorted(root.rglob('*')):
        if p.is_file() and p.suffix in ('.csv', '.json', '.md'):
            out.setdefault(HEX.sub('HASH', str(p.relative_to(root))), []).append(normal(p, root))
    return {k: sorted(v) for k, v in out.items()}                  # stage folders named by digests: compared as a set


if __name__ == '__main__':
    a, b = (Path(x).resolve() for x in sys.argv[1:3])
    fa, fb = files(a), files(b)
    only = sorted(set(fa) ^ set(fb))
    bad = [k for k in fa if k in fb and fa[k] != fb[k]]
    print(f"{sum(map(len, fa.values()))} files under {a.name}, {sum(map(len, fb.values()))} under {b.name}; "
          f"{len(only)} in one only, {len(bad)} that differ")
    for k in only[:10]: print('  only in one:', k)
    for k in bad[:5]:
        print('  differs:', k)
        for x, y in zip(fa[k], fb[k]):
            print('\n'.join(list(difflib.unified_diff(x.splitlines(), y.splitlines(), lineterm=''))[:20]))
    sys.exit(1 if only or bad else 0)
