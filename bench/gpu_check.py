"""The GPU check: one command, one table, for the first GPU this package meets (under 8 minutes on one H100/H200).

    bash bench/gpu_check.sh              # on a CUDA machine
    bash bench/gpu_check.sh --dry-run    # the same code paths on the CPU at tiny sizes (CI runs this)

Rows: the main job end to end; ProbMCL and ASL step time (tresnet_m @224, batch 64, bf16, channels_last); the PCL
loss forward + backward at B=256, C=80, n=2048 with peak memory; `predict` throughput; ONNX export; two training
processes on one GPU where the backend allows it; a small comparison on Ray (`probmcl_compare --executor ray`, Ray
started on this machine, one GPU per run: each run records the device it saw). Each row runs on its own: a failure is reported in its row (one line)
and the check goes on; the exit code is 1 if any row failed, except the two-process row, which reports what the
backend says (NCCL refuses two processes on one device).
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = []


def row(name):
    "Decorator: run the part, time it, record (name, ok, result) whatever happens."
    def deco(fn):
        def run(*a):
            t0 = time.perf_counter()
            try: ok, res = True, fn(*a)
            except Exception as e: ok, res = False, ' '.join(f"{type(e).__name__}: {e}".split())[:200]
            ROWS.append((name, ok, res, time.perf_counter() - t0))
            print(f"[gpu_check] {name}: {'ok' if ok else 'FAILED'} ({time.perf_counter() - t0:.0f}s) {res}", flush=True)
        return run
    return deco


def sh(cmd, timeout=900, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if r.returncode: raise RuntimeError(f"exit {r.returncode}: " + ' | '.join((r.stderr or r.stdout).strip().splitlines()[-3:]))
    return r.stdout


TRAIN = [sys.executable, '-c', 'from probmcl.cli import probmcl_train; probmcl_train()']


def tiny(dry):
    return ['--cpu', '--n-train', '128', '--n-test', '64', '--epochs', '1', '--cls-epochs', '1', '--max-steps', '2'] if dry else []


@row('main job, end to end')
def main_job(out, dry):
    sh(TRAIN + ['--out', str(out), '--overwrite', '--quiet'] + tiny(dry))
    m = json.loads((out / 'metrics.json').read_text())
    return f"test mAP {100 * m['mAP']:.2f}, {m['timings']['total_s']:.0f} s, {m['precision']['device']} {m['precision']['amp']}"


@row('step time: ASL vs ProbMCL stage 1')
def step_time(tmp, dry):
    args = (['--device', 'cpu', '--img-size', '32', '--batch', '4', '--steps', '2', '--warmup', '1', '--amp', 'bf16'] if dry else
            ['--device', 'cuda', '--backbone', 'tresnet_m', '--backbone-kwargs', '{}', '--img-size', '224', '--batch', '64',
             '--classes', '80', '--amp', 'bf16', '--channels-last', '--steps', '20', '--warmup', '5'])
    sh([sys.executable, str(ROOT / 'bench' / 'bench_step.py'), *args, '--json', str(tmp / 'step.json')])
    s = json.loads((tmp / 'step.json').read_text())
    return f"ASL {s['asl_ms']:.1f} ms, ProbMCL {s['probmcl_ms']:.1f} ms ({s['ratio']:.2f}x), its loss alone {s['loss_ms']:.1f} ms"


@row('PCL forward + backward')
def pcl(dry):
    import torch
    from probmcl.losses import ProbMCLLoss
    from probmcl.mdn import GMM
    B, C, n = (8, 4, 16) if dry else (256, 80, 2048)
    dev = torch.device('cpu' if dry else 'cuda')
    g = torch.Generator().manual_seed(0)
    lp = torch.log_softmax(torch.randn(B, C, generator=g), 1).to(dev).requires_grad_()
    mu = (0.02 * torch.randn(B, C, generator=g)).to(dev).requires_grad_()
    var = (1 + 0.1 * torch.rand(B, C, generator=g)).to(dev).requires_grad_()
    z = torch.nn.functional.normalize(torch.randn(B, n, generator=g), dim=1).to(dev).requires_grad_()
    y = (torch.rand(B, C, generator=g) < 0.1).float().to(dev); y[:, 0] = 1
    crit = ProbMCLLoss(tau=0.2, alpha=0.6, lam=0.3)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
    ts = []
    for i in range(3 if dry else 13):
        sync(); t0 = time.perf_counter()
        crit(z, GMM(lp, mu, var), y).backward(); sync()
        if i >= (1 if dry else 3): ts.append(time.perf_counter() - t0)
    peak = (torch.cuda.max_memory_allocated() - base) / 2**20 if dev.type == 'cuda' else float('nan')
    return f"B={B}, C={C}, n={n}: {1e3 * sorted(ts)[len(ts) // 2]:.2f} ms, peak {peak:.0f} MiB"


@row('predict throughput')
def predict_speed(out, tmp, dry):
    from probmcl.canvases import MultiDigits
    from probmcl.runfolder import load_run
    from probmcl.inference import predict
    folder = tmp / 'images'; folder.mkdir(exist_ok=True)
    ds = MultiDigits('test', n=16 if dry else 512, seed=0)
    for i in range(len(ds)): ds[i][0].save(folder / f'{i}.png')
    run = load_run(out, device='cpu' if dry else 'cuda')
    predict(run, [str(folder)], progress=False)                                   # warm-up
    t0 = time.perf_counter(); predict(run, [str(folder)], progress=False); dt = time.perf_counter() - t0
    return f"{len(ds) / dt:.0f} images/s ({len(ds)} PNGs, decode + transform + model)"


@row('ONNX export')
def onnx_export(out, tmp, dry):
    from probmcl.runfolder import load_run
    from probmcl.inference import export_onnx
    diff = export_onnx(load_run(out), tmp / 'model.onnx')
    return f"{(tmp / 'model.onnx').stat().st_size / 2**20:.1f} MiB, max abs logit difference vs torch {diff:.1e}"


@row('two processes on one GPU')
def two_procs(tmp, dry):
    sk = socket.socket(); sk.bind(('127.0.0.1', 0)); port = str(sk.getsockname()[1]); sk.close()
    env = {} if dry else {'CUDA_VISIBLE_DEVICES': os.environ.get('CUDA_VISIBLE_DEVICES', '0').split(',')[0]}
    launcher = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', port]
    entry = str(Path(sys.executable).parent / 'probmcl_train')
    if not Path(entry).exists(): raise RuntimeError("probmcl_train is not installed next to this python (pip install -e .)")
    args = ['--n-train', '128', '--n-test', '64', '--epochs', '1', '--cls-epochs', '1', '--max-steps', '2', '--batch-size', '32',
            '--quiet', '--out', str(tmp / 'two')]
    try: sh(launcher + [entry] + args, env=env, timeout=600)
    except RuntimeError as e:
        if not dry and ('Duplicate GPU' in str(e) or 'ncclInvalidUsage' in str(e)):
            return f"not supported by the backend: NCCL refuses two processes on one device ({str(e)[:80]})"
        raise
    m = json.loads((tmp / 'two' / 'metrics.json').read_text())
    return f"world size {m['world_size']}, test mAP {100 * m['mAP']:.2f}"


@row('a comparison on Ray, one GPU per run')
def ray_compare(tmp, dry):
    import torch
    gpus = 0 if dry else torch.cuda.device_count()
    where = ['--executor', 'ray', '--gpus-per-run', '0' if dry else '1', '--cpus-per-run', '1']
    sh([sys.executable, '-c', 'from probmcl.compare import probmcl_compare; probmcl_compare()', '--methods', 'asl', 'bce',
        '--seeds', '0', '1', '--out', str(tmp / 'ray'), *where, *tiny(dry)], timeout=900)
    from probmcl.records import read_rows
    rows = read_rows(tmp / 'ray' / 'compare.csv')
    if len(rows) != 4 or any(r['error'] for r in rows): raise RuntimeError(f"{len(rows)} rows, errors: {[r['error'] for r in rows if r['error']][:1]}")
    seen = sorted({json.loads((Path(r['run_dir']) / 'metrics.json').read_text())['ran_on'][-1]['devices'] or 'all' for r in rows})
    return f"4 runs, 4 rows, devices seen {','.join(seen)} of {gpus} GPU(s)"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dry-run', action='store_true', help='the same code paths on the CPU at tiny sizes')
    a = ap.parse_args()
    import torch
    if not a.dry_run and not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA device is visible; run with --dry-run to check the code paths on the CPU.")
    dev = 'cpu (dry run)' if a.dry_run else torch.cuda.get_device_name(0)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); out = tmp / 'main'
        main_job(out, a.dry_run); step_time(tmp, a.dry_run); pcl(a.dry_run)
        if (out / 'metrics.json').exists(): predict_speed(out, tmp, a.dry_run); onnx_export(out, tmp, a.dry_run)
        two_procs(tmp, a.dry_run); ray_compare(tmp, a.dry_run)
    print(f"\nGPU check on {dev}, torch {torch.__version__}, {time.perf_counter() - t0:.0f} s\n")
    print('| check | result | s |\n|---|---|---|')
    for name, ok, res, s in ROWS: print(f"| {name} | {'' if ok else 'FAILED: '}{res} | {s:.0f} |")
    failed = [n for n, ok, _, _ in ROWS if not ok]
    print(f"\n{len(ROWS) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
