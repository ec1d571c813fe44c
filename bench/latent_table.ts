/**
 * Prints the latent-model results table (markdown) from what bench/latent_results.sh leaves in <dir>:
 * per job <name>.geval.json (`genlab eval --json`), <name>.out.json (bench/reference/latent.py's line),
 * logs/<name>.{g,e,p}time (CPU seconds of genlab train, genlab eval, the PyTorch twin's train + eval),
 * and for the prior <name>.pyfd.json (bench/latent_fd.ts on the twin's samples; its CPU time, logs/<name>.fdtime,
 * counts on the PyTorch side).
 *
 *   npx tsx bench/latent_table.ts [dir=/tmp/genlab-latent]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/tmp/genlab-latent';
/** The last line of a JSON output file, or null while the job has not written it. */
const json = (f: string): Record<string, unknown> | null => {
  const text = existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim() : '';
  return text ? (JSON.parse(text.split('\n').pop()!) as Record<string, unknown>) : null;
};
/** user + system CPU seconds of one /usr/bin/time line ("cpu U S wall W"). */
const cpu = (f: string): number => {
  const p = join(dir, 'logs', f);
  if (!existsSync(p)) return NaN;
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(readFileSync(p, 'utf8'));
  return m ? Number(m[1]) + Number(m[2]) : NaN;
};
/** A difference, or 0 (bitwise) when the two numbers are the same double. */
const signed = (d: number, digits: number) => (d === 0 ? '0 (bitwise)' : `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(digits)}`);

interface Job {
  job: string;
  /** the run's name, when it is not the job's */
  name?: string;
  model: string;
  data: string;
  budget: string;
}
const jobs: (Job & { name: string })[] = (
  [
  { job: 'vae-bmnist', model: 'VAE (MLP 400-400, z = 20, Bernoulli)', data: 'binarized MNIST', budget: '1000 × 128' },
  { job: 'iwae-bmnist', model: 'IWAE k = 5 (same nets)', data: 'binarized MNIST', budget: '1000 × 128' },
  { job: 'iwae3k-bmnist', model: 'IWAE k = 5 (same nets)', data: 'binarized MNIST', budget: '3000 × 128' },
  { job: 'vae-bfmnist', model: 'VAE (MLP 400-400, z = 20, Bernoulli)', data: 'binarized Fashion-MNIST', budget: '1000 × 128' },
  { job: 'iwae-bfmnist', model: 'IWAE k = 5 (same nets)', data: 'binarized Fashion-MNIST', budget: '1000 × 128' },
  { job: 'gvae-gumbel', name: 'gvae-gumbel-bmnist', model: 'categorical VAE 20 × 10, Gumbel-softmax', data: 'binarized MNIST', budget: '1000 × 100' },
  { job: 'gvae-st-gumbel', name: 'gvae-st-gumbel-bmnist', model: 'categorical VAE 20 × 10, ST Gumbel-softmax', data: 'binarized MNIST', budget: '1000 × 100' },
  { job: 'gvae-score', name: 'gvae-score-bmnist', model: 'categorical VAE 20 × 10, score function (LOO baseline)', data: 'binarized MNIST', budget: '1000 × 100' },
  { job: 'vq-mnist', model: 'VQ-VAE (128 × 16 EMA codebook, dead-code threshold 1)', data: 'MNIST', budget: '500 × 64' },
  { job: 'vq-fmnist', model: 'VQ-VAE, dead-code threshold 0.01 (the default before)', data: 'Fashion-MNIST', budget: '500 × 64' },
  { job: 'vq1-fmnist', model: 'VQ-VAE (128 × 16 EMA codebook, dead-code threshold 1)', data: 'Fashion-MNIST', budget: '500 × 64' },
  { job: 'vqp-fmnist', model: 'gated PixelCNN prior (8 layers × 32 channels) over the VQ-VAE above', data: 'Fashion-MNIST', budget: '1000 × 64' },
] as Job[]
).map((j) => ({ ...j, name: j.name ?? j.job }));

const rows = [
  '| model | data | steps × batch | metric | genlab | PyTorch | Δ | also (genlab / PyTorch) | CPU s genlab / PyTorch | command |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const j of jobs) {
  const g = json(`${j.name}.geval.json`);
  const p = json(`${j.name}.out.json`);
  if (!g || !p) continue;
  const m = g.metrics as Record<string, number>;
  const pt = p as Record<string, number>;
  const extraG = j.name.startsWith('vqp') ? cpu(`${j.name}.fdtime`) : 0;
  const time = `${(cpu(`${j.name}.gtime`) + cpu(`${j.name}.etime`)).toFixed(0)} / ${(cpu(`${j.name}.ptime`) + extraG).toFixed(0)}`;
  const cmd = `\`bench/latent_results.sh ${j.job}\``;
  const row = (metric: string, gv: string, pv: string, d: string, also: string) => rows.push(`| ${j.model} | ${j.data} | ${j.budget} | ${metric} | ${gv} | ${pv} | ${d} | ${also} | ${time} | ${cmd} |`);
  if (j.name.startsWith('vae') || j.name.startsWith('iwae')) {
    row(`test NLL, k = ${m.isK} (nats, ${m.isExamples} test images)`, `${m.isNll!.toFixed(2)} ± ${m.isNllSE!.toFixed(2)}`, `${pt.isNll!.toFixed(2)} ± ${pt.isNllSE!.toFixed(2)}`, signed(m.isNll! - pt.isNll!, 2), `−ELBO ${m.negElbo!.toFixed(2)} / ${pt.negElbo!.toFixed(2)}`);
  } else if (j.name.startsWith('gvae')) {
    row('test −ELBO (nats)', `${m.negElbo!.toFixed(2)} ± ${m.negElboSE!.toFixed(2)}`, `${pt.negElbo!.toFixed(2)} ± ${pt.negElboSE!.toFixed(2)}`, signed(m.negElbo! - pt.negElbo!, 2), `KL ${m.kl!.toFixed(2)} / ${pt.kl!.toFixed(2)}`);
  } else if (j.name.startsWith('vqp')) {
    const fd = json(`${j.name}.pyfd.json`) as Record<string, number> | null;
    row('test code NLL (nats per code)', m.codeNll!.toFixed(4), pt.codeNll!.toFixed(4), signed(m.codeNll! - pt.codeNll!, 4), `per 7 × 7 grid ${m.codeNllPerImage!.toFixed(1)} / ${pt.codeNllPerImage!.toFixed(1)}`);
    if (fd) row('sample FD, classifier features (1000 samples)', m.fd!.toFixed(2), fd.fd!.toFixed(2), signed(m.fd! - fd.fd!, 2), `1000 real training images: ${fd.fdRealTrain!.toFixed(2)}`);
  } else {
    row('test recon MSE', m.reconMse!.toFixed(5), pt.reconMse!.toFixed(5), m.reconMse === pt.reconMse ? '0 (bitwise)' : `${signed((100 * (m.reconMse! - pt.reconMse!)) / pt.reconMse!, 2)}%`, `perplexity ${m.perplexity!.toFixed(1)} / ${pt.perplexity!.toFixed(1)}, codes used ${m.codesUsed} / ${pt.codesUsed} of 128`);
  }
}
console.log(rows.join('\n'));
