#!/bin/bash
# The README's latent-model results, genlab beside its PyTorch twin (bench/reference/latent.py) from the
# same initial weights, batches and per-step noise, one intra-op thread each, CPU time of every process
# recorded. One job = export (bench/latent_export.ts), `genlab train` beside the twin (train + eval),
# then `genlab eval`. Print the table afterwards with `npx tsx bench/latent_table.ts <dir>`.
#
#   bench/latent_results.sh [--dir /tmp/genlab-latent] <job>...
#   jobs: vae-bmnist iwae-bmnist vae-bfmnist iwae-bfmnist iwae3k-bmnist (the family's 3000 steps) gvae-gumbel gvae-st-gumbel gvae-score
#         vq-mnist vq-fmnist vq1-fmnist vqp-fmnist (after vq1-fmnist: its prior, FD of both sides' samples)
set -euo pipefail
D=/tmp/genlab-latent
if [ "${1:-}" = --dir ]; then D=$2; shift 2; fi
[ $# -gt 0 ] || { sed -n 2,9p "$0"; exit 2; }
cd "$(dirname "$0")/.."
mkdir -p "$D/logs"
export GENLAB_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TORCH_THREADS=1
log() { echo "$(date +%T) $*" | tee -a "$D/logs/jobs.log"; }
T() { local out=$1; shift; /usr/bin/time -f "cpu %U %S wall %e" -o "$D/logs/$out" nice -n 10 "$@"; }
job() { # name model set steps batch overrides pyextra evalextra
  local name=$1 model=$2 set=$3 steps=$4 batch=$5 ov=$6 pyx=$7 evx=${8:---fd-samples 0}
  log "start $name"
  T "$name.xtime" npx tsx bench/latent_export.ts "$D" "$name" "$model" "$set" "$steps" "$batch" 0 "$ov" > "$D/logs/$name.export" 2>&1
  local cfg=(); [ -n "$ov" ] && cfg=(--config "$ov")
  T "$name.gtime" node bin/genlab.mjs train "$model" --data "$set" --steps "$steps" --batch "$batch" --seed 0 --out "$D/runs" --name "$name" "${cfg[@]}" -q > "$D/logs/$name.glog" 2>&1 &
  local gp=$!
  # shellcheck disable=SC2086
  T "$name.ptime" /usr/bin/python3 bench/reference/latent.py "$D" "$name" $pyx > "$D/$name.out.json" 2> "$D/logs/$name.pylog"
  wait $gp
  # shellcheck disable=SC2086
  T "$name.etime" node bin/genlab.mjs eval "$D/runs/$name" --json $evx > "$D/$name.geval.json" 2> "$D/logs/$name.elog"
  log "done $name"
}
for j in "$@"; do
  case $j in
    vae-bmnist | iwae-bmnist) job "$j" "${j%%-*}" binarized-mnist 1000 128 "" "" ;;
    vae-bfmnist | iwae-bfmnist) job "$j" "${j%%-*}" binarized-fashion-mnist 1000 128 "" "" ;;
    iwae3k-bmnist) job "$j" iwae binarized-mnist 3000 128 "" "" ;;
    gvae-gumbel | gvae-st-gumbel | gvae-score) job "$j-bmnist" gumbel-vae binarized-mnist 1000 100 "estimator=${j#gvae-}" "" ;;
    vq-mnist) job vq-mnist vqvae mnist 500 64 "" "" ;;
    vq-fmnist) job vq-fmnist vqvae fashion-mnist 500 64 "deadCodeThreshold=0.01" "--save $D/vq-fmnist.pt" ;;
    vq1-fmnist) job vq1-fmnist vqvae fashion-mnist 500 64 "deadCodeThreshold=1" "--save $D/vq1-fmnist.pt" ;;
    vqp-fmnist)
      job vqp-fmnist vqvae-prior fashion-mnist 1000 64 "vqvae=$D/runs/vq1-fmnist,channels=32" "--vq $D/vq1-fmnist.pt --samples 1000" "--fd-samples 1000"
      T vqp-fmnist.fdtime npx tsx bench/latent_fd.ts "$D/runs/vqp-fmnist" "$D/vqp-fmnist-samples.f32" --real --png "$D/vqp-fmnist-pytorch-samples.png" > "$D/vqp-fmnist.pyfd.json" 2> "$D/logs/vqp-fmnist.fdlog"
      log "done vqp-fmnist FD" ;;
    *) echo "latent_results.sh: unknown job '$j'" >&2; exit 2 ;;
  esac
done
