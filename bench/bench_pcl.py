"""Benchmark: ProbMCL's `pcl_loss` forward + backward, naive autograd vs the blocked custom Function.

    python bench/bench_pcl.py                 # CPU table (+ CUDA table when a GPU is visible)
    python bench/bench_pcl.py --sizes 256x80x2048 64x80x2048 --mem-cap-gb 8 --threads 2

Each (variant, size, device) runs in its own subprocess so that the peak memory is clean:
CPU peak extra memory = ru_maxrss after the run - RSS before it (inputs already built);
CUDA peak extra memory = torch.cuda.max_memory_allocated() - memory allocated before the run.
The naive variant writes the formula with broadcasting over [B, B, C, C] and lets autograd keep every
intermediate; on CPU a watchdog kills it when its RSS passes --mem-cap-gb (reported as "> cap").
"""
import argparse, json, math, os, resource, subprocess, sys, threading, time


def naive_pcl(g, y, n, tau=0.2, alpha=0.6):
    import torch
    from probmcl.losses import contrastive_loss_from_sim
    lp, mu, var = g
    s = var[:, None, :, None] + var[None, :, None, :]                       # [B, B, C, C]
    d = mu[:, None, :, None] - mu[None, :, None, :]
    T = lp[:, None, :, None] + lp[None, :, None, :] - 0.5 * n * torch.log(2 * math.pi * s) - 0.5 * n * d ** 2 / s
    L = torch.logsumexp(T.flatten(2), dim=2)                                  # [B, B]
    sim = (L - 0.5 * L.diagonal()[:, None] - 0.5 * L.diagonal()[None, :]).exp()
    return contrastive_loss_from_sim(sim, y, tau, alpha)


def make_inputs(B, C, n, device, seed=0):
    import torch
    from probmcl.mdn import GMM
    gen = torch.Generator().manual_seed(seed)
    lp = torch.log_softmax(2 * torch.randn(B, C, generator=gen), 1)
    mu = 0.02 * torch.randn(B, C, generator=gen)
    var = 1 + 0.1 * torch.rand(B, C, generator=gen)
    y = (torch.rand(B // 2, C, generator=gen) < 0.05).float()
    y[:, 0] = 1                                                               # some overlap, as COCO's 'person'
    y = y.repeat(2, 1)                                                        # two views share labels
    leaves = [t.to(device).requires_grad_() for t in (lp, mu, var)]
    return GMM(*leaves), y.to(device), leaves


def worker(variant, B, C, n, device, reps, cap_gb):
    import torch, psutil
    from probmcl.losses import pcl_loss
    proc = psutil.Process()
    if device == 'cpu' and cap_gb:
        def watchdog():
            while True:
                if proc.memory_info().rss > cap_gb * 2 ** 30:
                    print(json.dumps(dict(status='over_cap')), flush=True); os._exit(3)
                time.sleep(0.005)
        threading.Thread(target=watchdog, daemon=True).start()
    g, y, leaves = make_inputs(B, C, n, device)
    fn = (lambda: naive_pcl(g, y, n)) if variant == 'naive' else (lambda: pcl_loss(g, y, n))
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    if device == 'cuda':
        torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
    else:
        base = proc.memory_info().rss
    times = []
    for r in range(reps):
        for t in leaves: t.grad = None
        sync(); t0 = time.perf_counter()
        loss = fn(); loss.backward()
        sync(); times.append(time.perf_counter() - t0)
        if r == 0:   # the first run sets the peak; later runs only time
            peak = (torch.cuda.max_memory_allocated() - base if device == 'cuda'
                    else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base)
    print(json.dumps(dict(status='ok', loss=loss.item(), times=times, peak=peak,
                          grad_norm=[float(t.grad.norm()) for t in leaves])), flush=True)


def run_one(variant, B, C, n, device, reps, cap_gb, threads, timeout):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, __file__, '--worker', variant, f'{B}x{C}x{n}', device, str(reps), str(cap_gb), str(threads)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(status='timeout')
    lines = [l for l in p.stdout.splitlines() if l.startswith('{')]
    if lines: return json.loads(lines[-1])
    err = (p.stderr.strip().splitlines() or ['?'])[-1]
    return dict(status='oom' if 'out of memory' in err.lower() or p.returncode in (-9, 137) else 'error', err=err[:120])


def fmt_mem(b): return f'{b / 2 ** 20:9.0f} MB' if b < 2 ** 30 else f'{b / 2 ** 30:9.2f} GB'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', nargs='+', default=['64x80x2048', '256x80x2048'], help='BxCxn (B = 2 views x N)')
    ap.add_argument('--reps', type=int, default=2, help='timed runs per variant (the first also measures memory)')
    ap.add_argument('--mem-cap-gb', type=float, default=8.0, help='CPU: kill a variant whose RSS passes this')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--timeout', type=float, default=240)
    ap.add_argument('--devices', nargs='+', default=None, help="default: cpu, plus cuda when available")
    ap.add_argument('--worker', nargs=6, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        variant, size, device, reps, cap, threads = a.worker
        import torch; torch.set_num_threads(int(threads))
        B, C, n = map(int, size.split('x'))
        return worker(variant, B, C, n, device, int(reps), float(cap))
    import torch
    devices = a.devices or (['cpu'] + (['cuda'] if torch.cuda.is_available() else []))
    print(f'pcl_loss forward+backward, float32; torch {torch.__version__}, {a.threads} CPU threads'
          + (f', GPU {torch.cuda.get_device_name()}' if 'cuda' in devices else ''))
    print(f"{'device':<7}{'B':>5}{'C':>5}{'n':>6}  {'variant':<8}{'time (best)':>12}{'peak extra mem':>16}  {'loss':>10}  note")
    t_start = time.time()
    for device in devices:
        for size in a.sizes:
            B, C, n = map(int, size.split('x'))
            res = {}
            for variant in ('naive', 'ours'):
                r = res[variant] = run_one(variant, B, C, n, device, a.reps, a.mem_cap_gb if device == 'cpu' else 0,
                                           a.threads, a.timeout)
                if r['status'] == 'ok':
                    note = ''
                    if variant == 'ours' and res['naive']['status'] == 'ok':
                        nv = res['naive']
                        note = (f"{min(nv['times']) / min(r['times']):.1f}x faster, {nv['peak'] / max(r['peak'], 1):.0f}x less memory, "
                                f"|dloss| {abs(nv['loss'] - r['loss']):.1e}")
                    print(f"{device:<7}{B:>5}{C:>5}{n:>6}  {variant:<8}{min(r['times']):>11.3f}s{fmt_mem(r['peak']):>16}  {r['loss']:>10.5f}  {note}")
                else:
                    why = {'over_cap': f'did not fit: RSS passed the {a.mem_cap_gb:g} GB cap (killed)',
                           'oom': 'did not fit: out of memory', 'timeout': f'timed out after {a.timeout:g}s'}.get(r['status'], r.get('err', ''))
                    est = ''
                    if variant == 'naive':
                        est = f'; needs ~{4 * B * B * C * C / 2 ** 30:.1f} GB per [B,B,C,C] float32 tensor'
                    print(f"{device:<7}{B:>5}{C:>5}{n:>6}  {variant:<8}{'-':>12}{'-':>16}  {'-':>10}  {why}{est}")
    print(f'total bench time {time.time() - t_start:.0f}s')


if __name__ == '__main__':
    main()
